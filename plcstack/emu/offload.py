"""Undo the kernel's transmit offloads on frames read from an AF_PACKET socket (pure functions).

A host on a veth pair hands its frames to the kernel with the work a NIC would do still undone:

* **checksum offload** -- a TCP or UDP frame carries only the pseudo-header sum in its checksum
  field (``CHECKSUM_PARTIAL``); the "hardware" is expected to sum the segment from ``csum_start``
  and store the result at ``csum_start + csum_offset``.  A packet socket sees such a frame as it
  is (``TP_STATUS_CSUMNOTREADY``), and a host behind the other modem drops it ("bad udp cksum");
* **segmentation offload** (TSO/GSO) -- one TCP "frame" of up to 64 KiB that the hardware would cut
  into MSS-sized segments;
* **VLAN acceleration** -- the receive path moves an 802.1Q tag out of the frame into metadata.

:func:`plcstack.emu.rawsock.RawPort` reads every frame with its ``virtio_net_hdr`` (socket option
``PACKET_VNET_HDR``: checksum start/offset, GSO type and size) and its ``tpacket_auxdata``
(``PACKET_AUXDATA``: VLAN tag) and calls :func:`complete_frame` so that what crosses the emulated
power line is what a real modem would have received on its Ethernet port.

References
----------
Linux ``include/uapi/linux/virtio_net.h`` (struct virtio_net_hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM,
VIRTIO_NET_HDR_GSO_*), ``include/uapi/linux/if_packet.h`` (struct tpacket_auxdata, TP_STATUS_*),
``net/core/dev.c`` ``skb_checksum_help`` (how the partial checksum is completed), RFC 1071 (the
Internet checksum), RFC 768 (a computed UDP checksum of 0 is sent as 0xFFFF).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from plcstack.codec.names import ETHERTYPE_QINQ, ETHERTYPE_VLAN

#: struct virtio_net_hdr (host byte order; little-endian on every platform this runs on)
VNET_HDR = struct.Struct("<BBHHHH")
VNET_HDR_LEN = VNET_HDR.size
VNET_F_NEEDS_CSUM = 0x01
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5
GSO_ECN = 0x80
#: struct tpacket_auxdata
AUXDATA = struct.Struct("=IIIHHHH")
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6

_ETHERTYPE_IPV4 = 0x0800  # IEEE 802 ethertypes of the IP frames whose offloads are completed here
_ETHERTYPE_IPV6 = 0x86DD
_PROTO_TCP, _PROTO_UDP = 6, 17
MAX_FRAME = 1514  # Ethernet payload 1500 + header, without FCS


class OffloadError(ValueError):
    """A frame whose offload metadata does not fit its bytes (it is forwarded unchanged)."""


class VnetHeader(NamedTuple):
    flags: int
    gso_type: int
    hdr_len: int
    gso_size: int
    csum_start: int
    csum_offset: int

    @classmethod
    def unpack(cls, buf: bytes) -> VnetHeader:
        return cls(*VNET_HDR.unpack_from(buf))


NO_VNET = VnetHeader(0, GSO_NONE, 0, 0, 0, 0)


def internet_checksum(data: bytes | bytearray | memoryview, start: int = 0) -> int:
    """RFC 1071 one's-complement sum of ``data`` (big-endian 16-bit words), folded, *not* inverted."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    total = start + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def complete_checksum(frame: bytes, csum_start: int, csum_offset: int) -> bytes:
    """Finish a ``CHECKSUM_PARTIAL`` frame as ``skb_checksum_help`` would.

    The checksum field already holds the pseudo-header sum; sum everything from ``csum_start`` to
    the end and store the complement at ``csum_start + csum_offset`` (0 becomes 0xFFFF, RFC 768).
    """
    pos = csum_start + csum_offset
    if not 0 <= csum_start < len(frame) or pos + 2 > len(frame):
        raise OffloadError(f"checksum at {pos} outside a {len(frame)}-byte frame")
    value = ~internet_checksum(memoryview(frame)[csum_start:]) & 0xFFFF
    out = bytearray(frame)
    struct.pack_into("!H", out, pos, value or 0xFFFF)
    return bytes(out)


def insert_vlan(frame: bytes, tci: int, tpid: int = ETHERTYPE_VLAN) -> bytes:
    """Put an 802.1Q tag the receive path took out of the frame back after the MAC addresses."""
    return frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]


def _l3(frame: bytes) -> tuple[int, int]:
    """(ethertype, offset of the network header), stepping over one or two VLAN tags."""
    off = 12
    (et,) = struct.unpack_from("!H", frame, off)
    while et in (ETHERTYPE_VLAN, ETHERTYPE_QINQ) and off + 6 <= len(frame):
        off += 4
        (et,) = struct.unpack_from("!H", frame, off)
    return et, off + 2


