import socket
import sys

port = int(sys.stdin.read())
socket.create_connection(("127.0.0.1", port), timeout=2).sendall(b"escaped")
print("connected")
