"""plcstack.pcapio.streams: gzip by magic, pipes that deliver each record as soon as it is written."""

from __future__ import annotations

import gzip
import io
import os
import threading
import zlib
from pathlib import Path

import pytest
from pcap_builders import read_all, sample_pcap, sample_pcapng

from plcstack.pcapio import CaptureFormatError, CaptureReader


@pytest.mark.parametrize("name", ["x.pcap.gz", "x.pcap", "x.bin"])
def test_gzip_is_recognised_by_its_magic(tmp_path: Path, name: str) -> None:
    data, _ = sample_pcapng()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data))
    with CaptureReader(path) as reader:
        assert reader.compression == "gzip" and reader.format == "pcapng"
        got = [(i, bytes(b[o:o + n])) for i, _, b, o, n, _ in reader]
        assert reader.bytes_read == len(data)
        assert reader.position == path.stat().st_size
    assert got == [(r[0], r[2]) for r in read_all(io.BytesIO(data))]


def test_gzip_stream_multi_member_and_tiny_chunks() -> None:
    data, _ = sample_pcap(30)
    packed = gzip.compress(data[:100]) + gzip.compress(data[100:])  # `cat a.gz b.gz` is one gzip file
    ref = read_all(io.BytesIO(data))
    assert read_all(io.BytesIO(packed)) == ref
    assert read_all(io.BytesIO(packed), chunk_size=5) == ref


def test_cut_gzip_yields_what_is_complete_then_names_the_cut() -> None:
    data, recs = sample_pcap(40)
    packed = gzip.compress(data)
    got: list[int] = []
    with pytest.raises(CaptureFormatError, match="truncated") as info:
        for rec in CaptureReader(io.BytesIO(packed[: len(packed) * 2 // 3])):
            got.append(rec[0])
    assert 0 < len(got) < len(recs) and got == list(range(1, len(got) + 1))
    assert info.value.offset is not None and info.value.index == len(got) + 1
    lenient = CaptureReader(io.BytesIO(packed[:-4]), strict=False)  # only the gzip trailer is missing
    assert len(list(lenient)) == len(recs) and lenient.truncated


def test_corrupt_gzip_is_a_capture_format_error() -> None:
    data, _ = sample_pcap(40)
    packed = bytearray(gzip.compress(data))
    packed[len(packed) // 2] ^= 0xFF
    with pytest.raises(CaptureFormatError, match="gzip|truncated|corrupt"):
        list(CaptureReader(io.BytesIO(bytes(packed))))


@pytest.mark.parametrize("buffered", [True, False])
def test_pipe_record_is_delivered_before_more_data_arrives(buffered: bool) -> None:
    """``tcpdump -U -w - | plcstack decode -``: the reader must not wait for a full chunk."""
    data, recs = sample_pcap(3)
    first_end = 24 + 16 + len(recs[0][2])
    r, w = os.pipe()
    src = os.fdopen(r, "rb", buffering=io.DEFAULT_BUFFER_SIZE if buffered else 0)
    os.write(w, data[:first_end])
    got: list[int] = []
    done = threading.Event()

    def first() -> None:
        reader = CaptureReader(src)  # type: ignore[arg-type]
        it = iter(reader)
        got.append(next(it)[0])
        done.set()
        got.extend(rec[0] for rec in it)

    t = threading.Thread(target=first, daemon=True)
    t.start()
    assert done.wait(10), "the first record was not delivered while the pipe stayed open"
    assert got == [1]
    os.write(w, data[first_end:])
    os.close(w)
    t.join(10)
    src.close()
    assert got == [1, 2, 3]


def test_gzip_pipe_delivers_records_of_flushed_blocks() -> None:
    data, recs = sample_pcap(3)
    first_end = 24 + 16 + len(recs[0][2])
    comp = zlib.compressobj(wbits=31)
    head = comp.compress(data[:first_end]) + comp.flush(zlib.Z_SYNC_FLUSH)
    r, w = os.pipe()
    src = os.fdopen(r, "rb")
    os.write(w, head)
    done = threading.Event()
    got: list[int] = []

    def run() -> None:
        it = iter(CaptureReader(src))
        got.append(next(it)[0])
        done.set()
        got.extend(rec[0] for rec in it)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert done.wait(10)
    os.write(w, comp.compress(data[first_end:]) + comp.flush())
    os.close(w)
    t.join(10)
    src.close()
    assert got == [1, 2, 3]
