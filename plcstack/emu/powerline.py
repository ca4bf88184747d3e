"""The in-process emulated power line: modems, a link model and a clock.

::

    from plcstack.emu import PowerLine, ModemConfig
    pl = PowerLine()                                     # virtual clock starting at 0 s
    a = pl.add(ModemConfig(mac=bytes.fromhex("00B0520000AA")))
    b = pl.add(ModemConfig(mac=bytes.fromhex("00B0520000BB"), chip="QCA7000"))
    pl.run_for(2.0)                                      # beacons, election, association, NEK
    pl.send_from_host(a.mac, frame_bytes)                # a host frame enters modem a
    pl.run_for(0.05)
    replies = pl.take_host(a.mac)                        # [(t, frame bytes), ...] the host of a got

Everything happens in time order on one heap: power-line deliveries (after ``latency_s``), and each
modem's timers (:meth:`Modem.next_deadline`).  Reachability, rates and SLAC attenuation come from the
:class:`~plcstack.emu.link.LinkModel`.  With ``clock`` left at the default the clock is virtual and only
moves in :meth:`run_until`; the raw-socket adapter passes real monotonic times instead.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from plcstack.codec.mac import format_mac
from plcstack.emu import envelope as env
from plcstack.emu.events import Dropped, Event
from plcstack.emu.faults import FaultInjector
from plcstack.emu.link import ConstantLinkModel, LinkModel
from plcstack.emu.modem import Modem, ModemConfig, Port, Step

HostSink = Callable[[bytes, float], None]
MAX_HOST_BACKLOG = 10_000
MAX_EVENTS = 10_000


class Recorder(Protocol):
    """Where frames crossing a modem's host port go (e.g. a pcap file)."""

    def record(self, frame: bytes, t: float, modem: bytes, direction: str) -> None: ...

    def close(self) -> None: ...


