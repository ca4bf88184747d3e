"""``-V`` (every field, tshark-style tree) and ``-x`` (hex dump, one row per field) views of a record.

Both are drawn from the codec's field views (:func:`plcstack.codec.describe.describe`): paths,
value names, units, vendor notes and the byte range of every field, so nothing here knows a message
layout.  The tree shows each field's bytes as ``[start:end]``; the hex dump gives every byte of the
frame exactly once, on the row of the field it belongs to (a long field wraps at 16 bytes).
"""

from __future__ import annotations

from typing import Any

from plcstack.capture.records import CapturedFrame
from plcstack.capture.timefmt import epoch_string, format_time
from plcstack.codec import DecodeError, encode_frame
from plcstack.codec.describe import FieldView, describe, leaves
from plcstack.codec.mac import format_mac

_INDENT = "    "
_ROW = 16  # bytes per hex-dump row


def record_views(rec: CapturedFrame) -> list[FieldView]:
    """The field views of the frame as captured (``errors="keep"``: a malformed frame shows what
    decodes and then one ``error`` view over the rest)."""
    return describe(rec.data, errors="keep")


def reassembled_views(rec: CapturedFrame) -> list[FieldView] | None:
    """Field views of the message this fragment completed (its bytes are the joined fragments)."""
    if rec.reassembled is None:
        return None
    try:
        return describe(encode_frame(rec.reassembled), errors="keep")
    except DecodeError:
        return None


def _where(v: FieldView) -> str:
    if v.mask is not None:
        return f"[{v.start}:{v.end} mask 0x{v.mask:X}]"
    return f"[{v.start}]" if v.end - v.start == 1 else f"[{v.start}:{v.end}]"


#: Fields people read in hex (tshark does too).
_HEX_FIELDS = frozenset({"eth.type", "mme.mmtype", "mme.fmi"})


def _display(v: FieldView) -> str:
    if (v.path in _HEX_FIELDS or v.path.endswith(".tpid") or v.path.endswith(".tci")) and isinstance(v.value, int):
        return f"0x{v.value:04X}" + (f" {v.value_name}" if v.value_name else "")
    if isinstance(v.value, (bytes, bytearray)) and v.value_name:
        return f"{v.display()} {v.value_name}"
    return v.display()


def _line(v: FieldView, depth: int) -> list[str]:
    text = _display(v)
    if v.kind == "padding" or (isinstance(v.value, (bytes, bytearray)) and len(v.value) > 32):
        size = v.end - v.start
        text = f"{bytes(v.value)[:32].hex()}{'...' if size > 32 else ''} ({size} bytes)"
    label = f"{_INDENT * depth}{v.name if '[' not in v.path.rsplit('.', 1)[-1] else v.path.rsplit('.', 1)[-1]}"
    lines = [f"{label}: {text}".rstrip(": ") + f"  {_where(v)}" if text else f"{label}  {_where(v)}"]
    if v.note:
        lines.append(f"{_INDENT * (depth + 1)}note: {v.note}")
    for child in v.children:
        if child.path.startswith(v.path + "[") and v.kind not in ("array",) and child.kind == "int" \
                and len(v.children) > 8:
            continue  # per-byte values of a long byte array (dB per group) are in the parent's hex
        lines.extend(_line(child, depth + 1))
    if v.children and v.kind not in ("array", "record") and len(v.children) > 8:
        lines.append(f"{_INDENT * (depth + 1)}values: {_per_byte(v)}")
    return lines


def _per_byte(v: FieldView) -> str:
    values = [c.value for c in v.children if isinstance(c.value, int)]
    unit = v.children[0].unit or ""
    head = " ".join(str(x) for x in values[:60])
    more = f" ... (+{len(values) - 60})" if len(values) > 60 else ""
    return f"{head}{more} {unit}".rstrip() + (f"; min {min(values)}, max {max(values)}, mean "
                                              f"{sum(values) / len(values):.1f}" if values else "")


def _sections(views: list[FieldView]) -> list[tuple[str, list[FieldView]]]:
    eth = [v for v in views if v.path.startswith(("eth.", "vlan["))]
    mme = [v for v in views if v.path.startswith("mme.")]
    body = [v for v in views if v not in eth and v not in mme]
    return [("Ethernet", eth), ("MME header", mme), ("", body)]


