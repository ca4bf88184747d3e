"""Site noise classes: Esmailian curves, Benyoucef narrowband statistics, Cortés impulse quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import impulsive, noise, noiseclass


def test_classes_and_default() -> None:
    c = noiseclass.NOISE_CLASSES
    assert c["residential"].background == noise.ESMAILIAN_LOW
    assert c["commercial"].background == c["industrial"].background == noise.ESMAILIAN_HIGH
    assert c["residential"].building == "residential" and c["industrial"].building == "office"
    assert noiseclass.DEFAULT_NOISE_CLASS == "industrial"


def test_benyoucef_counts_and_widths_follow_the_published_statistics() -> None:
    """Benyoucef 2003, office: interferer count per 10 MHz band ~ ceil(max(N(1, 6.94), 0)) in 0-10 MHz,
    widths exponential with mean 0.30 MHz and a 0.19 MHz minimum."""
    rng = np.random.default_rng(2003)
    counts, widths = [], []
    for _ in range(4000):
        drawn = noiseclass.narrowband_interferers("office", rng)
        band1 = [w for c, w, _ in drawn if c < 10e6]
        counts.append(len(band1))
        widths += band1
    draws = np.ceil(np.maximum(np.random.default_rng(1).normal(1.0, 6.94, 200_000), 0.0))
    assert np.mean(counts) == pytest.approx(draws.mean(), rel=0.05)
    assert min(widths) >= 0.19e6
    assert np.mean(widths) == pytest.approx(0.19e6 + 0.30e6 * np.exp(-0.19 / 0.30), rel=0.06)


def test_narrowband_excess_is_the_gaussian_sum_in_db() -> None:
    f = np.array([5e6, 5.3e6, 9e6])
    excess = noiseclass.narrowband_excess_db(f, [(5e6, 0.3e6, 20.0)])
    np.testing.assert_allclose(excess, [20.0, 20.0 * np.exp(-0.5), 0.0], atol=1e-6)


def test_class_impulses_lie_inside_the_published_ranges_and_order() -> None:
    res, com, ind = (noiseclass.NOISE_CLASSES[k] for k in ("residential", "commercial", "industrial"))
    for cls in (impulsive.PERIODIC_SYNCHRONOUS, impulsive.PERIODIC_ASYNCHRONOUS, impulsive.APERIODIC):
        amps = [c.impulses(cls)[0] for c in (res, com, ind)]
        assert cls.amplitude_v[0] < amps[0] < amps[1] < amps[2] < cls.amplitude_v[1]
        # the median on a log scale of amplitudes
        assert amps[1] == pytest.approx(np.sqrt(cls.amplitude_v[0] * cls.amplitude_v[1]), rel=1e-9)
    assert res.sync_per_cycle < com.sync_per_cycle < ind.sync_per_cycle <= 10


def test_synchronous_impulses_raise_the_noise_only_in_their_slots() -> None:
    f = np.linspace(2e6, 28e6, 200)
    slots = noiseclass.synchronous_slot_noise_lin(f, noiseclass.NOISE_CLASSES["industrial"],
                                                  np.random.default_rng(3), 6, 50.0)
    hit = slots.max(axis=1) > 0
    assert 1 <= hit.sum() < 6
    # an industrial impulse train is comparable to the high background at 10 MHz in its slot
    k = np.argmin(abs(f - 10e6))
    assert -135 < 10 * np.log10(slots[hit][:, k].max()) < -105
