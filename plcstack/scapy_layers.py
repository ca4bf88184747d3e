"""Scapy layers for HomePlug AV management messages, generated from the codec's declarations.

Importing this module imports scapy (nothing else in plcstack does) and binds
:class:`HomePlugAV` to Ethernet / 802.1Q type 0x88E1.  Every message declared in
``plcstack.codec.messages`` gets one generated scapy ``Packet`` class of the same name
(``CM_SLAC_PARM_REQ``, ``VS_NW_INFO_CNF_V0`` ...), built from the same :class:`Field` list the codec
uses, so there is nothing per message to keep in sync by hand::

    >>> from scapy.layers.l2 import Ether
    >>> from plcstack.scapy_layers import HomePlugAV, CM_SLAC_PARM_REQ, from_scapy
    >>> p = Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01") / HomePlugAV() / CM_SLAC_PARM_REQ()
    >>> from_scapy(p).name
    'CM_SLAC_PARM.REQ'

Exactness rules (so that ``bytes(Ether(raw)) == raw`` for every frame):

* header fields follow ``plcstack.codec.frame`` (FMI for MMV 1 and 2; OUI for vendor types and for
  manufacturer types when the octets are a known OUI or the type is not one of QCA's MS_*; no OUI on
  continuation fragments).  A dissected header without OUI stores ``oui=b""``; ``None`` (the default
  when building) means "fill in from the message declaration".
* a message class is chosen only when our codec decodes the MMENTRY completely; anything else
  (unknown types, fragments, truncated bodies) stays a :class:`HomePlugAVRaw` payload.
* bytes after the declared layout become a ``Padding`` layer; a dissected frame always ends in one
  (possibly empty), which also tells the builder not to pad.  A freshly built frame without a
  ``Padding`` layer is padded to 60 bytes, as :func:`plcstack.codec.frame.encode_frame` does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from scapy.fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    LEIntEnumField,
    LEIntField,
    LELongField,
    LEShortEnumField,
    LEShortField,
    MACField,
    PacketListField,
    StrField,
    StrFixedLenField,
    StrLenField,
    XShortField,
)
from scapy.fields import (
    Field as ScapyField,
)
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.packet import Packet, Padding, Raw, bind_layers

from plcstack.codec.codes import enum_items
from plcstack.codec.errors import DecodeError
from plcstack.codec.frame import MIN_FRAME, Frame, Header, decode_frame, decode_header, encode_frame
from plcstack.codec.layout import (
    ARRAY,
    BYTES,
    INT,
    MAC,
    REST,
    TEXT,
    VARBYTES,
    Field,
    Layout,
    Short,
    _count_refs,
    _expr,
)
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV, OUI_QCA, mmtype_name
from plcstack.codec.registry import MessageDef, all_definitions, key_table

__all__ = ["MESSAGE_CLASSES", "HomePlugAV", "HomePlugAVMessage", "HomePlugAVRaw", "from_scapy",
           "scapy_class_for", "to_scapy"]


# ----------------------------------------------------------------------------- header


def _payload_def(pkt: Packet) -> MessageDef | None:
    return getattr(type(pkt.payload), "plc_def", None)


def _eff_mmv(pkt: Packet) -> int:
    mmv = pkt.getfieldval("mmv")
    if mmv is not None:
        return int(mmv)
    mdef = _payload_def(pkt)
    return mdef.default_mmv if mdef is not None else 1


def _eff_mmtype(pkt: Packet) -> int:
    mmtype = pkt.getfieldval("mmtype")
    if mmtype is not None:
        return int(mmtype)
    mdef = _payload_def(pkt)
    return mdef.mmtype if mdef is not None else 0


def _has_fmi(pkt: Packet) -> bool:
    return _eff_mmv(pkt) in (1, 2)


class _MmvField(ByteField):
    """MMV; None = the MMV the payload's declaration is built with."""

    def i2m(self, pkt: Packet | None, x: Any) -> int:
        return _eff_mmv(pkt) if x is None and pkt is not None else super().i2m(pkt, x)


