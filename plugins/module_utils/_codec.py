# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lean encoder and decoder for IPVS messages, compiled from ``_netlink``'s schema.

Whole-table work sends and reads thousands of messages. Profiled on the host,
pyroute2's generic attribute machinery (``nlmsg_base.encode``/``encode_nlas``/
``__getitem__``) costs ~270 us to encode one NEW_DEST message, which becomes a
minute for a 10,000 server table in the test VM. This module reads the very same
``nla_map`` declarations and packs/unpacks them with ``struct``; unit tests
compare its bytes and values with pyroute2's for every attribute type used.

pyroute2 stays the socket layer (creation, family resolution, binding) and the
codec for single control messages.
"""

from __future__ import annotations

import operator
import struct

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_MULTI = 0x2

_NLMSG_HEADER = struct.Struct("=IHHII")
_GENL_HEADER = struct.Struct("=BBH")
_NLA_HEADER = struct.Struct("=HH")
_ERROR_CODE = struct.Struct("=i")
GENL_HEADER_SIZE = _GENL_HEADER.size
NLA_HEADER_SIZE = _NLA_HEADER.size
HEADER_SIZE = _NLMSG_HEADER.size + GENL_HEADER_SIZE
_NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED / NLA_F_NET_BYTEORDER

_SCALARS = {
    "uint8": struct.Struct("=B"),
    "uint16": struct.Struct("=H"),
    "uint32": struct.Struct("=I"),
    "uint64": struct.Struct("=Q"),
    "be16": struct.Struct(">H"),
}


def _align(length: int) -> int:
    return (length + 3) & ~3


def _attribute(number: int, payload: bytes) -> bytes:
    length = _NLA_HEADER.size + len(payload)
    return _NLA_HEADER.pack(length, number) + payload + b"\0" * (_align(length) - length)


class Attrs(dict):
    """Decoded attributes by name; ``get_attr`` mirrors pyroute2's message API so the
    model's decoders take either. Nested attributes decode when first asked for."""

    def get_attr(self, name: str):
        value = self.get(name)
        if isinstance(value, _Lazy):
            value = self[name] = value.decode()
        return value

    def nested(self, name: str, names=None):
        """A nested attribute set decoded with only ``names`` (all when None); None when absent."""
        value = self.get(name)
        if isinstance(value, _Lazy):
            return value.schema.decode(value.data, value.start, value.end, names)
        return value


class _Lazy:
    __slots__ = ("data", "end", "schema", "start")

    def __init__(self, schema, data, start, end):
        self.schema, self.data, self.start, self.end = schema, data, start, end

    def decode(self) -> Attrs:
        return self.schema.decode(self.data, self.start, self.end)


class Schema:
    """One ``nla`` class of the schema: attribute names, numbers and value kinds."""

    def __init__(self, nla_class):
        self.by_name: dict = {}
        self.by_number: dict = {}
        self._subsets: dict = {}
        for number, (name, kind) in enumerate(nla_class.nla_map):
            if kind == "none":
                continue
            if kind in _SCALARS:
                entry = (number, "scalar", _SCALARS[kind], None)
            elif kind in ("asciiz", "cdata"):
                entry = (number, kind, None, None)
            else:
                entry = (number, *_compound(name, getattr(nla_class, kind, None)))
            self.by_name[name] = entry
            self.by_number[number] = (name, *entry[1:])

    def encode(self, attrs, encodings: dict | None = None) -> bytes:
        """``attrs`` as pyroute2 takes them: ``[[name, value], ...]``; nests as ``{"attrs": [...]}``.
        With ``encodings``, scalar attributes are encoded once per value and kept there
        (keyed by schema too: attribute numbers are only unique within one)."""
        chunks = []
        for name, value in attrs:
            number, kind, codec, fields = self.by_name[name]
            if kind == "scalar" and encodings is not None:
                chunk = encodings.get((self, number, value))
                if chunk is None:
                    chunk = encodings[self, number, value] = _attribute(number, codec.pack(value))
                chunks.append(chunk)
                continue
            if kind == "scalar":
                payload = codec.pack(value)
            elif kind == "nested":
                payload = codec.encode(value["attrs"], encodings)
            elif kind == "struct":
                payload = codec.pack(*(value[field] for field in fields))
            elif kind == "asciiz":
                payload = value.encode("ascii") + b"\0"
            else:
                payload = bytes(value)
            chunks.append(_attribute(number, payload))
        return b"".join(chunks)

    def decode(self, data, start: int = 0, end: int | None = None, names=None) -> Attrs:
        """The attributes in ``data[start:end]``; with ``names`` only those (the rest is skipped)."""
        by_number = self.by_number if names is None else self._subset(names)
        unpack_header = _NLA_HEADER.unpack_from
        end = len(data) if end is None else end
        found = Attrs()
        offset = start
        while offset + 4 <= end:
            length, number = unpack_header(data, offset)
            if length < 4:
                break
            entry = by_number.get(number & _NLA_TYPE_MASK)
            if entry is not None:
                if entry[1] == "scalar":
                    found[entry[0]] = entry[2].unpack_from(data, offset + 4)[0]
                else:
                    found[entry[0]] = _value(entry, data, offset + 4, offset + length)
            offset += (length + 3) & ~3
        return found

    def span(self, data, start: int, end: int, name: str):
        """``(data, start, end)`` of the payload of attribute ``name`` in ``data[start:end]``,
        undecoded; None when absent."""
        wanted = self.by_name[name][0]
        offset = start
        while offset + 4 <= end:
            length, number = _NLA_HEADER.unpack_from(data, offset)
            if length < 4:
                break
            if number & _NLA_TYPE_MASK == wanted:
                return data, offset + 4, offset + length
            offset += (length + 3) & ~3
        return None

    def _subset(self, names) -> dict:
        key = frozenset(names)
        subset = self._subsets.get(key)
        if subset is None:
            subset = self._subsets[key] = {number: entry for number, entry in self.by_number.items() if entry[0] in key}
        return subset


