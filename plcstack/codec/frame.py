"""Ethernet + MME header, and whole-frame decode/encode.

Header rules (``../shared/reference/codecs.md`` §1):

* ``ODA(6) OSA(6) [802.1Q TPID 0x8100 + TCI] 0x88E1``, then ``MMV(1) MMTYPE(2, little-endian)``;
* MMV 1 and 2 add the two FMI octets (spec order: octet 3 = NF_MI<<4 | FN_MI, octet 4 = FMSN);
* vendor MMTYPEs 0xA000-0xBFFF carry a 3-byte OUI after the header (after FMI when MMV >= 1);
  QCA 0xA14E appears with OUI 00:00:00;
* manufacturer MMTYPEs 0x8000-0x9FFF carry an OUI for some vendors (ST/IoTecha, dSPACE) but not
  for QCA's MS_PB_ENC / MS_ADC_CAP / MS_DISCOVER: an OUI is read when the three bytes are a known
  vendor OUI or when the type is not one of QCA's;
* continuation fragments (FN_MI > 0) carry raw MMENTRY bytes, no OUI.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from plcstack.codec import messages as _messages  # noqa: F401 - registers the declarations
from plcstack.codec.errors import DecodeError, EncodeError
from plcstack.codec.layout import Short, decode_partial, encode_partial
from plcstack.codec.mac import parse_mac as mac_bytes
from plcstack.codec.names import (
    ETHERTYPE_HOMEPLUG_1_0,  # noqa: F401 - re-exported
    ETHERTYPE_HOMEPLUG_AV,
    ETHERTYPE_VLAN,
    KNOWN_OUIS,
    OUI_NONE,
    OUI_QCA,
    QCA_MS_BASES,
    is_known,
    mmtype_name,
)
from plcstack.codec.registry import MessageDef, definition_of, key_table

MIN_FRAME = 60  # Ethernet minimum without FCS: senders pad to this

_ETH = struct.Struct("!6s6sH")
_VLAN = struct.Struct("!HH")
_VENDOR_OUIS = frozenset([*KNOWN_OUIS, OUI_NONE])
_MS_OUIS = frozenset(KNOWN_OUIS)
_KEYS = key_table()


class RawMessage(NamedTuple):
    """The MMENTRY of a message with no declared layout (or a fragment): kept byte for byte."""

    body: bytes


class Header(NamedTuple):
    dst: bytes
    src: bytes
    vlan: int | None
    mmv: int
    mmtype: int
    fmi: int | None
    oui: bytes | None
    body_offset: int  # offset of MMENTRY in the buffer


class Frame(NamedTuple):
    """One HomePlug AV management frame.

    ``fmi`` is the two FMI octets as one integer (octet 3 << 8 | octet 4) or None for MMV 0.
    ``trailing`` holds the bytes after the declared layout (padding, vendor tails); None on a
    frame built here means "pad to 60 bytes on encode".  ``truncated`` says what is missing when
    the frame ends inside the layout.
    """

    dst: bytes
    src: bytes
    vlan: int | None
    mmv: int
    mmtype: int
    fmi: int | None
    oui: bytes | None
    message: Any
    trailing: bytes | None = None
    truncated: str | None = None

    @property
    def name(self) -> str:
        return mmtype_name(self.mmtype, self.oui)

    @property
    def variant(self) -> str:
        return ("REQ", "CNF", "IND", "RSP")[self.mmtype & 3]

    @property
    def nf_mi(self) -> int:
        """Number of fragments minus one (spec octet order)."""
        return (self.fmi >> 12) if self.fmi else 0

    @property
    def fn_mi(self) -> int:
        return ((self.fmi >> 8) & 0x0F) if self.fmi else 0

    @property
    def fmsn(self) -> int:
        return (self.fmi & 0xFF) if self.fmi else 0

    @property
    def is_fragment(self) -> bool:
        return bool(self.fmi and self.fmi & 0xFF00)


def _parse_header(buf: bytes, off: int, end: int) -> Header:
    if end - off < 17:
        raise DecodeError(f"{end - off} bytes is shorter than an Ethernet + MME header", field="length",
                          offset=0)
    dst, src, et = _ETH.unpack_from(buf, off)
    p = off + 14
    vlan = None
    if et == ETHERTYPE_VLAN:
        if end - p < 7:
            raise DecodeError("802.1Q frame too short", field="length", offset=p - off)
        vlan, et = _VLAN.unpack_from(buf, p)
        p += 4
    if et != ETHERTYPE_HOMEPLUG_AV:
        raise DecodeError(f"ethertype 0x{et:04X} is not HomePlug AV (0x88E1)", field="ethertype",
                          offset=p - 2 - off)
    mmv = buf[p]
    mmtype = buf[p + 1] | (buf[p + 2] << 8)
    if mmv == 0:
        fmi = None
        p += 3
    elif mmv <= 2:
        if end - p < 5:
            raise DecodeError("MMV >= 1 header needs 5 bytes", field="fmi", offset=p - off)
        fmi = (buf[p + 3] << 8) | buf[p + 4]
        p += 5
    else:
        raise DecodeError(f"unknown MMV 0x{mmv:02X} (HomePlug AV defines 0, 1 and 2)", field="mmv",
                          offset=p - off)
    oui = None
    if mmtype >= 0x8000 and not (fmi and fmi & 0x0F00):
        if mmtype < 0xA000:
            cand = buf[p:p + 3]
            if cand in _MS_OUIS or ((mmtype & ~3) not in QCA_MS_BASES and end - p >= 3):
                oui = cand
                p += 3
        elif mmtype < 0xC000:
            if end - p < 3:
                raise DecodeError("vendor MMTYPE without room for its OUI", field="oui", offset=p - off)
            oui = buf[p:p + 3]
            if oui not in _VENDOR_OUIS:
                raise DecodeError(f"unknown vendor OUI {oui.hex(':')} for MMTYPE 0x{mmtype:04X}",
                                  field="oui", offset=p - off)
            p += 3
    return Header(dst, src, vlan, mmv, mmtype, fmi, oui, p)


def decode_header(buf: bytes, offset: int = 0, end: int | None = None) -> Header:
    """Decode only the Ethernet and MME headers (no MMENTRY work)."""
    if end is None:
        end = len(buf)
    return _parse_header(buf, offset, end)


def decode_frame(buf: bytes | bytearray | memoryview, offset: int = 0, end: int | None = None) -> Frame:
    """Decode a whole frame ``buf[offset:end]`` (no slicing: pass the capture's chunk and offsets).

    Raises :class:`DecodeError` (naming the field) for bytes that are not a valid HomePlug AV MME
    header.  Unknown types decode as :class:`RawMessage`; a frame that ends inside its layout
    decodes what is there and says what is missing in ``Frame.truncated``.
    """
    if type(buf) is not bytes:
        buf = bytes(buf[offset:end] if end is not None else buf[offset:])
        offset, end = 0, len(buf)
    elif end is None:
        end = len(buf)
    dst, src, vlan, mmv, mmtype, fmi, oui, p = _parse_header(buf, offset, end)
    if fmi and fmi & 0xF000:  # one fragment of a larger message: reassemble first
        return Frame(dst, src, vlan, mmv, mmtype, fmi, oui, RawMessage(buf[p:end]), b"", None)
    mdef = _KEYS.get((mmv, mmtype, oui))
    if mdef is None:
        if mmtype < 0x8000 and not is_known(mmtype) or mmtype >= 0xC000:
            raise DecodeError(f"MMTYPE 0x{mmtype:04X} is not defined by HomePlug AV/GreenPHY", field="mmtype",
                              offset=(p - offset) - (5 if mmv else 3) + 1 - (3 if oui is not None else 0))
        return Frame(dst, src, vlan, mmv, mmtype, fmi, oui, RawMessage(buf[p:end]), b"", None)
    rec = mdef.record
    try:
        msg, q = rec.decode(buf, p, end)
        return Frame(dst, src, vlan, mmv, mmtype, fmi, oui, msg, buf[q:end], None)
    except Short:
        msg, q, missing = decode_partial(rec, buf, p, end)
        why = f"{mdef.name} ends after {end - p} bytes of MMENTRY; missing: {', '.join(missing)}"
        return Frame(dst, src, vlan, mmv, mmtype, fmi, oui, msg, buf[q:end], why)


_H0 = struct.Struct("<6s6s2sBH")
_H1 = struct.Struct("<6s6s2sBHBB")
_ET = b"\x88\xe1"


def encode_frame(frame: Frame) -> bytes:
    """Encode a frame; exact inverse of :func:`decode_frame` for every frame it returns."""
    dst, src, vlan, mmv, mmtype, fmi, oui, msg, trailing, truncated = frame
    try:
        if vlan is None:
            hdr = (_H0.pack(dst, src, _ET, mmv, mmtype) if mmv == 0
                   else _H1.pack(dst, src, _ET, mmv, mmtype, (fmi or 0) >> 8, (fmi or 0) & 0xFF))
        else:
            tag = _VLAN.pack(ETHERTYPE_VLAN, vlan)
            base = (_H0.pack(dst, src, _ET, mmv, mmtype) if mmv == 0
                    else _H1.pack(dst, src, _ET, mmv, mmtype, (fmi or 0) >> 8, (fmi or 0) & 0xFF))
            hdr = base[:12] + tag + base[12:]
    except struct.error as exc:
        raise EncodeError(f"bad header value: {exc}") from exc
    if type(msg) is RawMessage:
        body = msg.body
    else:
        mdef = definition_of(msg)
        try:
            body = encode_partial(mdef.record, msg) if truncated is not None else mdef.record.encode(msg)
        except (struct.error, TypeError) as exc:
            raise EncodeError(f"{mdef.name}: {exc}") from exc
    out = hdr + oui + body if oui is not None else hdr + body
    if trailing is None:
        if len(out) < MIN_FRAME:
            out += bytes(MIN_FRAME - len(out))
        return out
    return out + trailing


def make_frame(
    dst: bytes | str,
    src: bytes | str,
    message: Any,
    *,
    mmv: int | None = None,
    fmi: int = 0,
    oui: bytes | None = None,
    vlan: int | None = None,
    mmtype: int | None = None,
) -> Frame:
    """Build a new frame for ``message`` with the header its declaration implies."""
    if isinstance(message, RawMessage):
        if mmtype is None:
            raise ValueError("a RawMessage needs an explicit mmtype")
        use_mmv = 1 if mmv is None else mmv
        use_oui = oui if oui is not None else (OUI_QCA if 0xA000 <= mmtype < 0xC000 else None)
    else:
        mdef: MessageDef = definition_of(message)
        mmtype = mdef.mmtype
        use_mmv = mdef.default_mmv if mmv is None else mmv
        use_oui = oui if oui is not None else mdef.oui
    return Frame(mac_bytes(dst), mac_bytes(src), vlan, use_mmv, mmtype, (fmi if use_mmv else None),
                 use_oui, message, None, None)


def encode(dst: bytes | str, src: bytes | str, message: Any, **kw: Any) -> bytes:
    """Shortcut: ``encode_frame(make_frame(dst, src, message, **kw))``."""
    return encode_frame(make_frame(dst, src, message, **kw))
