"""MME fragmentation (FMI) and strict, bounded reassembly.

FMI is two octets after MMTYPE when MMV >= 1.  The HomePlug AV 1.1 / GreenPHY table puts
``NF_MI << 4 | FN_MI`` in the first octet and FMSN in the second ("spec" order); open-plc-utils
names them the other way round (FMSN first; its ``mme/fmi.hex`` fixture).  Rules
(``docs/codec-fragments.md``):

* a frame is a fragment only when its FMI is plausible (:func:`plcstack.codec.frame.fmi_anomaly`):
  a non-last fragment fills its frame, a 60-byte frame is never one;
* the spec reading is tried first; the open-plc-utils reading only when the spec reading is not a
  fragment, and only a full first fragment can start such a sequence;
* fragments join only into a consistent sequence: same ODA, OSA, MMV, MMTYPE and FMSN (HomePlug AV
  1.1 §11.1.7, as Vertexcom libhpav keys it), same fragment count, each fragment number 0..N once,
  all within ``timeout_s`` of the first; fragments are expected in order, and one may arrive before
  the ones it follows only when it fills its frame (a short one cannot be told from a whole message
  with a misread FMI);
* memory is bounded (``max_pending`` sequences, ``max_bytes`` buffered); every sequence that does not
  complete is reported as an :class:`Incomplete` (``incomplete``, :meth:`Reassembler.pop_incomplete`,
  :meth:`Reassembler.finish` at the end of the input, :meth:`Reassembler.stats`).

Headers are read by :func:`plcstack.codec.frame.decode_header`, so an invalid MMV is a
:class:`~plcstack.codec.errors.DecodeError` here too (``push`` returns ``INVALID`` and keeps it in
``last_error``).
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from plcstack.codec.errors import DecodeError, ReassemblyError
from plcstack.codec.frame import (
    MIN_FRAME,
    MIN_NONLAST_FRAGMENT,
    Frame,
    decode_ethernet,
    decode_frame,
    decode_header,
    encode_frame,
    fmi_anomaly,
)
from plcstack.codec.mac import format_mac

SPEC = "spec"
OPEN_PLC_UTILS = "open-plc-utils"
MAX_ETHER_PAYLOAD = 1500


class PushResult(Enum):
    NOT_FRAGMENT = "not-fragment"  # a whole message: decode it as it is
    FRAGMENT = "fragment"  # held, waiting for the rest
    COMPLETE = "complete"  # this fragment completed a message (returned beside)
    DROPPED = "dropped"  # a fragment over the memory bound: its sequence is abandoned
    ORPHAN = "orphan"  # a continuation fragment with no sequence to continue (reported)
    INVALID = "invalid"  # not a valid HomePlug AV header (``Reassembler.last_error``)


@dataclass(frozen=True)
class Incomplete:
    """A fragment sequence that did not complete, and why."""

    dst: bytes
    src: bytes
    mmv: int
    mmtype: int
    fmsn: int
    convention: str
    fragments: int  # NF_MI + 1: how many the sequence announced
    received: tuple[int, ...]  # fragment numbers received, in order
    first_time: float
    last_time: float
    reason: str  # "timeout", "end of input", "inconsistent: ...", "orphan: ...", "evicted", "memory bound"
    frames: tuple[int, ...] = ()  # capture frame numbers, when the caller gave them

    def summary(self) -> str:
        got = ",".join(str(i + 1) for i in self.received) or "none"
        where = f" (frames {', '.join(map(str, self.frames))})" if self.frames else ""
        return (f"incomplete MME 0x{self.mmtype:04X} FMSN {self.fmsn} {format_mac(self.src)} -> "
                f"{format_mac(self.dst)}: got fragments {got} of {self.fragments} ({self.convention} order)"
                f"{where}: {self.reason}")

    def to_json(self) -> dict[str, Any]:
        return {"dst": format_mac(self.dst), "src": format_mac(self.src), "mmv": self.mmv,
                "mmtype": self.mmtype, "fmsn": self.fmsn, "convention": self.convention,
                "fragments": self.fragments, "received": [i + 1 for i in self.received],
                "first_time": self.first_time, "last_time": self.last_time, "reason": self.reason,
                "frames": list(self.frames)}


_Key = tuple[bytes, bytes, int, int, int, str]


@dataclass
class _Pending:
    nf: int
    first_t: float
    last_t: float
    header: bytes  # Ethernet header (tags included) through MMTYPE of fragment 0 (b"" until it arrives)
    parts: dict[int, bytes] = field(default_factory=dict)
    frames: list[int] = field(default_factory=list)
    size: int = 0


def _readings(a: int, b: int) -> list[tuple[str, int, int, int]]:
    """(convention, nf, fn, fmsn) of FMI octets (a, b) that announce a fragment, spec order first."""
    out = []
    if a >> 4:
        out.append((SPEC, a >> 4, a & 0x0F, b))
    if b >> 4:
        out.append((OPEN_PLC_UTILS, b >> 4, b & 0x0F, a))
    return out


class Reassembler:
    """Feed frames (raw bytes) in arrival order; get whole messages back; incomplete ones reported."""

    def __init__(self, timeout_s: float = 2.0, max_bytes: int = 1 << 20, max_pending: int = 256,
                 max_reports: int = 1000) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_pending = max_pending
        self._pending: OrderedDict[_Key, _Pending] = OrderedDict()
        self._bytes = 0
        self.convention_seen: str | None = None
        self.completed = 0
        self.fragments = 0
        self.dropped = 0  # sequences abandoned (every one is also reported as Incomplete)
        self.reasons: Counter[str] = Counter()
        self.incomplete: deque[Incomplete] = deque(maxlen=max_reports)
        self._new: deque[Incomplete] = deque(maxlen=max_reports)
        self.last_error: DecodeError | None = None
        #: how the last frame taken as a fragment was read: (convention, NF_MI, FN_MI, FMSN)
        self.last_reading: tuple[str, int, int, int] | None = None

    @property
    def buffered_bytes(self) -> int:
        return self._bytes

    @property
    def pending(self) -> int:
        return len(self._pending)

    def push(self, data: bytes | bytearray | memoryview, t: float = 0.0, offset: int = 0, end: int | None = None,
             *, index: int | None = None) -> tuple[PushResult, Frame | None]:
        """Offer one frame (``index``: its frame number, kept in reports).

        Returns (result, the reassembled frame when ``COMPLETE``, else None).
        """
        if end is None:
            end = len(data)
        self._expire(t)
        try:
            h = decode_header(data, offset, end)
            dst, src, mmv, mmtype, fmi = h.dst, h.src, h.mmv, h.mmtype, h.fmi
            p = offset + 14 + 4 * len(h.vlan_tags)  # MMV
        except DecodeError as exc:
            if exc.field != "oui":
                self.last_error = exc
                return PushResult.INVALID, None
            # no OUI where the spec reading of FMI wants one: maybe a continuation in the other order
            eth = decode_ethernet(data, offset, end)
            dst, src, p = eth.dst, eth.src, eth.payload_offset
            if end - p < 5 or data[p] not in (1, 2):  # no FMI to read: not a continuation either
                self.last_error = exc
                return PushResult.INVALID, None
            mmv, mmtype, fmi = data[p], data[p + 1] | data[p + 2] << 8, data[p + 3] << 8 | data[p + 4]
        if not fmi:
            return PushResult.NOT_FRAGMENT, None
        a, b = data[p + 3], data[p + 4]
        payload_len, frame_len = end - p, end - offset
        full = payload_len >= MIN_NONLAST_FRAGMENT
        for conv, nf, fn, fmsn in _readings(a, b):
            key = (dst, src, mmv, mmtype, fmsn, conv)
            pend = self._pending.get(key)
            if fmi_anomaly(nf, fn, payload_len, frame_len) is not None:
                # a last fragment short enough to be padded to 60 bytes is believed only as the one
                # piece a consistent sequence still misses
                if not (fn == nf and frame_len <= MIN_FRAME and pend is not None and pend.nf == nf
                        and len(pend.parts) == nf and fn not in pend.parts):
                    continue
            if conv == OPEN_PLC_UTILS and fn > 0 and pend is None and not full:
                continue  # the open-plc-utils reading of FMSN octets: only within a sequence it started
            self.fragments += 1
            self.last_reading = (conv, nf, fn, fmsn)
            one = (index,) if index is not None else ()
            if pend is not None and (pend.nf != nf or fn in pend.parts):
                why = (f"fragment {fn + 1} again" if pend.nf == nf
                       else f"fragment {fn + 1} of {nf + 1} in a sequence of {pend.nf + 1}")
                self._abandon(key, f"inconsistent: {why}")
                pend = None
            if pend is None:
                if fn > 0 and not full:
                    # a short continuation with nothing to continue: it cannot start a sequence
                    self._report(key, nf, (fn,), t, t, f"orphan: fragment {fn + 1} of {nf + 1} without "
                                 "the fragments before it", one)
                    return PushResult.ORPHAN, None
                pend = self._start(key, nf, t)
            if fn == 0:
                pend.header = bytes(data[offset:p + 3])
            return self._add(key, pend, fn, bytes(data[p + 5:end]), t, index)
        return PushResult.NOT_FRAGMENT, None

    def _start(self, key: _Key, nf: int, t: float) -> _Pending:
        if len(self._pending) >= self.max_pending:
            self._abandon(next(iter(self._pending)), "evicted: too many sequences pending")
        pend = _Pending(nf, t, t, b"")
        self._pending[key] = pend
        return pend

    def _add(self, key: _Key, pend: _Pending, fn: int, payload: bytes, t: float, index: int | None
             ) -> tuple[PushResult, Frame | None]:
        if self._bytes + len(payload) > self.max_bytes:
            self._abandon(key, f"memory bound: more than {self.max_bytes} bytes buffered")
            return PushResult.DROPPED, None
        pend.parts[fn] = payload
        pend.size += len(payload)
        pend.last_t = t
        if index is not None:
            pend.frames.append(index)
        self._bytes += len(payload)
        if len(pend.parts) < pend.nf + 1:
            return PushResult.FRAGMENT, None
        body = b"".join(pend.parts[i] for i in range(pend.nf + 1))
        header = pend.header
        self._drop(key)
        self.completed += 1
        self.convention_seen = key[5]
        whole = header + bytes((0, key[4])) + body  # FMI of a whole message: NF = FN = 0, same FMSN
        return PushResult.COMPLETE, decode_frame(whole)

    def finish(self) -> list[Incomplete]:
        """End of input: every pending sequence is reported incomplete; returns those reports."""
        out = []
        for key in list(self._pending):
            out.append(self._abandon(key, "end of input"))
        return out

    def pop_incomplete(self) -> list[Incomplete]:
        """Reports made since the last call (for printing them as they happen)."""
        out = list(self._new)
        self._new.clear()
        return out

    def stats(self) -> dict[str, Any]:
        """JSON-friendly counters."""
        return {"fragments": self.fragments, "reassembled": self.completed, "incomplete": sum(self.reasons.values()),
                "incomplete_by_reason": dict(sorted(self.reasons.items())), "pending": len(self._pending),
                "buffered_bytes": self._bytes, "convention": self.convention_seen}

    # ------------------------------------------------------------------ internals

    def _report(self, key: _Key, nf: int, received: tuple[int, ...], first: float, last: float, reason: str,
                frames: tuple[int, ...]) -> Incomplete:
        dst, src, mmv, mmtype, fmsn, conv = key
        rep = Incomplete(dst, src, mmv, mmtype, fmsn, conv, nf + 1, received, first, last, reason, frames)
        self.incomplete.append(rep)
        self._new.append(rep)
        self.reasons[reason.split(":", 1)[0]] += 1
        return rep

    def _abandon(self, key: _Key, reason: str) -> Incomplete:
        pend = self._pending[key]
        self._drop(key)
        self.dropped += 1
        return self._report(key, pend.nf, tuple(sorted(pend.parts)), pend.first_t, pend.last_t, reason,
                            tuple(pend.frames))

    def _drop(self, key: _Key) -> None:
        pend = self._pending.pop(key, None)
        if pend is not None:
            self._bytes -= pend.size

    def _expire(self, now: float) -> None:
        while self._pending:
            key, pend = next(iter(self._pending.items()))
            if now - pend.first_t <= self.timeout_s:
                break
            self._abandon(key, f"timeout: not complete within {self.timeout_s:g} s")


def fragment(frame: Frame, fmsn: int = 0, max_payload: int = MAX_ETHER_PAYLOAD - 5,
             convention: str = SPEC) -> list[bytes]:
    """Split a frame whose MMENTRY exceeds ``max_payload`` into wire fragments.

    Each fragment repeats the Ethernet + MME header; the first carries the vendor OUI at the start
    of its payload.  Returns one frame (unchanged but for FMSN) when no split is needed.
    """
    if frame.mmv == 0:
        raise ReassemblyError("MMV 0 messages have no FMI and cannot be fragmented")
    whole = encode_frame(frame._replace(fmi=fmsn, trailing=frame.trailing or b""))
    hlen = 12 + 4 * len(frame.vlan_tags) + 2 + 5
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
