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
from typing import NamedTuple

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_MULTI = 0x2
_NLMSG_MIN_TYPE = 0x10  # below: NOOP, ERROR, DONE, OVERRUN

_NLMSG_HEADER = struct.Struct("=IHHII")
_GENL_HEADER = struct.Struct("=BBH")
_NLA_HEADER = struct.Struct("=HH")
_ERROR_CODE = struct.Struct("=i")
_DONE_SIZE = _NLMSG_HEADER.size + _ERROR_CODE.size
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
        """``(order, chunks)``: the attribute numbers in the entry's order, grouped in runs
        of attributes that follow each other, and each run's encoded bytes; None when the
        entry lacks one of the chosen attributes or holds one twice (a decoder would keep
        the last, these bytes the first)."""
        layout = self._layouts.get(end - start, _UNSEEN)
        if layout is not None:
            if layout is not _UNSEEN:
                fields = layout.struct.unpack_from(data, start)
                if layout.headers(fields) == layout.expected:
                    return layout.order, layout.chunks(fields)
            # first of its length, or a new layout: lengths that have none stay None
            layout = self._layouts[end - start] = self._compile(data, start, end)
        if layout is None:
            return None
        return layout.order, layout.chunks(layout.struct.unpack_from(data, start))

    def _compile(self, data, start: int, end: int):
        builder = _LayoutBuilder()
        return builder.compiled() if builder.attributes(data, start, end, self._numbers) else None


class SelectedReplies:
    """``Selected`` over whole datagrams of dump replies: the chosen attributes of the
    nest ``nest`` of every reply, cut out in one ``struct.iter_unpack`` pass.

    A dump's replies of one datagram are mostly of one length and layout. The first
    reply's layout is compiled with its netlink and generic netlink headers; the
    datagram is read as replies of that length, and the leading ones whose every
    header (length, type, flags, sequence, port, command, attribute headers) equals the
    compiled one are taken. Each of them says its length is that length, so each
    begins where the one before ends: the cut is exact, not a guess. The rest of the
    datagram (the end of the dump, a reply of another layout) is the caller's to walk.
    """

    def __init__(self, schema: Schema, nest: str, names) -> None:
        number, _kind, nested, _fields = schema.by_name[nest]
        self._nest = number
        self._numbers = frozenset(nested.by_name[name][0] for name in names)
        self._layouts: dict = {}

    def cut(self, data, seq: int) -> tuple:
        """``(order, chunks, end)``: ``Selected.chunks``'s order, the chunks of each leading
        reply of dump ``seq``, and where the replies left to walk begin (0 when none was
        cut)."""
        if len(data) < HEADER_SIZE:
            return None, [], 0
        size = _HEADER_WORD.unpack_from(data, 0)[0]
        layout = self._layouts.get(size, _UNSEEN)
        if layout is _UNSEEN:
            layout = self._layouts[size] = self._compile(data, size)
        if layout is None:
            return None, [], 0
        count = len(data) // size
        rows = list(layout.struct.iter_unpack(memoryview(data)[: count * size]))
        matches = list(map((seq, *layout.expected).__eq__, map(layout.headers, rows)))
        if not all(matches):
            count = matches.index(False)
            del rows[count:]
        return layout.order, list(map(layout.chunks, rows)), count * size

    def _compile(self, data, size: int):
        if size < HEADER_SIZE or size % 4 or size > len(data):
            return None
        _length, kind, _flags, _seq, port = _NLMSG_HEADER.unpack_from(data, 0)
        if kind < _NLMSG_MIN_TYPE:
            return None  # an error or the end of the dump: nothing to cut
        builder = _LayoutBuilder()
        builder.header(_HEADER_WORD.unpack_from(data, 0)[0], 0)
        builder.header(_HEADER_WORD.unpack_from(data, 4)[0], 0)
        builder.sequence()
        builder.header(port, 0)
        builder.header(_HEADER_WORD.unpack_from(data, _NLMSG_HEADER.size)[0], 0)
        offset, nests = HEADER_SIZE, 0
        while offset + _NLA_HEADER.size <= size:
            length, number = _NLA_HEADER.unpack_from(data, offset)
            if length < _NLA_HEADER.size or offset + _align(length) > size:
                return None
            if number & _NLA_TYPE_MASK == self._nest:
                nests += 1
                builder.header(_HEADER_WORD.unpack_from(data, offset)[0], 0)
                if not builder.attributes(data, offset + _NLA_HEADER.size, offset + _align(length), self._numbers):
                    return None
            else:
                builder.header(_HEADER_WORD.unpack_from(data, offset)[0], _align(length) - _NLA_HEADER.size)
            offset += _align(length)
        if offset != size or nests != 1:
            return None
        return builder.compiled()