class _MmtypeField(LEShortField):
    """MMTYPE (little-endian); None = the payload declaration's type.  Shown with its name."""

    def i2m(self, pkt: Packet | None, x: Any) -> int:
        return _eff_mmtype(pkt) if x is None and pkt is not None else super().i2m(pkt, x)

    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        if x is None:
            return "None"
        oui = pkt.getfieldval("oui") if pkt is not None else None
        return f"0x{x:04X} ({mmtype_name(x, oui or None)})"


class _OuiField(StrFixedLenField):
    """3-byte vendor OUI, present by the rules of :func:`plcstack.codec.frame.decode_header`.

    Dissection asks ``decode_header`` (MMTYPE, FMI plausibility and the octets themselves decide);
    absent = ``b""``.
    On build, ``None`` means: the payload declaration's OUI (QCA's for an undeclared vendor type).
    """

    def __init__(self, name: str) -> None:
        super().__init__(name, None, 3)

    def getfield(self, pkt: Packet, s: bytes) -> tuple[bytes, bytes]:
        h = _codec_header(pkt, s)
        if h is None or h.oui is None:
            return s, b""
        return s[3:], h.oui

    def addfield(self, pkt: Packet, s: bytes, val: Any) -> bytes:
        if val is None:
            val = self._auto(pkt)
        return s + bytes(val)

    @staticmethod
    def _auto(pkt: Packet) -> bytes:
        mmtype = _eff_mmtype(pkt)
        fmi = pkt.getfieldval("fmi") if _has_fmi(pkt) else None
        if mmtype < 0x8000 or mmtype >= 0xC000 or (fmi and fmi & 0x0F00):
            return b""
        mdef = _payload_def(pkt)
        if mdef is not None and mdef.oui is not None:
            return mdef.oui
        return OUI_QCA if mmtype >= 0xA000 else b""

    def i2repr(self, pkt: Packet | None, x: Any) -> str:
        if x is None:
            return "None (auto)"
        return bytes(x).hex(":") if x else "(none)"


