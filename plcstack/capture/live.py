"""Live capture of HomePlug frames on a Linux interface (AF_PACKET), as a packet source.

One raw socket for every ethertype (``ETH_P_ALL``: a socket bound to one ethertype does not see
the frames the host sends), with a classic BPF filter in the kernel that keeps only HomePlug AV
(0x88E1) and HomePlug 1.0 (0x887B) frames, untagged or behind VLAN tags (802.1Q, 802.1ad, 0x9100; up
to :data:`MAX_TAGS` besides the one the kernel strips), so Python never sees the rest of the traffic.  The kernel strips an 802.1Q tag before it delivers a frame and
reports it in ``PACKET_AUXDATA``; this module puts it back, as libpcap does.  Timestamps are the
kernel's (``SO_TIMESTAMPNS``).  Needs CAP_NET_RAW (root).
"""

from __future__ import annotations

import ctypes
import errno
import selectors
import socket
import struct
import time
from collections.abc import Iterator

from plcstack.codec.frame import VLAN_TPIDS
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0, ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_VLAN
from plcstack.pcapio import LINKTYPE_ETHERNET, PacketRecord, PcapWriter

SOL_PACKET = 263  # Linux socket.h
PACKET_AUXDATA = 8  # Linux if_packet.h
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_AUXDATA = struct.Struct("=IIIHHHH")  # tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid
_TIMESPEC = struct.Struct("=qq")
SNAPLEN = 65535
ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26  # Linux asm-generic/socket.h
HOMEPLUG_ETHERTYPES = (ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_HOMEPLUG_1_0)
_TAG_TYPES = tuple(sorted(VLAN_TPIDS))  # the codec's tag protocol identifiers (802.1Q, 802.1ad, 0x9100)
#: VLAN tags the kernel filter looks through, besides the outer one the kernel strips (PACKET_AUXDATA)
MAX_TAGS = 8

# classic BPF (linux/filter.h): struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}
_BPF_LDH_ABS = 0x28  # BPF_LD | BPF_H | BPF_ABS: A = 16-bit word at offset k
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: if A == k goto +jt else goto +jf
_BPF_RET_K = 0x06  # BPF_RET | BPF_K: accept k bytes (0: drop)


def _filter_program(ethertypes: tuple[int, ...], max_tags: int = MAX_TAGS) -> bytes:
    """BPF accepting ``ethertypes`` at offset 12 or behind up to ``max_tags`` VLAN tags (0x8100, 0x88A8,
    0x9100 in any order).  Classic BPF jumps only forward, so the tag walk is unrolled, one level per tag."""
    levels = [12 + 4 * depth for depth in range(max_tags + 1)]
    # per level: ldh [off]; jeq et_i -> accept; jeq tag_j -> next level; else drop
    blocks = [[("ld", off)] + [("acc", et) for et in ethertypes]
              + ([("tag", t) for t in _TAG_TYPES] if depth < max_tags else [])
              for depth, off in enumerate(levels)]
    starts = []
    pc = 0
    for ops in blocks:
        starts.append(pc)
        pc += len(ops)
    accept, drop = pc, pc + 1
    if accept > 255:
        raise ValueError(f"{max_tags} VLAN levels do not fit classic BPF's 8-bit jumps")
    ins: list[tuple[int, int, int, int]] = []
    pc = 0
    for depth, ops in enumerate(blocks):
        for i, (op, k) in enumerate(ops):
            last = i == len(ops) - 1
            if op == "ld":
                ins.append((_BPF_LDH_ABS, 0, 0, k))
            else:
                target = accept if op == "acc" else starts[depth + 1]
                ins.append((_BPF_JEQ_K, target - pc - 1, (drop - pc - 1) if last else 0, k))
            pc += 1
    ins += [(_BPF_RET_K, 0, 0, SNAPLEN), (_BPF_RET_K, 0, 0, 0)]
    code = b"".join(struct.pack("=HBBI", *i) for i in ins)
    buf = ctypes.create_string_buffer(code)
    _keep.append(buf)  # the kernel copies the program; keep it alive until setsockopt returns
    return struct.pack("HL", len(ins), ctypes.addressof(buf))


_keep: list[ctypes.Array[ctypes.c_char]] = []


