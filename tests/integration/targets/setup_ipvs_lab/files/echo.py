"""Tiny TCP peers for the lab: a real server that answers with its name, and clients.

echo.py serve ADDRESS PORT NAME   answer every line with "NAME: line"
echo.py hold HOST PORT FILE       connect, talk once, keep the connection open
                                  until FILE exists, talk again, report, close
echo.py count HOST PORT N         N short connections; print how many each server answered
echo.py states HOST PORT SILENT_PORT FILE
                                  hold one connection in each TCP state a NAT director can
                                  see (ESTABLISHED, FIN_WAIT, CLOSE_WAIT, TIME_WAIT, and
                                  SYN_RECV through SILENT_PORT, whose server never answers),
                                  print their client ports, keep them until FILE exists

The server answers the line "close" and then closes its side (the director sees the
server's FIN first: FIN_WAIT); after the line "linger" it keeps its side open when the
client has closed (CLOSE_WAIT).
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
        linger = False
        for line in self.rfile:
            self.wfile.write(b"%s: %s" % (self.server.name.encode(), line))
            if line.strip() == b"close":
                self.request.shutdown(socket.SHUT_WR)
            linger = linger or line.strip() == b"linger"
        if linger:
            time.sleep(600)


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


def states(host, port, silent_port, flag):
    def opened(word):
        sock = socket.create_connection((host, int(port)), timeout=60)
        talk(sock.makefile("rwb"), word)
        return sock

    established, server_closed, client_closed = opened("hello"), opened("close"), opened("linger")
    server_closed.recv(1)  # the server's FIN has arrived
    client_closed.shutdown(socket.SHUT_WR)
    finished = opened("bye")
    finished_port = finished.getsockname()[1]
    finished.close()
    half_open = socket.socket()
    half_open.setblocking(False)
    half_open.connect_ex((host, int(silent_port)))
    held = {"ESTABLISHED": established, "FIN_WAIT": server_closed, "CLOSE_WAIT": client_closed, "SYN_RECV": half_open}
    ports = {state: sock.getsockname()[1] for state, sock in held.items()}
    ports["TIME_WAIT"] = finished_port
    print(json.dumps(ports), flush=True)
    deadline = time.monotonic() + 600
    while not os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.2)


if __name__ == "__main__":
    {"serve": serve, "hold": hold, "count": count, "states": states}[sys.argv[1]](*sys.argv[2:])
