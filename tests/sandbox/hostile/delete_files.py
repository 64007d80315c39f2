import shutil
import sys

for path in sys.stdin.read().split():
    shutil.rmtree(path)
