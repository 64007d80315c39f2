import sys

sys.exit(0)
print("never")
