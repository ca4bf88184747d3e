"""Site parsing and the bottom-up channel: checked against an independent ABCD cascade."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from plcstack.sim import channel as ch
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import (
    SiteError,
    is_charging,
    load_site,
    parse_clock_windows,
    set_path,
    site_from_dict,
    site_to_dict,
)
from plcstack.sim.topology import (
    _parallel,
    charger_terminal_impedance_ohm,
    cross_pair_factor_db,
    site_channel,
)

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "sites"


def minimal(**site: object) -> dict:
    return {
        "site": {"grid": "TN", **site},
        "cable": [{"name": "run-A", "type": "Cu-10mm2", "length_m": 100}],
        "charger": [
            {"name": "A", "cable": "run-A", "at_m": 10, "phase": "L1", "network_password": "k"},
            {"name": "B", "cable": "run-A", "at_m": 40, "phase": "L1", "network_password": "k"},
            {"name": "C", "cable": "run-A", "at_m": 70, "phase": "L1", "network_password": "k"},
        ],
    }


# -- site file -----------------------------------------------------------------------------------------

def test_every_example_site_loads() -> None:
    files = sorted(SITES.glob("*.toml"))
    assert len(files) >= 9
    for f in files:
        site = load_site(f)
        assert site.nodes and site.cables


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["charger"][0].update(colour="red"), "unknown key"),
    (lambda d: d["charger"][0].update(cable="nope"), r"is not a \[\[cable\]\]"),
    (lambda d: d["charger"][0].update(at_m=150), "outside cable"),
    (lambda d: d["charger"][0].update(phase="L4"), "phase must be one of"),
    (lambda d: d["charger"][0].pop("network_password"), "network_password"),
    (lambda d: d["charger"][0].update(bridge=True), "needs wifi_rssi_dbm"),
    (lambda d: d["charger"][0].update(charging=["25:00-26:00"]), "bad charging window"),
    (lambda d: d["site"].update(grid="XY"), "grid must be"),
    (lambda d: d["charger"][1].update(name="A"), "duplicate node names"),
    (lambda d: d["charger"][0].update(wifi_rssi_dbm=-5), "plausible RSSI"),
])
def test_site_errors_name_the_problem(mutate, message: str) -> None:
    data = minimal()
    mutate(data)
    with pytest.raises(SiteError, match=message):
        site_from_dict(data)


def test_it_grid_wants_conductor_pairs() -> None:
    data = minimal(grid="IT")
    for c in data["charger"]:
        c["phase"] = "L3-L1"
    site = site_from_dict(data)
    assert {n.phase for n in site.nodes} == {"L1-L3"}
    data["charger"][0]["phase"] = "L1"
    with pytest.raises(SiteError, match="conductor pair"):
        site_from_dict(data)


def test_charging_windows_wrap_midnight() -> None:
    w = parse_clock_windows(["22:00-02:00", "07:30-08:00"], "t")
    assert is_charging(w, 23 * 3600) and is_charging(w, 1 * 3600) and is_charging(w, 86400 + 7.75 * 3600)
    assert not is_charging(w, 3 * 3600) and not is_charging(w, 8 * 3600)


def test_site_dict_roundtrip_and_set_path() -> None:
    site = load_site(SITES / "demo.toml")
    again = site_from_dict(site_to_dict(site), name=site.name)
    assert again.nodes == site.nodes and again.params == site.params and again.series == site.series
    data = site_to_dict(site)
    set_path(data, "charger.C5.bridge", False)
    set_path(data, "site.cross_phase_loss_db", 20.0)
    set_path(data, "plc_module.M1.at_m", 30)
    changed = site_from_dict(data)
    assert not changed.nodes[changed.node_index("C5")].bridge
    assert changed.params.cross_phase_loss_db == 20.0
    assert changed.nodes[changed.node_index("M1")].at_m == 30
    with pytest.raises(SiteError):
        set_path(data, "charger.NOPE.bridge", True)


# -- channel ---------------------------------------------------------------------------------------------

def test_pair_gain_equals_a_full_abcd_cascade() -> None:
    """The per-section factorisation equals the textbook cascade of the whole path (independent code)."""
    site = site_from_dict(minimal())
    f = np.array([2e6, 5e6, 10e6, 20e6, 28e6])
    got = site_channel(site, freq_hz=f).gain_db
    p = site.params
    gamma, zc = ch.propagation_constant(ch.get_cable("Cu-10mm2"), f)
    z_modem = ch.node_impedance_ohm(f, "modem")
    z_chg = charger_terminal_impedance_ohm(f)
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
    """Scenario: the same car park on a TN and on an IT grid."""
    tn = load_site(SITES / "one-bridge.toml")
    it = load_site(SITES / "it-grid.toml")
    g_tn, g_it = site_channel(tn).gain_db, site_channel(it).gain_db
    i, j = tn.node_index("C1"), tn.node_index("C2")  # L1 vs L2 (TN); L1-L3 vs L1-L2 (IT)
    same_i, same_j = tn.node_index("C1"), tn.node_index("C4")  # same phase / pair in both
    diff = (g_it[i, j] - g_tn[i, j]).mean()
    assert diff == pytest.approx(10.0 - 6.0206, abs=0.01)
    assert np.allclose(g_it[same_i, same_j], g_tn[same_i, same_j], atol=1e-4)


def test_v5_attenuation_distribution_of_a_car_park() -> None:
    """V5 [L]: typical channel attenuation over 2-30 MHz is mostly 40-80 dB."""
    from plcstack.sim.generate import generate_site

    site = generate_site(n_chargers=60, n_runs=6)
    att = site_channel(site).mean_attenuation_db()
    vals = att[np.isfinite(att)]
    assert 40.0 <= np.median(vals) <= 80.0
    assert np.mean((vals > 20) & (vals < 100)) > 0.9


def test_v26_links_are_asymmetric_in_snr() -> None:
    """V26: H_ij != H_ji in SNR for >= 50 % of pairs when the receivers' noise differs."""
    site = load_site(SITES / "demo.toml")
    phys = SitePhysics(site, seed=1)
    n = len(site.nodes)
    asym = 0
    pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            pairs += 1
            d = np.abs(phys.snr_db(i, j)[0][phys.av_sel].mean() - phys.snr_db(j, i)[0][phys.av_sel].mean())
            asym += d > 0.5
    assert asym / pairs >= 0.5


