"""Ethernet + MME header, and whole-frame decode/encode.

:func:`decode_header` (with :func:`decode_ethernet` for the Ethernet part) is the only parser of
Ethernet / VLAN / MME headers in plcstack; capture, reassembly, batch, scapy layers and the
emulator use it.  Header rules (``docs/codec-header.md``):

* ``ODA(6) OSA(6)``, any number of VLAN tags (802.1Q 0x8100, 802.1ad 0x88A8, legacy QinQ 0x9100:
  ``TPID(2) TCI(2)`` each, kept in order so they re-encode exactly), then ``MTYPE 0x88E1``,
  ``MMV(1) MMTYPE(2, little-endian)``;
* MMV 1 and 2 add the two FMI octets (spec order: octet 3 = NF_MI<<4 | FN_MI, octet 4 = FMSN);
  any other MMV is a :class:`DecodeError` with ``field="mmv"``;
* a frame is a fragment only when its FMI is plausible: a non-last fragment fills its frame
  (:data:`MIN_NONLAST_FRAGMENT` bytes of Ethernet payload or more), a last fragment is longer than
  the 60-byte minimum; otherwise it is decoded whole and ``fmi_anomaly`` says why;
* vendor MMTYPEs 0xA000-0xBFFF carry a 3-byte OUI after the header (after FMI when MMV >= 1);
  QCA 0xA14E appears with OUI 00:00:00;
* manufacturer MMTYPEs 0x8000-0x9FFF carry an OUI for some vendors (ST/IoTecha, dSPACE) but not
  for QCA's MS_PB_ENC / MS_ADC_CAP / MS_DISCOVER: an OUI is read when the three bytes are a known
  vendor OUI or when the type is not one of QCA's;
* continuation fragments (FN_MI > 0) carry raw MMENTRY bytes, no OUI.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, NamedTuple

from plcstack.codec import messages as _messages  # noqa: F401 - registers the declarations
from plcstack.codec.errors import DecodeError, EncodeError, PartialHeader
from plcstack.codec.layout import FramePrefix, Short, decode_partial, encode_partial, frame_decoder
from plcstack.codec.mac import parse_mac as mac_bytes
from plcstack.codec.names import (
    ETHERTYPE_HOMEPLUG_1_0,  # noqa: F401 - re-exported
    ETHERTYPE_HOMEPLUG_AV,
    ETHERTYPE_QINQ,
    ETHERTYPE_QINQ_LEGACY,
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
#: A non-last fragment "fills its frame": at least this many bytes of Ethernet payload (the 1500-byte
#: maximum less room for implementations that split a little early).  A 60-byte frame never qualifies.
MIN_NONLAST_FRAGMENT = 1400
VLAN_TPIDS = frozenset((ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY))

_ETH = struct.Struct("!6s6sH")
_TAG = struct.Struct("!HH")
_VENDOR_OUIS = frozenset([*KNOWN_OUIS, OUI_NONE])
_MS_OUIS = frozenset(KNOWN_OUIS)
_KEYS = key_table()
_new = tuple.__new__


class VlanTag(NamedTuple):
    """One VLAN tag as it is on the wire: TPID (0x8100, 0x88A8 or 0x9100) and TCI."""

    tpid: int
    tci: int

    @property
    def vid(self) -> int:
        """VLAN identifier (12 bits)."""
        return self.tci & 0x0FFF

    @property
    def pcp(self) -> int:
        """Priority code point (3 bits)."""
        return self.tci >> 13

    @property
    def dei(self) -> int:
        """Drop eligible indicator (1 bit)."""
        return (self.tci >> 12) & 1


class RawMessage(NamedTuple):
    """The MMENTRY of a message with no declared layout (or a fragment): kept byte for byte."""

    body: bytes


def _vlan(self: Any) -> int | None:
    """TCI of the outermost VLAN tag, None when untagged (the pre-QinQ spelling; see ``vlan_tags``)."""
    return self.vlan_tags[0].tci if self.vlan_tags else None


def _vlan_id(self: Any) -> int | None:
    """VLAN id of the outermost tag (the S-tag of a QinQ frame), None when untagged."""
    return self.vlan_tags[0].vid if self.vlan_tags else None


def _vlan_ids(self: Any) -> tuple[int, ...]:
    """VLAN ids of every tag, outermost first."""
    return tuple(t.vid for t in self.vlan_tags)


def _vlan_pcp(self: Any) -> int | None:
    """Priority of the outermost tag, None when untagged."""
    return self.vlan_tags[0].pcp if self.vlan_tags else None


class EthernetHeader(NamedTuple):
    """Ethernet part of a frame: addresses, VLAN tags, ethertype and where the payload starts."""

    dst: bytes
    src: bytes
    vlan_tags: tuple[VlanTag, ...]
    ethertype: int
    payload_offset: int  # offset of the byte after the ethertype, in the buffer

    @property
    def vlan(self) -> int | None:
        """TCI of the outermost VLAN tag, None when untagged (the pre-QinQ spelling of ``vlan_tags``)."""
        return _vlan(self)

    @property
    def vlan_id(self) -> int | None:
        """VLAN id of the outermost tag (the S-tag of a QinQ frame), None when untagged."""
        return _vlan_id(self)

    @property
    def vlan_ids(self) -> tuple[int, ...]:
        """VLAN ids of every tag, outermost first."""
        return _vlan_ids(self)

    @property
    def vlan_pcp(self) -> int | None:
        """Priority of the outermost tag, None when untagged."""
        return _vlan_pcp(self)


class Header(NamedTuple):
    """Ethernet + MME header of a HomePlug AV frame."""

    dst: bytes
    src: bytes
    vlan_tags: tuple[VlanTag, ...]
    mmv: int
    mmtype: int
    fmi: int | None
    oui: bytes | None
    body_offset: int  # offset of MMENTRY in the buffer
    fmi_anomaly: str | None = None  # why a fragment-looking FMI was not taken as a fragment

    @property
    def vlan(self) -> int | None:
        """TCI of the outermost VLAN tag, None when untagged (the pre-QinQ spelling of ``vlan_tags``)."""
        return _vlan(self)

    @property
    def vlan_id(self) -> int | None:
        """VLAN id of the outermost tag (the S-tag of a QinQ frame), None when untagged."""
        return _vlan_id(self)

    @property
    def vlan_ids(self) -> tuple[int, ...]:
        """VLAN ids of every tag, outermost first."""
        return _vlan_ids(self)

    @property
    def vlan_pcp(self) -> int | None:
        """Priority of the outermost tag, None when untagged."""
        return _vlan_pcp(self)

    @property
    def is_fragment(self) -> bool:
        """True when the FMI makes this frame one plausible fragment of a larger message."""
        return bool(self.fmi and self.fmi & 0xF000) and self.fmi_anomaly is None


class Frame(NamedTuple):
    """One HomePlug AV management frame.

    ``vlan_tags`` holds the VLAN tags in wire order (empty when untagged); ``vlan``/``vlan_id``/
    ``vlan_pcp`` read the outermost one.  ``fmi`` is the two FMI octets as one integer
    (octet 3 << 8 | octet 4) or None for MMV 0.  ``trailing`` holds the bytes after the declared
    layout (padding, vendor tails); None on a frame built here means "pad to 60 bytes on encode".
    ``truncated`` says what is missing when the frame ends inside the layout; ``fmi_anomaly`` why
    an FMI that reads as a fragment was not one (the frame was decoded whole).
    """

    dst: bytes
    src: bytes
    vlan_tags: tuple[VlanTag, ...]
    mmv: int
    mmtype: int
    fmi: int | None
    oui: bytes | None
    message: Any
    trailing: bytes | None = None
    truncated: str | None = None
    fmi_anomaly: str | None = None

    @property
    def vlan(self) -> int | None:
        """TCI of the outermost VLAN tag, None when untagged (the pre-QinQ spelling of ``vlan_tags``)."""
        return _vlan(self)

    @property
    def vlan_id(self) -> int | None:
        """VLAN id of the outermost tag (the S-tag of a QinQ frame), None when untagged."""
        return _vlan_id(self)

    @property
    def vlan_ids(self) -> tuple[int, ...]:
        """VLAN ids of every tag, outermost first."""
        return _vlan_ids(self)

    @property
    def vlan_pcp(self) -> int | None:
        """Priority of the outermost tag, None when untagged."""
        return _vlan_pcp(self)

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
        """True when this frame is one fragment of a larger message (its body is raw bytes)."""
        return bool(self.fmi and self.fmi & 0xF000) and self.fmi_anomaly is None


# ----------------------------------------------------------------------------- header


def decode_ethernet(buf: bytes | bytearray | memoryview, offset: int = 0, end: int | None = None) -> EthernetHeader:
    """Addresses, every VLAN tag (any depth, any of 0x8100 / 0x88A8 / 0x9100) and the ethertype."""
    if end is None:
        end = len(buf)
    if end - offset < 14:
        known = (PartialHeader(bytes(buf[offset:offset + 6]), bytes(buf[offset + 6:offset + 12]))
                 if end - offset >= 12 else None)
        raise DecodeError(f"{end - offset} bytes is shorter than an Ethernet header", field="length", offset=0,
                          header=known)
    dst, src, et = _ETH.unpack_from(buf, offset)
    p = offset + 14
    tags: tuple[VlanTag, ...] = ()
    while et in VLAN_TPIDS:
        if end - p < 4:
            raise DecodeError("frame ends inside a VLAN tag", field="vlan", offset=p - offset,
                              header=PartialHeader(bytes(dst), bytes(src), tags))
        tci, inner = _TAG.unpack_from(buf, p)
        tags += (VlanTag(et, tci),)
        et = inner
        p += 4
    return EthernetHeader(bytes(dst), bytes(src), tags, et, p)


def fmi_anomaly(nf: int, fn: int, payload_len: int, frame_len: int) -> str | None:
    """Why FMI (NF_MI, FN_MI) cannot describe a fragment of this frame, or None when it can.

    ``payload_len`` counts the Ethernet payload (from MMV to the end), ``frame_len`` the whole frame.
    """
    if fn > nf:
        return f"FMI fragment {fn + 1} of {nf + 1} is impossible"
    if nf == 0:
        return None
    if fn < nf and payload_len < MIN_NONLAST_FRAGMENT:
        return (f"FMI reads fragment {fn + 1} of {nf + 1}, but a non-last fragment fills its frame "
                f"and this one has {payload_len} bytes of payload")
    if frame_len <= MIN_FRAME:
        return f"FMI reads fragment {fn + 1} of {nf + 1}, but a {frame_len}-byte frame is never a fragment"
    return None


def _known(eth: EthernetHeader, mmv: int | None = None, mmtype: int | None = None, fmi: int | None = None,
           oui: bytes | None = None) -> PartialHeader:
    return PartialHeader(eth.dst, eth.src, eth.vlan_tags, eth.ethertype, mmv, mmtype, fmi, oui)


def decode_header(buf: bytes | bytearray | memoryview, offset: int = 0, end: int | None = None) -> Header:
    """Decode the Ethernet and MME headers of ``buf[offset:end]`` (no MMENTRY work).

    Raises :class:`DecodeError` naming the field: ``length``, ``vlan``, ``ethertype``, ``mmv``,
    ``fmi`` or ``oui``, with the header fields read before the fault in ``DecodeError.header``.
    """
    if end is None:
        end = len(buf)
    eth = decode_ethernet(buf, offset, end)
    p = eth.payload_offset
    if eth.ethertype != ETHERTYPE_HOMEPLUG_AV:
        raise DecodeError(f"ethertype 0x{eth.ethertype:04X} is not HomePlug AV (0x88E1)", field="ethertype",
                          offset=p - 2 - offset, header=_known(eth))
    if end - p < 3:
        raise DecodeError(f"{end - offset} bytes is shorter than an Ethernet + MME header", field="length",
                          offset=p - offset, header=_known(eth, buf[p] if end > p else None))
    mmv = buf[p]
    mmtype = buf[p + 1] | (buf[p + 2] << 8)
    anomaly = None
    continuation = False
    if mmv == 0:
        fmi = None
        q = p + 3
    elif mmv <= 2:
        if end - p < 5:
            raise DecodeError(f"MMV {mmv} header needs 5 bytes", field="fmi", offset=p + 3 - offset,
                              header=_known(eth, mmv, mmtype))
        fmi = (buf[p + 3] << 8) | buf[p + 4]
        q = p + 5
        if fmi & 0xFF00:  # NF_MI or FN_MI set (FN_MI alone is an anomaly: a fragment number without fragments)
            nf, fn = fmi >> 12, (fmi >> 8) & 0x0F
            anomaly = fmi_anomaly(nf, fn, end - p, end - offset)
            continuation = anomaly is None and fn > 0
    else:
        # MMTYPE sits right after MMV in every defined header version: report it beside the bad MMV
        raise DecodeError(f"unknown MMV 0x{mmv:02X} (HomePlug AV defines 0, 1 and 2)", field="mmv",
                          offset=p - offset, header=_known(eth, mmv, mmtype))
    oui = None
    if mmtype >= 0x8000 and not continuation:
        if mmtype < 0xA000:
            cand = bytes(buf[q:q + 3])
            if cand in _MS_OUIS or ((mmtype & ~3) not in QCA_MS_BASES and end - q >= 3):
                oui = cand
                q += 3
        elif mmtype < 0xC000:
            if end - q < 3:
                raise DecodeError("vendor MMTYPE without room for its OUI", field="oui", offset=q - offset,
                                  header=_known(eth, mmv, mmtype, fmi))
            oui = bytes(buf[q:q + 3])
            if oui not in _VENDOR_OUIS:
                raise DecodeError(f"unknown vendor OUI {oui.hex(':')} for MMTYPE 0x{mmtype:04X}",
                                  field="oui", offset=q - offset, header=_known(eth, mmv, mmtype, fmi, oui))
            q += 3
    return Header(eth.dst, eth.src, eth.vlan_tags, mmv, mmtype, fmi, oui, q, anomaly)


# ----------------------------------------------------------------------------- frame decode

# Fast path: untagged frames of declared types whose FMI octet 3 is zero (not fragmented), dispatched
# on six raw octets (ethertype, MMV, MMTYPE and FMI octet 3 / the OUI's or MMENTRY's first octet for
# MMV 0) to a decoder generated per declaration that reads
# the header and the first fixed fields in one struct call.  Anything it refuses (returns None or
# raises Short) takes the general path below, which applies every rule.
_FAST: dict[bytes, Any] = {}


def _fast_decoder(mmv: int, mmtype: int, oui: bytes | None, mdef: MessageDef) -> Any:
    checks: list[str] = []
    after: list[str] = []
    fmt = "6s6s5x"  # ODA, OSA; ethertype, MMV, MMTYPE matched by the table key
    targets = ["h_dst", "h_src"]
    if mmv:
        fmt += "xB"  # FMI octet 3 is zero: the table key includes it
        targets.append("h_fmi")
    if oui is not None:
        fmt += "3s"
        targets.append("h_oui")
        after.append("    if h_oui != OUI: return None")
    fmi = "h_fmi" if mmv else "None"
    result = f"_new(FRAME, (h_dst, h_src, (), {mmv}, {mmtype}, {fmi}, OUI, {{msg}}, buf[p:end], None, None))"
    return frame_decoder(mdef.layout, FramePrefix(fmt, tuple(targets), tuple(checks), result, tuple(after)),
                         {"FRAME": Frame, "OUI": oui})


def _first_of(decoders: list[Any]) -> Any:
    def decode(buf: bytes, o: int, end: int) -> Frame | None:
        for d in decoders:
            f = d(buf, o, end)
            if f is not None:
                return f  # type: ignore[no-any-return]
        return None

    return decode


def _build_fast_table() -> None:
    per_key: dict[bytes, list[Any]] = {}
    for (mmv, mmtype, oui), mdef in _KEYS.items():
        if 0x8000 <= mmtype < 0xA000:
            continue  # manufacturer range: OUI presence depends on the octets themselves
        key = struct.pack("<HBH", 0xE188, mmv, mmtype)  # 88 E1, MMV, MMTYPE little-endian
        # the sixth octet: FMI octet 3 = 0 (MMV 1, 2), the OUI's first octet, or any MMENTRY octet (MMV 0)
        sixth = [0] if mmv else [oui[0]] if oui is not None else range(256)
        decoder = _fast_decoder(mmv, mmtype, oui, mdef)
        for b in sixth:
            per_key.setdefault(key + bytes((b,)), []).append(decoder)
    for key, decoders in per_key.items():
        _FAST[key] = decoders[0] if len(decoders) == 1 else _first_of(decoders)


_build_fast_table()


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
    fast = _FAST.get(buf[offset + 12:offset + 18])
    if fast is not None:
        try:
            frame = fast(buf, offset, end)
        except Short:
            frame = None  # truncated: the general path says what is missing
        if frame is not None:
            return frame  # type: ignore[no-any-return]
    return _decode_general(buf, offset, end)


def _decode_general(buf: bytes, offset: int, end: int) -> Frame:
    dst, src, tags, mmv, mmtype, fmi, oui, p, anomaly = decode_header(buf, offset, end)  # type: ignore[misc]
    if fmi and fmi & 0xF000 and anomaly is None:  # one fragment of a larger message: reassemble first
        return Frame(dst, src, tags, mmv, mmtype, fmi, oui, RawMessage(buf[p:end]), b"", None, None)
    mdef = _KEYS.get((mmv, mmtype, oui))
    if mdef is None:
        if mmtype < 0x8000 and not is_known(mmtype) or mmtype >= 0xC000:
            at = 14 + 4 * len(tags) + 1
            raise DecodeError(f"MMTYPE 0x{mmtype:04X} is not defined by HomePlug AV/GreenPHY", field="mmtype",
                              offset=at, header=PartialHeader(dst, src, tags, ETHERTYPE_HOMEPLUG_AV, mmv, mmtype,
                                                              fmi, oui))
        return Frame(dst, src, tags, mmv, mmtype, fmi, oui, RawMessage(buf[p:end]), b"", None, anomaly)
    rec = mdef.layout
    try:
        msg, q = rec.decode(buf, p, end)
        return Frame(dst, src, tags, mmv, mmtype, fmi, oui, msg, buf[q:end], None, anomaly)
    except Short:
        msg, q, missing = decode_partial(rec, buf, p, end)
        why = f"{mdef.name} ends after {end - p} bytes of MMENTRY; missing: {', '.join(missing)}"
        return Frame(dst, src, tags, mmv, mmtype, fmi, oui, msg, buf[q:end], why, anomaly)


# ----------------------------------------------------------------------------- frame encode

_H0 = struct.Struct("<6s6s2sBH")
_H1 = struct.Struct("<6s6s2sBHBB")
_ET = b"\x88\xe1"


def _tag_bytes(tags: Any) -> bytes:
    if tags is None or tags == ():
        return b""
    if isinstance(tags, int):  # the pre-QinQ spelling: one 802.1Q TCI
        return _TAG.pack(ETHERTYPE_VLAN, tags)
    return b"".join(_TAG.pack(tpid, tci) for tpid, tci in tags)


# message class -> its layout's generated encoder (filled from the registry on first use)
_BODY_ENCODERS: dict[type, Callable[[Any], bytes]] = {}


def encode_frame(frame: Frame) -> bytes:
    """Encode a frame; exact inverse of :func:`decode_frame` for every frame it returns."""
    dst, src, tags, mmv, mmtype, fmi, oui, msg, trailing, truncated = frame[:10]
    try:
        if mmv == 0:
            base = _H0.pack(dst, src, _ET, mmv, mmtype)
        else:
            fmi = fmi or 0
            base = _H1.pack(dst, src, _ET, mmv, mmtype, fmi >> 8, fmi & 0xFF)
        hdr = base[:12] + _tag_bytes(tags) + base[12:] if tags else base
    except struct.error as exc:
        raise EncodeError(f"bad header value: {exc}") from exc
    cls = type(msg)
    if cls is RawMessage:
        body = msg.body
    else:
        enc = _BODY_ENCODERS.get(cls) if truncated is None else None
        try:
            if enc is not None:
                body = enc(msg)
            else:
                mdef = definition_of(msg)
                if truncated is None:
                    body = _BODY_ENCODERS.setdefault(cls, mdef.layout.encode)(msg)
                else:
                    body = encode_partial(mdef.layout, msg)
        except (struct.error, TypeError) as exc:
            raise EncodeError(f"{definition_of(msg).name}: {exc}") from exc
    out = hdr + oui + body if oui is not None else hdr + body
    if trailing is None:
        if len(out) < MIN_FRAME:
            out += bytes(MIN_FRAME - len(out))
        return out
    return out + trailing


def vlan_tags_of(vlan: int | VlanTag | tuple[Any, ...] | None) -> tuple[VlanTag, ...]:
    """Normalise a VLAN argument: None, one 802.1Q TCI, one tag, or a sequence of (tpid, tci) tags."""
    if vlan is None:
        return ()
    if isinstance(vlan, int):
        return (VlanTag(ETHERTYPE_VLAN, vlan),)
    if isinstance(vlan, VlanTag):
        return (vlan,)
    tags = tuple(VlanTag(int(t[0]), int(t[1])) for t in vlan)
    for t in tags:
        if t.tpid not in VLAN_TPIDS or not 0 <= t.tci <= 0xFFFF:
            raise ValueError(f"not a VLAN tag: {t}")
    return tags


def make_frame(
    dst: bytes | str,
    src: bytes | str,
    message: Any,
    *,
    mmv: int | None = None,
    fmi: int = 0,
    oui: bytes | None = None,
    vlan: int | VlanTag | tuple[Any, ...] | None = None,
    mmtype: int | None = None,
) -> Frame:
    """Build a new frame for ``message`` with the header its declaration implies.

    ``vlan`` is one 802.1Q TCI (``vlan=0x2005``) or a sequence of ``(tpid, tci)`` tags, outermost
    first (``vlan=[(0x88A8, 100), (0x8100, 5)]``).
    """
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
    return Frame(mac_bytes(dst), mac_bytes(src), vlan_tags_of(vlan), use_mmv, mmtype, (fmi if use_mmv else None),
                 use_oui, message, None, None, None)


def encode(dst: bytes | str, src: bytes | str, message: Any, **kw: Any) -> bytes:
    """Shortcut: ``encode_frame(make_frame(dst, src, message, **kw))``."""
    return encode_frame(make_frame(dst, src, message, **kw))
