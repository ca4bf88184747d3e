"""Noise models: Esmailian background, receiver floor from pyPLC's limit, Middleton, CISPR 32 limits, charger emission."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import carriers, noise


def test_esmailian_curves_and_label() -> None:
    f = np.array([1, 2, 5, 10, 20, 30]) * 1e6
    noisy = noise.background_noise_dbm_per_hz(f, *noise.NOISY_BACKGROUND)
    quiet = noise.background_noise_dbm_per_hz(f, *noise.QUIET_BACKGROUND)
    np.testing.assert_allclose(noisy, [-91.8, -102.9, -114.1, -120.5, -125.6, -128.1], atol=0.05)
    np.testing.assert_allclose(quiet, [-101.2, -116.5, -127.8, -132.6, -135.5, -136.7], atol=0.05)
    fb = np.linspace(1e6, 30e6, 500)  # ns-3 label swap: the "best case" curve is noisier everywhere
    assert np.all(noise.background_noise_dbm_per_hz(fb, *noise.NOISY_BACKGROUND)
                  > noise.background_noise_dbm_per_hz(fb, *noise.QUIET_BACKGROUND))


def test_power_sum_and_narrowband() -> None:
    assert noise.power_sum_db(-100.0, -100.0) == pytest.approx(-100 + 10 * np.log10(2))
    assert noise.power_sum_db(-100.0, -np.inf) == pytest.approx(-100.0)
    nb = noise.narrowband_noise_dbm_per_hz(np.array([6.05e6, 8.5e6, 2.5e6]), -130.0, 20.0)
    assert nb[0] == pytest.approx(-110.0, abs=0.01)
    assert nb[1] < -140 and nb[2] < -140
    assert len(noise.shortwave_bands_mhz) == 9
    assert np.all(noise.receiver_floor_dbm_per_hz(np.ones(3)) == noise.RECEIVER_FLOOR_DBM_PER_HZ)


def test_middleton_class_a_moments() -> None:
    rng = np.random.default_rng(1901)
    a, gam, pw = 0.1, 0.01, 2.0
    x, m = noise.middleton_class_a(1_000_000, a, gam, pw, rng, return_counts=True)
    assert np.mean(m >= 1) == pytest.approx(1 - np.exp(-a), rel=0.02)
    assert np.mean(np.abs(x) ** 2) == pytest.approx(pw, rel=0.02)
    r = x.real
    kurt = np.mean(r**4) / np.mean(r**2) ** 2 - 3
    assert kurt == pytest.approx(3 / (a * (1 + gam) ** 2), rel=0.05)
    # A -> large gives Gaussian noise (excess kurtosis ~ 0)
    g = noise.middleton_class_a(200_000, 100.0, 1.0, 1.0, np.random.default_rng(2)).real
    assert abs(np.mean(g**4) / np.mean(g**2) ** 2 - 3) < 0.1


def test_bernoulli_gaussian_power() -> None:
    x = noise.bernoulli_gaussian(400_000, 0.01, 20.0, 3.0, np.random.default_rng(3))
    assert np.mean(np.abs(x) ** 2) == pytest.approx(3.0, rel=0.03)


def test_cispr_conversion() -> None:
    assert noise.dbuv_to_dbm_per_hz(60.0) == pytest.approx(-86.54, abs=0.01)
    lim = noise.cispr32_limit_dbm_per_hz(np.array([1e6, 10e6]), "B", "QP")
    np.testing.assert_allclose(lim, [-90.54, -86.54], atol=0.01)
    np.testing.assert_allclose(noise.cispr32_limit_dbm_per_hz(10e6, "B", "AV"), -96.54, atol=0.01)
    np.testing.assert_allclose(noise.cispr32_limit_dbm_per_hz(10e6, "A", "QP"), -73.54, atol=0.01)


def test_charger_noise_capped_at_cispr32_class_b() -> None:
    f = carriers.av_carrier_frequencies_hz()
    band = (f >= 5e6) & (f <= 30e6)
    for ss in (False, True):
        psd = noise.charger_noise_dbm_per_hz(f, 0.0, -10.0, 65e3, 30.0, spread_spectrum=ss)
        assert psd[band].max() <= -86.5
        assert psd[band].max() == pytest.approx(-86.54, abs=0.01)


def test_charger_noise_comb() -> None:
    f = carriers.av_carrier_frequencies_hz()
    comb = noise.charger_noise_dbm_per_hz(f, -110.0, -10.0, 100e3, 10.0, spread_spectrum=False)
    smooth = noise.charger_noise_dbm_per_hz(f, -110.0, -10.0, 100e3, 10.0, spread_spectrum=True)
    assert np.ptp(comb[:40]) > 5.0  # lines hit some carrier bins and miss others
    assert np.all(np.abs(np.diff(smooth)) < 0.1)
    # power is conserved on average: the comb carries the same mean power as the smeared one
    lin = lambda d: 10 ** (d / 10)  # noqa: E731
    assert np.mean(lin(comb[:400])) == pytest.approx(np.mean(lin(smooth[:400])), rel=0.05)


def test_mains_synchronous_slot_weights() -> None:
    w = noise.mains_synchronous_slot_weights(6, (0.0,), 1e-3, 50.0)
    np.testing.assert_allclose(w, [0.6, 0, 0, 0, 0, 0])
    w = noise.mains_synchronous_slot_weights(6, (0.95,), 1e-3, 50.0)  # wraps around
    assert w[5] == pytest.approx(0.3) and w[0] == pytest.approx(0.3)
    assert noise.mains_synchronous_slot_weights(4).shape == (4,)


def test_esmailian_values_quoted_in_the_field_data() -> None:
    """Esmailian et al. 2003, N = a + b f^c: the high curve is -102.9 dBm/Hz at 2 MHz and -128.1 at 30 MHz."""
    f = np.array([2e6, 10e6, 30e6])
    np.testing.assert_allclose(noise.background_noise_dbm_per_hz(f, *noise.ESMAILIAN_HIGH), [-102.9, -120.5, -128.1],
                               atol=0.05)
    np.testing.assert_allclose(noise.background_noise_dbm_per_hz(f, *noise.ESMAILIAN_LOW), [-116.5, -132.6, -136.7],
                               atol=0.05)
    assert noise.NOISY_BACKGROUND == noise.ESMAILIAN_HIGH == (-145.0, 53.23, -0.337)


def test_green_phy_levels_and_receiver_floor_from_pyplc() -> None:
    """ISO 15118-3: -75 dBm/Hz typical is 1.3 Vpp (pyPLC); pyPLC loses a 400 mVpp source at 44 dB."""
    assert noise.vpp_to_dbm_per_hz(1.3) == pytest.approx(-75.0)
    assert noise.vpp_to_dbm_per_hz(0.4) == pytest.approx(-85.24, abs=0.01)
    # STD-ROBO (4 copies) decodes down to a 2 dB combined SNR: the floor is 4 dB above the limit PSD
    floor = noise.receiver_floor_from_limit_dbm_per_hz(0.4, 44.0, 4, 2.0)
    assert floor == pytest.approx(-85.24 - 44.0 + 6.02 - 2.0, abs=0.01)
    assert noise.RECEIVER_FLOOR_DBM_PER_HZ == pytest.approx(floor, abs=0.05)


def test_cispr32_class_b_levels_in_dbm_per_hz() -> None:
    """FCC 18.307(b) / CISPR 32 class B 5-30 MHz: 60 dBuV QP, 50 dBuV AV -> -86.5 / -96.5 dBm/Hz in 9 kHz, 50 ohm."""
    assert noise.dbuv_to_dbm_per_hz(60.0) == pytest.approx(-86.5, abs=0.05)
    assert noise.dbuv_to_dbm_per_hz(50.0) == pytest.approx(-96.5, abs=0.05)
    np.testing.assert_allclose(noise.cispr32_limit_dbuv(np.array([1e6, 10e6]), "B", "AV"), [46.0, 50.0])


def test_charger_emission_follows_its_broadband_part_and_the_cap() -> None:
    f = carriers.av_carrier_frequencies_hz()
    flat = noise.charger_emission_dbm_per_hz(f, np.full(f.size, -120.0), switching_hz=1e6, spread_spectrum=True)
    assert np.allclose(flat, noise.power_sum_db(-120.0, -110.0), atol=1e-9)  # broadband + comb 10 dB above
    loud = noise.charger_emission_dbm_per_hz(f, np.full(f.size, -60.0), spread_spectrum=True)
    assert np.allclose(loud, noise.cispr32_limit_dbm_per_hz(f, "B", "QP"))
