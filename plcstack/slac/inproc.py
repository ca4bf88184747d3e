"""Adapter: SLAC machines on the host ports of modems of the in-process emulated power line.

::

    from plcstack.emu import ModemConfig, PowerLine
    from plcstack.slac.inproc import SlacBench
    pl = PowerLine()
    pl.add(ModemConfig(mac=EVSE_MODEM, chip="QCA7000"))
    pl.add(ModemConfig(mac=EV_MODEM, chip="QCA7000"))
    bench = SlacBench(pl)
    evse = bench.attach(EvseMachine(EvseConfig(mac=EVSE_HOST), rng=rng), EVSE_MODEM)
    pev = bench.attach(PevMachine(PevConfig(mac=EV_HOST), rng=rng), EV_MODEM, start_at=0.1)
    bench.run(until=15.0)              # virtual time; stops early when every machine is done
    bench.trace(pev)                   # [(t, event), ...]

Everything runs on the power line's virtual clock: modem timers and deliveries, machine timers,
and control-pilot toggles for CM_VALIDATE (an EV's :class:`~plcstack.slac.events.ToggleRequest`
reaches the EVSE its cable is plugged into, :meth:`SlacBench.plug`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from plcstack.emu.powerline import PowerLine
from plcstack.slac.core import SlacMachine
from plcstack.slac.events import SlacEvent, ToggleRequest
from plcstack.slac.evse import EvseMachine

#: Events kept per machine (a long fault test produces a few hundred).
MAX_TRACE = 20_000


@dataclass
class BenchHost:
    machine: SlacMachine
    modem: bytes
    start_at: float | None
    inbox: list[tuple[float, bytes]] = field(default_factory=list)
    trace: list[SlacEvent] = field(default_factory=list)
    sent: int = 0
    received: int = 0


class SlacBench:
    """SLAC hosts on one :class:`~plcstack.emu.powerline.PowerLine` (see the module docstring)."""

    def __init__(self, powerline: PowerLine, on_event: Callable[[SlacMachine, SlacEvent], None] | None = None,
                 processing_s: float = 0.0) -> None:
        self.pl = powerline
        self.hosts: list[BenchHost] = []
        self.on_event = on_event
        self.processing_s = processing_s  # host reaction time before its frames reach the modem
        self._cp: dict[int, EvseMachine] = {}  # id(EV machine) -> the EVSE its cable is plugged into
        self._calls: list[tuple[float, int, Callable[[float], None]]] = []
        self._seq = itertools.count()

    def attach(self, machine: SlacMachine, modem: bytes, start_at: float | None = 0.0) -> SlacMachine:
        """Put ``machine`` behind modem ``modem``; it starts at ``start_at`` (None: the caller starts it)."""
        host = BenchHost(machine, modem, start_at)
        self.hosts.append(host)

        def sink(frame: bytes, t: float, host: BenchHost = host) -> None:
            host.inbox.append((t, frame))

        self.pl.attach(modem, sink)
        if start_at is not None:
            self.call_at(start_at, machine.start)
        return machine

    def plug(self, ev_machine: SlacMachine, evse: EvseMachine) -> None:
        """The EV's charging cable goes to ``evse``: its control-pilot toggles reach that EVSE."""
        self._cp[id(ev_machine)] = evse

    def call_at(self, t: float, func: Callable[[float], None]) -> None:
        heapq.heappush(self._calls, (t, next(self._seq), func))

    def host_of(self, machine: SlacMachine) -> BenchHost:
        for h in self.hosts:
            if h.machine is machine:
                return h
        raise KeyError("machine not attached")

    def trace(self, machine: SlacMachine) -> list[SlacEvent]:
        return self.host_of(machine).trace

    # ------------------------------------------------------------------ running

    def _next_time(self) -> float | None:
        times = [t for t in (self.pl.next_time(), self._calls[0][0] if self._calls else None) if t is not None]
        times += [d for h in self.hosts if (d := h.machine.next_deadline()) is not None]
        times += [h.inbox[0][0] for h in self.hosts if h.inbox]
        return min(times) if times else None

    def run(self, until: float, stop: Callable[[], bool] | None = None) -> float:
        """Run the virtual clock up to ``until`` s, or until ``stop()`` (default: every machine done)."""
        if stop is None:
            def stop() -> bool:
                return all(h.machine.done for h in self.hosts if h.start_at is not None or h.machine.started_at)
        while True:
            t = self._next_time()
            if t is None or t > until:
                self.pl.run_until(until)
                return until
            t = max(t, self.pl.now)
            self.pl.run_until(t)
            while self._calls and self._calls[0][0] <= t:
                _, _, func = heapq.heappop(self._calls)
                func(t)
            for h in self.hosts:
                if h.inbox:
                    frames, h.inbox = h.inbox, []
                    for _, frame in frames:
                        h.received += 1
                        h.machine.receive(frame, t)
                due = h.machine.next_deadline()
                if due is not None and due <= t:
                    h.machine.handle_timeout(t)
                self._flush(h, t)
            if stop():
                return t

    def _flush(self, h: BenchHost, t: float) -> None:
        for e in h.machine.events():
            if len(h.trace) < MAX_TRACE:
                h.trace.append(e)
            if self.on_event is not None:
                self.on_event(h.machine, e)
            if isinstance(e, ToggleRequest):
                self._toggle(h.machine, e, t)
        for frame in h.machine.frames_to_send():
            h.sent += 1
            when = t + self.processing_s
            if when <= t:
                self.pl.send_from_host(h.modem, frame, t)
            else:
                self.call_at(when, self._sender(h.modem, frame))

    def _sender(self, modem: bytes, frame: bytes) -> Callable[[float], None]:
        def send(now: float) -> None:
            self.pl.send_from_host(modem, frame, now)

        return send

    def _toggle(self, ev_machine: SlacMachine, e: ToggleRequest, t: float) -> None:
        evse = self._cp.get(id(ev_machine))
        if evse is None:
            return  # the cable goes nowhere we emulate: nobody counts the toggles
        for k in range(1, e.count + 1):  # B -> C -> B takes two state durations
            self.call_at(t + 2 * k * e.state_duration_s, evse.control_pilot_toggled)
