# Every way out: TCP to the host's 127.0.0.1:<port>, an abstract Unix socket of the host, DNS, TCP and UDP outside.
import socket
import sys

port, name = sys.stdin.read().split()
tries = {
    "tcp-localhost": lambda: socket.create_connection(("127.0.0.1", int(port)), timeout=2).sendall(b"escaped"),
    "abstract-unix": lambda: _unix("\0" + name),
    "dns": lambda: socket.getaddrinfo("example.com", 80),
    "tcp-outside": lambda: socket.create_connection(("1.1.1.1", 80), timeout=2),
    "udp-outside": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("8.8.8.8", 53)),
}


def _unix(address):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(address)
    s.sendall(b"escaped")


for what, attempt in tries.items():
    try:
        attempt()
        print("CONNECTED", what)
    except OSError as e:
        print("refused", what, e)
