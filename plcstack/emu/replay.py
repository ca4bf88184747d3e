"""``plcstack replay``: send a capture's HomePlug AV frames again, to an interface or an emulated network.

Only ethertype 0x88E1 frames are replayed (802.1Q-tagged ones too).  Timing follows the capture's
timestamps divided by ``speed`` (``top_speed`` sends back to back).  With an interface, frames go out
of an AF_PACKET socket and every 0x88E1 frame that arrives meanwhile (and ``listen_s`` after the last)
is recorded; with an emulated network, frames enter the host port of one modem on a virtual clock,
so a replay of minutes takes milliseconds, and that modem's host-side output is recorded.

A capture taken on a host's interface holds both sides: what the host sent and what its modem (and
the modems behind it) answered.  By default only the hosts' frames are replayed (``sources="hosts"``):
a frame is a modem's when its source MAC sent, anywhere in the capture, a message only modems send
(a confirmation of a host request, a modem indication such as CM_ATTEN_PROFILE.IND or VS 0xA14E),
see :func:`modem_macs`.  ``sources="modems"`` replays only those, ``"all"`` everything; ``only_src``
and ``exclude_src`` choose by MAC.  Replaying a modem's own confirmations would make the emulated
modem learn the real modem's MAC as one of its hosts.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from plcstack.capture.typefilter import TypeFilter, TypeFilterError, parse_type_filter
from plcstack.codec import DecodeError, decode_header, mac_bytes, mmtype_name
from plcstack.codec.mac import format_mac
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_VLAN

if TYPE_CHECKING:
    from plcstack.emu.config import NetworkConfig

HPAV = ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big")
VLAN = ETHERTYPE_VLAN.to_bytes(2, "big")


class ReplayError(Exception):
    """The capture, the filter or the destination cannot be used."""


@dataclass
class Replayed:
    """What a replay sent and what came back: ``(t, direction, frame)`` with direction ``"sent"``/``"got"``."""

    frames: list[tuple[float, str, bytes]] = field(default_factory=list)

    @property
    def sent(self) -> list[bytes]:
        return [f for _, d, f in self.frames if d == "sent"]

    @property
    def got(self) -> list[bytes]:
        return [f for _, d, f in self.frames if d == "got"]

    def summary(self) -> str:
        names: Counter[str] = Counter()
        for f in self.got:
            names[frame_name(f)] += 1
        parts = ", ".join(f"{n} x{c}" for n, c in sorted(names.items()))
        return f"sent {len(self.sent)} frame(s), got {len(self.got)} back" + (f": {parts}" if parts else "")


def is_hpav(frame: bytes) -> bool:
    return frame[12:14] == HPAV or (frame[12:14] == VLAN and frame[16:18] == HPAV)


def frame_name(frame: bytes) -> str:
    try:
        h = decode_header(frame)
    except DecodeError:
        return "malformed"
    return mmtype_name(h.mmtype, h.oui)


#: Messages only a modem sends: its confirmations of host requests and its own indications.
MODEM_ONLY = frozenset({
    "CM_SET_KEY.CNF", "CM_GET_KEY.CNF", "CM_NW_INFO.CNF", "CC_DISCOVER_LIST.CNF", "CM_BRG_INFO.CNF",
    "CM_ATTEN_PROFILE.IND", "MS_PB_ENC.CNF", "CM_ENCRYPTED_PAYLOAD.IND", "CM_ENCRYPTED_PAYLOAD.RSP",
    "CC_ASSOC.CNF", "CC_SET_TEI_MAP.IND", "CM_UNASSOCIATED_STA.IND", "CM_STA_IDENTIFY.RSP",
})
SOURCES = ("hosts", "modems", "all")


def _is_modem_only(name: str) -> bool:
    # every Qualcomm VS_* confirmation or indication comes from a modem (hosts send only .REQ / .RSP)
    return name in MODEM_ONLY or (name.startswith("VS_") and name.endswith((".CNF", ".IND")))


def modem_macs(frames: Iterable[bytes]) -> set[bytes]:
    """Source MACs of the capture that sent a message only a modem sends."""
    out: set[bytes] = set()
    for frame in frames:
        try:
            h = decode_header(frame)
        except DecodeError:
            continue
        if _is_modem_only(mmtype_name(h.mmtype, h.oui)):
            out.add(h.src)
    return out


def _wanted(keep: TypeFilter | None, frame: bytes) -> bool:
    if keep is None:
        return True
    try:
        h = decode_header(frame)
    except DecodeError:
        return False
    return keep.matches(h.mmtype, h.oui)


def read_frames(path: str, types: Iterable[str] = (), sources: str = "hosts", only_src: Iterable[bytes] = (),
                exclude_src: Iterable[bytes] = ()) -> list[tuple[float, bytes]]:
    """The HomePlug AV frames of a capture, ``(seconds since the first kept frame, bytes)``.

    ``types``: the ``--type`` filter; ``sources``: ``"hosts"`` (frames of the capture's hosts only),
    ``"modems"`` or ``"all"`` (see the module docstring); ``only_src`` / ``exclude_src``: MACs.
    """
    from plcstack.pcapio import CaptureFormatError, open_capture

    if sources not in SOURCES:
        raise ReplayError(f"--from is one of {', '.join(SOURCES)}, not {sources!r}")
    try:
        keep = parse_type_filter(list(types))  # the one --type filter (plcstack.capture.typefilter)
    except TypeFilterError as exc:
        raise ReplayError(str(exc)) from exc
    frames: list[tuple[float, bytes]] = []
    try:
        with open_capture(path) as reader:
            for _, ts, buf, off, length, linktype in reader:
                frame = bytes(buf[off:off + length])
                if linktype != 1 or len(frame) < 17 or not is_hpav(frame):
                    continue
                frames.append((ts, frame))
    except (OSError, CaptureFormatError) as exc:
        raise ReplayError(f"{path}: {exc}") from exc
    modems = modem_macs(f for _, f in frames) if sources != "all" else set()
    only, excluded = set(only_src), set(exclude_src)
    out = []
    for ts, frame in frames:
        src = frame[6:12]
        if (sources == "hosts" and src in modems) or (sources == "modems" and src not in modems):
            continue
        if (only and src not in only) or src in excluded or not _wanted(keep, frame):
            continue
        out.append((ts, frame))
    if not out:
        return []
    t0 = out[0][0]
    return [(ts - t0, f) for ts, f in out]


def schedule(frames: list[tuple[float, bytes]], speed: float, top_speed: bool) -> Iterator[tuple[float, bytes]]:
    if speed <= 0:
        raise ReplayError("--speed must be positive")
    for t, f in frames:
        yield (0.0 if top_speed else t / speed), f


def replay_into_network(frames: list[tuple[float, bytes]], network: NetworkConfig, modem: bytes | None = None,
                        speed: float = 1.0, top_speed: bool = False, listen_s: float = 0.5,
                        gap_s: float = 0.001) -> Replayed:
    """Feed frames into the host port of ``modem`` (default: the first) of an in-process network."""
    pl = network.powerline()
    target = modem or network.modems[0].config.mac
    if target not in pl.modems:
        raise ReplayError(f"no modem {format_mac(target)} in {network.source}")
    out = Replayed()
    settle = 2.0  # let the AVLN form first, as a real network would have
    pl.run_until(settle)
    last = settle
    for i, (t, frame) in enumerate(schedule(frames, speed, top_speed)):
        when = settle + (t if not top_speed else i * gap_s)
        pl.run_until(when)
        pl.take_host(target)
        out.frames.append((when, "sent", frame))
        pl.send_from_host(target, frame, when)
        pl.run_until(when)
        out.frames.extend((ts, "got", f) for ts, f in pl.take_host(target))
        last = when
    pl.run_until(last + listen_s)
    out.frames.extend((ts, "got", f) for ts, f in pl.take_host(target))
    return out


def replay_to_iface(frames: list[tuple[float, bytes]], iface: str, speed: float = 1.0, top_speed: bool = False,
                    listen_s: float = 0.5) -> Replayed:
    """Send frames out of ``iface`` with their timing; collect the 0x88E1 frames that arrive meanwhile."""
    import selectors

    from plcstack.emu.rawsock import RawPort

    try:
        port = RawPort(iface)
    except OSError as exc:
        raise ReplayError(f"{iface}: {exc}") from exc
    out = Replayed()
    sel = selectors.DefaultSelector()
    sel.register(port.sock, selectors.EVENT_READ)
    start = time.monotonic()

    def collect(until: float) -> None:
        while True:
            now = time.monotonic()
            if now >= until:
                break
            if sel.select(until - now):
                for f in port.recv_batch():
                    if is_hpav(f):
                        out.frames.append((time.monotonic() - start, "got", f))

    try:
        for t, frame in schedule(frames, speed, top_speed):
            collect(start + t)
            port.send(frame)
            out.frames.append((time.monotonic() - start, "sent", frame))
            if top_speed:
                for f in port.recv_batch():
                    if is_hpav(f):
                        out.frames.append((time.monotonic() - start, "got", f))
        collect(time.monotonic() + listen_s)
    finally:
        sel.close()
        port.close()
    return out


def write_pcap(result: Replayed, path: str, epoch: float) -> None:
    from plcstack.pcapio import PcapWriter

    with PcapWriter(path) as w:
        for t, _, f in sorted(result.frames, key=lambda x: x[0]):
            w.write(f, epoch + t)


def replay_main(args: argparse.Namespace) -> int:
    try:
        only = [mac_bytes(m) for m in args.src]
        excluded = [mac_bytes(m) for m in args.exclude_src]
    except ValueError as exc:
        raise ReplayError(str(exc)) from exc
    frames = read_frames(args.capture, args.type, args.sources, only, excluded)
    if not frames:
        raise ReplayError(f"{args.capture}: no HomePlug AV frames" + (" of the requested types" if args.type else ""))
    if args.into_emulator:
        from plcstack.emu.config import ConfigError, load_network

        try:
            network = load_network(args.into_emulator)
            modem = mac_bytes(args.modem) if args.modem else None
        except (ConfigError, ValueError) as exc:
            raise ReplayError(str(exc)) from exc
        result = replay_into_network(frames, network, modem, args.speed, args.top_speed, args.listen)
        epoch = time.time()
    else:
        epoch = time.time()
        result = replay_to_iface(frames, args.iface, args.speed, args.top_speed, args.listen)
    if args.pcap:
        write_pcap(result, args.pcap, epoch)
    print(result.summary())
    return 0
