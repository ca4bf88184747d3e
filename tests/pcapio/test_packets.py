"""CaptureReader.packets(): exact timestamps, original lengths and FCS lengths, pcap and pcapng."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from pcap_builders import T0, ng_epb, ng_idb, ng_shb, ng_spb, pcap_bytes, sample_pcap, sample_pcapng

from plcstack.pcapio import CaptureReader, PacketRecord, PcapWriter


def packets(data: bytes) -> list[PacketRecord]:
    with CaptureReader(io.BytesIO(data)) as reader:
        return list(reader.packets())


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcap_exact_time_and_original_length(endian: str) -> None:
    us = pcap_bytes([(T0, 999_999, b"a" * 60), (T0 + 1, 1, b"b" * 64)], endian=endian, orig_lens=[60, 1514])
    ns = pcap_bytes([(T0, 999_999_999, b"c" * 60)], endian=endian, magic=0xA1B23C4D)
    got = packets(us)
    assert [p.time_ns for p in got] == [T0 * 10**9 + 999_999_000, (T0 + 1) * 10**9 + 1000]
    assert [(p.length, p.orig_len, p.fcs_len, p.linktype) for p in got] == [(60, 60, 0, 1), (64, 1514, 0, 1)]
    assert got[1].data == b"b" * 64 and got[0].number == 1 and got[1].number == 2
    assert packets(ns)[0].time_ns == T0 * 10**9 + 999_999_999


def test_pcap_modified_variant_exact_time() -> None:
    got = packets(pcap_bytes([(T0, 5, b"x" * 64)], magic=0xA1B2CD34))
    assert got[0].time_ns == T0 * 10**9 + 5000 and got[0].data == b"x" * 64


@pytest.mark.parametrize(("field", "fcs"), [(1, 0), (1 | 0x04000000, 0), (1 | 0x04000000 | 2 << 28, 4),
                                             (1 | 0x04000000 | 1 << 28, 2), (1 | 2 << 28, 0)])
def test_pcap_fcs_bits_of_the_link_type_field(field: int, fcs: int) -> None:
    """libpcap LT_FCS_LENGTH: the P bit 0x04000000 says bits 28-31 hold the FCS length in 16-bit words."""
    data = pcap_bytes([(T0, 0, b"y" * 64)], linktype=field)
    with CaptureReader(io.BytesIO(data)) as reader:
        assert reader.linktype == 1 and reader.fcs_len == fcs
        assert [p.fcs_len for p in reader.packets()] == [fcs]


def test_writer_fcs_flag_and_orig_len_round_trip() -> None:
    out = io.BytesIO()
    with PcapWriter(out, fcs_len=4, nano=True) as w:
        w.write(b"z" * 64, time_ns=T0 * 10**9 + 123_456_789, orig_len=1518)
    (p,) = packets(out.getvalue())
    assert (p.time_ns, p.length, p.orig_len, p.fcs_len) == (T0 * 10**9 + 123_456_789, 64, 1518, 4)
    with pytest.raises(ValueError):
        PcapWriter(io.BytesIO(), fcs_len=3)


def test_pcapng_resolutions_offsets_and_fcs() -> None:
    e = "<"
    data = b"".join([
        ng_shb(e),
        ng_idb(e, 1),  # microseconds
        ng_idb(e, 1, tsresol=9, fcslen=4),  # nanoseconds, FCS in bytes (Wireshark's reading)
        ng_idb(e, 1, tsresol=0x80 | 10, tsoffset=100, fcslen=32),  # 2^-10 s, FCS in bits (the drafts')
        ng_idb(e, 113, tsresol=12),  # picoseconds: rounded down to ns
        ng_epb(e, 0, T0 * 10**6 + 1, b"a" * 60, orig_len=60),
        ng_epb(e, 1, T0 * 10**9 + 7, b"b" * 64, orig_len=64),
        ng_epb(e, 2, T0 * 1024 + 3, b"c" * 64, orig_len=1518),
        ng_epb(e, 3, 1000 * 10**12 + 1999, b"d" * 60, orig_len=60),  # 2**64 ps is only 213 days
        ng_epb(e, 0, T0 * 10**6, b"e" * 64, orig_len=64, flags=4 << 5),  # epb_flags: 4-byte FCS
        ng_spb(e, b"f" * 60, orig_len=80),
    ])
    with CaptureReader(io.BytesIO(data)) as reader:
        got = list(reader.packets())
        assert reader.time_digits == 12
    assert [p.time_ns for p in got] == [T0 * 10**9 + 1000, T0 * 10**9 + 7, (T0 + 100) * 10**9 + 2_929_687,
                                        1000 * 10**9 + 1, T0 * 10**9, 0]
    assert [p.fcs_len for p in got] == [0, 4, 4, 0, 4, 0]
    assert [p.interface for p in got] == [0, 1, 2, 3, 0, 0]
    assert [p.linktype for p in got] == [1, 1, 1, 113, 1, 1]
    assert [(p.length, p.orig_len) for p in got] == [(60, 60), (64, 64), (64, 1518), (60, 60), (64, 64), (60, 80)]


def test_packets_and_fast_iteration_agree() -> None:
    for data in (sample_pcapng()[0], sample_pcap(20)[0]):
        with CaptureReader(io.BytesIO(data)) as reader:
            fast = [(i, bytes(b[o:o + n]), lt, ts) for i, ts, b, o, n, lt in reader]
        detail = [(p.number, p.data, p.linktype, p.time) for p in packets(data)]
        assert [f[:3] for f in fast] == [d[:3] for d in detail]
        assert all(abs(f[3] - d[3]) < 1e-6 for f, d in zip(fast, detail, strict=True))


def test_real_captures_exact_times_agree_with_floats(capture_files: list[Path]) -> None:
    for path in capture_files:
        with CaptureReader(path) as r1, CaptureReader(path) as r2:
            fast = list(r1)
            detail = list(r2.packets())
        assert len(fast) == len(detail) > 0
        for f, d in zip(fast, detail, strict=True):
            assert f[0] == d.number and f[4] == d.length and d.orig_len >= d.length
            assert abs(f[1] - d.time_ns / 1e9) < 1e-6


def test_struct_of_the_modified_header_is_what_the_builder_writes() -> None:
    data = pcap_bytes([(T0, 1, b"q" * 60)], magic=0xA1B2CD34)
    assert struct.unpack_from("<IIII", data, 24) == (T0, 1, 60, 60) and len(data) == 24 + 24 + 60
