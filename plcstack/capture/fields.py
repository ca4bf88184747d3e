"""Field paths of a :class:`CapturedFrame`, for the display filter (``--filter``).

Header pseudo-fields come first: ``frame`` (number), ``len`` (bytes on the wire), ``caplen``,
``time`` (seconds since the first packet), ``src``, ``dst``, ``vlan`` (outer VLAN id; ``vlan.id``,
``vlan.pcp``, all tags), ``mmv``, ``mmtype``, ``name``, ``base`` (name without variant), ``oui``,
``fmi.nf``, ``fmi.fn``, ``fmi.fmsn``, ``kind`` (message / fragment / error / hp10), ``error`` (the
message text, present on malformed frames only), ``error.field``.  Every other name is a field of
the decoded message (the reassembled one for the fragment that completed it): ``nid``,
``run_id``, ``stations.mac`` (one value per station), ``stations[0].mac``; ``fields.X`` reaches a
message field whose name a header field shadows (``fields.oui`` in CM_STA_CAP.CNF).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from plcstack.capture.displayfilter import FieldValue, Path, Resolver
from plcstack.capture.records import CapturedFrame
from plcstack.codec import Frame, RawMessage
from plcstack.codec.layout import ARRAY, TEXT, Field
from plcstack.codec.registry import definition_of


def vlan_tags(tci: int | None) -> list[dict[str, int]]:
    """Decoded 802.1Q tags of a header's ``vlan`` (outermost first)."""
    if tci is None:
        return []
    tcis = tci if isinstance(tci, (list, tuple)) else [tci]
    return [{"id": t & 0x0FFF, "pcp": t >> 13, "dei": (t >> 12) & 1} for t in tcis]


def _header_fields(rec: CapturedFrame) -> dict[str, Callable[[], Any]]:
    f = rec.message
    hdr = f if f is not None else rec.header
    out: dict[str, Callable[[], Any]] = {
        "frame": lambda: rec.index, "len": lambda: rec.orig_len, "caplen": lambda: len(rec.data),
        "time": lambda: rec.rel_ns / 1e9, "kind": lambda: rec.kind,
    }
    if hdr is not None:
        out.update({
            "src": lambda: hdr.src, "dst": lambda: hdr.dst if rec.dst_known else None, "mmv": lambda: hdr.mmv,
            "mmtype": lambda: hdr.mmtype, "oui": lambda: hdr.oui,
        })
        if hdr.fmi is not None:
            fmi = hdr.fmi
            out.update({"fmi.nf": lambda: fmi >> 12, "fmi.fn": lambda: (fmi >> 8) & 0x0F,
                        "fmi.fmsn": lambda: fmi & 0xFF})
    elif rec.hp10 is not None:
        h = rec.hp10
        out.update({"src": lambda: h.src, "dst": lambda: h.dst})
    if rec.name is not None:
        name = rec.name
        out.update({"name": lambda: name, "base": lambda: name.rsplit(".", 1)[0]})
    if rec.error is not None:
        err = rec.error
        out.update({"error": lambda: str(err), "error.field": lambda: err.field})
    return out


def _vlan_values(rec: CapturedFrame, path: Path) -> list[FieldValue] | None:
    hdr = rec.message if rec.message is not None else rec.header
    tags = vlan_tags(hdr.vlan if hdr is not None else None)
    if not tags:
        return None
    if len(path) == 1:
        return [FieldValue(tags[0]["id"])]
    key = path[1]
    if isinstance(key, int):
        if key >= len(tags) or len(path) != 3 or not isinstance(path[2], str) or path[2] not in tags[key]:
            return None
        return [FieldValue(tags[key][path[2]])]
    return [FieldValue(t[key]) for t in tags if key in t] or None


def _message_values(frame: Frame, path: Path) -> list[FieldValue] | None:
    msg = frame.message
    if isinstance(msg, RawMessage):
        return [FieldValue(msg.body)] if path == ("body",) else None
    fields: Sequence[Field] = definition_of(msg).record.fields
    current: list[tuple[Any, Field | None]] = [(msg, None)]
    for seg in path:
        nxt: list[tuple[Any, Field | None]] = []
        for value, fdef in current:
            if isinstance(seg, int):
                if isinstance(value, list) and seg < len(value):
                    nxt.append((value[seg], fdef))
                continue
            items = value if isinstance(value, list) else [value]
            for item in items:
                defs = fields if fdef is None else (fdef.item.fields if fdef.item is not None else ())
                for d in defs:
                    if d.name == seg:
                        v = getattr(item, seg, None)
                        if v is not None:
                            nxt.append((v, d))
                        break
        if not nxt:
            return None
        current = nxt
    out: list[FieldValue] = []
    for value, fdef in current:
        for v in value if isinstance(value, list) and fdef is not None and fdef.kind == ARRAY else [value]:
            out.append(_field_value(v, fdef))
    return out


def _field_value(v: Any, fdef: Field | None) -> FieldValue:
    if fdef is not None and fdef.kind == TEXT and isinstance(v, bytes):
        return FieldValue(v.split(b"\0", 1)[0].decode("latin-1"))
    if isinstance(v, int) and fdef is not None and fdef.values:
        return FieldValue(v, fdef.values.get(v))
    if isinstance(v, (int, float, bytes, str, bool)):
        return FieldValue(v)
    return FieldValue(True)  # a nested record: present


def resolver(rec: CapturedFrame) -> Resolver:
    """The field resolver of one record (header pseudo-fields, then message fields)."""
    header = _header_fields(rec)

    def resolve(path: Path) -> list[FieldValue] | None:
        if not path or not isinstance(path[0], str):
            return None
        if path[0] == "vlan":
            return _vlan_values(rec, path)
        dotted = ".".join(str(p) for p in path)
        getter = header.get(dotted)
        if getter is not None:
            value = getter()
            return None if value is None else [FieldValue(value)]
        if path[0] == "fields":
            path = path[1:]
        frame = rec.message
        if frame is None or not path:
            return None
        return _message_values(frame, path)

    return resolve
