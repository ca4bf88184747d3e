"""Throughput benchmarks for plcstack.pcapio (``make bench``); with --benchmark-disable they run once as
ordinary correctness tests. Target: >= 1.5 M records/s for plain iteration over a classic pcap."""

from __future__ import annotations

import random
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from plcstack.pcapio import CaptureReader, PcapWriter

N_FRAMES = 200_000
T0 = 1_700_000_000.0


def _frames() -> list[bytes]:
    rnd = random.Random(42)
    pool = [rnd.randbytes(n) for n in range(60, 131)]  # ~60-130-byte frames like HomePlug MMEs
    return [pool[rnd.randrange(len(pool))] for _ in range(N_FRAMES)]


@pytest.fixture(scope="module")
def bench_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    d = tmp_path_factory.mktemp("pcapio_bench")
    frames = _frames()
    pcap = d / "bench.pcap"
    with PcapWriter(pcap) as w:
        for i, fr in enumerate(frames):
            w.write(fr, T0 + i * 0.000_25)
    # pcapng: SHB, one Ethernet IDB (default microsecond resolution), one EPB per frame
    pcapng = d / "bench.pcapng"
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    idb = struct.pack("<IIHHII", 1, 20, 1, 0, 0, 20)
    with open(pcapng, "wb") as fh:
        fh.write(shb + idb)
        for i, fr in enumerate(frames):
            ts = int(T0 * 1_000_000) + i * 250
            pad = -len(fr) % 4
            blen = 32 + len(fr) + pad
            fh.write(struct.pack("<IIIIIII", 6, blen, 0, ts >> 32, ts & 0xFFFFFFFF, len(fr), len(fr)))
            fh.write(fr + b"\0" * pad + struct.pack("<I", blen))
    return pcap, pcapng, sum(map(len, frames))


def _iterate(path: Path) -> tuple[int, int]:
    count = total = 0
    with CaptureReader(path) as reader:
        for _, _, _, _, length, _ in reader:
            count += 1
            total += length
    return count, total


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_bench_iterate(benchmark: Any, bench_files: tuple[Path, Path, int], fmt: str) -> None:
    path = bench_files[0] if fmt == "pcap" else bench_files[1]
    t = time.perf_counter()
    count, total = benchmark.pedantic(_iterate, args=(path,), rounds=5, iterations=1, warmup_rounds=1)
    elapsed = time.perf_counter() - t
    assert count == N_FRAMES
    assert total == bench_files[2]
    benchmark.extra_info["records"] = N_FRAMES
    if benchmark.stats is not None:  # None with --benchmark-disable
        benchmark.extra_info["records_per_s"] = round(N_FRAMES / benchmark.stats.stats.min)
    else:
        benchmark.extra_info["records_per_s"] = round(N_FRAMES / elapsed)