class Selected:
    """The encoded bytes (header, value, padding) of chosen attributes of a nest, cut out
    without decoding it.

    Every entry of one dump comes from the same kernel code, so entries of the same
    length almost always share one layout: the attribute numbers, lengths and order. The
    first entry of each length is walked once and compiled into one ``struct`` that cuts
    the chosen attributes out and reads every other attribute's header; an entry is only
    accepted when all those headers equal the compiled ones, so a differing layout is
    walked and compiled afresh rather than misread.
    """

    def __init__(self, schema: Schema, names) -> None:
        self._numbers = frozenset(schema.by_name[name][0] for name in names)
        self._layouts: dict = {}

    def chunks(self, data, start: int, end: int):
        """``(order, chunks)``: the attribute numbers in the entry's order and their encoded
        bytes; None when the entry lacks one of the chosen attributes or holds one twice
        (a decoder would keep the last, these bytes the first)."""
        layout = self._layouts.get(end - start, _UNSEEN)
        if layout is not None:
            if layout is not _UNSEEN:
                fields = layout[0].unpack_from(data, start)
                if layout[1](fields) == layout[2]:
                    return layout[3], layout[4](fields)
            # first of its length, or a new layout: lengths that have none stay None
            layout = self._layouts[end - start] = self._compile(data, start, end)
        if layout is None:
            return None
        return layout[3], layout[4](layout[0].unpack_from(data, start))

    def _compile(self, data, start: int, end: int):
        formats, headers, expected, chunks, order = ["="], [], [], [], []
        offset = start
        while offset + _NLA_HEADER.size <= end:
            length, number = _NLA_HEADER.unpack_from(data, offset)
            size = _align(length)
            if length < _NLA_HEADER.size or offset + size > end:
                return None
            number &= _NLA_TYPE_MASK
            if number in self._numbers:
                if number in order:
                    return None
                chunks.append(len(formats) - 1)
                order.append(number)
                formats.append("%ds" % size)
            else:
                headers.append(len(formats) - 1)
                expected.append(_HEADER_WORD.unpack_from(data, offset)[0])
                formats.append("I%dx" % (size - _NLA_HEADER.size))
            offset += size
        if offset != end or len(order) != len(self._numbers):
            return None
        return struct.Struct("".join(formats)), _getter(headers), tuple(expected), tuple(order), _getter(chunks)


_HEADER_WORD = struct.Struct("=I")
_UNSEEN = object()


def _getter(positions: list):
    """``fields -> tuple`` of the fields at ``positions`` (itemgetter returns a bare item for one)."""
    if len(positions) > 1:
        return operator.itemgetter(*positions)
    if positions:
        (position,) = positions
        return lambda fields: (fields[position],)
    return lambda fields: ()


def _compound(name: str, child) -> tuple:
    """A nested attribute set (its own ``nla_map``) or a fixed struct (``fields``)."""
    if getattr(child, "nla_map", None):
        return "nested", Schema(child), None
    if getattr(child, "fields", None):
        return "struct", struct.Struct("=" + "".join(fmt for _field, fmt in child.fields)), tuple(field for field, _fmt in child.fields)
    raise ValueError("no lean codec for attribute %s" % name)


def _value(entry, data, start: int, end: int):
    _name, kind, codec, fields = entry
    if kind == "nested":
        return _Lazy(codec, data, start, end)
    if kind == "struct":
        return dict(zip(fields, codec.unpack_from(data, start)))
    raw = bytes(data[start:end])
    if kind == "asciiz":
        return raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return raw


def message(family_id: int, flags: int, seq: int, cmd: int, version: int, payload: bytes) -> bytes:
    """One generic netlink message: nlmsghdr, genlmsghdr, then ``payload`` (encoded attributes)."""
    length = HEADER_SIZE + len(payload)
    return _NLMSG_HEADER.pack(length, family_id, flags, seq, 0) + _GENL_HEADER.pack(cmd, version, 0) + payload


def split(data):
    """Yield ``(type, flags, seq, start, end)`` of every netlink message in one datagram;
    ``start``..``end`` is the payload after the netlink header."""
    offset = 0
    size = len(data)
    while offset + _NLMSG_HEADER.size <= size:
        length, kind, flags, seq, _pid = _NLMSG_HEADER.unpack_from(data, offset)
        if length < _NLMSG_HEADER.size:
            break
        yield kind, flags, seq, offset + _NLMSG_HEADER.size, offset + length
        offset += _align(length)


def error_code(data, start: int) -> int:
    """The positive errno of an NLMSG_ERROR payload (0 is an acknowledgement)."""
    return -_ERROR_CODE.unpack_from(data, start)[0]
