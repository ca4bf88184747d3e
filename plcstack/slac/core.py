"""Plumbing shared by the EVSE and PEV machines: timers, output queues, frames, randomness.

The calling convention (h11 / aioquic style) of both machines::

    m.start(now)                      # begin (sends CM_SET_KEY.REQ to the local modem)
    m.receive(frame_bytes, now)       # every 0x88E1 frame the host's interface received
    m.handle_timeout(now)             # when now >= m.next_deadline()
    for frame in m.frames_to_send(): sock.send(frame)
    for event in m.events(): ...      # plcstack.slac.events

The machines never read a clock, a socket or ``os.urandom`` themselves: time is the ``now`` the
caller passes, randomness (NMK, RunID, sound RND) comes from the injected ``rng``.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from plcstack.codec import (
    LOCAL_MAC,
    DecodeError,
    EncodeError,
    Frame,
    RawMessage,
    decode_frame,
    encode,
    messages,
)
from plcstack.codec.codes import SetKeyResult
from plcstack.keys.constants import KeyType, ProtocolId
from plcstack.keys.protocol import SLAC_NONCE, set_key_req
from plcstack.slac.events import Ignored, SlacEvent
from plcstack.slac.timers import DEFAULT_TIMERS, SlacTimers

RandomBytes = Callable[[int], bytes]
#: Events kept for the application between two drains (older ones are dropped first).
MAX_EVENTS = 4096
#: Frames queued for sending between two drains.
MAX_OUTPUT = 4096
#: Both results a local modem may give for a successful CM_SET_KEY: SUCCESS (0) per HomePlug AV 1.1 /
#: Green PHY, FAILURE (1) is what Qualcomm firmware answers on success (codec.codes note on SetKeyResult).
SET_KEY_OK = frozenset({SetKeyResult.SUCCESS, SetKeyResult.FAILURE})
#: MVFLength of CM_SLAC_MATCH.REQ / .CNF (ISO 15118-3; EVerest libslac, open-plc-utils).
MATCH_REQ_MVF_LENGTH = 0x3E
MATCH_CNF_MVF_LENGTH = 0x56


def as_random_bytes(rng: Any) -> RandomBytes:
    """``None`` -> :func:`secrets.token_bytes`; a ``random.Random`` -> its ``randbytes``; a callable as is."""
    if rng is None:
        return secrets.token_bytes
    randbytes = getattr(rng, "randbytes", None)
    if callable(randbytes):
        return randbytes  # type: ignore[no-any-return]
    if callable(rng):
        return rng  # type: ignore[no-any-return]
    raise TypeError(f"rng must be None, a random.Random or a callable(n) -> bytes, not {type(rng).__name__}")


def message_key(frame: Frame) -> type:
    """The transition-table key of a received frame: its message class."""
    return type(frame.message)


class SlacMachine:
    """Base of :class:`~plcstack.slac.evse.EvseMachine` and :class:`~plcstack.slac.pev.PevMachine`."""

    role = "?"

    def __init__(self, mac: bytes, timers: SlacTimers | None, rng: Any, local_modem: bytes = LOCAL_MAC) -> None:
        if len(mac) != 6:
            raise ValueError("host MAC must be 6 bytes")
        self.mac = bytes(mac)
        self.timers = timers or DEFAULT_TIMERS
        self.local_modem = local_modem
        self._rand = as_random_bytes(rng)
        self._deadlines: dict[Hashable, float] = {}
        self._out: deque[bytes] = deque(maxlen=MAX_OUTPUT)
        self._events: deque[SlacEvent] = deque(maxlen=MAX_EVENTS)
        self.started_at: float | None = None
        self._key_set_at = 0.0  # when the local modem confirmed the last CM_SET_KEY

    # ------------------------------------------------------------------ public API

    def start(self, now: float) -> None:
        """Begin (the control pilot went to state B)."""
        raise NotImplementedError

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timeout` must be called next (None: nothing pending)."""
        return min(self._deadlines.values()) if self._deadlines else None

    def handle_timeout(self, now: float) -> None:
        """Fire every timer due at or before ``now`` (in deadline order)."""
        while self._deadlines:
            key, due = min(self._deadlines.items(), key=lambda kv: kv[1])
            if due > now:
                break
            del self._deadlines[key]
            self._on_timer(key, now)

    def receive(self, data: bytes, now: float) -> None:
        """One frame from the host's interface (anything not HomePlug AV is ignored)."""
        if len(data) < 17 or data[12:14] not in (b"\x88\xe1", b"\x81\x00"):
            return
        try:
            frame = decode_frame(data)
        except DecodeError as exc:
            self._emit(Ignored(now, "malformed", data[6:12], str(exc)))
            return
        if frame.src == self.mac:
            return  # our own frame echoed (ETH_P_ALL sockets on some drivers)
        if frame.dst != self.mac and not frame.dst[0] & 1:
            return  # unicast to another host (a sniffing interface)
        if isinstance(frame.message, RawMessage) or frame.truncated is not None:
            if (frame.mmtype >> 13) == 3:  # CM_* (station - station): worth a trace line
                self._emit(Ignored(now, frame.name, frame.src, frame.truncated or "no layout"))
            return
        self._on_frame(frame, now)

    def frames_to_send(self) -> list[bytes]:
        out = list(self._out)
        self._out.clear()
        return out

    def events(self) -> list[SlacEvent]:
        out = list(self._events)
        self._events.clear()
        return out

    def next_event(self) -> SlacEvent | None:
        return self._events.popleft() if self._events else None

    @property
    def done(self) -> bool:
        """Nothing more will happen without new input (matched, or given up)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ for subclasses

    def _on_frame(self, frame: Frame, now: float) -> None:
        raise NotImplementedError

    def _on_timer(self, key: Hashable, now: float) -> None:
        raise NotImplementedError

    def _emit(self, event: SlacEvent) -> None:
        self._events.append(event)

    def _send(self, dst: bytes, message: Any, mmv: int | None = None) -> None:
        try:
            self._out.append(encode(dst, self.mac, message, mmv=mmv))
        except EncodeError as exc:  # a bug in a builder, never input-driven
            raise RuntimeError(f"{self.role}: cannot encode {type(message).__name__}: {exc}") from exc

    def _start(self, key: Hashable, due: float) -> None:
        self._deadlines[key] = due

    def _cancel(self, *keys: Hashable) -> None:
        for k in keys:
            self._deadlines.pop(k, None)

    def _running(self, key: Hashable) -> bool:
        return key in self._deadlines

    def _ignore(self, frame: Frame, now: float, reason: str) -> None:
        self._emit(Ignored(now, frame.name, frame.src, reason))

    # ------------------------------------------------------------------ host <-> local modem

    def _send_set_key(self, nmk: bytes, nid: bytes) -> None:
        """CM_SET_KEY.REQ to the local modem, with the values every SLAC host uses (docs/slac.md)."""
        self._send(self.local_modem, set_key_req(KeyType.NMK, nmk, nid=nid, my_nonce=SLAC_NONCE, pid=ProtocolId.HLE,
                                                 prn=0, pmn=0, new_eks=0x01))

    def _send_sw_ver(self) -> None:
        self._send(self.local_modem, messages.VS_SW_VER_REQ(cookie=0))

    def _modem_wait_note(self, frame: Frame | None, now: float) -> str:
        """What the wait for the modem after CM_SET_KEY showed, for the SET_KEY step's detail
        (``frame`` None: T_modem_ready_max ran out or there is no wait)."""
        waited = now - self._key_set_at
        if frame is None and self.timers.T_modem_ready_max > 0:
            return f"; the modem did not answer VS_SW_VER for {waited:.1f} s, going on"
        return f"; the modem answered again after {waited:.2f} s" if waited > 0 else ""

    def _send_nw_info(self) -> None:
        self._send(self.local_modem, messages.VS_NW_INFO_REQ(), mmv=1)  # the AR7x00/QCA7xxx layout

    @staticmethod
    def _set_key_cnf_ok(frame: Frame) -> bool:
        m = frame.message
        return bool(m.your_nonce == SLAC_NONCE or m.your_nonce == bytes(4)) and m.result in SET_KEY_OK

    @staticmethod
    def _avln_stations(frame: Frame, nid: bytes) -> tuple[bytes, ...] | None:
        """Stations (MACs) of network ``nid`` in a VS_NW_INFO.CNF (None: not in that network)."""
        nets = getattr(frame.message, "networks", ())
        for net in nets:
            if bytes(net.nid)[:6] == nid[:6] and (bytes(net.nid)[6] & 0x0F) == (nid[6] & 0x0F):
                return tuple(bytes(s.mac) for s in net.stations)
        return None