def _codec_header(pkt: Packet, rest: bytes, oui_done: bool = False) -> Header | None:
    """The codec's reading of this MME header (None when it rejects it).

    ``rest`` is what follows MMV/MMTYPE/FMI; the frame is rebuilt with as many VLAN tags as there are
    below this layer so the frame-length rules (fragment plausibility) see the real length.
    """
    mmv = pkt.getfieldval("mmv")
    mmtype = pkt.getfieldval("mmtype")
    if mmv is None or mmtype is None:
        return None
    l2 = _l2_header_len(pkt) or 14
    head = bytes([mmv]) + struct.pack("<H", mmtype)
    if mmv in (1, 2):
        head += struct.pack(">H", pkt.getfieldval("fmi") or 0)
    fake = bytes(12) + b"\x81\x00\x00\x00" * ((l2 - 14) // 4) + b"\x88\xe1" + head + rest
    try:
        return decode_header(fake)
    except DecodeError:
        return None


class HomePlugAVRaw(Raw):
    """MMENTRY bytes that have no (complete) declared layout: kept verbatim."""

    name = "HomePlugAV MMENTRY (raw)"


class HomePlugAV(Packet):
    """The MME header: MMV, MMTYPE, FMI (MMV 1/2) and the vendor OUI."""

    name = "HomePlugAV"
    fields_desc = [
        _MmvField("mmv", None),
        _MmtypeField("mmtype", None),
        ConditionalField(XShortField("fmi", 0), _has_fmi),
        _OuiField("oui"),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Packet]:
        h = _codec_header(self, (self.oui or b"") + payload, oui_done=True)
        if h is None or h.is_fragment:
            return HomePlugAVRaw  # a header our codec rejects, or one fragment of a larger message
        mmv, mmtype = h.mmv, h.mmtype
        mdef = key_table().get((mmv, mmtype, self.oui or None))
        if mdef is None:
            return HomePlugAVRaw
        try:  # only hand scapy bodies our codec reads completely, so the fields rebuild exactly
            mdef.layout.decode(payload, 0, len(payload))
        except Short:
            return HomePlugAVRaw
        return _BY_DEF[id(mdef)]

    def post_dissection(self, pkt: Packet) -> None:
        # a dissected frame always ends in a Padding layer (maybe empty): it marks "do not pad"
        if not self.haslayer(Padding):
            self.lastlayer().add_payload(Padding(b""))
        super().post_dissection(pkt)

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        out = pkt + pay
        if self.haslayer(Padding):
            return out
        l2 = _l2_header_len(self)
        if l2 is not None and l2 + len(out) < MIN_FRAME:
            out += bytes(MIN_FRAME - l2 - len(out))
        return out

    def mysummary(self) -> str:
        return self.sprintf("HomePlugAV mmv=%mmv% %mmtype%")


def _l2_header_len(layer: Packet) -> int | None:
    """Bytes of Ethernet (+ VLAN tags) header below ``layer``; None when not on Ethernet."""
    total = 0
    u = layer.underlayer
    if u is None:
        return None
    while u is not None:
        if isinstance(u, (Dot1Q, Dot1AD)):
            total += 4
        elif isinstance(u, Ether):
            total += 14
        else:
            return None
        u = u.underlayer
    return total


bind_layers(Ether, HomePlugAV, type=ETHERTYPE_HOMEPLUG_AV)
bind_layers(Dot1Q, HomePlugAV, type=ETHERTYPE_HOMEPLUG_AV)
bind_layers(Dot1AD, HomePlugAV, type=ETHERTYPE_HOMEPLUG_AV)


# ----------------------------------------------------------------------------- generated messages


class HomePlugAVMessage(Packet):
    """Base of the generated message classes; ``plc_def`` is the codec declaration."""

    plc_def: MessageDef | None = None
    plc_record: Layout | None = None

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s  # what follows the layout is padding / vendor tail

    def to_plc(self) -> Any:
        """Our codec's message tuple for this layer (decoded from its own bytes)."""
        rec = self.plc_record
        assert rec is not None
        layer = self.copy()
        layer.remove_payload()
        body = bytes(layer)
        return rec.decode(body, 0, len(body))[0]

    @classmethod
    def from_plc(cls, msg: Any) -> HomePlugAVMessage:
        rec = cls.plc_record
        assert rec is not None
        return cls(rec.encode(msg))


class _ItemBase(Packet):
    """One array element: consumes its own fields, hands the rest back to the list."""

    plc_record: Layout | None = None

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s


def _evaluator(expr: str) -> Callable[[Packet], Any]:
    """Count / condition expression over earlier fields of the same record (as layout.py does)."""
    code = compile(_expr(expr), f"<{expr}>", "eval")
    names = [n for n in code.co_names if n.startswith("v_")]

    def ev(pkt: Packet) -> Any:
        env = {n: pkt.getfieldval(n[2:]) for n in names}
        try:
            return eval(code, {"__builtins__": {}, "len": len, "max": max}, env)  # noqa: S307 - our declarations
        except TypeError:  # a referenced count left None while building
            return 0

    return ev


def _int_field(f: Field, default: Any) -> ScapyField:
    fmt = f.fmt
    if f.values:
        enum = dict(enum_items(f.values))
        if fmt == "B":
            return ByteEnumField(f.name, default, enum)
        if fmt == "H":
            return LEShortEnumField(f.name, default, enum)
        if fmt == "I":
            return LEIntEnumField(f.name, default, enum)
    return {"B": ByteField, "H": LEShortField, "I": LEIntField, "Q": LELongField}[fmt](f.name, default)


_LEN_FMT = {"B": "B", "H": "<H", "I": "<I", "Q": "<Q"}
_ITEMS: dict[int, type[Packet]] = {}


def _scapy_fields(rec: Layout, owner: str) -> list[ScapyField]:
    counts = {ref: target for ref, target in _count_refs(rec.fields).items()}
    out: list[Any] = []
    for f in rec.fields:
        sf: Any
        if f.name in counts and f.kind == INT:
            target = counts[f.name]
            if target.kind == ARRAY:
                sf = FieldLenField(f.name, None, fmt=_LEN_FMT[f.fmt], count_of=target.name)
            else:
                sf = FieldLenField(f.name, None, fmt=_LEN_FMT[f.fmt], length_of=target.name)
        elif f.kind == INT:
            sf = _int_field(f, 0)
        elif f.kind == MAC:
            sf = MACField(f.name, "00:00:00:00:00:00")
        elif f.kind in (BYTES, TEXT):
            sf = StrFixedLenField(f.name, bytes(f.size), f.size)
        elif f.kind == VARBYTES:
            sf = StrLenField(f.name, b"", length_from=_evaluator(f.count or "0"))
        elif f.kind == REST:
            sf = StrField(f.name, b"")
        elif f.kind == ARRAY:
            assert f.item is not None
            sf = PacketListField(f.name, [], _item_class(f.item, owner), count_from=_evaluator(f.count or "0"))
        else:  # pragma: no cover - a new Field kind must be mapped here
            raise TypeError(f"no scapy mapping for field kind {f.kind!r}")
        if f.when is not None:
            sf = ConditionalField(sf, _evaluator(f.when))
        out.append(sf)
    return out


def _item_class(item: Layout, owner: str) -> type[Packet]:
    cls = _ITEMS.get(id(item))
    if cls is None:
        name = f"{owner}_{item.name}"  # item names repeat across messages with other layouts
        cls = type(name, (_ItemBase,), {"name": name, "fields_desc": _scapy_fields(item, name),
                                        "plc_record": item, "__module__": __name__})
        _ITEMS[id(item)] = cls
    return cls


def _message_class(mdef: MessageDef) -> type[HomePlugAVMessage]:
    rec = mdef.layout
    doc = f"{mdef.name} (MMTYPE 0x{mdef.mmtype:04X}), generated from plcstack.codec.messages."
    return type(rec.name, (HomePlugAVMessage,), {
        "name": rec.name, "fields_desc": _scapy_fields(rec, rec.name), "plc_def": mdef, "plc_record": rec,
        "__module__": __name__, "__doc__": doc,
    })


_BY_DEF: dict[int, type[HomePlugAVMessage]] = {}
MESSAGE_CLASSES: dict[str, type[HomePlugAVMessage]] = {}
for _d in all_definitions():
    _c = _message_class(_d)
    _BY_DEF[id(_d)] = _c
    MESSAGE_CLASSES[_d.layout.name] = _c
    globals()[_d.layout.name] = _c
del _d, _c


def scapy_class_for(mdef_or_name: MessageDef | str) -> type[HomePlugAVMessage]:
    """The generated class of a declaration (or of its name, ``CM_SLAC_PARM.REQ`` / ``CM_SLAC_PARM_REQ``)."""
    if isinstance(mdef_or_name, MessageDef):
        return _BY_DEF[id(mdef_or_name)]
    name = mdef_or_name
    if name in MESSAGE_CLASSES:
        return MESSAGE_CLASSES[name]
    for d in all_definitions():
        if d.name == name:
            return _BY_DEF[id(d)]
    raise KeyError(name)


# ----------------------------------------------------------------------------- conversions


def to_scapy(frame: Frame | bytes | bytearray | memoryview) -> Ether:
    """A scapy ``Ether`` packet of a frame (our :class:`Frame` is encoded first)."""
    data = encode_frame(frame) if isinstance(frame, Frame) else bytes(frame)
    return Ether(data)


def from_scapy(pkt: Packet) -> Frame:
    """Our :class:`Frame` of a scapy packet with an Ethernet layer (decoded from its bytes)."""
    if Ether not in pkt:
        raise TypeError("from_scapy needs a packet with an Ether layer")
    return decode_frame(bytes(pkt[Ether]))
