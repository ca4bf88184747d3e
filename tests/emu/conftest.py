"""Fixtures of the emulator tests."""

from __future__ import annotations

import pytest
from emu_helpers import MAC_A, MAC_B, MAC_C, cfg

from plcstack.emu import Modem, PowerLine


@pytest.fixture
def modem() -> Modem:
    m = Modem(cfg(MAC_A), seed=1)
    m.start(0.0)
    m.poll(1.0)  # past the BBT: CCo of its own AVLN
    return m


@pytest.fixture
def network() -> PowerLine:
    """Three modems on the factory password, settled into one AVLN."""
    pl = PowerLine()
    for mac in (MAC_A, MAC_B, MAC_C):
        pl.add(cfg(mac), seed=int.from_bytes(mac, "big"))
    pl.run_for(3.0)
    return pl
