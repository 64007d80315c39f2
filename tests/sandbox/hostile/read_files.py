# Read every file under each path from stdin (a data folder, the project, the home folder): print what it finds.
import os
import sys

for top in sys.stdin.read().split():
    found = [top] if os.path.isfile(top) else [os.path.join(b, f) for b, _, fs in os.walk(top) for f in fs]
    for path in found:
        try:
            with open(path, errors="replace") as f:
                print("SEEN", path, f.read(2000))
        except OSError as e:
            print("refused", path, e)