def _pseudo_sum(frame: bytes, et: int, l3: int, l4_len: int, proto: int) -> int:
    if et == _ETHERTYPE_IPV4:
        src_dst = frame[l3 + 12:l3 + 20]
    else:
        src_dst = frame[l3 + 8:l3 + 40]
    return internet_checksum(src_dst + struct.pack("!HH", proto, l4_len) if et == _ETHERTYPE_IPV4
                             else src_dst + struct.pack("!IxxxB", l4_len, proto))


def segment_tcp(frame: bytes, hdr: VnetHeader) -> list[bytes]:
    """Cut a TSO/GSO TCP super-frame into ``gso_size`` segments with complete checksums.

    IPv4: total length, identification (+1 per segment) and header checksum are rewritten; IPv6:
    payload length (no extension headers between the fixed header and TCP).  Sequence numbers
    advance by the payload sent; FIN and PSH stay on the last segment only, CWR on the first.
    """
    et, l3 = _l3(frame)
    if et == _ETHERTYPE_IPV4:
        ihl = (frame[l3] & 0x0F) * 4
        if frame[l3 + 9] != _PROTO_TCP:
            raise OffloadError("IPv4 GSO frame that is not TCP")
        l4 = l3 + ihl
    elif et == _ETHERTYPE_IPV6:
        if frame[l3 + 6] != _PROTO_TCP:
            raise OffloadError("IPv6 GSO frame with extension headers or not TCP")
        l4 = l3 + 40
    else:
        raise OffloadError(f"GSO frame of ethertype 0x{et:04X}")
    if l4 + 20 > len(frame):
        raise OffloadError("GSO frame shorter than its TCP header")
    thl = (frame[l4 + 12] >> 4) * 4
    head_end = l4 + thl
    payload = frame[head_end:]
    mss = hdr.gso_size or max(1, MAX_FRAME - head_end)
    (seq,) = struct.unpack_from("!I", frame, l4 + 4)
    flags = frame[l4 + 13]
    ip_id = struct.unpack_from("!H", frame, l3 + 4)[0] if et == _ETHERTYPE_IPV4 else 0
    out: list[bytes] = []
    chunks = [payload[i:i + mss] for i in range(0, len(payload), mss)] or [b""]
    for k, chunk in enumerate(chunks):
        seg = bytearray(frame[:head_end] + chunk)
        last, first = k == len(chunks) - 1, k == 0
        f = flags
        if not last:
            f &= ~0x09  # FIN, PSH
        if not first:
            f &= ~0x80  # CWR
        seg[l4 + 13] = f
        struct.pack_into("!I", seg, l4 + 4, (seq + k * mss) & 0xFFFFFFFF)
        l4_len = len(seg) - l4
        if et == _ETHERTYPE_IPV4:
            struct.pack_into("!HH", seg, l3 + 2, len(seg) - l3, (ip_id + k) & 0xFFFF)
            struct.pack_into("!H", seg, l3 + 10, 0)
            struct.pack_into("!H", seg, l3 + 10, ~internet_checksum(seg[l3:l3 + ihl]) & 0xFFFF)
        else:
            struct.pack_into("!H", seg, l3 + 4, len(seg) - l3 - 40)
        struct.pack_into("!H", seg, l4 + 16, 0)
        total = internet_checksum(seg[l4:], _pseudo_sum(bytes(seg), et, l3, l4_len, _PROTO_TCP))
        struct.pack_into("!H", seg, l4 + 16, ~total & 0xFFFF)
        out.append(bytes(seg))
    return out


def complete_frame(frame: bytes, vnet: VnetHeader = NO_VNET, vlan_tci: int | None = None,
                   vlan_tpid: int = ETHERTYPE_VLAN) -> list[bytes]:
    """The frame(s) a NIC would have put on the wire for what a host handed to the kernel.

    Re-inserts an accelerated VLAN tag, completes a partial checksum and cuts a TCP GSO frame into
    segments.  Returns the frames to forward (one, except for GSO).
    """
    shift = 0
    if vlan_tci is not None:
        frame = insert_vlan(frame, vlan_tci, vlan_tpid)
        shift = 4  # csum_start counts from the frame without the accelerated tag
    gso = vnet.gso_type & ~GSO_ECN
    if gso in (GSO_TCPV4, GSO_TCPV6):
        return segment_tcp(frame, vnet)
    if vnet.flags & VNET_F_NEEDS_CSUM:
        frame = complete_checksum(frame, vnet.csum_start + shift, vnet.csum_offset)
    return [frame]
