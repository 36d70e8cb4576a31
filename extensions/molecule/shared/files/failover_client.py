"""The client side of one failover run, inside the lab's client container.

    python3 failover_client.py VIP HTTP_PORT ECHO_PORT RUN_DIR TAG

Opens one long-lived TCP connection to the echo service and exchanges a few lines
(enough packets for the director's sync daemon to send the entry to its peer), says
ready, then sends one HTTP request every 50 ms, each on a new connection with a 1 s
timeout, until RUN_DIR/TAG.stop appears. When RUN_DIR/TAG.go appears (the backup holds
the VIP), it exchanges one more line on the old connection: only a director that
knows the connection (the synced entry) can forward it. Writes RUN_DIR/TAG.client.json.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

REQUEST_TIMEOUT = 1.0
INTERVAL = 0.05


def http_request(vip: str, port: int) -> list:
    """[start time, answered, server name or error]"""
    started = time.time()
    try:
        with socket.create_connection((vip, port), timeout=REQUEST_TIMEOUT) as conn:
            conn.settimeout(REQUEST_TIMEOUT)
            conn.sendall(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")
            data = b""
            while chunk := conn.recv(4096):
                data += chunk
        head, _blank_line, body = data.partition(b"\r\n\r\n")
        answered = head.split(b"\r\n", 1)[0].split(b" ")[1:2] == [b"200"]
        return [started, answered, body.decode(errors="replace").strip()]
    except OSError as error:
        return [started, False, type(error).__name__]


def exchange(conn: socket.socket, line: bytes) -> str:
    """ "ok", or why the line did not come back."""
    try:
        conn.sendall(line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(100)
            if not chunk:
                return "closed"
            reply += chunk
        return "ok" if reply == line else "garbled"
    except ConnectionResetError:
        return "reset"
    except TimeoutError:
        return "timeout"
    except OSError as error:
        return type(error).__name__


def main(vip: str, port: int, echo_port: int, run_dir: str, tag: str) -> None:
    path = os.path.join(run_dir, tag)
    conn = socket.create_connection((vip, echo_port), timeout=5)
    conn.settimeout(5)
    before = [exchange(conn, b"before %d\n" % index) for index in range(5)]
    with open(path + ".ready", "w", encoding="utf-8"):
        pass
    requests, after = [], None
    while not os.path.exists(path + ".stop"):
        requests.append(http_request(vip, port))
        if after is None and os.path.exists(path + ".go"):
            after = exchange(conn, b"after\n")
        time.sleep(INTERVAL)
    # Written aside and renamed: the probe reads the file as soon as it exists.
    with open(path + ".client.part", "w", encoding="utf-8") as out:
        json.dump({"before": before, "after": after, "requests": requests}, out)
    os.replace(path + ".client.part", path + ".client.json")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
