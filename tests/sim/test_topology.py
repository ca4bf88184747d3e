"""The bottom-up channel of a site: checked against an independent ABCD cascade."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from sim_sites import SITES, minimal

from plcstack.sim import channel as ch
from plcstack.sim.site import SiteError, site_from_dict, site_to_dict
from plcstack.sim.topology import (
    _parallel,
    charger_terminal_impedance_ohm,
    cross_pair_factor_db,
    signal_pair_filter_factor,
    site_channel,
)


def test_pair_gain_equals_a_full_abcd_cascade() -> None:
    """The per-section factorisation equals the textbook cascade of the whole path (independent code)."""
    site = site_from_dict(minimal())
    f = np.array([2e6, 5e6, 10e6, 20e6, 28e6])
    got = site_channel(site, freq_hz=f).gain_db
    p = site.params
    gamma, zc = ch.installed_propagation_constant(ch.get_cable("Cu-10mm2"), f, p.installation_a1_s_per_m)
    z_modem = ch.node_impedance_ohm(f, "modem")
    z_chg = signal_pair_filter_factor("TN") * charger_terminal_impedance_ohm(f)
    feeder = np.full(f.size, p.feeder_impedance_ohm + 0j)
    # A -> C: source at A (10 m), B (40 m) a shunt on the way, C (70 m) the load, open end at 100 m
    z_board_side = ch.input_impedance(zc, gamma, 10.0, feeder)
    z_a_other = _parallel(z_board_side, z_chg)
    z_b = _parallel(z_modem, z_chg)
    z_c = _parallel(z_modem, z_chg, ch.input_impedance(zc, gamma, 30.0, np.full(f.size, np.inf + 0j)))
    abcd = ch.abcd_cascade(ch.abcd_shunt(z_a_other), ch.abcd_line(gamma, zc, 30.0), ch.abcd_shunt(z_b),
                           ch.abcd_line(gamma, zc, 30.0))
    h = ch.voltage_transfer(abcd, z_modem, z_c)
    expected = 20 * np.log10(np.abs(2 * h)) - 2 * p.coupling_loss_db
    assert np.allclose(got[0, 2], expected, atol=0.01)
    # and the reverse direction, C -> A, through the same network
    z_c_other = _parallel(z_chg, ch.input_impedance(zc, gamma, 30.0, np.full(f.size, np.inf + 0j)))
    abcd_r = ch.abcd_cascade(ch.abcd_shunt(z_c_other), ch.abcd_line(gamma, zc, 30.0), ch.abcd_shunt(z_b),
                             ch.abcd_line(gamma, zc, 30.0))
    h_r = ch.voltage_transfer(abcd_r, z_modem, _parallel(z_modem, z_a_other))
    assert np.allclose(got[2, 0], 20 * np.log10(np.abs(2 * h_r)) - 2 * p.coupling_loss_db, atol=0.01)


def test_channel_is_reciprocal_and_longer_is_weaker() -> None:
    site = site_from_dict(minimal())
    g = site_channel(site).gain_db
    assert np.allclose(g[0, 2], g[2, 0], atol=1e-3)  # passive network, same modem at both ends
    mask = site_channel(site).mask
    assert g[0, 1][mask].mean() > g[0, 2][mask].mean()


def test_series_element_costs_its_insertion_loss_only_on_paths_through_it() -> None:
    base = minimal()
    with_breaker = minimal()
    with_breaker["breaker"] = [{"cable": "run-A", "at_m": 55, "insertion_loss_db": 15}]
    g0 = site_channel(site_from_dict(base)).gain_db
    g1 = site_channel(site_from_dict(with_breaker)).gain_db
    assert np.allclose(g0[0, 2] - g1[0, 2], 15.0, atol=1e-4)  # A(10) -> C(70) crosses 55 m
    assert np.allclose(g0[2, 0] - g1[2, 0], 15.0, atol=1e-4)
    assert np.allclose(g0[0, 1], g1[0, 1], atol=1e-4)  # A(10) -> B(40) does not


def test_cross_pair_factors_tn_vs_it() -> None:
    assert cross_pair_factor_db("L1-N", "L1-N", "TN", 10) == 0
    assert cross_pair_factor_db("L1-N", "L2-N", "TN", 10) == pytest.approx(-10.0)
    assert cross_pair_factor_db("L1-N", "L3-N", "TT", 17) == pytest.approx(-17.0)
    half = 20 * math.log10(0.5)
    for a, b in (("L1-L3", "L1-L2"), ("L1-L3", "L2-L3"), ("L1-L2", "L2-L3")):
        assert cross_pair_factor_db(a, b, "IT", 10) == pytest.approx(half)  # half-shared path
        assert cross_pair_factor_db(a, b, "IT", 25) == pytest.approx(half)  # independent of x


def test_it_and_tn_sites_give_different_cross_pair_losses() -> None:
    """Scenario: the same car park on a TN and on an IT grid; the cross-pair factor is what moving a
    charger to another phase (TN, -10 dB here) or another conductor pair (IT, -6.02 dB) adds."""
    for name, pairs, expected in (("one-bridge", ("L1", "L2"), -10.0), ("it-grid", ("L1-L3", "L1-L2"), -6.0206)):
        data = tomllib.loads((SITES / f"{name}.toml").read_text())
        site = site_from_dict(data)
        for c in data["charger"]:
            c["phase"] = pairs[0]
        same = site_from_dict(data)
        i, j = site.node_index("C1"), site.node_index("C2")  # C2 is on the other phase / pair
        g, g_same = site_channel(site).gain_db, site_channel(same).gain_db
        assert np.allclose(g[i, j] - g_same[i, j], expected, atol=0.01)


def test_it_pair_sees_the_delta_filter_of_three_phase_chargers() -> None:
    """On IT the modem couples two line conductors: a delta X-capacitor filter loads that pair with
    Z || 2Z = 2Z/3, so the same run reaches less far than on TN."""
    assert signal_pair_filter_factor("TN") == signal_pair_filter_factor("TT") == 1.0
    assert signal_pair_filter_factor("IT") == pytest.approx(2 / 3)
    tn = site_channel(site_from_dict(minimal())).gain_db
    data = minimal(grid="IT")
    for c in data["charger"]:
        c["phase"] = "L1-L3"
    it = site_channel(site_from_dict(data)).gain_db
    assert it[0, 2].mean() < tn[0, 2].mean()


def test_attenuation_distribution_of_a_car_park() -> None:
    """Measured in-building channels mostly attenuate 40-80 dB over 2-30 MHz (Zimmermann-Dostert)."""
    from plcstack.sim.generate import generate_site

    site = generate_site(n_chargers=60, n_runs=6)
    att = site_channel(site).mean_attenuation_db()
    vals = att[np.isfinite(att)]
    assert 40.0 <= np.median(vals) <= 80.0
    assert np.mean((vals > 30) & (vals < 90)) > 0.6


def test_link_overrides_calibrate_a_pair() -> None:
    """[[link]]: extra loss on one pair (both ways or directed), or a Zimmermann-Dostert model."""
    base = site_channel(site_from_dict(minimal())).gain_db
    data = minimal()
    data["link"] = [{"a": "A", "b": "B", "extra_loss_db": 7.5},
                    {"a": "A", "b": "C", "extra_loss_db": 3, "directed": True},
                    {"a": "B", "b": "C", "multipath": "4path"}]
    site = site_from_dict(data)
    g = site_channel(site).gain_db
    assert np.allclose(base[0, 1] - g[0, 1], 7.5, atol=1e-4) and np.allclose(base[1, 0] - g[1, 0], 7.5, atol=1e-4)
    assert np.allclose(base[0, 2] - g[0, 2], 3.0, atol=1e-4) and np.allclose(base[2, 0], g[2, 0], atol=1e-4)
    f = site_channel(site).freq_hz
    k10 = int(np.argmin(np.abs(f - 10e6)))
    mpm = 20 * np.log10(abs(ch.multipath_response_params(f[k10], ch.ZIMMERMANN_4PATH)))
    assert g[1, 2, k10] == pytest.approx(mpm - 2 * site.params.coupling_loss_db, abs=1e-3)
    assert site_from_dict(site_to_dict(site)).links == site.links
    data["link"].append({"a": "A", "b": "Z"})
    with pytest.raises(SiteError, match="is not a node"):
        site_from_dict(data)


# -- properties on random runs (hypothesis) --------------------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sim_sites import AL_SIZES, CABLE_SIZES, CU_SIZES, PROPERTY  # noqa: E402


def _run_site(cable: str, length_m: float, a_m: float, b_m: float, taps: list[float]) -> dict:
    """One run: node A at ``a_m``, node B at ``b_m``, idle chargers at ``taps``."""
    nodes = [{"name": "A", "cable": "r", "at_m": a_m, "network_password": "k"},
             {"name": "B", "cable": "r", "at_m": b_m, "network_password": "k"}]
    nodes += [{"name": f"T{k}", "cable": "r", "at_m": x, "network_password": "k"} for k, x in enumerate(taps)]
    return {"cable": [{"name": "r", "type": cable, "length_m": length_m}], "charger": nodes}


def _mean_gain_db(data: dict) -> float:
    chan = site_channel(site_from_dict(data))
    return float(chan.gain_db[0, 1, chan.mask].mean())


@PROPERTY
@given(st.sampled_from(CABLE_SIZES), st.integers(0, 200), st.integers(5, 400), st.integers(5, 200),
       st.lists(st.integers(0, 800), max_size=4))
def test_a_longer_cable_between_two_nodes_is_never_better(cable: str, a_m: int, gap_m: int, more_m: int,
                                                          taps: list[int]) -> None:
    """Moving B further from A along the run (nothing else changes) never raises A -> B's mean gain."""
    length = 1000.0
    near = _run_site(cable, length, a_m, a_m + gap_m, [float(t) for t in taps])
    far = _run_site(cable, length, a_m, a_m + gap_m + more_m, [float(t) for t in taps])
    assert _mean_gain_db(far) <= _mean_gain_db(near) + 0.1


@PROPERTY
@given(st.sampled_from((CU_SIZES, AL_SIZES)), st.data(), st.integers(10, 600), st.lists(st.integers(0, 600), max_size=4))
def test_a_thicker_cable_is_never_worse_at_the_same_length(series: tuple[str, ...], pick, length_m: int,  # type: ignore[no-untyped-def]
                                                           taps: list[int]) -> None:
    size = pick.draw(st.integers(0, len(series) - 2))
    thin, thick = series[size], series[size + 1]
    taps_m = [float(min(t, length_m)) for t in taps]
    g_thin = _mean_gain_db(_run_site(thin, float(length_m), 0.0, float(length_m), taps_m))
    g_thick = _mean_gain_db(_run_site(thick, float(length_m), 0.0, float(length_m), taps_m))
    assert g_thick >= g_thin - 0.1
