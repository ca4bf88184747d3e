"""Field views of a frame: every header and message field with its value, name, unit and byte range.

This is what a ``-V`` tree or a ``-x`` hex dump is drawn from.  The views are generated from the
message declarations (nothing here is written per message): :func:`describe` decodes a frame and
walks its declaration, so each :class:`FieldView` knows its path (``stations[2].mac``), its value,
the enum member name of a coded value, the unit the declaration gives, and ``start``/``end`` byte
offsets in the frame (end exclusive).  Header fields come first (``eth.dst``, ``eth.src``,
``vlan[0]``, ``eth.type``, ``mme.mmv``, ``mme.mmtype``, ``mme.fmi``, ``mme.oui``), then the
MMENTRY fields with bare paths, then ``trailing`` (padding and vendor tails).  HomePlug 1.0.1
frames (0x887B) give ``hp10.mctrl`` and ``hp10.entries[i]`` (``mehdr``, ``melen``, ``data``).

The JSON shape (:meth:`FieldView.to_json`, :func:`describe_json`) is documented in
``docs/codec-describe.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from plcstack.codec.codes import value_name, value_note
from plcstack.codec.errors import DecodeError
from plcstack.codec.frame import Frame, RawMessage, decode_ethernet, decode_frame, decode_header
from plcstack.codec.hp10 import decode_hp10
from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, REST, TEXT, VARBYTES, Field, Layout, text_value
from plcstack.codec.mac import format_mac
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0, KNOWN_OUIS, mmtype_name
from plcstack.codec.registry import definition_of

#: Kinds of view beyond the declaration's field kinds.
RECORD = "record"  # a group: header part, VLAN tag, array element
PADDING = "padding"  # bytes after the declared layout
ERROR = "error"  # bytes that could not be decoded (with ``errors="keep"``)


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of a frame as decoded, with where it sits.

    ``value`` is the decoded value (int, bytes; ``str`` for text fields; None for records and
    arrays, whose parts are ``children``).  ``value_name`` is the enum member name of a coded
    value, ``note`` a vendor-dependent remark on it; ``unit`` applies to ``value * scale``
    (:attr:`quantity`).  ``start``/``end`` are byte offsets in the frame, end exclusive; bit
    fields (VLAN PCP/DEI/VID, FMI nibbles) share their bytes and give the bits in ``mask``.
    """

    path: str
    name: str
    kind: str
    value: Any
    start: int
    end: int
    value_name: str | None = None
    unit: str | None = None
    scale: float | None = None
    note: str | None = None
    mask: int | None = None
    doc: str = ""
    children: tuple[FieldView, ...] = ()

    @property
    def quantity(self) -> float | int | None:
        """``value`` in ``unit`` (scaled), None for non-integers."""
        if not isinstance(self.value, int):
            return None
        return self.value * self.scale if self.scale is not None else self.value

    def display(self) -> str:
        """Human form: ``6 (600 ms)``, ``1 FAILURE``, ``02:00:00:00:00:01``, ``'MAC-QCA7420...'``."""
        v = self.value
        if self.kind in (RECORD, ARRAY):
            return f"{len(self.children)} entries" if self.kind == ARRAY else ""
        if isinstance(v, int):
            text = f"{v} (0x{v:X})" if v > 9 and self.value_name is None and self.unit is None else str(v)
            if self.value_name is not None:
                text += f" {self.value_name}"
            if self.unit is not None:
                q = self.quantity
                text += f" {self.unit}" if self.scale is None else f" ({q:g} {self.unit})"
            return text
        if isinstance(v, str):
            return repr(v)
        if isinstance(v, (bytes, bytearray)):
            if self.kind == MAC and len(v) == 6:
                return format_mac(bytes(v))
            return bytes(v).hex() if v else "(empty)"
        return "" if v is None else str(v)

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form: integers stay integers, bytes become hex, MACs ``aa:bb:..``."""
        v = self.value
        if isinstance(v, (bytes, bytearray)):
            v = format_mac(bytes(v)) if self.kind == MAC and len(v) == 6 else bytes(v).hex()
        out: dict[str, Any] = {"path": self.path, "name": self.name, "kind": self.kind, "value": v,
                               "value_name": self.value_name, "unit": self.unit, "start": self.start,
                               "end": self.end}
        if self.scale is not None:
            out["scale"] = self.scale
        if self.note is not None:
            out["note"] = self.note
        if self.mask is not None:
            out["mask"] = self.mask
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    def walk(self) -> Iterator[FieldView]:
        """This view and every descendant, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()


