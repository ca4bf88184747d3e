"""What a capture discloses about keys: NIDs, clear-text keys, and decryptable CM_ENCRYPTED_PAYLOADs.

:func:`scan_records` works on decoded records (one pass, no I/O); :func:`scan_capture` is its file
adapter, reading the capture with :mod:`plcstack.capture`. The encrypted payloads are kept and then
decrypted with the given keys and every key the capture discloses (CM_SET_KEY.REQ, CM_SLAC_MATCH.CNF,
CM_GET_KEY.CNF, VS_SET_KEY.REQ) -- repeatedly, because a decrypted payload can disclose the key of
another one (e.g. a NEK in CM_GET_KEY.CNF, an NMK in a DAK-wrapped CM_SET_KEY.REQ).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from plcstack.codec import DecodeError, Frame
from plcstack.codec.codes import KeyType, Peks
from plcstack.keys.derive import (
    dak_from_password,
    mac_default_password,
    nid_from_nmk,
    nid_matches_nmk,
    nid_without_level,
    nmk_from_password,
)
from plcstack.keys.errors import AuthenticationError, PayloadFormatError
from plcstack.keys.protocol import disclosed_keys, unwrap_bytes
from plcstack.keys.secret import Secret


@dataclass(frozen=True)
class CandidateKey:
    """A key to try on encrypted payloads; ``key_type`` None means "try it for any PEKS"."""

    key: Secret
    key_type: KeyType | None
    source: str  # e.g. "--nmk", "NMK from frame 20 (CM_SLAC_MATCH.CNF)"


@dataclass(frozen=True)
class NidSighting:
    nid: bytes
    frame: int
    message: str
    src: bytes
    inside_payload: bool = False


@dataclass(frozen=True)
class KeyDisclosure:
    frame: int
    time: float
    message: str
    src: bytes
    dst: bytes
    key_type: KeyType
    key: Secret
    nid: bytes | None
    eks: int | None
    inside_payload: bool = False

    @property
    def nid_matches_key(self) -> bool | None:
        """For an NMK sent with a NID: does the NID belong to the NMK? (None: not applicable)."""
        if self.key_type != KeyType.NMK or self.nid is None or not any(self.nid):
            return None
        return nid_matches_nmk(self.nid, self.key)

    @property
    def default_password(self) -> str | None:
        """The factory-default password this NMK or DAK derives from, if any."""
        if self.key_type == KeyType.NMK:
            return default_nmks().get(self.key.reveal())
        if self.key_type == KeyType.DAK:
            return default_daks().get(self.key.reveal())
        return None


@dataclass
class PayloadResult:
    """One CM_ENCRYPTED_PAYLOAD.IND and what became of it."""

    frame: int
    time: float
    outer: Frame
    inner: Frame | None = field(default=None, repr=False)  # decrypted content may carry keys
    key_source: str | None = None
    error: str | None = None


@dataclass
class CaptureKeys:
    nids: list[NidSighting] = field(default_factory=list)
    keys: list[KeyDisclosure] = field(default_factory=list)
    payloads: list[PayloadResult] = field(default_factory=list)
    decode_errors: int = 0

    def nid_frames(self) -> dict[bytes, list[NidSighting]]:
        out: dict[bytes, list[NidSighting]] = {}
        for s in self.nids:
            out.setdefault(s.nid, []).append(s)
        return out


@cache
def default_nmks() -> dict[bytes, str]:
    from plcstack.keys.wordlist import DEFAULT_PASSWORDS

    return {nmk_from_password(p): p for p in DEFAULT_PASSWORDS}


@cache
def default_daks() -> dict[bytes, str]:
    from plcstack.keys.wordlist import DEFAULT_PASSWORDS

    return {dak_from_password(p): p for p in DEFAULT_PASSWORDS}


@cache
def _default_nid_cores() -> dict[bytes, str]:
    return {nid_without_level(nid_from_nmk(k)): p for k, p in default_nmks().items()}


def default_password_of_nid(nid: bytes) -> str | None:
    """The factory-default password whose NID (any security level) this is, if any."""
    return _default_nid_cores().get(nid_without_level(nid))


def _walk_nids(message: Any) -> Iterator[bytes]:
    """Every non-zero 7-byte ``nid`` field of a message, including inside arrays (network lists)."""
    fields = getattr(message, "_fields", None)
    if fields is None:
        return
    for name, value in zip(fields, message, strict=True):
        if name == "nid" and isinstance(value, bytes) and len(value) == 7 and any(value):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from _walk_nids(item)


def _inspect(result: CaptureKeys, frame: Frame, index: int, time: float, where: str, inside: bool) -> list[
        KeyDisclosure]:
    name = frame.name + where
    for nid in _walk_nids(frame.message):
        result.nids.append(NidSighting(nid, index, name, frame.src, inside))
    found = [
        KeyDisclosure(index, time, name, frame.src, frame.dst, d.key_type, d.key, d.nid, d.eks, inside)
        for d in disclosed_keys(frame.message)
    ]
    result.keys.extend(found)
    return found


def _peks_key_type(peks: int) -> KeyType | None:
    if peks == Peks.DAK:
        return KeyType.DAK
    if peks == Peks.NMK:
        return KeyType.NMK
    if 0x02 <= peks <= 0x0E:
        return KeyType.TEK
    return None


class DecodedRecord(Protocol):
    """What :func:`scan_records` reads of a decoded capture record (:class:`plcstack.capture.Record`)."""

    @property
    def index(self) -> int: ...
    @property
    def time(self) -> float: ...
    @property
    def frame(self) -> Frame | None: ...
    @property
    def reassembled(self) -> Frame | None: ...
    @property
    def error(self) -> Any: ...


def scan_capture(path: str | os.PathLike[str], keys: Sequence[CandidateKey] = (), *,
                 decrypt: bool = True, use_disclosed: bool = True) -> CaptureKeys:
    """:func:`scan_records` over the frames of a pcap / pcapng file."""
    from plcstack.capture import iter_decoded

    return scan_records(iter_decoded(path), keys, decrypt=decrypt, use_disclosed=use_disclosed)


def scan_records(records: Iterable[DecodedRecord], keys: Sequence[CandidateKey] = (), *,
                 decrypt: bool = True, use_disclosed: bool = True) -> CaptureKeys:
    """Collect NIDs and clear-text keys of decoded records; decrypt every CM_ENCRYPTED_PAYLOAD.IND.

    ``keys`` are tried first; with ``use_disclosed`` every key the capture discloses is tried too, and
    for DAK-encrypted payloads the DAK of the destination's MAC-derived default password (mac2pw -m).
    """
    result = CaptureKeys()
    candidates: list[CandidateKey] = list(keys)

    def learn(found: Iterable[KeyDisclosure]) -> None:
        if use_disclosed:
            _learn(candidates, found)

    for rec in records:
        frame = rec.reassembled or rec.frame
        if frame is None:
            result.decode_errors += rec.error is not None
            continue
        learn(_inspect(result, frame, rec.index, rec.time, "", False))
        if frame.name == "CM_ENCRYPTED_PAYLOAD.IND":
            result.payloads.append(PayloadResult(rec.index, rec.time, frame))
    if decrypt:
        _decrypt_all(result, candidates, learn, mac_defaults=use_disclosed)
    return result


def _learn(candidates: list[CandidateKey], found: Iterable[KeyDisclosure]) -> None:
    """Add the disclosed keys not yet among the candidates."""
    for d in found:
        if not any(c.key == d.key for c in candidates):
            candidates.append(CandidateKey(d.key, d.key_type, f"{d.key_type.name} from frame {d.frame} ({d.message})"))


def _decrypt_all(result: CaptureKeys, candidates: list[CandidateKey],
                 learn: Callable[[Iterable[KeyDisclosure]], None], mac_defaults: bool) -> None:
    """Open what the candidates open, again and again: a decrypted payload may disclose the key of another."""
    progress = True
    while progress:
        progress = False
        for p in result.payloads:
            if p.inner is None and _try_decrypt(p, candidates, mac_defaults=mac_defaults):
                progress = True
                assert p.inner is not None
                learn(_inspect(result, p.inner, p.frame, p.time, f" in CM_ENCRYPTED_PAYLOAD.IND #{p.frame}", True))


def _try_decrypt(p: PayloadResult, candidates: Sequence[CandidateKey], mac_defaults: bool = True) -> bool:
    msg = p.outer.message
    if msg.peks == Peks.NO_KEY:
        ordered: list[CandidateKey | None] = [None]
    else:
        wanted = _peks_key_type(msg.peks)
        typed = [c for c in candidates if c.key_type is None or c.key_type == wanted]
        if wanted == KeyType.DAK and mac_defaults:  # the destination's DAK may come from its MAC-derived default password
            mac = p.outer.dst.hex(":")
            typed.append(CandidateKey(Secret(dak_from_password(mac_default_password(p.outer.dst))), KeyType.DAK,
                                      f"DAK of the MAC-derived default password of {mac} (mac2pw -m)"))
        ordered = [*typed, *(c for c in candidates if c not in typed)]
    if not ordered:
        p.error = f"no key known for PEKS 0x{msg.peks:02X} ({_peks_name(msg.peks)})"
        return False
    last_error = "no key authenticates it"
    for cand in ordered:
        try:
            inner_bytes = unwrap_bytes(msg, None if cand is None else cand.key)
        except AuthenticationError:
            continue
        except PayloadFormatError as exc:
            p.error = str(exc)
            return False
        from plcstack.codec import decode_frame

        try:
            p.inner = decode_frame(inner_bytes)
        except DecodeError as exc:
            last_error = f"decrypted (CRC ok) but the inner frame does not decode: {exc}"
            break
        p.key_source = "clear (PEKS 0x0F)" if cand is None else cand.source
        p.error = None
        return True
    tried = len([c for c in ordered if c is not None])
    p.error = f"{last_error} (tried {tried} key{'s' if tried != 1 else ''}; PEKS {_peks_name(msg.peks)})"
    return False


def _peks_name(peks: int) -> str:
    try:
        return Peks(peks).name
    except ValueError:
        return f"0x{peks:02X}"
