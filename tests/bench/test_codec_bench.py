"""Codec and capture throughput on the synthetic mix and on tiled real traffic (pytest-benchmark).

`make bench` runs these with timing; in `make test` they run once as correctness checks.  The
targets (``tools/compare_decoders.py`` reports them against tshark and pcap iteration, one core)
are printed there, not asserted here: timings on a shared machine are not a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plcstack.capture import CaptureDecoder
from plcstack.capture.chunks import batch_stats, read_headers
from plcstack.codec import DecodeError, decode_frame, encode_frame
from plcstack.pcapio import open_capture


def decode_every_frame(path: Path) -> tuple[int, int]:
    """The per-frame API over a capture: (decoded frames, decode errors)."""
    ok = bad = 0
    with open_capture(path) as reader:
        for _i, _t, buf, off, n, _lt in reader:
            try:
                decode_frame(buf, off, off + n)
                ok += 1
            except DecodeError:
                bad += 1
    return ok, bad


def _records(path: Path) -> int:
    with open_capture(path) as reader:
        return sum(1 for _ in reader)


def test_pcap_iteration(benchmark: Any, bench_capture: Path):
    assert benchmark.pedantic(_records, args=(bench_capture,), rounds=3, iterations=1) > 0


def test_per_frame_decode(benchmark: Any, bench_capture: Path):
    ok, bad = benchmark.pedantic(decode_every_frame, args=(bench_capture,), rounds=1, iterations=1)
    assert ok + bad == _records(bench_capture) and ok > bad


def test_batch_stats(benchmark: Any, bench_capture: Path):
    stats = benchmark.pedantic(batch_stats, args=(bench_capture,), rounds=3, iterations=1)
    per_frame = CaptureDecoder(bench_capture)
    for _ in per_frame:
        pass
    assert stats.by_type == per_frame.stats.by_type and stats.errors == per_frame.stats.errors


def test_header_only(benchmark: Any, bench_capture: Path):
    table = benchmark.pedantic(read_headers, args=(bench_capture,), rounds=3, iterations=1)
    assert len(table) + table.other_frames == _records(bench_capture)


def test_encode_decoded_frames(benchmark: Any, bench_capture: Path):
    frames, originals = [], []
    with open_capture(bench_capture) as reader:
        for _i, _t, buf, off, n, _lt in reader:
            try:
                frames.append(decode_frame(buf, off, off + n))
            except DecodeError:
                continue
            originals.append(bytes(buf[off:off + n]))
    out = benchmark.pedantic(lambda: [encode_frame(f) for f in frames], rounds=3, iterations=1)
    assert out == originals


def test_parquet_export(benchmark: Any, bench_capture: Path, tmp_path: Path):
    import pytest

    pytest.importorskip("pyarrow", reason="the 'arrow' extra")
    from plcstack.capture.export import export

    summary = benchmark.pedantic(export, args=(bench_capture, tmp_path / "pq"), rounds=1, iterations=1)
    assert summary.frames == summary.stats.homeplug and (tmp_path / "pq" / "frames.parquet").exists()
