import shutil, sys
for path in sys.stdin.read().split():
    shutil.rmtree(path)
