"""Impulsive noise classes of Cortés et al. 2010 as spectra (damped-cosine impulses)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plcstack.sim import impulsive


def test_published_class_ranges() -> None:
    """Cortés et al., IEEE Trans. EMC 52(4), 2010: durations, amplitudes, pseudo-frequencies, rates."""
    s, a, ap = impulsive.PERIODIC_SYNCHRONOUS, impulsive.PERIODIC_ASYNCHRONOUS, impulsive.APERIODIC
    assert s.duration_s == (2e-6, 300e-6) and s.amplitude_v == (5e-3, 1.5) and s.pseudo_freq_hz == (250e3, 500e3)
    assert a.duration_s == (1.5e-6, 10e-6) and a.amplitude_v == (4e-3, 40e-3)
    assert ap.duration_s == (15e-6, 150e-6) and impulsive.APERIODIC_MEAN_INTERARRIVAL_S == 0.1
    assert impulsive.SYNC_PER_CYCLE_RANGE == (0.0, 10.0)


def test_impulse_spectrum_far_above_its_pseudo_frequency_is_a_over_2_pi_f() -> None:
    esd = impulsive.damped_impulse_esd(10e6, 1.0, 375e3, 150e-6)
    assert math.sqrt(float(esd)) == pytest.approx(1.0 / (2 * math.pi * 10e6), rel=0.01)


def test_impulse_spectrum_peaks_at_its_pseudo_frequency() -> None:
    f = np.linspace(1e6, 13e6, 2401)
    esd = impulsive.damped_impulse_esd(f, 0.02, 7e6, 5e-6)
    assert f[np.argmax(esd)] == pytest.approx(7e6, rel=0.01)


def test_train_psd_is_energy_times_rate() -> None:
    f = np.array([5e6])
    one = impulsive.impulse_train_psd_dbm_per_hz(f, 0.5, 300e3, 100e-6, 100.0)
    ten = impulsive.impulse_train_psd_dbm_per_hz(f, 0.5, 300e3, 100e-6, 1000.0)
    assert float((ten - one)[0]) == pytest.approx(10.0)
    esd = float(impulsive.damped_impulse_esd(f, 0.5, 300e3, 100e-6)[0])
    assert float(one[0]) == pytest.approx(10 * math.log10(2 * esd * 100.0 / 50.0) + 30.0)


def test_aperiodic_impulses_hit_few_pbs() -> None:
    """Mean inter-arrival 100 ms (Çelebi 2010), 80 us impulses: a 50 us PB is hit 0.13 % of the time."""
    p = impulsive.pb_hit_probability(50e-6, 80e-6, impulsive.APERIODIC_MEAN_INTERARRIVAL_S)
    assert p == pytest.approx(1.3e-3, rel=0.01)
    with pytest.raises(ValueError):
        impulsive.pb_hit_probability(1e-5, 1e-5, 0.0)
