"""IEEE 1901 CSMA/CA contention (slot-level Monte Carlo with BPC, DC and CW)."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import csma, mac


def test_backoff_table_is_the_1901_one() -> None:
    """IEEE 1901 CA1/CA0: (DC, CW) = (0, 8), (1, 16), (3, 32), (15, 64) for BPC 0, 1, 2, > 2."""
    assert [csma.BACKOFF_CA1_CA0[k] for k in range(4)] == [(0, 8), (1, 16), (3, 32), (15, 64)]
    assert [csma.BACKOFF_CA3_CA2[k] for k in range(4)] == [(0, 8), (1, 16), (3, 16), (15, 32)]
    assert mac.PRS_SLOT_US == csma.PRS_SLOT_US == 35.84


def test_one_station_never_collides_and_waits_the_mean_backoff() -> None:
    r = csma.contend(np.array([1000.0]), events=4000, seed=1)
    assert r.collisions == 0 and r.successes.sum() == 4000
    assert r.idle_slots / 4000 == pytest.approx(3.5, abs=0.15)  # uniform in [0, 7]


def test_collisions_grow_with_stations_and_shares_stay_fair() -> None:
    probs = []
    for n in (2, 10, 40):
        r = csma.contend(np.full(n, 2000.0), events=8000, seed=2)
        probs.append(r.collision_probability)
        share = r.successes / r.successes.sum()
        assert share.max() - share.min() < 0.1 * 10 / n + 0.05
    assert probs[0] < probs[1] < probs[2]
    assert probs[0] < 0.1 and probs[2] > 0.3


def test_deterministic_for_a_seed() -> None:
    a = csma.contend(np.full(5, 500.0), events=2000, seed=7)
    b = csma.contend(np.full(5, 500.0), events=2000, seed=7)
    assert np.array_equal(a.successes, b.successes) and a.idle_slots == b.idle_slots
