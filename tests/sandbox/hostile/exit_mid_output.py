print("partial", flush=True)
exit()
print("never")
