import sys

for path in sys.stdin.read().split():
    with open(path, "w") as f:
        f.write("owned")
