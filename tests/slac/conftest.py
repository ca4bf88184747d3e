"""SLAC tests share the network-namespace helpers of the emulator tests."""

from __future__ import annotations

import sys
from pathlib import Path

EMU_TESTS = Path(__file__).resolve().parent.parent / "emu"
if str(EMU_TESTS) not in sys.path:
    sys.path.insert(0, str(EMU_TESTS))
