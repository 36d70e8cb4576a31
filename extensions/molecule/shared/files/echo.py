"""The lab's long-lived-connection server: echoes every line back on the same connection.

python3 echo.py PORT
"""

from __future__ import annotations

import socket
import socketserver
import sys


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line)


class Server(socketserver.ThreadingTCPServer):
    # One IPv6 socket with IPV6_V6ONLY off answers the IPv4 and the IPv6 VIPs.
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


if __name__ == "__main__":
    Server(("", int(sys.argv[1])), Echo).serve_forever()
