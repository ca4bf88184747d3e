"""CM_SET_KEY, CM_GET_KEY and CM_ENCRYPTED_PAYLOAD on top of the codec's message tuples.

A thin layer: the byte-level crypto is :mod:`plcstack.keys.payload`; message layouts are
:mod:`plcstack.codec.messages`. Builders fill nonces, PID/PRN/PMN and key fields with the values real
stacks use (``docs/keys.md``); readers pull disclosed keys out of received messages.

Nothing here picks random numbers: a builder that needs a fresh nonce or PRN takes
``random_bytes`` (:mod:`plcstack.keys.rng`) unless the value itself is given, so a seeded emulator
and a real station build the same messages through the same code.

>>> from plcstack.keys.protocol import slac_set_key_req
>>> req = slac_set_key_req(bytes.fromhex("B59319D7E8157BA001B018669CCEE30D"))
>>> req.nid.hex().upper(), req.my_nonce.hex()
('026BCBA5354E08', 'aaaaaaaa')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plcstack.codec import Frame, decode_frame, encode_frame, messages
from plcstack.codec.codes import GetKeyResult, KeyType, Peks, ProtocolId
from plcstack.keys.constants import EKS_NONE, NONCE_LEN, PMN_LAST
from plcstack.keys.derive import nid_from_nmk
from plcstack.keys.errors import KeyFormatError, KeysError
from plcstack.keys.payload import HEADER_LEN, PayloadHeader, seal, unwrap
from plcstack.keys.rng import RandomBytes, random_nonzero, random_u16
from plcstack.keys.secret import KeyLike, Secret, reveal

ZERO_NONCE = bytes(NONCE_LEN)
#: ISO 15118-3 / open-plc-utils / pyslac CM_SET_KEY.REQ MyNonce.
SLAC_NONCE = bytes.fromhex("AAAAAAAA")


class ProtocolError(KeysError):
    """A confirmation does not belong to the request (nonce, PID or PRN differ)."""


class MissingKeyError(KeysError):
    """No key is known for the PEKS a CM_ENCRYPTED_PAYLOAD names."""


def new_nonce(random_bytes: RandomBytes) -> bytes:
    """A fresh 4-byte nonce (never zero) from ``random_bytes``."""
    return random_nonzero(random_bytes, NONCE_LEN)


def new_prn(random_bytes: RandomBytes) -> int:
    """A fresh protocol run number 0..0xFFFF from ``random_bytes``."""
    return random_u16(random_bytes)


def _nonce(given: bytes | None, random_bytes: RandomBytes | None, what: str) -> bytes:
    if given is not None:
        return given
    if random_bytes is None:
        raise TypeError(f"{what}: give my_nonce or random_bytes (e.g. plcstack.keys.random_bytes)")
    return new_nonce(random_bytes)


@dataclass
class ProtocolRun:
    """PID / PRN / PMN bookkeeping of one protocol run: ``next_pmn()`` gives 1, 2, ... and 0xFF last."""

    pid: int
    prn: int
    pmn: int = 0

    @classmethod
    def start(cls, pid: int, random_bytes: RandomBytes) -> ProtocolRun:
        """A new run of protocol ``pid`` with a fresh PRN."""
        return cls(pid, new_prn(random_bytes))

    def next_pmn(self, last: bool = False) -> int:
        self.pmn = PMN_LAST if last else self.pmn + 1
        return self.pmn


# ------------------------------------------------------------------------------------- CM_SET_KEY


def set_key_req(
    key_type: int,
    key: KeyLike | None,
    *,
    nid: bytes,
    my_nonce: bytes | None = None,
    your_nonce: bytes = ZERO_NONCE,
    pid: int = ProtocolId.HLE,
    prn: int = 0,
    pmn: int = 0,
    cco_capability: int = 0,
    new_eks: int = 0x01,
    random_bytes: RandomBytes | None = None,
) -> Any:
    """CM_SET_KEY.REQ. ``key`` is the 16-byte new key (None only for ``KeyType.NONCE_ONLY``).

    ``my_nonce`` defaults to a fresh nonce from ``random_bytes``.
    """
    if len(nid) != 7:
        raise KeyFormatError(f"NID must be 7 bytes, got {len(nid)}")
    if key_type == KeyType.NONCE_ONLY:
        new_key: bytes | None = None
    else:
        if key is None:
            raise KeyFormatError(f"key type {KeyType(key_type).name} needs a key")
        new_key = reveal(key)
        if len(new_key) != 16:
            raise KeyFormatError(f"new key must be 16 bytes, got {len(new_key)}")
    return messages.CM_SET_KEY_REQ(
        key_type=int(key_type), my_nonce=_nonce(my_nonce, random_bytes, "set_key_req"), your_nonce=your_nonce,
        pid=int(pid), prn=prn, pmn=pmn, cco_capability=cco_capability, nid=nid, new_eks=new_eks, new_key=new_key,
    )


def slac_set_key_req(nmk: KeyLike, security_level: int = 0) -> Any:
    """The CM_SET_KEY.REQ every ISO 15118-3 SLAC host sends its local modem (``docs/keys.md`` section 2)."""
    return set_key_req(KeyType.NMK, nmk, nid=nid_from_nmk(nmk, security_level), my_nonce=SLAC_NONCE,
                       pid=ProtocolId.HLE, prn=0, pmn=0, new_eks=0x01)


def set_key_cnf(req: Any, result: int = 0, *, my_nonce: bytes | None = None, pmn: int = PMN_LAST,
                cco_capability: int = 0, random_bytes: RandomBytes | None = None) -> Any:
    """CM_SET_KEY.CNF answering ``req``: YourNonce echoes its MyNonce, PID/PRN echoed, PMN 0xFF.

    ``result`` 0 is success per HomePlug AV 1.1 / GreenPHY; Qualcomm firmware answers 1 on success.
    ``my_nonce`` defaults to a fresh nonce from ``random_bytes``.
    """
    return messages.CM_SET_KEY_CNF(
        result=result, my_nonce=_nonce(my_nonce, random_bytes, "set_key_cnf"), your_nonce=req.my_nonce,
        pid=req.pid, prn=req.prn, pmn=pmn, cco_capability=cco_capability,
    )


def check_set_key_cnf(req: Any, cnf: Any) -> None:
    """Raise :class:`ProtocolError` unless ``cnf`` answers ``req`` (YourNonce, PID and PRN)."""
    if cnf.your_nonce != req.my_nonce:
        raise ProtocolError("CM_SET_KEY.CNF YourNonce does not echo the request's MyNonce")
    if (cnf.pid, cnf.prn) != (req.pid, req.prn):
        raise ProtocolError(f"CM_SET_KEY.CNF PID/PRN {cnf.pid}/{cnf.prn} differ from {req.pid}/{req.prn}")


def set_key_succeeded(cnf: Any, qca_polarity: bool | None = None) -> bool:
    """Interpret CM_SET_KEY.CNF Result: spec 0 = success, Qualcomm 1 = success; None accepts both."""
    if qca_polarity is None:
        return cnf.result in (0, 1)
    return cnf.result == (1 if qca_polarity else 0)


# ------------------------------------------------------------------------------------- CM_GET_KEY


def get_key_req(
    requested_key_type: int,
    nid: bytes,
    *,
    my_nonce: bytes | None = None,
    pid: int = ProtocolId.AUTH_REQUEST,
    prn: int | None = None,
    pmn: int = 1,
    request_type: int = 0,
    hash_key: bytes | None = None,
    random_bytes: RandomBytes | None = None,
) -> Any:
    """CM_GET_KEY.REQ (request_type 0 = direct, 1 = relayed); ``hash_key`` only for KeyType.HASH_KEY.

    ``my_nonce`` and ``prn`` default to fresh values from ``random_bytes``.
    """
    if len(nid) != 7:
        raise KeyFormatError(f"NID must be 7 bytes, got {len(nid)}")
    if requested_key_type == KeyType.HASH_KEY and hash_key is None:
        raise KeyFormatError("requesting a hash key needs the hash_key field")
    if prn is None:
        if random_bytes is None:
            raise TypeError("get_key_req: give prn or random_bytes (e.g. plcstack.keys.random_bytes)")
        prn = new_prn(random_bytes)
    return messages.CM_GET_KEY_REQ(
        request_type=request_type, requested_key_type=int(requested_key_type), nid=nid,
        my_nonce=_nonce(my_nonce, random_bytes, "get_key_req"), pid=int(pid), prn=prn, pmn=pmn,
        hash_key=hash_key if requested_key_type == KeyType.HASH_KEY else None,
    )


def get_key_cnf(
    req: Any,
    key: KeyLike | None,
    *,
    eks: int = 0,
    result: int = GetKeyResult.GRANTED,
    my_nonce: bytes | None = None,
    nid: bytes | None = None,
    pmn: int = PMN_LAST,
    random_bytes: RandomBytes | None = None,
) -> Any:
    """CM_GET_KEY.CNF answering ``req``: the key (or nothing when refused), its EKS, nonces echoed.

    ``my_nonce`` defaults to a fresh nonce from ``random_bytes``.
    """
    granted = result == GetKeyResult.GRANTED and key is not None
    return messages.CM_GET_KEY_CNF(
        result=int(result), requested_key_type=req.requested_key_type,
        my_nonce=_nonce(my_nonce, random_bytes, "get_key_cnf"), your_nonce=req.my_nonce,
        nid=req.nid if nid is None else nid, eks=eks if granted else EKS_NONE, pid=req.pid, prn=req.prn,
        pmn=pmn, key=reveal(key) if granted and key is not None else b"",
    )


def check_get_key_cnf(req: Any, cnf: Any) -> None:
    """Raise :class:`ProtocolError` unless ``cnf`` answers ``req``."""
    if cnf.your_nonce != req.my_nonce:
        raise ProtocolError("CM_GET_KEY.CNF YourNonce does not echo the request's MyNonce")
    if (cnf.pid, cnf.prn) != (req.pid, req.prn):
        raise ProtocolError(f"CM_GET_KEY.CNF PID/PRN {cnf.pid}/{cnf.prn} differ from {req.pid}/{req.prn}")


# ------------------------------------------------------------------------------- disclosed keys


@dataclass(frozen=True)
class DisclosedKey:
    """A key a message carries in clear (or inside a decrypted payload)."""

    key_type: KeyType
    key: Secret
    nid: bytes | None  # the NID sent with it, if any
    eks: int | None = None
    source: str = ""  # message name


def disclosed_keys(message: Any) -> list[DisclosedKey]:
    """Keys carried by a CM_SET_KEY.REQ, CM_GET_KEY.CNF (granted), CM_SLAC_MATCH.CNF or VS_SET_KEY.REQ."""
    name = type(message).__name__
    out: list[DisclosedKey] = []

    def add(key_type: int, key: bytes | None, nid: bytes | None, eks: int | None = None) -> None:
        if key is None or len(key) < 16 or not any(key[:16]):
            return
        try:
            kt = KeyType(key_type)
        except ValueError:
            return
        nid = nid if nid is not None and any(nid) else None
        out.append(DisclosedKey(kt, Secret(key[:16]), nid, eks, name.replace("_REQ", ".REQ").replace(
            "_CNF", ".CNF")))

    if name == "CM_SET_KEY_REQ":
        add(message.key_type, message.new_key, message.nid, message.new_eks)
    elif name == "CM_GET_KEY_CNF":
        if message.result == GetKeyResult.GRANTED:
            add(message.requested_key_type, message.key, message.nid, message.eks)
    elif name == "CM_SLAC_MATCH_CNF":
        add(KeyType.NMK, message.nmk, message.nid)
    elif name == "VS_SET_KEY_REQ":
        add(KeyType.NMK, message.nmk, None, message.eks)
        add(KeyType.DAK, message.dak, None)
    return out


def disclosed_nid(message: Any) -> bytes | None:
    """The NID field of a message, if it has a meaningful (non-zero) one."""
    nid = getattr(message, "nid", None)
    if isinstance(nid, bytes) and len(nid) == 7 and any(nid):
        return nid
    return None


# ---------------------------------------------------------------------------- CM_ENCRYPTED_PAYLOAD


@dataclass(frozen=True)
class KeySet:
    """Keys a station holds, selected by PEKS: its DAK, the NMK, TEKs by index 0..12."""

    dak: Secret | None = None
    nmk: Secret | None = None
    teks: Mapping[int, Secret] = field(default_factory=dict)

    def for_peks(self, peks: int) -> Secret:
        if peks == Peks.DAK and self.dak is not None:
            return self.dak
        if peks == Peks.NMK and self.nmk is not None:
            return self.nmk
        if 0x02 <= peks <= 0x0E and (peks - 2) in self.teks:
            return self.teks[peks - 2]
        what = {0: "DAK", 1: "NMK"}.get(peks, f"TEK {peks - 2}" if 2 <= peks <= 14 else f"PEKS 0x{peks:02X}")
        raise MissingKeyError(f"no {what} known to decrypt this payload (PEKS 0x{peks:02X})")


def _inner_bytes(inner: Frame | bytes) -> bytes:
    if isinstance(inner, Frame):
        # the encapsulated MM is the whole Ethernet frame without padding
        return encode_frame(inner._replace(trailing=b"") if inner.trailing is None else inner)
    return bytes(inner)


def wrap(
    inner: Frame | bytes,
    key: KeyLike | None,
    *,
    peks: int = Peks.NMK,
    pid: int,
    prn: int,
    pmn: int,
    avln_status: int = 0,
    random_bytes: RandomBytes | None = None,
    iv: bytes | None = None,
    filler: bytes | None = None,
    padding: bytes | None = None,
) -> Any:
    """CM_ENCRYPTED_PAYLOAD.IND message carrying ``inner`` (a Frame or whole-frame bytes).

    IV, random filler and padding come from ``random_bytes`` unless given (see :func:`~plcstack.keys.payload.seal`).
    """
    mmentry = seal(_inner_bytes(inner), key, peks=peks, pid=pid, prn=prn, pmn=pmn, avln_status=avln_status,
                   random_bytes=random_bytes, iv=iv, filler=filler, padding=padding)
    header = PayloadHeader.unpack(mmentry)
    return messages.CM_ENCRYPTED_PAYLOAD_IND(
        peks=header.peks, avln_status=header.avln_status, pid=header.pid, prn=header.prn, pmn=header.pmn,
        iv=header.iv, length=header.length, encrypted=mmentry[HEADER_LEN:],
    )


def payload_mmentry(message: Any) -> bytes:
    """The MMENTRY bytes of a decoded CM_ENCRYPTED_PAYLOAD.IND message."""
    return PayloadHeader.of(message).pack() + bytes(message.encrypted)


def unwrap_bytes(message: Any, keys: KeySet | KeyLike | None) -> bytes:
    """Inner whole-frame bytes of a CM_ENCRYPTED_PAYLOAD.IND; raises AuthenticationError on a wrong key."""
    key: KeyLike | None
    if message.peks == Peks.NO_KEY:
        key = None
    elif isinstance(keys, KeySet):
        key = keys.for_peks(message.peks)
    else:
        key = keys
    return unwrap(payload_mmentry(message), key).inner


def unwrap_frame(message: Any, keys: KeySet | KeyLike | None) -> Frame:
    """Decrypt, authenticate and decode the inner frame of a CM_ENCRYPTED_PAYLOAD.IND message."""
    return decode_frame(unwrap_bytes(message, keys))
