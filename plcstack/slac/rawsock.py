"""Adapter: one SLAC machine on a real Linux interface (AF_PACKET raw socket, one select loop).

The interface is the host side of a PLC modem: a real QCA7000/7005/7420 Green PHY modem (SPI or
Ethernet attached) or a veth whose far end is ``plcstack emulate``.  The socket is bound to ethertype
0x88E1 only, so it never sees the frames it sends itself (``ETH_P_ALL`` sockets would).

::

    iface = RawInterface("eth1")
    trace = run_machine(PevMachine(PevConfig(mac=iface.mac)), iface, timeout_s=30)

Time is ``time.monotonic()``; the loop sleeps until the next frame or the machine's next deadline.
Needs root or CAP_NET_RAW.
"""

from __future__ import annotations

import errno
import select
import socket
import time
from collections.abc import Callable

from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV
from plcstack.pcapio.linktypes import PACKET_OUTGOING
from plcstack.slac.core import SlacMachine
from plcstack.slac.events import SlacEvent

MAX_BATCH = 256  # frames read before the loop looks at the timers again
RCVBUF = 1 << 20


class InterfaceError(OSError):
    """The interface cannot be opened (missing, down, no permission); the message says which."""


class RawInterface:
    """An AF_PACKET socket for HomePlug AV frames on one interface."""

    def __init__(self, ifname: str) -> None:
        self.ifname = ifname
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE_HOMEPLUG_AV))
        except PermissionError as exc:
            raise InterfaceError(f"{ifname}: raw sockets need root or CAP_NET_RAW ({exc.strerror})") from exc
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            self.sock.bind((ifname, ETHERTYPE_HOMEPLUG_AV))
            self.mac = bytes(self.sock.getsockname()[4][:6])
        except OSError as exc:
            self.sock.close()
            raise InterfaceError(f"{ifname}: {exc.strerror or exc}") from exc
        self.sock.setblocking(False)
        self.rx = self.tx = self.send_errors = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv_batch(self) -> list[bytes]:
        out: list[bytes] = []
        for _ in range(MAX_BATCH):
            try:
                data, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    break
                raise
            if addr[2] != PACKET_OUTGOING:
                out.append(data)
        self.rx += len(out)
        return out

    def send(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
            self.tx += 1
        except OSError:
            self.send_errors += 1

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawInterface:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_machine(machine: SlacMachine, iface: RawInterface, *, timeout_s: float,
                on_event: Callable[[SlacEvent], None] | None = None,
                clock: Callable[[], float] = time.monotonic) -> list[SlacEvent]:
    """Start ``machine`` and serve it until it is done or ``timeout_s`` passed; returns its events."""
    trace: list[SlacEvent] = []

    def flush() -> None:
        for frame in machine.frames_to_send():
            iface.send(frame)
        for e in machine.events():
            trace.append(e)
            if on_event is not None:
                on_event(e)

    start = clock()
    end = start + timeout_s
    machine.start(start)
    flush()
    while not machine.done:
        now = clock()
        if now >= end:
            break
        due = machine.next_deadline()
        wait = min(end - now, 0.5 if due is None else max(0.0, due - now))
        ready, _, _ = select.select([iface], [], [], wait)
        if ready:
            for frame in iface.recv_batch():
                machine.receive(frame, clock())
        now = clock()
        due = machine.next_deadline()
        if due is not None and due <= now:
            machine.handle_timeout(now)
        flush()
    return trace