def leaves(views: list[FieldView]) -> Iterator[FieldView]:
    """The views that own their bytes, in frame order: what a hex dump marks.

    A view whose children are all bit fields (``mask`` set: VLAN TCI, FMI) owns its bytes; bit
    fields themselves are skipped.
    """
    for v in views:
        if v.mask is not None:
            continue
        if not v.children or all(c.mask is not None for c in v.children):
            yield v
        else:
            yield from leaves(list(v.children))


def describe(buf: bytes | bytearray | memoryview, offset: int = 0, end: int | None = None, *,
             errors: str = "raise") -> list[FieldView]:
    """Field views of the frame ``buf[offset:end]``; offsets are relative to ``offset``.

    With ``errors="keep"`` a frame that does not decode gives the views decoded before the fault and
    one ``error`` view over the remaining bytes (its ``note`` is the :class:`DecodeError` text);
    with ``errors="raise"`` (the default) the error propagates.
    """
    data = bytes(buf[offset:end] if end is not None else buf[offset:])
    views: list[FieldView] = []
    try:
        views.extend(_ethernet_views(data))
        if decode_ethernet(data).ethertype == ETHERTYPE_HOMEPLUG_1_0:
            views.extend(_hp10_views(data))
            return views
        h = decode_header(data)
        views.extend(_mme_views(data, h.mmv, h.mmtype, h.fmi, h.oui, h.body_offset))
        frame = decode_frame(data)
    except DecodeError as exc:
        if errors != "keep":
            raise
        at = max((v.end for v in views), default=0)
        views.append(FieldView("error", "error", ERROR, data[at:], at, len(data), note=str(exc)))
        return views
    views.extend(_message_views(frame, h.body_offset))
    return views


def describe_json(buf: bytes | bytearray | memoryview, offset: int = 0, end: int | None = None, *,
                  errors: str = "raise") -> list[dict[str, Any]]:
    """:func:`describe` in its JSON form."""
    return [v.to_json() for v in describe(buf, offset, end, errors=errors)]


# ----------------------------------------------------------------------------- header


def _ethernet_views(data: bytes) -> list[FieldView]:
    eth = decode_ethernet(data)
    out = [FieldView("eth.dst", "dst", MAC, eth.dst, 0, 6, doc="destination (ODA)"),
           FieldView("eth.src", "src", MAC, eth.src, 6, 12, doc="source (OSA)")]
    p = 12
    for i, tag in enumerate(eth.vlan_tags):
        path = f"vlan[{i}]"
        tci = (FieldView(f"{path}.pcp", "pcp", INT, tag.pcp, p + 2, p + 4, mask=0xE000, doc="priority"),
               FieldView(f"{path}.dei", "dei", INT, tag.dei, p + 2, p + 4, mask=0x1000, doc="drop eligible"),
               FieldView(f"{path}.vid", "vid", INT, tag.vid, p + 2, p + 4, mask=0x0FFF, doc="VLAN id"))
        out.append(FieldView(path, "vlan", RECORD, None, p, p + 4, children=(
            FieldView(f"{path}.tpid", "tpid", INT, tag.tpid, p, p + 2, value_name=_TPID_NAMES.get(tag.tpid)),
            FieldView(f"{path}.tci", "tci", INT, tag.tci, p + 2, p + 4, children=tci))))
        p += 4
    out.append(FieldView("eth.type", "ethertype", INT, eth.ethertype, p, p + 2,
                         value_name=_ETHERTYPE_NAMES.get(eth.ethertype)))
    return out


_TPID_NAMES = {0x8100: "IEEE_802_1Q", 0x88A8: "IEEE_802_1AD", 0x9100: "QINQ_LEGACY"}
_ETHERTYPE_NAMES = {0x88E1: "HOMEPLUG_AV", 0x887B: "HOMEPLUG_1_0", **_TPID_NAMES}


def _mme_views(data: bytes, mmv: int, mmtype: int, fmi: int | None, oui: bytes | None, body: int) -> list[FieldView]:
    p = body - (3 if oui is not None else 0) - (5 if mmv else 3)
    out = [FieldView("mme.mmv", "mmv", INT, mmv, p, p + 1, value_name=_MMV_NAMES.get(mmv)),
           FieldView("mme.mmtype", "mmtype", INT, mmtype, p + 1, p + 3, value_name=mmtype_name(mmtype, oui))]
    if fmi is not None:
        a = p + 3
        out.append(FieldView("mme.fmi", "fmi", INT, fmi, a, a + 2, children=(
            FieldView("mme.fmi.nf_mi", "nf_mi", INT, fmi >> 12, a, a + 1, mask=0xF0,
                      doc="number of fragments minus one"),
            FieldView("mme.fmi.fn_mi", "fn_mi", INT, (fmi >> 8) & 0x0F, a, a + 1, mask=0x0F,
                      doc="fragment number"),
            FieldView("mme.fmi.fmsn", "fmsn", INT, fmi & 0xFF, a + 1, a + 2, mask=0xFF,
                      doc="fragmentation message sequence number"))))
    if oui is not None:
        out.append(FieldView("mme.oui", "oui", BYTES, oui, body - 3, body, value_name=KNOWN_OUIS.get(oui)))
    return out


