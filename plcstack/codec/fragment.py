"""MME fragmentation (FMI) and bounded reassembly.

FMI is two octets after MMTYPE when MMV >= 1.  The HomePlug AV 1.1 / GreenPHY table puts
``NF_MI << 4 | FN_MI`` in the first octet and FMSN in the second ("spec" order); open-plc-utils
names them the other way round (FMSN first, then ``NF_MI << 4 | FN_MI``; its ``mme/fmi.hex``
fixture).  The reassembler accepts both and records which one it saw.  Fragments are grouped by
(ODA, OSA, MMV, MMTYPE, FMSN) (HomePlug AV 1.1 §11.1.7, as Vertexcom libhpav does); continuation
fragments carry raw MMENTRY bytes only, the vendor OUI sits at the start of the first fragment.

Memory is bounded: at most ``max_pending`` messages and ``max_bytes`` buffered bytes; anything
older than ``timeout_s`` is dropped (and counted).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from enum import Enum

from plcstack.codec.errors import ReassemblyError
from plcstack.codec.frame import Frame, decode_frame, encode_frame

SPEC = "spec"
OPEN_PLC_UTILS = "open-plc-utils"
MAX_ETHER_PAYLOAD = 1500


class PushResult(Enum):
    NOT_FRAGMENT = "not-fragment"
    FRAGMENT = "fragment"  # held, waiting for the rest
    COMPLETE = "complete"
    DROPPED = "dropped"


@dataclass
class _Pending:
    convention: str
    nf: int
    first_t: float
    header: bytes  # Ethernet header through MMTYPE of the first fragment seen
    parts: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


def _fmi_candidates(a: int, b: int) -> list[tuple[str, int, int, int]]:
    """Readings (convention, nf, fn, fmsn) of FMI octets (a, b) that describe a fragment."""
    out = []
    if a >> 4 and (a & 0x0F) <= (a >> 4):
        out.append((SPEC, a >> 4, a & 0x0F, b))
    if b >> 4 and (b & 0x0F) <= (b >> 4):
        out.append((OPEN_PLC_UTILS, b >> 4, b & 0x0F, a))
    return out


class Reassembler:
    """Feed frames (raw bytes) in arrival order; get whole messages back."""

    def __init__(self, timeout_s: float = 2.0, max_bytes: int = 1 << 20, max_pending: int = 256) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple[bytes, bytes, int, int, int, str], _Pending] = OrderedDict()
        self._bytes = 0
        self.convention_seen: str | None = None
        self.completed = 0
        self.dropped = 0

    @property
    def buffered_bytes(self) -> int:
        return self._bytes

    def push(self, data: bytes, t: float = 0.0, offset: int = 0, end: int | None = None
             ) -> tuple[PushResult, Frame | None]:
        """Offer one frame.  Returns (result, reassembled frame when COMPLETE)."""
        if end is None:
            end = len(data)
        self._expire(t)
        p = offset + 12
        if data[p:p + 2] == b"\x81\x00":
            p += 4
        if end - p < 7 or data[p:p + 2] != b"\x88\xe1" or data[p + 2] == 0:
            return PushResult.NOT_FRAGMENT, None
        mmv, mmtype = data[p + 2], data[p + 3] | data[p + 4] << 8
        a, b = data[p + 5], data[p + 6]
        cands = _fmi_candidates(a, b)
        if not cands:
            return PushResult.NOT_FRAGMENT, None
        dst, src = bytes(data[offset:offset + 6]), bytes(data[offset + 6:offset + 12])
        # prefer a reading that continues a message already in progress, then the spec order
        chosen = None
        for conv, nf, fn, fmsn in cands:
            key = (dst, src, mmv, mmtype, fmsn, conv)
            if key in self._pending and self._pending[key].nf == nf:
                chosen = (conv, nf, fn, fmsn)
                break
        if chosen is None:
            chosen = next((c for c in cands if c[2] == 0), cands[0])
        conv, nf, fn, fmsn = chosen
        key = (dst, src, mmv, mmtype, fmsn, conv)
        payload = bytes(data[p + 7:end])
        pend = self._pending.get(key)
        if pend is None:
            if len(self._pending) >= self.max_pending:
                self._evict_oldest()
            pend = _Pending(conv, nf, t, bytes(data[offset:p + 5]))
            self._pending[key] = pend
        if pend.nf != nf or fn in pend.parts:
            # inconsistent or duplicated: restart this message from this fragment
            self._drop(key)
            pend = _Pending(conv, nf, t, bytes(data[offset:p + 5]))
            self._pending[key] = pend
        if self._bytes + len(payload) > self.max_bytes:
            self._drop(key)
            self.dropped += 1
            return PushResult.DROPPED, None
        pend.parts[fn] = payload
        pend.size += len(payload)
        self._bytes += len(payload)
        if len(pend.parts) < nf + 1:
            return PushResult.FRAGMENT, None
        body = b"".join(pend.parts[i] for i in range(nf + 1))
        header = pend.header
        self._drop(key)
        self.completed += 1
        self.convention_seen = conv
        whole = header + bytes((0, fmsn)) + body  # FMI of a whole message: NF = FN = 0
        return PushResult.COMPLETE, decode_frame(whole)

    def _drop(self, key: tuple[bytes, bytes, int, int, int, str]) -> None:
        pend = self._pending.pop(key, None)
        if pend is not None:
            self._bytes -= pend.size

    def _evict_oldest(self) -> None:
        key = next(iter(self._pending))
        self._drop(key)
        self.dropped += 1

    def _expire(self, now: float) -> None:
        while self._pending:
            key, pend = next(iter(self._pending.items()))
            if now - pend.first_t <= self.timeout_s:
                break
            self._drop(key)
            self.dropped += 1


def fragment(frame: Frame, fmsn: int = 0, max_payload: int = MAX_ETHER_PAYLOAD - 5,
             convention: str = SPEC) -> list[bytes]:
    """Split a frame whose MMENTRY exceeds ``max_payload`` into wire fragments.

    Each fragment repeats the Ethernet + MME header; the first carries the vendor OUI at the start
    of its payload.  Returns one frame (unchanged but for FMSN) when no split is needed.
    """
    if frame.mmv == 0:
        raise ReassemblyError("MMV 0 messages have no FMI and cannot be fragmented")
    whole = encode_frame(frame._replace(fmi=fmsn, trailing=frame.trailing or b""))
    hlen = 12 + (4 if frame.vlan is not None else 0) + 2 + 5
    header, body = whole[:hlen - 2], whole[hlen:]
    chunks = [body[i:i + max_payload] for i in range(0, len(body), max_payload)] or [b""]
    if len(chunks) > 16:
        raise ReassemblyError(f"{len(chunks)} fragments needed; FMI allows 16")
    nf = len(chunks) - 1
    out = []
    for fn, chunk in enumerate(chunks):
        nibbles = (nf << 4) | fn
        fmi = bytes((nibbles, fmsn)) if convention == SPEC else bytes((fmsn, nibbles))
        wire = header + fmi + chunk
        if len(wire) < 60:
            wire += bytes(60 - len(wire))
        out.append(wire)
    return out