class _Layout(NamedTuple):
    struct: struct.Struct
    headers: object  # fields -> the header words to check (the sequence first, if any)
    expected: tuple  # the header words of the compiled entry, without the sequence
    order: tuple  # the chosen attribute numbers of each run, in the entry's order
    chunks: object  # fields -> the bytes of each run


class _LayoutBuilder:
    """The ``struct`` format of one entry, field by field: header words to check and
    chosen attributes to cut out. Chosen attributes that follow each other are cut as one
    run (one bytes object): fewer objects to make and hash per entry."""

    def __init__(self) -> None:
        self._formats: list = []
        self._headers: list = []
        self._expected: list = []
        self._chunks: list = []
        self._runs: list = []  # the attribute numbers of each run
        self._sizes: list = []  # the bytes of each run
        self._sequence: list = []
        self._in_run = False

    def header(self, word: int, skipped: int) -> None:
        """A header word that must equal ``word``, then ``skipped`` bytes left unread."""
        self._headers.append(len(self._formats))
        self._expected.append(word)
        self._formats.append("I%dx" % skipped)
        self._in_run = False

    def sequence(self) -> None:
        """The netlink sequence number: checked against the dump's own."""
        self._sequence.append(len(self._formats))
        self._formats.append("I")
        self._in_run = False

    def chosen(self, number: int, size: int) -> None:
        """A chosen attribute of ``size`` bytes, header and padding included."""
        if self._in_run:
            self._runs[-1].append(number)
            self._sizes[-1] += size
            self._formats[-1] = "%ds" % self._sizes[-1]
            return
        self._chunks.append(len(self._formats))
        self._runs.append([number])
        self._sizes.append(size)
        self._formats.append("%ds" % size)
        self._in_run = True

    def attributes(self, data, start: int, end: int, numbers: frozenset) -> bool:
        """Every attribute in ``data[start:end]``; False unless each of ``numbers`` is there once."""
        offset, seen = start, set()
        while offset + _NLA_HEADER.size <= end:
            length, number = _NLA_HEADER.unpack_from(data, offset)
            size = _align(length)
            if length < _NLA_HEADER.size or offset + size > end:
                return False
            number &= _NLA_TYPE_MASK
            if number in numbers:
                if number in seen:
                    return False
                seen.add(number)
                self.chosen(number, size)
            else:
                self.header(_HEADER_WORD.unpack_from(data, offset)[0], size - _NLA_HEADER.size)
            offset += size
        return offset == end and len(seen) == len(numbers)

    def compiled(self) -> _Layout:
        return _Layout(
            struct.Struct("=" + "".join(self._formats)),
            _getter(self._sequence + self._headers),
            tuple(self._expected),
            tuple(tuple(run) for run in self._runs),
            _getter(self._chunks),
        )


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


def split(data, offset: int = 0):
    """Yield ``(type, flags, seq, start, end)`` of every netlink message in one datagram,
    from ``offset`` on; ``start``..``end`` is the payload after the netlink header."""
    size = len(data)
    while offset + _NLMSG_HEADER.size <= size:
        length, kind, flags, seq, _pid = _NLMSG_HEADER.unpack_from(data, offset)
        if length < _NLMSG_HEADER.size:
            break
        yield kind, flags, seq, offset + _NLMSG_HEADER.size, offset + length
        offset += _align(length)


def ends(data, offset: int, seq: int) -> bool:
    """Whether ``data[offset:]`` is exactly dump ``seq``'s NLMSG_DONE (without extended
    acknowledgement attributes): its end, with nothing left to walk."""
    if len(data) - offset != _DONE_SIZE:
        return False
    length, kind, _flags, reply_seq, _pid = _NLMSG_HEADER.unpack_from(data, offset)
    return length == _DONE_SIZE and kind == NLMSG_DONE and reply_seq == seq


def error_code(data, start: int) -> int:
    """The positive errno of an NLMSG_ERROR payload (0 is an acknowledgement)."""
    return -_ERROR_CODE.unpack_from(data, start)[0]
