# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS generic netlink client: read the table, apply planned operations.

Only this file touches a socket. It runs on pyroute2 0.7.x (a plain synchronous
socket) and 0.9.x (a synchronous facade over an asyncio core) through the API
both share: ``GenericNetlinkSocket.bind``, ``nlm_request``, ``marshal.msg_map``
and ``fileno``.

pyroute2 opens and binds the socket and resolves the IPVS family. Control
commands (daemons, timeouts, info, zero, flush) go through its ``nlm_request``.
The table itself - dumps and batches of edits - goes through a duplicate of the
same file descriptor with the lean codec of ``_codec``: edits are packed
``WINDOW`` messages to a datagram and their acknowledgements read back together,
so 11,000 edits are 43 round trips rather than 11,000.
"""

from __future__ import annotations

import errno
import functools
import itertools
import operator
import os
import select
import socket
from typing import NamedTuple

from ansible_collections.lvs.ipvs.plugins.module_utils import _codec as codec
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import server_rule, service_rule

_ACTION_COMMANDS = {
    plan.ADD_SERVICE: nl.CMD_NEW_SERVICE,
    plan.EDIT_SERVICE: nl.CMD_SET_SERVICE,
    plan.DELETE_SERVICE: nl.CMD_DEL_SERVICE,
    plan.ADD_SERVER: nl.CMD_NEW_DEST,
    plan.EDIT_SERVER: nl.CMD_SET_DEST,
    plan.DELETE_SERVER: nl.CMD_DEL_DEST,
}


# Edits per datagram. Each acknowledgement occupies ~1 KiB of the receive buffer
# (skb truesize), and pyroute2 asks for 1 MiB, which the kernel may cap at
# 2 x net.core.rmem_max (416 KiB by default): 256 stays well inside either.
WINDOW = 256
_REPLY_TIMEOUT = 30.0
_RECV_SIZE = 1 << 16  # above the kernel's largest dump skb (32 KiB)
_RCVBUF = 1 << 22
_APPLIED_SHOWN = 10


def ipvs_loaded() -> bool:
    """True when the running kernel (built-in or module) offers IPVS in this netns."""
    return os.path.exists(netns.PROC_NET + "/ip_vs")


def _module_present(name: str) -> bool:
    return os.path.isdir("/sys/module/" + name)


class IpvsClient:
    """One generic netlink socket bound to the IPVS family."""

    def __init__(self, load_module=None):
        """``load_module(name)`` loads a kernel module (modprobe) when IPVS is
        missing; without it a missing IPVS is an error."""
        self._sock = nl.GenericNetlinkSocket()
        self._raw = None
        try:
            self._bind(load_module)
            self._raw = socket.fromfd(self._sock.fileno(), socket.AF_NETLINK, socket.SOCK_RAW)
            _grow_receive_buffer(self._raw)
        except BaseException:
            self._sock.close()
            raise
        self._family = self._sock.prid
        self._sequence = itertools.count(1 << 24)

    def _bind(self, load_module) -> None:
        try:
            self._sock.bind(nl.GENL_NAME, nl.ipvs_msg)
            return
        except nl.NetlinkError as exc:
            if getattr(exc, "code", None) != errno.ENOENT:
                raise IpvsError("cannot open the IPVS generic netlink family: %s" % exc) from None
        if load_module is None:
            raise IpvsError("IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs)")
        load_module("ip_vs")
        try:
            self._sock.bind(nl.GENL_NAME, nl.ipvs_msg)
        except nl.NetlinkError as exc:
            raise IpvsError("ip_vs was loaded but the IPVS netlink family is still missing: %s" % exc) from None

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------------------ transport

    def _request(self, cmd: int, attrs=(), dump: bool = False, reply_class=None) -> list:
        msg = nl.ipvs_msg()
        msg["cmd"] = cmd
        msg["version"] = nl.GENL_VERSION
        msg["attrs"] = [list(attr) for attr in attrs]
        flags = nl.NLM_F_REQUEST | (nl.NLM_F_DUMP if dump else nl.NLM_F_ACK)
        msg_map = self._sock.marshal.msg_map
        prid = self._sock.prid
        if reply_class is not None:
            msg_map[prid] = reply_class
        try:
            replies = list(self._sock.nlm_request(msg, msg_type=prid, msg_flags=flags))
        finally:
            msg_map[prid] = nl.ipvs_msg
        # an ACK-only answer decodes as a message without attributes; keep real replies
        return [reply for reply in replies if reply.get("cmd") == cmd or reply.get("attrs")]

    def _send(self, messages: list) -> list:
        """Send encoded ``(cmd, payload, flags)`` messages in one datagram; return their sequence numbers."""
        sequences = []
        chunks = []
        for cmd, payload, flags in messages:
            seq = next(self._sequence)
            sequences.append(seq)
            chunks.append(codec.message(self._family, nl.NLM_F_REQUEST | flags, seq, cmd, nl.GENL_VERSION, payload))
        try:
            self._raw.send(b"".join(chunks))
        except OSError as exc:
            raise IpvsError("cannot send to the kernel: %s" % exc.strerror, errno=exc.errno) from None
        return sequences

    def _receive(self) -> bytes:
        # the kernel answers while handling our send (and a dump's next part while
        # handling our previous read), so a reply is usually waiting: read first, wait after
        try:
            return self._receive_waiting()
        except BlockingIOError:
            pass
        ready, _w, _x = select.select([self._raw], [], [], _REPLY_TIMEOUT)
        if not ready:
            raise IpvsError("the kernel did not answer within %d s" % _REPLY_TIMEOUT)
        return self._receive_waiting()

    def _receive_waiting(self) -> bytes:
        try:
            return self._raw.recv(_RECV_SIZE, socket.MSG_DONTWAIT)
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                raise IpvsError("the kernel dropped replies because the socket's receive buffer overflowed", errno=exc.errno) from None
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise
            raise IpvsError("cannot read the kernel's answer: %s" % exc.strerror, errno=exc.errno) from None

    def _exchange(self, messages: list) -> list:
        """Send ``(cmd, payload)`` edits with NLM_F_ACK; return each one's errno (0 = done)."""
        sequences = self._send([(cmd, payload, nl.NLM_F_ACK) for cmd, payload in messages])
        codes = dict.fromkeys(sequences)
        pending = len(sequences)
        while pending:
            data = self._receive()
            for kind, _flags, seq, start, _end in codec.split(data):
                if kind == codec.NLMSG_ERROR and seq in codes and codes[seq] is None:
                    codes[seq] = codec.error_code(data, start)
                    pending -= 1
        return [codes[seq] for seq in sequences]

    def _dump(self, cmd: int, payload: bytes = b"", name: str | None = None):
        """Yield ``(data, start, end)`` for every reply to one dump request: its attributes,
        or with ``name`` the payload of that attribute (replies without it are skipped)."""
        for seq, data in self._datagrams(cmd, payload):
            spans, done = self._replies(data, seq, 0, name)
            yield from spans
            if done:
                return

    def _datagrams(self, cmd: int, payload: bytes):
        """``(seq, datagram)`` for each datagram answering one dump request, until the
        caller has seen its end."""
        (seq,) = self._send([(cmd, payload, nl.NLM_F_DUMP)])
        while True:
            yield seq, self._receive()

    def _replies(self, data, seq: int, offset: int, name: str | None) -> tuple:
        """``(spans, done)``: ``_dump``'s spans of the replies to dump ``seq`` in ``data``
        from ``offset`` on, and whether the dump ended in this datagram."""
        span = _schema().span
        spans = []
        for kind, _flags, reply_seq, start, end in codec.split(data, offset):
            if reply_seq != seq:
                continue
            if kind == codec.NLMSG_DONE:
                return spans, True
            if kind == codec.NLMSG_ERROR:
                code = codec.error_code(data, start)
                if code:
                    raise read_error(code)
                return spans, True
            if name is None:
                spans.append((data, start + codec.GENL_HEADER_SIZE, end))
                continue
            found = span(data, start + codec.GENL_HEADER_SIZE, end, name)
            if found is not None:
                spans.append(found)
        return spans, False

    # ------------------------------------------------------------------ reading

    def service_states(self, with_servers: bool = True) -> dict:
        """Every service (ServiceKey -> ServiceState), with its real servers."""
        states = {}
        for nest in self._nests(nl.CMD_GET_SERVICE, "IPVS_CMD_ATTR_SERVICE"):
            state = wire.decode_service_state(nest)
            states[state.service.key] = state
        if with_servers:
            for key, state in states.items():
                state.dests = self.dest_states(key)
        return states

    def dest_states(self, key: model.ServiceKey) -> dict:
        dests = {}
        for nest in self._nests(nl.CMD_GET_DEST, "IPVS_CMD_ATTR_DEST", _service_selector(key)):
            state = wire.decode_dest_state(nest, key.family)
            dests[state.dest.key] = state
        return dests

    def table(self, expected: dict | None = None) -> plan.Table:
        """The configuration of every service and real server, without counters
        (one dump of the services, one per service for its servers); only the
        attributes the configuration needs are decoded.

        ``expected`` (ServiceKey -> the Dests a run wants) makes a table that holds them
        cheap to read: a real server whose dumped configuration is, byte for byte, the
        encoding of an expected one is that Dest (decoding the bytes gives an equal one)."""
        table = plan.Table()
        for nest in self._nests(nl.CMD_GET_SERVICE, "IPVS_CMD_ATTR_SERVICE", names=wire.SERVICE_CONFIG_ATTRS):
            service = wire.decode_service(nest.get)
            table.services[service.key] = service
        known = _KnownServers(expected or {})
        for key in table.services:
            servers = table.servers[key] = {}
            for seq, data in self._datagrams(nl.CMD_GET_DEST, _service_selector(key)):
                offset = known.cut(key, data, seq, servers)
                if codec.ends(data, offset, seq):
                    break
                spans, done = self._replies(data, seq, offset, _DEST)
                for span in spans:
                    dest = known.find(key, *span) or known.decode(key, *span)
                    servers[dest.key] = dest
                if done:
                    break
        return table

    def _nests(self, cmd: int, name: str, payload: bytes = b"", names=None):
        nest = _schema().by_name[name][2]
        for span in self._dump(cmd, payload, name):
            yield nest.decode(*span, names)

    def _read(self, cmd: int, dump: bool = False, reply_class=None) -> list:
        try:
            return self._request(cmd, dump=dump, reply_class=reply_class)
        except nl.NetlinkError as exc:
            raise read_error(exc.code) from None

    def info(self) -> dict:
        replies = self._read(nl.CMD_GET_INFO, reply_class=nl.ipvs_info_msg)
        get = replies[0].get_attr if replies else (lambda name: None)
        version = get("IPVS_INFO_ATTR_VERSION") or 0
        size = get("IPVS_INFO_ATTR_CONN_TAB_SIZE")
        return {
            "version": "%d.%d.%d" % (version >> 16, (version >> 8) & 0xFF, version & 0xFF),
            "connection_table_size": size,
        }

    def timeouts(self) -> dict:
        replies = self._read(nl.CMD_GET_CONFIG)
        get = replies[0].get_attr if replies else (lambda name: None)
        return {
            "tcp": get("IPVS_CMD_ATTR_TIMEOUT_TCP"),
            "tcp_fin": get("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN"),
            "udp": get("IPVS_CMD_ATTR_TIMEOUT_UDP"),
        }

    def daemons(self) -> list:
        found = []
        for reply in self._read(nl.CMD_GET_DAEMON, dump=True):
            nest = reply.get_attr("IPVS_CMD_ATTR_DAEMON")
            if nest is not None:
                found.append(decode_daemon(nest.get_attr))
        return found

    # ------------------------------------------------------------------ writing

    def apply(self, operations) -> list:
        """Send the operations in order, ``WINDOW`` to a datagram; return them.

        The kernel carries out every message of a datagram even after refusing
        one, so a refusal ends the run after its window: the IpvsError names the
        first refused change, counts the others and lists in ``applied`` exactly
        the changes the kernel acknowledged.
        """
        operations = list(operations)
        payload = _Payloads().of
        applied: list = []
        for start in range(0, len(operations), WINDOW):
            window = operations[start : start + WINDOW]
            try:
                codes = self._exchange([(_ACTION_COMMANDS[op.action], payload(op)) for op in window])
            except IpvsError as exc:
                # the answers are lost, not the edits: whatever reached the kernel is in its table
                table = self._fresh_table()
                done = [op for op in window if plan.holds(table, op)]
                applied += done
                raise IpvsError(
                    "%s; the kernel's table, read again, shows %d of the batch's %d edit(s) applied%s"
                    % (exc.message, len(done), len(window), applied_note(applied, operations)),
                    applied=[op.as_dict() for op in applied],
                    errno=exc.errno,
                ) from None
            applied += [op for op, code in zip(window, codes) if not code]
            refused = [(op, code) for op, code in zip(window, codes) if code]
            if refused:
                op, code = refused[0]
                others = "; the kernel refused %d more change(s) of the same batch" % (len(refused) - 1) if len(refused) > 1 else ""
                raise IpvsError(explain(op, code) + others + applied_note(applied, operations), applied=[op.as_dict() for op in applied], errno=code)
        return applied

    @staticmethod
    def _fresh_table() -> plan.Table:
        # a new socket: the old one may still hold the lost batch's late answers
        with IpvsClient() as fresh:
            return fresh.table()

    def start_daemon(self, attrs: list) -> None:
        """NEW_DAEMON; raises NetlinkError for the caller to explain."""
        self._request(nl.CMD_NEW_DAEMON, [["IPVS_CMD_ATTR_DAEMON", {"attrs": attrs}]])

    def stop_daemon(self, role: str) -> None:
        state = {"master": nl.STATE_MASTER, "backup": nl.STATE_BACKUP}[role]
        self._request(nl.CMD_DEL_DAEMON, [["IPVS_CMD_ATTR_DAEMON", {"attrs": [["IPVS_DAEMON_ATTR_STATE", state]]}]])

    def set_timeouts(self, timeouts: dict) -> None:
        """SET_CONFIG; a timeout left out (sent as 0) keeps its value."""
        names = {"tcp": "IPVS_CMD_ATTR_TIMEOUT_TCP", "tcp_fin": "IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", "udp": "IPVS_CMD_ATTR_TIMEOUT_UDP"}
        attrs = [[attr, timeouts.get(name, 0)] for name, attr in names.items()]
        self._checked(nl.CMD_SET_CONFIG, attrs, "set the timeouts to %s" % timeouts)

    def zero(self, key: model.ServiceKey | None = None) -> None:
        attrs = [] if key is None else [["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_id_attrs(key)}]]
        self._checked(nl.CMD_ZERO, attrs, "zero the counters of %s" % (key.label() if key else "all services"))

    def flush(self) -> None:
        self._checked(nl.CMD_FLUSH, [], "clear the IPVS table")

    def _checked(self, cmd: int, attrs, what: str) -> list:
        try:
            return self._request(cmd, attrs)
        except nl.NetlinkError as exc:
            raise IpvsError("the kernel refused to %s: %s" % (what, os.strerror(exc.code)), errno=exc.code) from None


@functools.cache
def _schema() -> codec.Schema:
    return codec.Schema(nl.ipvs_msg)


_DEST = "IPVS_CMD_ATTR_DEST"
_ADDRESS = "IPVS_DEST_ATTR_ADDR"


class _Template(NamedTuple):
    """A setting's encoding in a dump's runs (``codec.Selected``): the runs before the one
    with the address, that run's bytes before and after the address, the runs after."""

    before: tuple
    prefix: bytes
    suffix: bytes
    after: tuple


_BEFORE = operator.attrgetter("before")
_PREFIX = operator.attrgetter("prefix")
_SUFFIX = operator.attrgetter("suffix")
_AFTER = operator.attrgetter("after")


class _KnownServers:
    """The real servers a run expects, recognised in a dump by their bytes: a datagram's
    replies at once (``codec.SelectedReplies``), or one reply (``codec.Selected``)."""

    def __init__(self, expected: dict):
        # one index for the whole table, its keys numbered by service: building it is a
        # few passes of built-in iterators over every expected server, not a few per service
        self._numbers = {key: number for number, key in enumerate(expected)}
        self._expected = list(itertools.chain.from_iterable(expected.values()))
        self._services = list(itertools.chain.from_iterable(map(itertools.repeat, self._numbers.values(), map(len, expected.values()))))
        self._schema = _schema().by_name[_DEST][2]
        self._selected = codec.Selected(self._schema, wire.DEST_CONFIG_ATTRS)
        self._replies = codec.SelectedReplies(_schema(), _DEST, wire.DEST_CONFIG_ATTRS)
        self._encodings: dict = {}
        self._indexes: dict = {}
        self._address = self._schema.by_name[_ADDRESS][0]
        self._address_header = self._schema.encode([[_ADDRESS, bytes(wire.ADDRESS_SIZE)]])[: codec.NLA_HEADER_SIZE]

    def cut(self, key: model.ServiceKey, data, seq: int, servers: dict) -> int:
        """Put the real servers of the leading replies of ``data`` that share one layout
        into ``servers``, as expected Dests or decoded; return where the rest begins."""
        order, chunks, end = self._replies.cut(data, seq)
        if not chunks:
            return 0
        found = list(map(self._index(order).get, zip(itertools.repeat(self._numbers.get(key)), chunks)))
        if None in found:
            size = end // len(chunks)
            span = _schema().span
            for number in [number for number, pair in enumerate(found) if pair is None]:
                dest = self.decode(key, *span(data, number * size + codec.HEADER_SIZE, (number + 1) * size, _DEST))
                found[number] = (dest.key, dest)
        servers.update(found)
        return end

    def find(self, key: model.ServiceKey, data, start: int, end: int) -> model.Dest | None:
        """The expected Dest of ``key`` that the dumped entry ``data[start:end]`` is, or None."""
        cut = self._selected.chunks(data, start, end)
        if cut is None:
            return None
        order, chunks = cut
        pair = self._index(order).get((self._numbers.get(key), chunks))
        return pair[1] if pair else None

    def _index(self, order: tuple) -> dict:
        """``(DestKey, Dest)`` of each expected Dest by its service's number and the bytes
        the kernel dumps for it, in the dump's order. Real servers mostly differ in their
        address only: the other attributes are encoded once per distinct setting (a
        template of the chunks before and after the address), and only the address for
        each server. Per server, built-in iterators do the work (see ``wire.dest_settings``)."""
        index = self._indexes.get(order)
        if index is not None:
            return index
        dests = self._expected
        settings = wire.dest_settings(dests)
        templates: dict = {}
        found = list(map(templates.get, settings))
        for position in [position for position, template in enumerate(found) if template is None]:
            found[position] = templates.get(settings[position]) or self._template(templates, order, dests[position], settings[position])
        addresses = map(operator.add, map(operator.add, map(_PREFIX, found), wire.dest_addresses(dests)), map(_SUFFIX, found))
        chunks = map(operator.add, map(operator.add, map(_BEFORE, found), zip(addresses)), map(_AFTER, found))
        index = self._indexes[order] = dict(zip(zip(self._services, chunks), zip(map(model.KEY_OF, dests), dests)))
        return index

    def _template(self, templates: dict, order: tuple, dest: model.Dest, setting: tuple) -> _Template:
        """The runs of ``order`` encoded for ``setting`` (that of ``dest``), around the address."""
        values = wire.dest_dump_values(dest)
        encode, encodings, by_number = self._schema.encode, self._encodings, self._schema.by_number
        runs = [[encode([[by_number[number][0], values[by_number[number][0]]]], encodings) for number in run] for run in order]
        (at,) = [position for position, run in enumerate(order) if self._address in run]
        within = order[at].index(self._address)
        template = templates[setting] = _Template(
            tuple(b"".join(run) for run in runs[:at]),
            b"".join(runs[at][:within]) + self._address_header,
            b"".join(runs[at][within + 1 :]),
            tuple(b"".join(run) for run in runs[at + 1 :]),
        )
        return template

    def decode(self, key: model.ServiceKey, data, start: int, end: int) -> model.Dest:
        return wire.decode_dest(self._schema.decode(data, start, end, wire.DEST_CONFIG_ATTRS).get, key.family)


def _grow_receive_buffer(sock) -> None:
    """Room for a window of acknowledgements; SO_RCVBUFFORCE (root) passes rmem_max."""
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, _RCVBUF)
            return
        except OSError:
            continue


def _service_selector(key: model.ServiceKey) -> bytes:
    """The SERVICE nest naming ``key``: a read and a table's edits send one per service, so
    it is encoded once per (family, protocol, port) with each address put in."""
    if key.is_fwmark:
        return _schema().encode([["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_id_attrs(key)}]])
    template = _SELECTOR_TEMPLATES.get((key.family, key.protocol, key.port))
    if template is None:
        template = _SELECTOR_TEMPLATES[key.family, key.protocol, key.port] = _selector_template(key)
    return template[0] + wire.address_bytes(key.family, key.address) + template[1]


_SELECTOR_TEMPLATES: dict = {}


def _selector_template(key: model.ServiceKey) -> tuple:
    """``key``'s selector without its address: the bytes before it and after it."""
    attrs = wire.service_id_attrs(key)
    names = [name for name, _value in attrs]
    nest = _schema().by_name["IPVS_CMD_ATTR_SERVICE"][2]
    at = codec.NLA_HEADER_SIZE + len(nest.encode(attrs[: names.index("IPVS_SVC_ATTR_ADDR")])) + codec.NLA_HEADER_SIZE
    selector = _schema().encode([["IPVS_CMD_ATTR_SERVICE", {"attrs": attrs}]])
    return selector[:at], selector[at + wire.ADDRESS_SIZE :]


def decode_daemon(get) -> dict:
    state = get("IPVS_DAEMON_ATTR_STATE")
    group4 = get("IPVS_DAEMON_ATTR_MCAST_GROUP")
    group6 = get("IPVS_DAEMON_ATTR_MCAST_GROUP6")
    if group6 and any(bytearray(group6)):
        group = wire.address_text("ipv6", group6)
    elif group4:
        group = wire.address_text("ipv4", group4)
    else:
        group = None
    return {
        "role": {nl.STATE_MASTER: "master", nl.STATE_BACKUP: "backup"}.get(state, str(state)),
        "interface": get("IPVS_DAEMON_ATTR_MCAST_IFN"),
        "syncid": get("IPVS_DAEMON_ATTR_SYNC_ID"),
        "sync_maxlen": get("IPVS_DAEMON_ATTR_SYNC_MAXLEN"),
        "mcast_group": group,
        "mcast_port": get("IPVS_DAEMON_ATTR_MCAST_PORT"),
        "mcast_ttl": get("IPVS_DAEMON_ATTR_MCAST_TTL"),
    }


def operation_attrs(op: plan.Operation) -> list:
    return [["IPVS_CMD_ATTR_SERVICE", {"attrs": _service_nest(op)}], *_dest_part(op)]


def _service_nest(op: plan.Operation) -> list:
    if op.action in (plan.ADD_SERVICE, plan.EDIT_SERVICE):
        return wire.service_attrs(op.after)
    return wire.service_id_attrs(op.service)


def _dest_part(op: plan.Operation) -> list:
    if op.server is None:
        return []
    dest = op.after or op.before
    return [["IPVS_CMD_ATTR_DEST", {"attrs": wire.dest_id_attrs(dest.key) if op.action == plan.DELETE_SERVER else wire.dest_attrs(dest)}]]


# A DEST nest starts with its header, then the address attribute's header and the address.
_ADDRESS_AT = 2 * codec.NLA_HEADER_SIZE


class _Payloads:
    """``operation_attrs(op)`` encoded, for one run's edits. The service part of server edits
    is encoded once per service. A server edit's DEST nest is encoded once per action and
    setting: its address comes first and always takes ADDRESS_SIZE bytes, so each server's
    nest is that encoding with its own address put in."""

    def __init__(self):
        self._selectors: dict = {}
        self._templates: dict = {}

    def of(self, op: plan.Operation) -> bytes:
        if op.action in (plan.ADD_SERVICE, plan.EDIT_SERVICE):
            return _schema().encode(operation_attrs(op))
        selector = self._selectors.get(op.service)
        if selector is None:
            selector = self._selectors[op.service] = _service_selector(op.service)
        if op.server is None:
            return selector
        dest = op.after or op.before
        key = dest.key
        # a deletion sends the server's identity only
        setting = (op.action, key.family, key.port) if op.action == plan.DELETE_SERVER else (op.action, wire.dest_setting(dest))
        template = self._templates.get(setting)
        if template is None:
            nest = _schema().encode(_dest_part(op))
            template = self._templates[setting] = (nest[:_ADDRESS_AT], nest[_ADDRESS_AT + wire.ADDRESS_SIZE :])
        return selector + template[0] + wire.address_bytes(key.family, key.address) + template[1]


def read_error(code: int) -> IpvsError:
    """A kernel errno for a read (a dump or a GET) as an error an operator can act on."""
    reason = "permission denied: reading IPVS needs root (CAP_NET_ADMIN)" if code == errno.EPERM else os.strerror(code)
    return IpvsError("cannot read the IPVS table: %s" % reason, errno=code)


def explain(op: plan.Operation, code: int) -> str:
    """Turn a kernel errno for ``op`` into words an operator can act on."""
    entry = op.after or op.before
    rule = server_rule(op.service, entry) if op.server else service_rule(entry)
    prefix = "cannot %s (%s): " % (op.describe(), rule)
    if code == errno.ENOENT and op.server is None:
        scheduler = "ip_vs_" + op.after.scheduler
        if not _module_present(scheduler):
            return prefix + "scheduler %r is not available: load module %s" % (op.after.scheduler, scheduler)
        if op.after.persistence_engine:
            engine = "ip_vs_pe_" + op.after.persistence_engine
            return prefix + "persistence engine %r is not available: load module %s" % (op.after.persistence_engine, engine)
    if code == errno.EINVAL and op.server is not None and op.after is not None and op.after.key.family != op.service.family:
        return prefix + (
            "the kernel refused the mixed-family real server: it refuses them while a connection-sync daemon runs "
            "in this network namespace (and kernels before 3.18 have no mixed-family support)"
        )
    reasons = {
        errno.ENOENT: "the real server does not exist",
        errno.ESRCH: "service %s does not exist" % op.service.label(),
        errno.EEXIST: "it already exists",
        errno.ERANGE: "a value is out of the kernel's range (weight 0..%d, lower threshold <= upper threshold)" % model.MAX_WEIGHT,
        errno.EINVAL: "the kernel rejected an attribute as invalid (address family, forwarding method or tunnel options)",
        errno.EPERM: "permission denied: IPVS changes need root (CAP_NET_ADMIN)",
        errno.ENOMEM: "the kernel is out of memory",
    }
    return prefix + reasons.get(code, os.strerror(code))


def applied_note(applied: list, operations) -> str:
    """What of ``operations`` the kernel took: ``applied``, a list of Operations."""
    if not applied:
        return "; nothing was changed"
    done = ", ".join("%s %s" % (op.action, (op.server or op.service).label()) for op in applied[:_APPLIED_SHOWN])
    more = " and %d more (see 'applied')" % (len(applied) - _APPLIED_SHOWN) if len(applied) > _APPLIED_SHOWN else ""
    return "; %d of %d changes were applied: %s%s" % (len(applied), len(operations), done, more)
