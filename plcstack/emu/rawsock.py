"""Emulated modems bound to real Linux interfaces (AF_PACKET raw sockets, one selector loop).

Each modem with an ``iface`` gets a ``socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)`` bound to that interface:
every frame the host sends there enters the modem's HOST port, and what the modem sends its host is
written back.  Frames this process sent itself come back as ``PACKET_OUTGOING`` and are skipped.

The socket reads each frame with its offload metadata (``PACKET_VNET_HDR``, ``PACKET_AUXDATA``), and
:func:`plcstack.emu.offload.complete_frame` finishes what the host left to the "NIC": partial TCP/UDP
checksums, TCP segmentation, and the 802.1Q tag the receive path took out -- so IP works between hosts
behind two emulated modems on default veth settings (no ``ethtool -K ... tx off``).

Put the emulator on the *other* end of a veth pair from the tool: open-plc-utils sockets do not see
frames that other local sockets send on their own interface (docs/emulator.md, "Quick start")::

    ip netns add plc; ip link add h0 type veth peer name m0; ip link set h0 netns plc
    ip link set m0 up; ip -n plc link set h0 up
    plcstack emulate --iface m0 &                # the modem side
    ip netns exec plc plctool -i h0 -r           # the host side

Time is ``time.monotonic()``; the loop sleeps until the next frame or the next modem timer. SIGINT and
SIGTERM stop it cleanly (sockets closed, pcap flushed).
"""

from __future__ import annotations

import errno
import os
import selectors
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from plcstack.codec.mac import format_mac
from plcstack.emu import offload
from plcstack.emu.config import NetworkConfig
from plcstack.emu.events import Dropped, Event
from plcstack.emu.powerline import Recorder
from plcstack.pcapio.linktypes import PACKET_OUTGOING

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_VNET_HDR = 15
MAX_BATCH = 256  # frames read from one socket before the loop looks at timers again
RCVBUF = 4 << 20


class RawPort:
    """One AF_PACKET socket on one interface."""

    def __init__(self, ifname: str) -> None:
        self.ifname = ifname
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            self.sock.bind((ifname, ETH_P_ALL))
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.vnet = _try_setsockopt(self.sock, PACKET_VNET_HDR)
        self.auxdata = _try_setsockopt(self.sock, PACKET_AUXDATA)
        self.rx = 0
        self.tx = 0
        self.send_errors = 0
        self.offload_errors = 0
        self.completed = 0  # frames whose checksum, segmentation or VLAN tag was completed

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv_batch(self) -> list[bytes]:
        out: list[bytes] = []
        recvmsg = self.sock.recvmsg
        cmsg_size = socket.CMSG_SPACE(offload.AUXDATA.size)
        for _ in range(MAX_BATCH):
            try:
                data, ancdata, _flags, addr = recvmsg(65536 + offload.VNET_HDR_LEN, cmsg_size)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    break
                raise
            if addr[2] == PACKET_OUTGOING:
                continue
            self.rx += 1
            out.extend(self._complete(data, ancdata))
        return out

    def _complete(self, data: bytes, ancdata: list[tuple[int, int, bytes]]) -> list[bytes]:
        vnet = offload.NO_VNET
        if self.vnet:
            vnet = offload.VnetHeader.unpack(data)
            data = data[offload.VNET_HDR_LEN:]
        tci, tpid = None, offload.ETHERTYPE_VLAN
        for level, kind, blob in ancdata:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(blob) >= offload.AUXDATA.size:
                status, _, _, _, _, vlan_tci, vlan_tpid = offload.AUXDATA.unpack_from(blob)
                if status & offload.TP_STATUS_VLAN_VALID:
                    tci = vlan_tci
                    if status & offload.TP_STATUS_VLAN_TPID_VALID and vlan_tpid:
                        tpid = vlan_tpid
        if vnet == offload.NO_VNET and tci is None:
            return [data]
        try:
            frames = offload.complete_frame(data, vnet, tci, tpid)
        except (offload.OffloadError, struct.error):
            self.offload_errors += 1
            return [data]
        self.completed += 1
        return frames

    def send(self, frame: bytes) -> None:
        try:
            self.sock.send(bytes(offload.VNET_HDR_LEN) + frame if self.vnet else frame)
            self.tx += 1
        except OSError:
            self.send_errors += 1

    def close(self) -> None:
        self.sock.close()


def _try_setsockopt(sock: socket.socket, option: int) -> bool:
    """Turn a SOL_PACKET option on; False where the kernel does not offer it."""
    try:
        sock.setsockopt(SOL_PACKET, option, 1)
    except OSError:
        return False
    return True


