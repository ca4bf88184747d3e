"""plcstack.pcapio.reader: pcap and pcapng parsing, chunking, streams, truncation, fuzzing."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pcap_builders import (
    T0,
    NonSeekable,
    assert_records,
    frame_of,
    ng_epb,
    ng_idb,
    ng_shb,
    ng_spb,
    outcome,
    pcap_bytes,
    read_all,
    sample_pcap,
    sample_pcapng,
)

from plcstack.pcapio import LINKTYPE_ETHERNET, CaptureFormatError, CaptureReader, PcapWriter, open_capture

# --------------------------------------------------------------------------------------------------------
# classic pcap


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_pcap_endianness_and_resolution(endian: str, nano: bool) -> None:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    recs = [(T0, 999_999_999 if nano else 999_999, b"\x01" * 60), (T0 + 5, 1, b"\x02" * 1514), (0, 0, b"")]
    data = pcap_bytes(recs, endian=endian, magic=magic, linktype=1 | (0x4 << 28))  # FCS bits are masked
    with CaptureReader(io.BytesIO(data)) as reader:
        assert reader.format == "pcap"
        assert reader.linktype == 1
        assert reader.nanosecond is nano
        got = [(i, ts, bytes(b[o : o + n]), lt) for i, ts, b, o, n, lt in reader]
    div = 1e9 if nano else 1e6
    assert_records(got, [(k + 1, s + f / div, fr, 1) for k, (s, f, fr) in enumerate(recs)])
    assert got[1][1] == T0 + 5 + 1 / div


def test_modified_pcap_variant() -> None:
    recs = [(T0, 5, b"\xaa" * 64), (T0 + 1, 6, b"\xbb" * 70)]
    data = pcap_bytes(recs, magic=0xA1B2CD34)
    assert_records(
        read_all(io.BytesIO(data)), [(1, T0 + 5e-6, recs[0][2], 1), (2, T0 + 1 + 6e-6, recs[1][2], 1)]
    )


def test_records_share_the_chunk() -> None:
    data, _ = sample_pcap(20)
    bufs = [buf for _, _, buf, _, _, _ in CaptureReader(io.BytesIO(data))]
    assert all(b is bufs[0] for b in bufs)
    assert isinstance(bufs[0], bytes)


# --------------------------------------------------------------------------------------------------------
# pcapng


def test_pcapng_hand_built_sections_and_interfaces() -> None:
    data, expected = sample_pcapng()
    with CaptureReader(io.BytesIO(data)) as reader:
        assert reader.format == "pcapng"
        got = [(i, ts, bytes(b[o : o + n]), lt) for i, ts, b, o, n, lt in reader]
        assert reader.linktype == 1
        assert reader.bytes_read == reader.size == len(data)
    assert_records(got, expected)
    assert got[2][1] == T0 + 100.5  # power-of-two resolution is exact


def test_pcapng_errors_name_offset_and_index() -> None:
    e = "<"
    head = ng_shb(e) + ng_idb(e, 1)
    good = ng_epb(e, 0, 1, b"x" * 60)
    with pytest.raises(
        CaptureFormatError, match=rf"undefined interface 3.*record #2, byte offset {len(head) + len(good)}"
    ):
        read_all(io.BytesIO(head + good + ng_epb(e, 3, 1, b"y" * 60)))

    bad = bytearray(ng_epb(e, 0, 1, b"y" * 60))
    bad[-1] ^= 1  # trailing length differs from the leading one
    with pytest.raises(CaptureFormatError, match=rf"trailing.*byte offset {len(head) + len(good)}"):
        read_all(io.BytesIO(head + good + bytes(bad)))

    bad = bytearray(ng_epb(e, 0, 1, b"y" * 60))
    struct.pack_into(e + "I", bad, 4, 31)  # not a multiple of 4
    with pytest.raises(CaptureFormatError, match="bad total length 31"):
        read_all(io.BytesIO(head + bytes(bad)))

    bad = bytearray(ng_epb(e, 0, 1, b"y" * 60))
    struct.pack_into(e + "I", bad, 20, 61)  # captured length beyond the block
    with pytest.raises(CaptureFormatError, match="captured length 61"):
        read_all(io.BytesIO(head + bytes(bad)))

    bad = bytearray(ng_shb(e))
    bad[8:12] = b"\x01\x02\x03\x04"
    with pytest.raises(CaptureFormatError, match="byte-order magic.*byte offset 8"):
        read_all(io.BytesIO(bytes(bad)))

    with pytest.raises(CaptureFormatError, match="SPB without interface"):
        read_all(io.BytesIO(ng_shb(e) + ng_spb(e, b"z" * 60)))


def test_bad_magic_and_short_files() -> None:
    for data in (b"", b"\xd4\xc3", b"GIF89a........................", b"\xd4\xc3\xb2\xa1" + b"\0" * 10):
        with pytest.raises(CaptureFormatError, match="byte offset 0"):
            CaptureReader(io.BytesIO(data))


def test_implausible_record_length() -> None:
    data = pcap_bytes([(T0, 0, b"x" * 60)]) + struct.pack("<IIII", T0, 0, 0xFFFFFFF0, 60) + b"x" * 100
    recs: list[int] = []
    with pytest.raises(CaptureFormatError, match=r"implausible.*record #2, byte offset 100"):
        for rec in CaptureReader(io.BytesIO(data)):
            recs.append(rec[0])
    assert recs == [1]


# --------------------------------------------------------------------------------------------------------
# real captures vs scapy


@pytest.fixture(scope="module")
def scapy_rdpcap() -> Any:
    scapy_utils = pytest.importorskip("scapy.utils")
    pytest.importorskip("scapy.layers.l2")  # registers Ether for linktype 1 (avoids "unknown LL type")
    return scapy_utils.rdpcap


def test_real_captures_match_scapy(capture_files: list[Path], scapy_rdpcap: Any) -> None:
    for p in capture_files:
        path = str(p)
        packets = scapy_rdpcap(path)
        with open_capture(path) as reader:
            assert reader.format == ("pcapng" if path.endswith(".pcapng") else "pcap")
            got = [(i, ts, bytes(b[o : o + n]), lt) for i, ts, b, o, n, lt in reader]
            assert reader.bytes_read == reader.size == os.path.getsize(path)
        assert len(got) == len(packets) > 0
        for (i, ts, frame, lt), pkt in zip(got, packets, strict=True):
            assert frame == pkt.original, f"{p.name} frame {i}"
            assert abs(ts - float(pkt.time)) < 1e-6, f"{p.name} frame {i}"
            assert lt == LINKTYPE_ETHERNET
        assert [r[0] for r in got] == list(range(1, len(got) + 1))


def test_real_captures_tiny_chunks_and_pipes(capture_files: list[Path]) -> None:
    for path in capture_files[:5]:
        ref = read_all(path)
        data = Path(path).read_bytes()
        assert read_all(path, chunk_size=7) == ref
        assert read_all(NonSeekable(data, seed=3, max_read=500), chunk_size=300) == ref


# --------------------------------------------------------------------------------------------------------
# chunking, streams, truncation


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 13, 24, 64, 100, 4096])
def test_tiny_chunks_identical(chunk_size: int) -> None:
    ng, _ = sample_pcapng()
    pc, _ = sample_pcap(30)
    big = pcap_bytes([(T0, i, frame_of(3000 + 500 * i, i)) for i in range(5)])  # records >> chunk
    for data in (ng, pc, big):
        ref = read_all(io.BytesIO(data))
        assert read_all(io.BytesIO(data), chunk_size=chunk_size) == ref
        assert read_all(NonSeekable(data, seed=chunk_size), chunk_size=chunk_size) == ref


def test_large_records(tmp_path: Path) -> None:
    path = tmp_path / "big.pcap"
    frames = [(T0 + i, frame_of(n, i)) for i, n in enumerate([70, 200_000, 60, 1_000_000, 65])]
    with PcapWriter(path, snaplen=1 << 20) as w:
        for ts, fr in frames:
            w.write(fr, ts)
    expected = [(k + 1, ts, fr, 1) for k, (ts, fr) in enumerate(frames)]
    assert_records(read_all(path, chunk_size=4096), expected)
    assert_records(read_all(NonSeekable(path.read_bytes(), max_read=70_000), chunk_size=1000), expected)


def test_os_pipe() -> None:
    data, expected = sample_pcapng()
    r, w = os.pipe()

    def feed() -> None:
        with os.fdopen(w, "wb", buffering=0) as out:
            rnd = random.Random(5)
            pos = 0
            while pos < len(data):
                step = rnd.randint(1, 50)
                out.write(data[pos : pos + step])
                pos += step

    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(r, "rb", buffering=0) as src, CaptureReader(src, chunk_size=16) as reader:
        assert reader.size is None
        got = [(i, ts, bytes(b[o : o + n]), lt) for i, ts, b, o, n, lt in reader]
        assert reader.bytes_read == len(data)
    t.join()
    assert_records(got, expected)


def test_stdin_of_a_subprocess() -> None:
    data, recs = sample_pcap(50)
    code = (
        "import sys; from plcstack.pcapio import CaptureReader\n"
        "r = CaptureReader(sys.stdin.buffer, chunk_size=100)\n"
        "print(r.size, sum(n for _, _, _, _, n, _ in r), r.bytes_read)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=True, timeout=60
    )
    assert out.stdout.split() == [
        b"None",
        str(sum(len(f) for _, _, f in recs)).encode(),
        str(len(data)).encode(),
    ]


def test_non_seekable_wrapper() -> None:
    data, expected = sample_pcapng()
    with CaptureReader(NonSeekable(data)) as reader:
        assert reader.size is None
        got = [(i, ts, bytes(b[o : o + n]), lt) for i, ts, b, o, n, lt in reader]
    assert_records(got, expected)


def test_stream_not_at_start() -> None:
    data, recs = sample_pcap(3)
    src = io.BytesIO(b"JUNK" + data)
    src.seek(4)
    reader = CaptureReader(src)
    assert reader.size == len(data)
    assert len(list(reader)) == 3
    reader.close()
    assert not src.closed


class GeneratedPcap(io.RawIOBase):
    """A non-seekable pcap stream of ``n`` 100-byte records produced on the fly (never held in memory)."""

    def __init__(self, n: int) -> None:
        self._left = n
        self._pending = pcap_bytes([])
        self._rec = struct.pack("<IIII", T0, 0, 84, 84) + bytes(range(84))

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < size and self._left:
            k = min(self._left, max(1, size // len(self._rec)))
            self._pending += self._rec * k
            self._left -= k
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def test_constant_memory_streaming() -> None:
    n = 150_000  # 15 MB of capture
    tracemalloc.start()
    try:
        reader = CaptureReader(GeneratedPcap(n), chunk_size=64 * 1024)
        count = total = last = 0
        for index, _, _buf, _off, length, _ in reader:
            count += 1
            total += length
            last = index
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, total, last) == (n, 84 * n, n)
    assert reader.bytes_read == 24 + 100 * n
    assert peak < 2_000_000, f"peak {peak} bytes: reader is not streaming"


def _record_starts_pcap(data: bytes) -> list[int]:
    starts, pos = [], 24
    while pos < len(data):
        starts.append(pos)
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    return starts + [len(data)]


def test_truncated_pcap_every_cut() -> None:
    data, recs = sample_pcap(5)
    starts = _record_starts_pcap(data)
    for cut in range(24, len(data) + 1):
        complete = sum(1 for s in starts[1:] if s <= cut)
        at_boundary = cut in starts
        got: list[int] = []
        if at_boundary:
            assert [r[0] for r in read_all(io.BytesIO(data[:cut]))] == list(range(1, complete + 1))
            continue
        with pytest.raises(CaptureFormatError) as info:
            for rec in CaptureReader(io.BytesIO(data[:cut]), chunk_size=32):
                got.append(rec[0])
        assert got == list(range(1, complete + 1))  # every complete record came first
        assert info.value.offset == starts[complete]
        assert info.value.index == complete + 1
        assert f"byte offset {starts[complete]}" in str(info.value) and "truncated" in str(info.value)
        reader = CaptureReader(io.BytesIO(data[:cut]), strict=False)
        assert [r[0] for r in reader] == list(range(1, complete + 1))
        assert reader.truncated


def test_truncated_pcapng_every_cut() -> None:
    data, expected = sample_pcapng()
    full = read_all(io.BytesIO(data))
    for cut in range(12, len(data)):
        res, err, truncated = outcome(data[:cut], chunk_size=64)
        assert res == full[: len(res)]
        lenient, lerr, ltrunc = outcome(data[:cut], strict=False)
        assert lenient == res
        if err is not None:
            assert "byte offset" in err
            assert lerr is None and ltrunc


# --------------------------------------------------------------------------------------------------------
# fuzzing: anything but CaptureFormatError is a bug; chunking never changes the outcome

_SEEDS = [sample_pcap(4)[0], sample_pcapng()[0], pcap_bytes(sample_pcap(3)[1], endian=">", magic=0xA1B23C4D)]
_MAGICS = [
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\x34\xcd\xb2\xa1",
    b"\n\r\r\n",
    b"\n\r\r\n\x1c\0\0\0\x4d\x3c\x2b\x1a",
    b"\n\r\r\n\0\0\0\x1c\x1a\x2b\x3c\x4d",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from([b""] + _MAGICS), body=st.binary(max_size=400), chunk=st.integers(1, 64))
def test_fuzz_random_bytes(prefix: bytes, body: bytes, chunk: int) -> None:
    data = prefix + body
    ref = outcome(data)
    assert outcome(data, chunk_size=chunk) == ref
    assert outcome(data, strict=False)[0] == ref[0]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(range(len(_SEEDS))),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
    chunk=st.integers(1, 200),
)
def test_fuzz_mutated_files(seed: int, edits: list[tuple[int, int]], cut: int | None, chunk: int) -> None:
    data = bytearray(_SEEDS[seed])
    for pos, value in edits:
        data[pos % len(data)] = value
    if cut is not None:
        del data[cut % (len(data) + 1) :]
    ref = outcome(bytes(data))
    assert outcome(bytes(data), chunk_size=chunk) == ref
    assert outcome(bytes(data), chunk_size=chunk, strict=False)[0] == ref[0]