_MMV_NAMES = {0: "HOMEPLUG_AV_1_0", 1: "HOMEPLUG_AV_1_1", 2: "HOMEPLUG_AV_2_0"}


def _hp10_views(data: bytes) -> list[FieldView]:
    frame = decode_hp10(data)
    p = decode_ethernet(data).payload_offset
    mctrl = data[p]
    out = [FieldView("hp10.mctrl", "mctrl", INT, mctrl, p, p + 1, children=(
        FieldView("hp10.mctrl.ne", "ne", INT, mctrl & 0x7F, p, p + 1, mask=0x7F, doc="number of entries"),))]
    p += 1
    for i, e in enumerate(frame.entries):
        path = f"hp10.entries[{i}]"
        out.append(FieldView(path, "entry", RECORD, None, p, p + 2 + len(e.data), children=(
            FieldView(f"{path}.mehdr", "mehdr", INT, data[p], p, p + 1, value_name=e.name, children=(
                FieldView(f"{path}.mev", "mev", INT, e.mev, p, p + 1, mask=0xE0),
                FieldView(f"{path}.metype", "metype", INT, e.metype, p, p + 1, mask=0x1F, value_name=e.name))),
            FieldView(f"{path}.melen", "melen", INT, len(e.data), p + 1, p + 2, unit="bytes"),
            FieldView(f"{path}.data", "data", BYTES, e.data, p + 2, p + 2 + len(e.data)))))
        p += 2 + len(e.data)
    if frame.trailing:
        out.append(FieldView("trailing", "trailing", PADDING, frame.trailing, p, len(data)))
    return out


# ----------------------------------------------------------------------------- message body


def _message_views(frame: Frame, body: int) -> list[FieldView]:
    msg = frame.message
    if type(msg) is RawMessage:
        what = "fragment" if frame.is_fragment else "body"
        out = [FieldView(what, what, BYTES, msg.body, body, body + len(msg.body),
                         note=frame.fmi_anomaly, doc="MMENTRY without a declared layout")]
        p = body + len(msg.body)
    else:
        out, p = _layout_views(definition_of(msg).layout, msg, body, "")
    trailing = frame.trailing or b""
    if trailing:
        out.append(FieldView("trailing", "trailing", PADDING, trailing, p, p + len(trailing),
                             doc="bytes after the declared layout (padding, vendor tail)"))
    return out


def _layout_views(layout: Layout, msg: Any, p: int, prefix: str) -> tuple[list[FieldView], int]:
    out: list[FieldView] = []
    for f, v in zip(layout.fields, msg, strict=True):
        if v is None:  # absent conditional field, or missing from a truncated frame
            continue
        view, p = _field_view(f, v, p, prefix + f.name)
        out.append(view)
    return out, p


def _field_view(f: Field, v: Any, p: int, path: str) -> tuple[FieldView, int]:
    if f.kind == INT:
        size = f.size
        return FieldView(path, f.name, INT, v, p, p + size, value_name=value_name(f.values, v), unit=f.unit,
                         scale=f.scale, note=value_note(f.values, v), doc=f.doc), p + size
    if f.kind == ARRAY:
        assert f.item is not None
        items = []
        q = p
        for i, it in enumerate(v):
            parts, r = _layout_views(f.item, it, q, f"{path}[{i}].")
            items.append(FieldView(f"{path}[{i}]", f.name, RECORD, None, q, r, children=tuple(parts)))
            q = r
        return FieldView(path, f.name, ARRAY, None, p, q, doc=f.doc, children=tuple(items)), q
    size = len(v)
    value: Any = v
    if f.kind == TEXT:
        value = text_value(v)
    children: tuple[FieldView, ...] = ()
    if f.kind in (VARBYTES, REST, BYTES) and f.unit is not None:  # one value per byte (e.g. dB per group)
        children = tuple(FieldView(f"{path}[{i}]", f.name, INT, b, p + i, p + i + 1, unit=f.unit)
                         for i, b in enumerate(bytes(v)))
    return FieldView(path, f.name, f.kind, value, p, p + size, unit=None if children else f.unit, doc=f.doc,
                     children=children), p + size


__all__ = ["ERROR", "PADDING", "RECORD", "FieldView", "describe", "describe_json", "leaves"]
