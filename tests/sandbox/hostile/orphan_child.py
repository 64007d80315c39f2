# A busy grandchild in its own session, outliving its parent, which exits at once.
import os

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            pass
    os._exit(0)
print("parent done")
