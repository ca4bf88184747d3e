"""Copies of one frame in a capture of several observation points, told apart from repetitions.

A frame between two hosts crosses several links, and a capture of more than one of them holds it
more than once: a pcapng of several interfaces (the emulator's ``--pcap``: one interface per modem's
host link; ``dumpcap -i a -i b``) has it once per interface it crossed; a Linux cooked capture of
every interface (``tcpdump -i any``) has it leaving one interface and arriving on another.  A sender
repeating a frame (open-plc-utils ``pev`` sends CM_START_ATTEN_CHAR.IND back to back) is seen
repeated on one interface: those are frames of their own.

:class:`FrameCopies` decides frame by frame, in capture order, with the bytes from the source
address on (cooked captures have no destination):

* a frame equal to one seen on another pcapng interface within :data:`INTERFACE_COPY_WINDOW_S`,
  not yet seen on this one, is a copy of it (each earlier frame has at most one copy per interface,
  so two back-to-back repetitions and their two copies count as two frames);
* on one interface, a frame equal to the previous one less than :data:`COOKED_COPY_WINDOW_S` before,
  one of the two without a recorded destination or the two in opposite directions, is its copy
  (a cooked capture).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A cooked capture of every interface records both copies of a frame within this time (s).
COOKED_COPY_WINDOW_S = 0.002
#: A copy seen on another interface follows the frame within this time (s): the delivery latency of
#: the link between the two points (the emulator's power line: 0.5 ms) plus any injected delay.
INTERFACE_COPY_WINDOW_S = 1.0
_MAX_KEYS = 256  # distinct frames remembered
_MAX_PER_KEY = 64  # repetitions of one frame remembered


@dataclass
class _Seen:
    time_ns: int
    interfaces: set[int] = field(default_factory=set)
    dst_known: bool = True
    outgoing: bool | None = None


class FrameCopies:
    """Feed capture records in order (``data``, ``time_ns``, ``interface``, ``dst_known``, ``outgoing``:
    :class:`plcstack.capture.CapturedFrame`); :meth:`is_copy` says which are copies of earlier ones."""

    def __init__(self) -> None:
        self._seen: dict[bytes, list[_Seen]] = {}

    def is_copy(self, r: Any) -> bool:
        key = bytes(r.data[6:])
        t, iface = r.time_ns, getattr(r, "interface", 0)
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = []
            if len(self._seen) > _MAX_KEYS:
                self._seen.pop(next(iter(self._seen)))
        while seen and t - seen[0].time_ns > INTERFACE_COPY_WINDOW_S * 1e9:
            seen.pop(0)
        for earlier in seen:  # oldest first: the first frame not yet seen here
            if iface not in earlier.interfaces:
                earlier.interfaces.add(iface)
                return True
        last = seen[-1] if seen else None
        if (last is not None and t - last.time_ns <= COOKED_COPY_WINDOW_S * 1e9
                and (not (r.dst_known and last.dst_known) or (r.outgoing is not None and r.outgoing != last.outgoing))):
            last.time_ns, last.dst_known, last.outgoing = t, r.dst_known, r.outgoing
            return True
        seen.append(_Seen(t, {iface}, r.dst_known, r.outgoing))
        if len(seen) > _MAX_PER_KEY:
            seen.pop(0)
        return False