class LiveCaptureError(Exception):
    """The interface cannot be captured on (missing, down, no permission)."""


class LiveCapture:
    """Packet records from interface ``iface`` until :meth:`stop` (or Ctrl-C in the caller).

    ``packets()`` blocks waiting for frames; ``stop()`` (from another thread or a signal handler)
    ends it.  ``ethertypes`` defaults to HomePlug AV and HomePlug 1.0.
    """

    received: int

    def __init__(self, iface: str, ethertypes: tuple[int, ...] = HOMEPLUG_ETHERTYPES) -> None:
        self.name = iface
        self.time_digits = 9
        self.received = 0
        self._stop_r, self._stop_w = socket.socketpair()
        self._sock: socket.socket | None = None
        try:
            # protocol 0: nothing is queued until bind(), so no frame slips past the filter
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            self._sock = s
            s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, _filter_program(ethertypes))
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((iface, ETH_P_ALL))
            s.setblocking(False)
        except PermissionError:
            self.close()
            raise LiveCaptureError(f"{iface}: capturing needs root (CAP_NET_RAW)") from None
        except OSError as exc:
            self.close()
            if exc.errno in (errno.ENODEV, errno.ENXIO):
                raise LiveCaptureError(f"{iface}: no such interface") from None
            raise LiveCaptureError(f"{iface}: {exc.strerror or exc}") from None

    def stop(self) -> None:
        """Make :meth:`packets` return (safe from another thread or a signal handler)."""
        try:
            self._stop_w.send(b"x")
        except OSError:
            pass

    def packets(self) -> Iterator[PacketRecord]:
        sel = selectors.DefaultSelector()
        assert self._sock is not None
        sel.register(self._sock, selectors.EVENT_READ)
        sel.register(self._stop_r, selectors.EVENT_READ)
        number = 0
        try:
            while True:
                for key, _ in sel.select():
                    if key.fileobj is self._stop_r:
                        return
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    while True:
                        got = self._receive(sock)
                        if got is None:
                            break
                        number += 1
                        self.received += 1
                        data, t_ns = got
                        yield PacketRecord(number, t_ns, data, 0, len(data), len(data), LINKTYPE_ETHERNET, 0, 0)
        finally:
            sel.close()

    @staticmethod
    def _receive(sock: socket.socket) -> tuple[bytes, int] | None:
        try:
            data, anc, _flags, addr = sock.recvmsg(SNAPLEN, 1024)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError as exc:
            if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                return None
            raise
        t_ns = time.time_ns()
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
                sec, nsec = _TIMESPEC.unpack_from(payload)
                t_ns = sec * 1_000_000_000 + nsec
            elif level == SOL_PACKET and kind == PACKET_AUXDATA and len(payload) >= _AUXDATA.size:
                status, _, _, _, _, tci, tpid = _AUXDATA.unpack_from(payload)
                if status & TP_STATUS_VLAN_VALID:
                    tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID and tpid else ETHERTYPE_VLAN
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
        _ = addr  # (ifname, proto, pkttype, hatype, addr): pkttype PACKET_OUTGOING for sent frames
        return data, t_ns

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._stop_r.close()
        self._stop_w.close()

    def __enter__(self) -> LiveCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SavedCapture:
    """A packet source that also writes every packet record it passes on to a pcap file (``decode -w``).

    ``writer`` is a :class:`~plcstack.pcapio.PcapWriter` for Ethernet (nanosecond times keep the kernel's
    timestamps exactly); records of other link types are passed on but not written.
    """

    def __init__(self, source: LiveCapture, writer: PcapWriter) -> None:
        self.source = source
        self.writer = writer
        self.name = source.name
        self.time_digits = source.time_digits

    def packets(self) -> Iterator[PacketRecord]:
        for pkt in self.source.packets():
            if pkt.linktype == LINKTYPE_ETHERNET:
                self.writer.write(pkt.buf[pkt.offset:pkt.offset + pkt.length], time_ns=pkt.time_ns,
                                  orig_len=pkt.orig_len)
            yield pkt

    def stop(self) -> None:
        self.source.stop()

    def close(self) -> None:
        self.source.close()
        self.writer.close()
