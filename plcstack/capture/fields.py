"""Field paths of a :class:`CapturedFrame`, for the display filter (``--filter``).

Short header names: ``frame`` (number), ``len`` (bytes on the wire), ``caplen``, ``time``
(seconds since the first packet), ``src``, ``dst``, ``vlan`` (outer VLAN id; ``vlan.pcp``,
``vlan.vid`` / ``vlan.id`` of every tag, ``vlan[1].vid``), ``mmv``, ``mmtype``, ``name``, ``base``
(name without variant), ``oui``, ``fmi.nf``, ``fmi.fn``, ``fmi.fmsn``, ``kind`` (message,
fragment, error, hp10), ``error`` (the text, on malformed frames only), ``error.field``.

Every other path is a field of the codec's field views (:func:`plcstack.codec.describe.describe`)
of the message -- the reassembled one for the fragment that completed it: ``nid``, ``run_id``,
``result`` (compares with ``"FAILURE"`` through its value name), ``stations.mac`` (one value per
station), ``stations[0].mac``, and the views' header paths (``eth.src``, ``mme.fmi.fmsn``).
``fields.X`` reaches a message field whose name a short header name shadows.  Wireshark's spellings of
the frame and header fields (``frame.number``, ``frame.len``, ``frame.time_relative``,
``homeplug_av.mmhdr.mmtype`` ...; :data:`TSHARK_ALIASES`) are accepted too.

A name that no frame can have (not a header name, not a field of any declared message, not a field
view path) is an error: :func:`check_filter_fields` raises :class:`DisplayFilterError` with the
closest known names, so a typo does not silently match nothing.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from typing import Any

from plcstack.capture.displayfilter import DisplayFilter, DisplayFilterError, FieldValue, Path, Resolver
from plcstack.capture.records import CapturedFrame
from plcstack.codec import DecodeError, RawMessage, VlanTag, encode_frame, make_frame
from plcstack.codec import messages as _m
from plcstack.codec.describe import FieldView, describe
from plcstack.codec.layout import ARRAY, Layout
from plcstack.codec.registry import all_definitions

#: Short header names of every record (``_header_fields``) and of its VLAN tags (``_vlan_values``).
HEADER_NAMES = frozenset({"frame", "len", "caplen", "time", "kind", "src", "dst", "mmv", "mmtype", "oui", "fmi.nf",
                          "fmi.fn", "fmi.fmsn", "name", "base", "error", "error.field", "vlan", "vlan.id",
                          "vlan.vid", "vlan.pcp", "vlan.dei", "vlan.tpid"})
#: Wireshark field names -> ours (``tshark -G fields``: frame, eth, vlan, homeplug_av protocols).
TSHARK_ALIASES = {"frame.number": "frame", "frame.len": "len", "frame.cap_len": "caplen",
                  "frame.time_relative": "time", "eth.addr": "src", "vlan.etype": "eth.type",
                  "homeplug_av.mmhdr.mmtype": "mmtype", "homeplug_av.mmhdr.mmver": "mmv",
                  "homeplug_av.mmhdr.fmi.fmsn": "fmi.fmsn"}

_INDEX = re.compile(r"\[(\d+)\]")


def vlan_list(tags: tuple[VlanTag, ...]) -> list[dict[str, int]]:
    """VLAN tags as JSON objects, outermost first (``docs/capture.md``)."""
    return [{"tpid": t.tpid, "id": t.vid, "pcp": t.pcp, "dei": t.dei} for t in tags]


def record_vlan_tags(rec: CapturedFrame) -> tuple[VlanTag, ...]:
    for part in (rec.frame, rec.header, rec.hp10, rec.ethernet):
        if part is not None:
            return part.vlan_tags
    return ()


def _header_fields(rec: CapturedFrame) -> dict[str, Callable[[], Any]]:
    hdr: Any = rec.message if rec.message is not None else rec.header
    if hdr is None and rec.error is not None:
        hdr = rec.error.header  # a malformed header: the fields read before the fault (codec PartialHeader)
    out: dict[str, Callable[[], Any]] = {
        "frame": lambda: rec.index, "len": lambda: rec.orig_len, "caplen": lambda: len(rec.data),
        "time": lambda: rec.rel_ns / 1e9, "kind": lambda: rec.kind,
    }
    eth = hdr if hdr is not None else rec.hp10 if rec.hp10 is not None else rec.ethernet
    if eth is not None:
        out["src"] = lambda: eth.src
        out["dst"] = lambda: eth.dst if rec.dst_known else None
    if hdr is not None:
        out.update({"mmv": lambda: hdr.mmv, "mmtype": lambda: hdr.mmtype, "oui": lambda: hdr.oui})
        if hdr.fmi is not None:
            fmi = hdr.fmi
            out.update({"fmi.nf": lambda: fmi >> 12, "fmi.fn": lambda: (fmi >> 8) & 0x0F,
                        "fmi.fmsn": lambda: fmi & 0xFF})
    if rec.name is not None:
        name = rec.name
        out.update({"name": lambda: name, "base": lambda: name.rsplit(".", 1)[0]})
    if rec.error is not None:
        err = rec.error
        out.update({"error": lambda: str(err), "error.field": lambda: err.field})
    return out


def _vlan_values(rec: CapturedFrame, path: Path) -> list[FieldValue] | None:
    tags = vlan_list(record_vlan_tags(rec))
    if not tags:
        return None
    if len(path) == 1:
        return [FieldValue(tags[0]["id"])]
    rest = path[1:]
    if isinstance(rest[0], int):
        if rest[0] >= len(tags) or len(rest) != 2:
            return None
        tags = [tags[rest[0]]]
        rest = rest[1:]
    key = "id" if rest[0] == "vid" else str(rest[0])
    return [FieldValue(t[key]) for t in tags if key in t] or None


def _split(path: str) -> tuple[str, tuple[int | None, ...]]:
    """``networks[0].stations[2].mac`` -> (``networks.stations.mac``, (0, 2, None))."""
    names, indices = [], []
    for part in path.split("."):
        m = _INDEX.search(part)
        names.append(_INDEX.sub("", part))
        indices.append(int(m.group(1)) if m else None)
    return ".".join(names), tuple(indices)


class _Views:
    """The field views of one frame, indexed by path without indices."""

    def __init__(self, views: list[FieldView]) -> None:
        self.by_path: dict[str, list[tuple[tuple[int | None, ...], FieldView]]] = {}
        for top in views:
            for v in top.walk():
                if v.kind == "array" or (v.kind == "record" and not v.path.startswith("vlan")):
                    continue  # elements are listed under the array's name with their index
                if v.children and v.children[0].path.startswith(v.path + "["):
                    continue  # bytes with one value per byte (dB per group): the values count
                name, idx = _split(v.path)
                self.by_path.setdefault(name, []).append((idx, v))

    def lookup(self, path: Path) -> list[FieldValue] | None:
        names: list[str] = []
        wanted: list[int | None] = []  # an index given after each named part, or None
        for p in path:
            if isinstance(p, int):
                if not wanted:
                    return None
                wanted[-1] = p
            else:
                names.append(p)
                wanted.append(None)
        hits = self.by_path.get(".".join(names))
        if not hits:
            return None
        out = [FieldValue(True) if v.value is None else FieldValue(v.value, v.value_name)
               for idx, v in hits
               if all(w is None or (k < len(idx) and idx[k] == w) for k, w in enumerate(wanted))]
        return out or None


def _layout_names(layout: Layout, prefix: str, out: set[str]) -> None:
    for f in layout.fields:
        out.add(prefix + f.name)
        if f.kind == ARRAY and f.item is not None:
            _layout_names(f.item, f"{prefix}{f.name}.", out)


@functools.cache
def known_names() -> frozenset[str]:
    """Every field name a record can have: header names, declared message fields (``stations.mac``),
    and the field views' own paths (``eth.type``, ``mme.fmi.fmsn``, ``vlan.tci``, ``body``, ``hp10.*``)."""
    names = set(HEADER_NAMES) | set(TSHARK_ALIASES)
    for mdef in all_definitions():
        _layout_names(mdef.layout, "", names)
    dst, src = "00:b0:52:00:00:01", "02:00:00:00:00:01"
    samples = [encode_frame(make_frame(dst, src, _m.VS_SW_VER_REQ(), mmv=1, vlan=((0x88A8, 1), (0x8100, 2)))),
               encode_frame(make_frame(dst, src, RawMessage(b"\x01" * 40), mmtype=0xA1F0, mmv=1, fmi=0x2001)),
               encode_frame(make_frame(dst, src, RawMessage(b"\x01" * 40), mmtype=0xA1F0, mmv=0)),
               bytes.fromhex(f"{'ff' * 6}{'02' * 6}887b" "01" "07" "02" "abcd") + bytes(40)]  # HomePlug 1.0
    for sample in samples:
        for top in describe(sample, errors="keep"):
            for v in top.walk():
                names.add(_split(v.path)[0])
    return frozenset(names)


