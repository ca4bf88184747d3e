"""Benchmark captures, built once per session: the synthetic mix and real traffic tiled from ``../shared``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from plcstack.pcapio import write_pcap
from plcstack.samples import realistic_mix

BENCH_FRAMES = 200_000
REAL_FRAMES = 100_000  # `tools/make_bench_capture.py --frames 1000000` for the README numbers
REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO.parent / "shared" / "captures"


def _tool(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mix_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "mix-200k.pcap"
    write_pcap(path, realistic_mix(BENCH_FRAMES, seed=1))
    return path


@pytest.fixture(scope="session")
def real_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tool = _tool("make_bench_capture")
    if not tool.capture_files([CAPTURES]):
        pytest.skip(f"real captures not found under {CAPTURES}: the tiled benchmark capture needs them")
    path = tmp_path_factory.mktemp("bench") / "real-100k.pcap"
    tool.write_bench_capture(path, REAL_FRAMES, [CAPTURES])
    return path


@pytest.fixture(scope="session", params=["synthetic", "real"])
def bench_capture(request: pytest.FixtureRequest) -> Path:
    """Each benchmark runs on the synthetic mix and on the tiled real traffic."""
    return request.getfixturevalue("mix_capture" if request.param == "synthetic" else "real_capture")
