"""PHY: QAM thresholds, bit loading, AV / AV2 / ROBO rates, beacon period."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import carriers, channel, noise, phy

THRESHOLDS = {  # the uncoded Gray-QAM thresholds
    1e-2: [4.3, 7.3, 10.8, 13.9, 19.7, 25.4, 31.1, 36.8],
    1e-3: [6.8, 9.8, 13.4, 16.5, 22.5, 28.4, 34.3, 40.1],
    1e-5: [9.6, 12.6, 16.2, 19.5, 25.6, 31.5, 37.5, 43.4],
}
ATT_DB = np.array([20, 30, 40, 50, 60, 70, 80], dtype=float)
RATE_TABLE = {  # the flat-attenuation rate table (docs/sim-phy.md)
    ("quiet", 1e-3): [150.2, 150.2, 148.2, 132.0, 79.6, 36.3, 0.0],
    ("noisy", 1e-3): [150.0, 145.7, 125.5, 73.0, 35.0, 2.3, 0.0],
    ("quiet", 1e-2): [150.2, 150.2, 149.3, 142.2, 94.7, 49.1, 8.2],
    ("noisy", 1e-2): [150.2, 148.0, 135.3, 89.8, 43.9, 7.9, 0.0],
}
CURVES = {"quiet": noise.QUIET_BACKGROUND, "noisy": noise.NOISY_BACKGROUND}



@pytest.mark.parametrize("ber", sorted(THRESHOLDS))
def test_threshold_table(ber: float) -> None:
    got = [phy.qam_threshold_snr_db(b, ber) for b in phy.MODULATION_BITS_AV2]
    np.testing.assert_allclose(got, THRESHOLDS[ber], atol=0.1)


def test_bit_loading_variants() -> None:
    snr = np.array([-5.0, 6.7, 6.8, 9.8, 16.5, 34.3, 45.0, np.nan])
    np.testing.assert_array_equal(phy.bit_loading(snr), [0, 0, 1, 2, 4, 10, 10, 0])
    np.testing.assert_array_equal(phy.bit_loading(snr, max_bits=12)[6], 12)
    np.testing.assert_array_equal(phy.bit_loading(snr, snr_cap_db=30.0)[5:7], [8, 8])
    np.testing.assert_array_equal(phy.bit_loading(snr, margin_db=3.0)[2:5], [0, 1, 3])
    assert phy.bit_loading(np.zeros((3, 4, 5))).shape == (3, 4, 5)
    gap = phy.bit_loading_gap(np.array([0.0, 20.0, 60.0]), gap_db=6.0)
    np.testing.assert_array_equal(gap, [0, 4, 10])
    rng = np.random.default_rng(7)
    s = rng.normal(20, 8, 300)
    greedy = phy.bit_loading_greedy(s, 1e-3, 10)
    assert set(np.unique(greedy)) <= {0, 1, 2, 3, 4, 6, 8, 10}
    # greedy to an *average* BER loads at least as much as the per-carrier threshold rule
    assert greedy.sum() >= phy.bit_loading(s).sum()
    assert phy.MODULATION_CODE_TO_BITS == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 10, 8: 12}


def test_max_av_rate_and_uncoded_21_16() -> None:
    assert phy.AV_SYMBOL_S == pytest.approx(46.52e-6)
    coded = phy.phy_rate_mbps(np.full(917, 10))
    assert coded == pytest.approx(150.2, abs=0.05)
    assert phy.uncoded_from_coded(coded) == pytest.approx(197.1, abs=0.05)
    assert phy.uncoded_from_coded(16.0) == pytest.approx(21.0)
    assert phy.phy_rate_mbps(np.full((2, 3, 917), 2)).shape == (2, 3)


def test_robo_rates_hpgp_table_3_13() -> None:
    assert phy.robo_rate_mbps("STD") == pytest.approx(4.9226, abs=5e-5)
    assert phy.robo_rate_mbps("HS") == pytest.approx(9.8452, abs=5e-5)
    assert phy.robo_rate_mbps("MINI") == pytest.approx(3.7716, abs=5e-5)


def test_robo_airtimes_greenvity_hal() -> None:
    assert phy.robo_frame_airtime_us("MINI", 1) == pytest.approx(291.12, abs=1e-6)
    assert phy.robo_frame_airtime_us("STD", 1) == pytest.approx(887.88, abs=1e-6)
    hs = [phy.robo_frame_airtime_us("HS", n) for n in (1, 2, 3)]
    np.testing.assert_allclose(hs, [469.2, 934.4, 1399.6], atol=1e-6)
    assert phy.robo_frame_airtime_us("STD", 1, include_preamble_fc=True) == pytest.approx(887.88 + 110.49)


@pytest.mark.parametrize("key", sorted(RATE_TABLE))
def test_flat_attenuation_rate_table_reference_grid(key: tuple[str, float]) -> None:
    """The section 5.5 table was generated with the noise evaluated at carriers 85..1142
    (the "2.07-27.88 MHz" of the carrier grid), one carrier below the gr-plc mask runs; on that
    grid (917 carriers, all usable) the pipeline reproduces it exactly."""
    k = np.concatenate([np.arange(lo, hi + 1) for lo, hi in carriers.AV_DEFAULT_MASK_RUNS]) - 1
    f = k * carriers.CARRIER_SPACING_HZ
    n = noise.background_noise_dbm_per_hz(f, *CURVES[key[0]])
    loss = ATT_DB[:, None] * np.ones_like(f)
    rates = phy.link_phy_rate_mbps(-50.0, loss, n, mask=np.ones(917, dtype=bool), ber=key[1])
    np.testing.assert_allclose(np.round(rates, 1), RATE_TABLE[key], atol=0.15)


@pytest.mark.parametrize("key", sorted(RATE_TABLE))
def test_flat_attenuation_rate_table_default_mask(key: tuple[str, float]) -> None:
    """Same on the real AV grid with the gr-plc default mask (carriers 86..1143): within 0.25."""
    f = carriers.av_carrier_frequencies_hz()
    n = noise.background_noise_dbm_per_hz(f, *CURVES[key[0]])
    rates = phy.link_phy_rate_mbps(-50.0, ATT_DB[:, None] * np.ones_like(f), n, ber=key[1])
    np.testing.assert_allclose(rates, RATE_TABLE[key], atol=0.25)


def test_link_rate_vectorised_over_pairs_and_slots() -> None:
    f = carriers.av_carrier_frequencies_hz()
    n = noise.background_noise_dbm_per_hz(f, *noise.QUIET_BACKGROUND)
    loss = np.broadcast_to(ATT_DB[:, None, None], (7, 6, 1155))  # (pairs, slots, K)
    r = phy.link_phy_rate_mbps(-50.0, loss, n)
    assert r.shape == (7, 6)
    assert np.all(np.diff(r[:, 0]) <= 0)
    assert phy.link_phy_rate_mbps(-50.0, np.full(1155, 20.0), n, snr_cap_db=30.0) < 150.0


def test_robo_decodable() -> None:
    snr = np.full((3, 1155), -20.0)
    snr[1] = 0.0  # 0 dB per carrier + 6 dB copy combining
    snr[2] = -5.0
    ok = phy.robo_decodable(snr, "STD", 2.0)
    np.testing.assert_array_equal(ok, [False, True, False])
    assert phy.robo_effective_snr_db(np.zeros(1155), "STD") == pytest.approx(10 * np.log10(4))


def test_av2_mimo_short_link_order_of_magnitude() -> None:
    """ devolo dLAN 1200+ pair ~650 Mbps average PHY: order of magnitude only."""
    f = carriers.av2_carrier_frequencies_hz()
    tx = np.where(f <= 30e6, -50.0, -55.0)
    n = noise.power_sum_db(noise.background_noise_dbm_per_hz(f, *noise.QUIET_BACKGROUND),
                           noise.receiver_floor_dbm_per_hz(f))
    loss = 50.0 + 30.0 * channel.cable_attenuation_db_per_m(channel.get_cable("Cu-2.5mm2"), f)
    rate = phy.av2_phy_rate_mbps(tx - loss - n, snr_cap_db=40.0, mimo_streams=2)
    assert 400.0 < rate < 1300.0
    siso_max = phy.phy_rate_mbps(np.full(2880, 12), fec_rate=phy.FEC_AV2)
    assert siso_max == pytest.approx(660.4, abs=0.5)


def test_afci_series_element_drop_smallnetbuilder() -> None:
    """ AFCI breaker without input inductor: ~50 -> ~15 Mbps (~70 % drop, SmallNetBuilder)."""
    f = carriers.av_carrier_frequencies_hz()
    n = noise.background_noise_dbm_per_hz(f, *noise.QUIET_BACKGROUND)
    loss = 10.0 - channel.magnitude_db(channel.multipath_response_params(f, channel.ZIMMERMANN_15PATH))
    before = phy.link_phy_rate_mbps(-50.0, loss, n)
    assert 50.0 <= before <= 70.0
    breaker = channel.series_element_abcd(15.0, 50.0)
    extra = -channel.magnitude_db(channel.insertion_gain(breaker, 50.0, 50.0))
    after = phy.link_phy_rate_mbps(-50.0, loss + extra, n)
    assert 0.5 <= 1.0 - after / before <= 0.85


def test_beacon_period_two_mains_cycles() -> None:
    assert phy.BEACON_PERIOD_S(50.0) == pytest.approx(0.040, abs=1e-4)
    assert phy.BEACON_PERIOD_S(60.0) == pytest.approx(0.0333, abs=1e-4)


def test_green_phy_receive_limit_of_pyplc() -> None:
    """pyPLC: a 400 mVpp Green PHY source is still heard at 42 dB of attenuation and lost at 44 dB;
    on a quiet bench line the limit is the receiver floor (noise.RECEIVER_FLOOR_DBM_PER_HZ)."""
    source = noise.vpp_to_dbm_per_hz(0.4)
    floor = noise.RECEIVER_FLOOR_DBM_PER_HZ
    for atten, heard in ((36.0, True), (42.0, True), (46.0, False), (50.0, False)):
        snr = np.full(1155, source - atten - floor)
        assert bool(phy.robo_decodable(snr, "STD")) is heard, atten
