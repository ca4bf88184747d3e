"""Chunked reading and the batch statistics against the per-frame capture decoder."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from plcstack.capture import CaptureDecoder
from plcstack.capture.chunks import batch_stats, read_chunks, read_headers
from plcstack.pcapio import CaptureFormatError, open_capture


def _stats(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("elapsed_s", "frames_per_s")}


def per_frame_stats(path: Path) -> dict:
    decoder = CaptureDecoder(path)
    for _ in decoder:
        pass
    return _stats(decoder.stats.as_dict())


def _records(path: Path) -> list[tuple[int, float, bytes]]:
    with open_capture(path) as reader:
        return [(i, t, bytes(buf[off:off + n])) for i, t, buf, off, n, _lt in reader]


def _as_pcapng(records: list[tuple[int, float, bytes]], path: Path) -> None:
    """The same records as pcapng (nanosecond timestamps), to take the generic reading path."""
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    opt = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb_len = 20 + len(opt)
    idb = struct.pack("<IIHHI", 1, idb_len, 1, 0, 0) + opt + struct.pack("<I", idb_len)
    with open(path, "wb") as fh:
        fh.write(shb + idb)
        for _i, t, fr in records:
            ns = round(t * 1e9)
            pad = -len(fr) % 4
            blen = 32 + len(fr) + pad
            fh.write(struct.pack("<IIIIIII", 6, blen, 0, ns >> 32, ns & 0xFFFFFFFF, len(fr), len(fr)))
            fh.write(fr + b"\0" * pad + struct.pack("<I", blen))


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 4096, 300])
def test_chunks_hold_every_record_once(mixed_capture: Path, chunk_bytes: int):
    want = _records(mixed_capture)
    got = []
    for chunk in read_chunks(mixed_capture, chunk_bytes=chunk_bytes):
        for i, t, off, n in zip(chunk.index.tolist(), chunk.time_ns.tolist(), chunk.offset.tolist(),
                                chunk.length.tolist(), strict=True):
            got.append((i, t, chunk.buf[off:off + n]))
        assert chunk.bytes_read <= (chunk.size or 0)
    assert [(i, f) for i, _t, f in got] == [(i, f) for i, _t, f in want]
    # classic pcap: exact microseconds
    assert [t for _i, t, _f in got] == [round(t * 1e6) * 1000 for _i, t, _f in want]


def test_generic_path_reads_the_same(mixed_capture: Path, tmp_path: Path):
    records = _records(mixed_capture)
    ng = tmp_path / "mixed.pcapng"
    _as_pcapng(records, ng)
    chunks = list(read_chunks(ng, chunk_bytes=2048))
    assert len(chunks) > 1
    got = [(int(i), c.buf[o:o + n]) for c in chunks for i, o, n in zip(c.index, c.offset, c.length, strict=True)]
    assert got == [(i, f) for i, _t, f in records]
    assert _stats(batch_stats(ng).as_dict()) == _stats(batch_stats(ng, chunk_bytes=777).as_dict())
    assert _stats(batch_stats(ng).as_dict()) == per_frame_stats(ng)


def test_cut_file_yields_everything_before_the_cut(mixed_capture: Path, tmp_path: Path):
    data = mixed_capture.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-7])
    seen = 0
    with pytest.raises(CaptureFormatError, match="truncated capture") as err:
        for chunk in read_chunks(cut, chunk_bytes=5000):
            seen += len(chunk)
    assert seen == len(_records(mixed_capture)) - 1
    assert err.value.offset is not None and err.value.offset < len(data)


def test_corrupt_length_is_a_format_error(tmp_path: Path, mixed_capture: Path):
    data = bytearray(mixed_capture.read_bytes())
    data[24 + 8:24 + 12] = struct.pack("<I", 0x7FFFFFF0)
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(bytes(data))
    with pytest.raises(CaptureFormatError, match="implausible"):
        list(read_chunks(bad))


@pytest.mark.parametrize("chunk_bytes", [16 << 20, 3000])
def test_batch_stats_equal_per_frame_stats(mixed_capture: Path, chunk_bytes: int):
    stats = batch_stats(mixed_capture, chunk_bytes=chunk_bytes)
    assert _stats(stats.as_dict()) == per_frame_stats(mixed_capture)
    assert stats.errors >= 5 and stats.fragments == 3 and stats.reassembled == 1 and stats.truncated >= 2


def test_batch_stats_on_every_shared_capture(capture_files: list[Path]):
    for path in capture_files:
        assert _stats(batch_stats(path, chunk_bytes=1 << 14).as_dict()) == per_frame_stats(path), path.name


def test_read_headers_agrees_with_the_capture_decoder(mixed_capture: Path):
    table = read_headers(mixed_capture, chunk_bytes=2000)
    records = [r for r in CaptureDecoder(mixed_capture, reassemble=False) if r.data[12:14] != b"\x88\x7b"]
    assert table.index.tolist() == [r.index for r in records]
    for k, r in enumerate(records):
        if r.frame is not None:
            assert (table.mmv[k], table.mmtype[k]) == (r.frame.mmv, r.frame.mmtype)
            assert table.oui[k] == (int.from_bytes(r.frame.oui, "big") if r.frame.oui is not None else -1)
            assert table.vlan[k] == (-1 if r.frame.vlan is None else r.frame.vlan)
    assert np.all(np.diff(table.time_ns) > 0)


def test_read_headers_names_the_rejected_frames(mixed_capture: Path):
    table = read_headers(mixed_capture)
    records = [r for r in CaptureDecoder(mixed_capture, reassemble=False) if r.data[12:14] != b"\x88\x7b"]
    rejected = {k for k, r in enumerate(records) if r.error is not None and r.frame is None}
    header_errors = {k for k in rejected if records[k].error.field in ("mmv", "oui", "length", "fmi", "vlan")}
    assert header_errors and header_errors <= set(table.errors)
    assert all(table.error_of(k).field == records[k].error.field for k in table.errors)