def frame_tree(rec: CapturedFrame, time_format: str = "r", digits: int = 9) -> list[str]:
    """The ``-V`` view: a frame line, then every field with its value, names, unit and bytes."""
    cut = f", {len(rec.data)} captured (cut by snaplen)" if rec.cut else ""
    name = rec.name or ("fragment" if rec.fragment else "malformed")
    lines = [f"Frame {rec.index}: {rec.orig_len} bytes on wire{cut}, epoch {epoch_string(rec.time_ns)}, "
             f"time {format_time(rec, time_format, digits)} ({name})"]
    if rec.file is not None:
        lines.append(f"{_INDENT}file: {rec.file}")
    if rec.fcs is not None:
        lines.append(f"{_INDENT}fcs: {rec.fcs.hex()} ({'good' if rec.fcs_ok else 'BAD' if rec.fcs_ok is False else '?'})")
    if rec.hp10 is not None:
        return lines + _hp10_tree(rec)
    views = record_views(rec)
    for title, part in _sections(views):
        if not part:
            continue
        if not title:
            title = rec.frame.name if rec.frame is not None else ("Fragment" if rec.fragment else "MMENTRY")
        lines.append(title)
        for v in part:
            lines.extend(_line(v, 1))
    if rec.fragment:
        lines.append(f"{_INDENT}{rec.fragment}")
    again = reassembled_views(rec)
    if again is not None and rec.reassembled is not None:
        lines.append(f"Reassembled {rec.reassembled.name} ({sum(v.end - v.start for v in leaves(again))} bytes)")
        for v in again:
            if not v.path.startswith(("eth.", "vlan[", "mme.")):
                lines.extend(_line(v, 1))
    return lines


def _hp10_tree(rec: CapturedFrame) -> list[str]:
    h = rec.hp10
    assert h is not None
    out = ["Ethernet", f"{_INDENT}dst: {format_mac(h.dst)}", f"{_INDENT}src: {format_mac(h.src)}"]
    out += [f"{_INDENT}vlan: {t.vid} pcp {t.pcp} (TPID 0x{t.tpid:04X})" for t in h.vlan_tags]
    out.append(f"HomePlug 1.0: {len(h.entries)} entries")
    for i, e in enumerate(h.entries):
        out.append(f"{_INDENT}entry[{i}]: {e.name} (METYPE 0x{e.metype:02X}, MEV {e.mev}), {len(e.data)} bytes: "
                   f"{e.data.hex()}")
    if h.trailing:
        out.append(f"{_INDENT}trailing: {h.trailing.hex()} ({len(h.trailing)} bytes)")
    return out


def hex_dump(rec: CapturedFrame) -> list[str]:
    """The ``-x`` view: every byte of the frame once, on the row of the field it belongs to."""
    data = rec.data
    if rec.hp10 is not None:
        return _plain_dump(data)
    rows: list[str] = []
    pos = 0
    for start, end, label in _groups(list(leaves(record_views(rec)))):
        if start > pos:  # bytes no view claims (should not happen): show them unlabelled
            rows.extend(_rows(data, pos, start, "?"))
        rows.extend(_rows(data, start, end, label))
        pos = max(pos, end)
    if pos < len(data):
        rows.extend(_rows(data, pos, len(data), "?"))
    return rows


def _groups(views: list[FieldView]) -> list[tuple[int, int, str]]:
    """(start, end, label) rows; the one-byte values of a byte array (``aag[0]``...) share a row."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(views):
        v = views[i]
        head, _, tail = v.path.rpartition("[")
        if head and tail.rstrip("]").isdigit() and v.end - v.start == 1:
            j = i
            while (j + 1 < len(views) and views[j + 1].path.rpartition("[")[0] == head
                   and views[j + 1].start == views[j].end and views[j + 1].end - views[j + 1].start == 1):
                j += 1
            if j > i:
                unit = f" {v.unit}" if v.unit else ""
                out.append((v.start, views[j].end, f"{head}[{tail.rstrip(']')}..{views[j].path.rpartition('[')[2]}"
                            f" ({j - i + 1} values{unit})"))
                i = j + 1
                continue
        out.append((v.start, v.end, _label(v)))
        i += 1
    return out


def _label(v: FieldView) -> str:
    name = v.value_name
    shown = f" {name}" if name and v.kind == "int" else ""
    if v.kind == "mac" and isinstance(v.value, (bytes, bytearray)):
        shown = f" {format_mac(bytes(v.value))}"
    elif isinstance(v.value, int):
        shown = f" = {_display(v)}" if v.path in _HEX_FIELDS else f" = {v.value}{shown}"
    elif isinstance(v.value, str):
        shown = f" = {v.value!r}" if len(v.value) <= 40 else f" = {v.value[:37]!r}..."
    return f"{v.path}{shown}"


def _rows(data: bytes, start: int, end: int, label: str) -> list[str]:
    out = []
    for p in range(start, end, _ROW):
        chunk = data[p:min(end, p + _ROW)]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{p:04x}  {chunk.hex(' '):<{_ROW * 3 - 1}}  {text:<{_ROW}}  {label if p == start else '...'}")
    return out  # an empty field owns no byte: the tree shows it


def _plain_dump(data: bytes) -> list[str]:
    return [f"{p:04x}  {data[p:p + _ROW].hex(' '):<{_ROW * 3 - 1}}" for p in range(0, len(data), _ROW)]


def tree_json(rec: CapturedFrame) -> list[dict[str, Any]]:
    """The field views in their JSON form (``--json -V``; shape in ``docs/codec-describe.md``)."""
    return [v.to_json() for v in record_views(rec)] if rec.hp10 is None else []