def test_charging_raises_noise_and_lowers_rates() -> None:
    site = load_site(SITES / "module-middle.toml")
    phys = SitePhysics(site)
    m = site.node_index("M1")
    idle = [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m]
    noise_idle = phys.noise_dbm_hz(m).copy()
    phys.set_charging(np.ones(len(site.nodes), bool))
    busy = [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m]
    assert (phys.noise_dbm_hz(m) >= noise_idle - 1e-9).all()
    assert sum(busy) < sum(idle)
    phys.set_charging(np.zeros(len(site.nodes), bool))  # and back, exactly
    assert np.allclose(phys.noise_dbm_hz(m), noise_idle, atol=1e-6)
    assert [phys.link(i, m).rate_mbps for i in range(len(site.nodes)) if i != m] == idle


def test_vectorised_rates_match_the_phy_pipeline() -> None:
    from plcstack.sim import phy

    site = load_site(SITES / "module-start.toml")
    phys = SitePhysics(site)
    phys.set_charging(np.ones(len(site.nodes), bool))
    m = site.node_index("M1")
    _, slots, _ = phys.rates_into(m, np.arange(len(site.nodes) - 1))
    noise_db = 10 * np.log10(phys._noise[m][:, phys.av_sel])
    for i in range(len(site.nodes) - 1):
        loss = -phys.gain_db[i, m][phys.av_sel].astype(float)
        ref = phy.link_phy_rate_mbps(site.params.tx_psd_dbm_hz, loss[None, :], noise_db,
                                     mask=np.ones(loss.size, bool), snr_cap_db=site.params.snr_cap_db)
        assert np.allclose(slots[i], ref, atol=1e-6)


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