class PowerLine:
    """Modems sharing one emulated power line (see the module docstring)."""

    def __init__(self, link: LinkModel | None = None, latency_s: float = 0.0005, start_time: float = 0.0,
                 recorder: Recorder | None = None,
                 on_event: Callable[[bytes, Event], None] | None = None, record_plc: bool = False,
                 faults: FaultInjector | None = None) -> None:
        self.link: LinkModel = link or ConstantLinkModel()
        self.faults = faults if faults else None
        self.latency_s = latency_s
        self.now = start_time
        self.recorder = recorder
        self.record_plc = record_plc  # also record the management messages modems exchange on the power line
        self.on_event = on_event
        self.modems: dict[bytes, Modem] = {}
        self.sinks: dict[bytes, HostSink | None] = {}
        self.backlog: dict[bytes, deque[tuple[float, bytes]]] = {}
        self.events: deque[tuple[bytes, Event]] = deque(maxlen=MAX_EVENTS)
        self._heap: list[tuple[float, int, int, bytes, bytes]] = []  # (t, seq, what, mac, payload)
        self._seq = itertools.count()
        self._poll_at: dict[bytes, float] = {}
        self.delivered = 0

    # ------------------------------------------------------------------ building

    def add(self, modem: Modem | ModemConfig, host: HostSink | None = None, start: bool = True,
            seed: int | None = None) -> Modem:
        """Plug a modem in (and power it on unless ``start=False``); ``host`` receives its host-side output."""
        if isinstance(modem, ModemConfig):
            modem = Modem(modem, link=self.link, seed=seed)
        if modem.mac in self.modems:
            raise ValueError(f"a modem with MAC {format_mac(modem.mac)} is already on this power line")
        self.modems[modem.mac] = modem
        self.sinks[modem.mac] = host
        self.backlog[modem.mac] = deque(maxlen=MAX_HOST_BACKLOG)
        if start:
            self._apply(modem, modem.start(self.now), self.now)
        return modem

    def power_on(self, mac: bytes, t: float | None = None) -> None:
        """Start a modem added with ``start=False`` (at ``t``, default now)."""
        t = self.now if t is None else t
        modem = self.modems[mac]
        self._apply(modem, modem.start(t), t)

    def remove(self, mac: bytes) -> None:
        """Unplug a modem (its peers notice through missing beacons)."""
        self.modems.pop(mac, None)
        self.sinks.pop(mac, None)
        self.backlog.pop(mac, None)
        self._poll_at.pop(mac, None)

    def attach(self, mac: bytes, host: HostSink | None) -> None:
        self.sinks[mac] = host

    def __getitem__(self, mac: bytes) -> Modem:
        return self.modems[mac]

    # ------------------------------------------------------------------ driving

    def send_from_host(self, mac: bytes, frame: bytes, t: float | None = None) -> None:
        """A frame from the host side of modem ``mac`` at time ``t`` (default: now)."""
        t = self.now if t is None else t
        self.run_until(t)
        modem = self.modems.get(mac)
        if modem is None:
            return
        if self.recorder is not None:
            self.recorder.record(frame, t, mac, "in")
        self._apply(modem, modem.receive(Port.HOST, frame, t), t)

    def run_until(self, t: float) -> None:
        """Process every delivery and timer due up to ``t``; the clock ends at ``t``."""
        heap = self._heap
        while heap and heap[0][0] <= t:
            when, _, what, mac, payload = heapq.heappop(heap)
            if when > self.now:
                self.now = when
            modem = self.modems.get(mac)
            if modem is None:
                continue
            if what == 0:  # timer
                if self._poll_at.get(mac) != when:
                    continue
                del self._poll_at[mac]
                self._apply(modem, modem.poll(when), when)
            else:  # power-line delivery
                self.delivered += 1
                self._apply(modem, modem.receive(Port.PLC, payload, when), when)
        if t > self.now:
            self.now = t

    def run_for(self, dt: float) -> None:
        self.run_until(self.now + dt)

    def next_time(self) -> float | None:
        """When the next delivery or timer is due (None: nothing scheduled)."""
        return self._heap[0][0] if self._heap else None

    def take_host(self, mac: bytes) -> list[tuple[float, bytes]]:
        """Frames the host of ``mac`` received since the last call (only for modems without a sink)."""
        q = self.backlog.get(mac)
        if not q:
            return []
        out = list(q)
        q.clear()
        return out

    def request(self, mac: bytes, frame: bytes, wait_s: float = 0.05) -> list[bytes]:
        """Send ``frame`` from the host of ``mac``, run ``wait_s`` and return what that host got back."""
        self.take_host(mac)
        self.send_from_host(mac, frame)
        self.run_for(wait_s)
        return [f for _, f in self.take_host(mac)]

    def drain_events(self) -> list[tuple[bytes, Event]]:
        out = list(self.events)
        self.events.clear()
        return out

    # ------------------------------------------------------------------ internals

    def _apply(self, modem: Modem, step: Step, t: float) -> None:
        mac = modem.mac
        for port, frame in step.outputs:
            if port is Port.HOST:
                if self.recorder is not None:
                    self.recorder.record(frame, t, mac, "out")
                sink = self.sinks.get(mac)
                if sink is not None:
                    sink(frame, t)
                else:
                    self.backlog[mac].append((t, frame))
            else:
                self._transmit(mac, frame, t)
        for e in step.events:
            self.events.append((mac, e))
            if self.on_event is not None:
                self.on_event(mac, e)
        due = modem.next_deadline()
        if due is not None:
            due = max(due, t)
            if self._poll_at.get(mac) != due:
                self._poll_at[mac] = due
                heapq.heappush(self._heap, (due, next(self._seq), 0, mac, b""))

    def _transmit(self, tx: bytes, envelope: bytes, t: float) -> None:
        rx = envelope[env.RX_SLICE] if len(envelope) >= env.HEADER_LEN else b""
        if self.record_plc and self.recorder is not None and envelope[4:5] == bytes((env.Kind.MGMT,)):
            self.recorder.record(envelope[env.HEADER_LEN:], t, tx, "plc")
        targets: Iterable[bytes]
        if rx and rx != env.BROADCAST:
            targets = (rx,) if rx in self.modems else ()
        else:
            targets = [m for m in self.modems if m != tx]
        when = t + self.latency_s
        faults = self.faults
        carried = envelope[env.HEADER_LEN:] if faults is not None and envelope[4] != env.Kind.BEACON else None
        for dst in targets:
            if not self.link.link(tx, dst, t).reachable:
                continue
            if faults is None:
                heapq.heappush(self._heap, (when, next(self._seq), 1, dst, envelope))
                continue
            verdict = faults.apply(tx, dst, t, carried, envelope, env.HEADER_LEN)
            if verdict.dropped is not None:
                self._dropped(dst, Dropped(t, "plc", f"{verdict.dropped} (from {format_mac(tx)})"))
            for d in verdict.deliveries:
                heapq.heappush(self._heap, (when + d.delay_s, next(self._seq), 1, dst, d.payload))

    def _dropped(self, mac: bytes, e: Dropped) -> None:
        """A frame the power line lost on its way to ``mac`` (fault injection): reported as that modem's drop."""
        self.events.append((mac, e))
        if self.on_event is not None:
            self.on_event(mac, e)
