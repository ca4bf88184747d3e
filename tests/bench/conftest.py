"""A 200,000-frame realistic capture, generated once per session for the benchmarks."""

from __future__ import annotations

import pytest

from plcstack.pcapio import write_pcap
from plcstack.samples import realistic_mix

BENCH_FRAMES = 200_000


@pytest.fixture(scope="session")
def mix_capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "mix-200k.pcap"
    write_pcap(path, realistic_mix(BENCH_FRAMES, seed=1))
    return path