def _path_name(path: Path) -> str:
    return ".".join(p for p in path if isinstance(p, str))


def check_filter_fields(flt: DisplayFilter) -> None:
    """Raise :class:`DisplayFilterError` for a field name no frame can have, naming the closest ones."""
    known = known_names()
    for path in flt.fields():
        name = _path_name(path)
        if name.startswith("fields."):
            name = name[len("fields."):]
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=4, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        where = flt.text.find(str(path[0]))
        raise DisplayFilterError(f"unknown field {name!r}{hint} (names: docs/capture.md; text values need quotes: "
                                 "name == \"CM_SET_KEY.CNF\")", flt.text, max(where, 0))


def resolver(rec: CapturedFrame) -> Resolver:
    """The field resolver of one record (short header names, then the codec's field views)."""
    header = _header_fields(rec)
    cache: list[_Views | None] = []

    def views() -> _Views | None:
        if not cache:
            frame = rec.message
            try:
                if frame is None:
                    cache.append(None)
                elif frame is rec.frame:
                    cache.append(_Views(describe(rec.data)))
                else:
                    cache.append(_Views(describe(encode_frame(frame))))
            except DecodeError:
                cache.append(None)
        return cache[0]

    def resolve(path: Path) -> list[FieldValue] | None:
        if not path or not isinstance(path[0], str):
            return None
        alias = TSHARK_ALIASES.get(".".join(str(p) for p in path))
        if alias is not None:
            path = tuple(alias.split("."))
        if path[0] == "vlan":
            return _vlan_values(rec, path)
        getter = header.get(".".join(str(p) for p in path))
        if getter is not None:
            value = getter()
            return None if value is None else [FieldValue(value)]
        if path[0] == "fields":
            path = path[1:]
        v = views()
        return v.lookup(path) if v is not None and path else None

    return resolve
