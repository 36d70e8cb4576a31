"""The lab's UDP server: answers every datagram with this host's name, from the address
the datagram was sent to (a DR real server must answer from the VIP, not its own address).

python3 name_udp.py PORT NAME
"""

from __future__ import annotations

import socket
import struct
import sys

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
# struct in_pktinfo: interface index, local address (the source to answer from), destination
PKTINFO = struct.Struct("=i4s4s")

if __name__ == "__main__":
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    server.bind(("", int(sys.argv[1])))
    name = sys.argv[2].encode()
    while True:
        _data, ancillary, _flags, client = server.recvmsg(2048, socket.CMSG_SPACE(PKTINFO.size))
        destinations = [PKTINFO.unpack(data)[2] for level, kind, data in ancillary if (level, kind) == (socket.IPPROTO_IP, IP_PKTINFO)]
        answer_from = [(socket.IPPROTO_IP, IP_PKTINFO, PKTINFO.pack(0, destinations[0], bytes(4)))] if destinations else []
        server.sendmsg([name], answer_from, 0, client)
