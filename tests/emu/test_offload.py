"""Completing what a host left to the NIC: partial checksums, TCP segmentation, accelerated VLAN tags."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.emu import offload
from plcstack.emu.offload import VnetHeader, complete_checksum, complete_frame, internet_checksum

ETH = bytes.fromhex("020000000002" "020000000001")


def ipv4_udp(payload: bytes, partial: bool) -> bytes:
    src, dst = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
    udp_len = 8 + len(payload)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 1, 0x4000, 64, 17, 0, src, dst))
    struct.pack_into("!H", ip, 10, ~internet_checksum(ip) & 0xFFFF)
    pseudo = internet_checksum(src + dst + struct.pack("!HH", 17, udp_len))
    udp = bytearray(struct.pack("!HHHH", 40000, 5005, udp_len, 0) + payload)
    # CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum (what udp4_hwcsum leaves)
    struct.pack_into("!H", udp, 6, pseudo if partial else 0)
    return ETH + b"\x08\x00" + bytes(ip) + bytes(udp)


def udp_ok(frame: bytes) -> bool:
    ip = frame[14:34]
    udp = frame[34:]
    return internet_checksum(udp, internet_checksum(ip[12:20] + struct.pack("!HH", 17, len(udp)))) == 0xFFFF


def test_rfc1071_example():
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2
    assert internet_checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2


def test_partial_udp_checksum_is_completed():
    frame = ipv4_udp(b"hello over the power line", partial=True)
    assert not udp_ok(frame)
    done = complete_checksum(frame, 34, 6)
    assert udp_ok(done) and done[:40] == frame[:40] and done[42:] == frame[42:]


def test_scapy_agrees_when_available():
    scapy = pytest.importorskip("scapy.all")
    frame = complete_checksum(ipv4_udp(b"x" * 31, partial=True), 34, 6)
    pkt = scapy.Ether(frame)
    ours = pkt[scapy.UDP].chksum
    del pkt[scapy.UDP].chksum
    assert scapy.Ether(bytes(pkt))[scapy.UDP].chksum == ours


def test_vlan_tag_goes_back_and_shifts_the_checksum_start():
    frame = ipv4_udp(b"tagged", partial=True)
    vnet = VnetHeader(offload.VNET_F_NEEDS_CSUM, 0, 0, 0, 34, 6)
    (out,) = complete_frame(frame, vnet, vlan_tci=0x2005)
    assert out[12:16] == bytes.fromhex("81002005") and out[16:18] == b"\x08\x00"
    assert udp_ok(out[:12] + out[16:])


def tcp_super_frame(payload: bytes, v6: bool) -> bytes:
    tcp = bytearray(struct.pack("!HHIIBBHHH", 5006, 40001, 1000, 1, 5 << 4, 0x18 | 0x01, 512, 0, 0)) + payload
    if v6:
        src, dst = bytes.fromhex("fe80" + "00" * 13 + "01"), bytes.fromhex("fe80" + "00" * 13 + "02")
        ip = struct.pack("!IHBB16s16s", 6 << 28, len(tcp), 6, 64, src, dst)
        return ETH + b"\x86\xdd" + ip + bytes(tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0, bytes([10, 0, 0, 1]),
                     bytes([10, 0, 0, 2]))
    return ETH + b"\x08\x00" + ip + bytes(tcp)


def tcp_ok(seg: bytes, v6: bool) -> bool:
    if v6:
        ip, tcp = seg[14:54], seg[54:]
        pseudo = ip[8:40] + struct.pack("!IxxxB", len(tcp), 6)
    else:
        ip, tcp = seg[14:34], seg[34:]
        if internet_checksum(ip) != 0xFFFF:
            return False
        pseudo = ip[12:20] + struct.pack("!HH", 6, len(tcp))
    return internet_checksum(tcp, internet_checksum(pseudo)) == 0xFFFF


@pytest.mark.parametrize("v6", [False, True])
def test_tcp_super_frame_is_cut_into_valid_segments(v6):
    payload = bytes(range(256)) * 20  # 5120 bytes
    frame = tcp_super_frame(payload, v6)
    vnet = VnetHeader(offload.VNET_F_NEEDS_CSUM, offload.GSO_TCPV6 if v6 else offload.GSO_TCPV4, 66, 1448, 0, 16)
    segs = complete_frame(frame, vnet)
    hdr = 74 if v6 else 54
    assert [len(s) - hdr for s in segs] == [1448, 1448, 1448, 776]
    assert b"".join(s[hdr:] for s in segs) == payload
    assert all(tcp_ok(s, v6) for s in segs)
    l4 = hdr - 20
    seqs = [struct.unpack_from("!I", s, l4 + 4)[0] for s in segs]
    assert seqs == [1000, 1000 + 1448, 1000 + 2 * 1448, 1000 + 3 * 1448]
    flags = [s[l4 + 13] for s in segs]
    assert flags[:-1] == [0x10] * 3 and flags[-1] == 0x19  # PSH and FIN only on the last
    if not v6:
        assert [struct.unpack_from("!H", s, 18)[0] for s in segs] == [7, 8, 9, 10]


def test_bad_metadata_is_a_typed_error():
    with pytest.raises(offload.OffloadError):
        complete_checksum(bytes(40), 30, 16)
    with pytest.raises(offload.OffloadError):
        complete_frame(ETH + b"\x08\x06" + bytes(28), VnetHeader(0, offload.GSO_TCPV4, 0, 1448, 0, 0))


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=600))
def test_any_udp_payload_completes_to_a_valid_checksum(payload):
    assert udp_ok(complete_checksum(ipv4_udp(payload, partial=True), 34, 6))
