"""Shared fixtures: where the reference material and third-party captures live."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# CI ("ci", the default) runs every property test on the same derandomised examples, so a red run
# is a change, not a new draw; `make fuzz` ("fuzz") draws fresh random examples, many more of them.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("fuzz", max_examples=1000, print_blob=True)
settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CAPTURES = SHARED / "captures"
REFERENCE = SHARED / "reference"


def shared_captures() -> list[Path]:
    return sorted(p for p in CAPTURES.glob("*/*") if p.suffix in (".pcap", ".pcapng"))


@pytest.fixture(scope="session")
def capture_files() -> list[Path]:
    files = shared_captures()
    if not files:
        pytest.skip(f"third-party captures not found under {CAPTURES} (a clone of the project on its own)")
    return files
