"""The lab's long-lived-connection server: echoes every line back on the same connection.

python3 echo.py PORT
"""

from __future__ import annotations

import socketserver
import sys


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("", int(sys.argv[1])), Echo).serve_forever()