class Emulator:
    """The modems of a :class:`NetworkConfig` on one :class:`PowerLine`, with real interfaces attached."""

    def __init__(self, network: NetworkConfig, recorder: Recorder | None = None, log: TextIO | None = None,
                 verbose: bool = False, record_plc: bool = False) -> None:
        self.network = network
        self.log = log
        self.verbose = verbose
        self.t0 = time.monotonic()
        self.powerline = network.powerline(start_time=self.t0, start=False, recorder=recorder,
                                           on_event=self._on_event, record_plc=record_plc)
        self.recorder = recorder
        self.ports: dict[bytes, RawPort] = {}
        self.drops: dict[str, int] = {}  # dropped frames by reason (modems and the power line)
        self.errors = 0
        self._stop = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        try:
            for spec in network.modems:
                if spec.iface:
                    port = RawPort(spec.iface)
                    self.ports[spec.config.mac] = port
                    self.powerline.attach(spec.config.mac, self._sender(port))
        except OSError:
            self.close()
            raise

    @staticmethod
    def _sender(port: RawPort) -> Callable[[bytes, float], None]:
        def send(frame: bytes, t: float) -> None:
            port.send(frame)

        return send

    def _say(self, text: str) -> None:
        if self.log is not None:
            print(text, file=self.log, flush=True)

    def _on_event(self, mac: bytes, e: Event) -> None:
        if isinstance(e, Dropped):
            key = e.reason.split(":", 1)[0].split(" (", 1)[0]
            self.drops[key] = self.drops.get(key, 0) + 1
        if not self.verbose:
            return
        if isinstance(e, Dropped):  # every drop, with its reason and where it happened
            self._say(f"[{e.t - self.t0:9.3f}] {format_mac(mac)} drop on {e.port}: {e.reason}")
            return
        self._say(f"[{e.t - self.t0:9.3f}] {format_mac(mac)} {type(e).__name__} "
                  + " ".join(f"{k}={format_mac(v) if isinstance(v, bytes) else v}" for k, v in vars(e).items() if k != "t"))

    def stop(self) -> None:
        """Ask the loop to end (safe from signal handlers and other threads)."""
        self._stop = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def install_signal_handlers(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop()

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def describe(self) -> list[str]:
        lines = []
        for spec in self.network.modems:
            m = self.powerline.modems[spec.config.mac]
            lines.append(f"modem {spec.config.name or '-'} {format_mac(m.mac)} {m.chip.name} NID {m.nid.hex().upper()} "
                         f"cco={spec.config.cco} on {spec.iface or '(power line only)'}")
        return lines

    def run(self, duration: float | None = None, ready: Callable[[], None] | None = None) -> int:
        """Serve until :meth:`stop` (or SIGINT/SIGTERM when installed) or ``duration`` seconds."""
        pl = self.powerline
        sel = selectors.DefaultSelector()
        for mac, port in self.ports.items():
            sel.register(port.sock, selectors.EVENT_READ, mac)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        now = time.monotonic()
        end = None if duration is None else now + duration
        for mac in list(pl.modems):
            pl.power_on(mac, now)
        if ready is not None:
            ready()
        try:
            while not self._stop:
                now = time.monotonic()
                if end is not None and now >= end:
                    break
                nxt = pl.next_time()
                timeout = 0.5 if nxt is None else min(0.5, max(0.0, nxt - now))
                if end is not None:
                    timeout = min(timeout, max(0.0, end - now))
                for key, _ in sel.select(timeout):
                    mac = key.data
                    if mac is None:
                        try:
                            self._wake_r.recv(64)
                        except OSError:
                            pass
                        continue
                    port = self.ports[mac]
                    for frame in port.recv_batch():
                        t = time.monotonic()
                        try:
                            pl.send_from_host(mac, frame, t)
                        except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the emulator
                            self.errors += 1
                            if self.errors <= 10:
                                self._say(f"error handling a frame on {port.ifname}: {exc!r}")
                try:
                    pl.run_until(time.monotonic())
                except Exception as exc:  # noqa: BLE001
                    self.errors += 1
                    if self.errors <= 10:
                        self._say(f"error in the power-line loop: {exc!r}")
        finally:
            sel.close()
        return 0

    def close(self) -> None:
        for port in self.ports.values():
            port.close()
        self.ports.clear()
        if self.recorder is not None:
            self.recorder.close()
        for s in (self._wake_r, self._wake_w):
            s.close()

    def stats(self) -> dict[str, int]:
        out = {"errors": self.errors, "plc_delivered": self.powerline.delivered}
        for port in self.ports.values():
            out[f"{port.ifname}.rx"] = port.rx
            out[f"{port.ifname}.tx"] = port.tx
            if port.send_errors:
                out[f"{port.ifname}.send_errors"] = port.send_errors
            if port.completed:
                out[f"{port.ifname}.offloads_completed"] = port.completed
        for m in self.powerline.modems.values():
            for k, v in m.stats.items():
                out[f"{format_mac(m.mac)}.{k}"] = v
        faults = self.powerline.faults
        if faults is not None:
            for reason, n in sorted(faults.dropped.items()):
                out[f"line.{reason.removeprefix('fault: ')}"] = n
            out["line.corrupted"] = faults.corrupted
            out["line.reordered"] = faults.reordered
        return out


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def main_loop(network: NetworkConfig, pcap: str | None = None, verbose: bool = False, duration: float | None = None,
              out: TextIO = sys.stderr, pcap_plc: bool = False) -> int:
    """What ``plcstack emulate`` runs."""
    recorder = None
    if pcap:
        from plcstack.emu.recorder import PcapRecorder, host_link

        links = {m.config.mac: host_link(m.config.mac, m.config.name, m.iface) for m in network.modems if m.iface}
        recorder = PcapRecorder(pcap, epoch=time.time() - time.monotonic(), links=links, plc=pcap_plc)
    emu = Emulator(network, recorder=recorder, log=out, verbose=verbose, record_plc=pcap_plc)
    try:
        emu.install_signal_handlers()
        for line in emu.describe():
            print(line, file=out)
        print(f"emulating {len(network.modems)} modem(s); Ctrl-C to stop", file=out, flush=True)
        rc = emu.run(duration=duration)
        s = emu.stats()
        print("stopped: " + ", ".join(f"{k}={v}" for k, v in s.items()), file=out, flush=True)
        if emu.drops:
            print("dropped: " + ", ".join(f"{reason} x{n}" for reason, n in sorted(emu.drops.items(),
                                                                                  key=lambda kv: -kv[1])),
                  file=out, flush=True)
        return rc
    finally:
        emu.close()
