with open("big.bin", "wb") as f:
    for _ in range(10 * 1024):  # 10 GB in 1 MB writes
        f.write(b"0" * (1 << 20))
