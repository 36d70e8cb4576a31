"""Tiny TCP peers for the lab: a real server that answers with its name, and clients.

echo.py serve ADDRESS PORT NAME   answer every line with "NAME: line"
echo.py hold HOST PORT FILE       connect, talk once, keep the connection open
                                  until FILE exists, talk again, report, close
echo.py count HOST PORT N         N short connections; print how many each server answered
"""

from __future__ import annotations

import collections
import json
import os
import socket
import socketserver
import sys
import time


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b"%s: %s" % (self.server.name.encode(), line))


def serve(address, port, name):
    server = socketserver.ThreadingTCPServer((address, int(port)), Handler, bind_and_activate=False)
    server.allow_reuse_address = True
    server.daemon_threads = True
    server.server_bind()
    server.server_activate()
    server.name = name
    print("listening", flush=True)
    server.serve_forever()


def talk(stream, text):
    stream.write(text.encode() + b"\n")
    stream.flush()
    return stream.readline().decode().strip()


def hold(host, port, flag):
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        stream = sock.makefile("rwb")
        first = talk(stream, "hello")
        print(json.dumps({"first": first}), flush=True)
        deadline = time.monotonic() + 600
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.2)
        second = talk(stream, "again")
    print(json.dumps({"first": first, "second": second}), flush=True)


def count(host, port, n):
    answers = collections.Counter()
    for _attempt in range(int(n)):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            answers[talk(sock.makefile("rwb"), "hi").split(":")[0]] += 1
    print(json.dumps(dict(answers)))


if __name__ == "__main__":
    {"serve": serve, "hold": hold, "count": count}[sys.argv[1]](*sys.argv[2:])
