"""Network behaviour of the engine: V15-V24 of simulator.md §7 and determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from plcstack.keys.derive import nid_from_password, nmk_from_password
from plcstack.sim import flapcost, mac, wifi
from plcstack.sim.engine import Engine, simulate
from plcstack.sim.report import avlns_in_range, summary
from plcstack.sim.site import load_site, site_from_dict

SITES = Path(__file__).resolve().parents[2] / "sites"


def small_site(caps: tuple[int, ...], macs: tuple[str, ...], passwords: tuple[str, ...] | None = None, **site):
    passwords = passwords or ("k",) * len(caps)
    return site_from_dict({
        "site": {"grid": "TN", **site},
        "cable": [{"name": "run", "type": "Cu-10mm2", "length_m": 60}],
        "charger": [{"name": f"N{i}", "cable": "run", "at_m": 10 + 15 * i, "phase": "L1",
                     "network_password": pw, "cco_capability": cap, "mac": mac}
                    for i, (cap, mac, pw) in enumerate(zip(caps, macs, passwords, strict=True))],
    })


def test_v15_nmk_and_nid_of_the_factory_password() -> None:
    assert nmk_from_password("HomePlugAV").hex().upper() == "50D3E4933F855B7040784DF815AA8DB7"
    assert nid_from_password("HomePlugAV").hex().upper() == "B0F2E695666B03"


def test_v16_beacon_period() -> None:
    from plcstack.sim.phy import beacon_period_s

    assert beacon_period_s(50) == pytest.approx(0.040, abs=1e-4)
    assert beacon_period_s(60) == pytest.approx(0.0333, abs=1e-4)


@pytest.mark.parametrize(("caps", "macs", "winner"), [
    ((1, 2, 1), ("02:00:00:00:00:09", "02:00:00:00:00:01", "02:00:00:00:00:05"), "N1"),  # capability first
    ((1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:09", "02:00:00:00:00:05"), "N1"),  # then the higher MAC
    ((0, 0, 3), ("02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:01"), "N2"),
])
def test_v17_cco_election(caps, macs, winner) -> None:
    site = small_site(caps, macs)
    eng = Engine(site, hours=0.01)
    result = eng.run()
    ccos = {site.nodes[c].name for c in result.final_cco}
    assert ccos == {winner}


def test_v17_no_peer_means_own_avln() -> None:
    site = small_site((1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02"), passwords=("one", "two"))
    result = simulate(site, hours=0.01)
    assert result.final_cco == [0, 1]  # different NIDs: each is CCo of its own AVLN


class _CutAfter:
    """Stand-in for the fading process: 0 dB until ``t_cut``, then a dead link."""

    def __init__(self, t_cut: float) -> None:
        self.t_cut = t_cut

    def at(self, i, j, t):
        return np.full(np.shape(i), 0.0 if t < self.t_cut else -500.0)


def test_v18_beacon_loss_reaction_time() -> None:
    """A station restarts discovery 18 x 200 ms = 3.6 s after its CCo's beacons stop.

    An abrupt cut is only known to the sample step, so this runs at the beacon-loss tick (0.2 s);
    the default 1 s step interpolates the crossing of the (continuous) fading process instead.
    """
    site = small_site((1, 2), ("02:00:00:00:00:01", "02:00:00:00:00:02"), fading_sigma_db=40.0)
    eng = Engine(site, hours=60 / 3600, step_s=flapcost.BEACON_LOSS_TICK_S)
    t_cut = 20.3
    eng.fading = _CutAfter(t_cut)
    result = eng.run()
    rediscover = [t for t, i, kind, _ in result.events if kind == "rediscover"]
    assert rediscover, result.events
    assert rediscover[0] == pytest.approx(t_cut + 3.6, abs=flapcost.BEACON_LOSS_TICK_S)
    assert flapcost.BACKUP_CCO_TICKS * flapcost.BEACON_LOSS_TICK_S == pytest.approx(0.6)
    # after the loss the station hears nobody and runs its own AVLN (BBT rule), a new CCo of the same NID
    assert result.final_cco == [0, 1]


def test_v19_v20_airtime_sharing() -> None:
    assert mac.shared_airtime_fraction(1) == 1.0
    assert mac.shared_airtime_fraction(2) == 0.5
    two = small_site((1, 1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03",
                                     "02:00:00:00:00:04"), passwords=("a", "a", "b", "b"))
    one = small_site((1, 1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03",
                                     "02:00:00:00:00:04"))
    r2, r1 = simulate(two, hours=0.01), simulate(one, hours=0.01)
    assert avlns_in_range(r2) == [2, 2, 2, 2]
    assert avlns_in_range(r1) == [1, 1, 1, 1]


def test_v21_two_bridges_make_a_loop_and_flap_the_router_table() -> None:
    one = simulate(load_site(SITES / "one-bridge.toml"), hours=6)
    two = simulate(load_site(SITES / "two-bridges.toml"), hours=6)
    assert one.loops == []
    assert len(two.loops) == 1 and sorted(two.loops[0]["gateways"]) == ["C1", "C5"]
    assert sum(s.l2_flaps for s in two.stats) > 0
    assert sum(s.l2_flaps for s in one.stats) == 0


def test_v22_wifi_roaming_hysteresis_table() -> None:
    assert [wifi.roam_min_diff_db(r) for r in (-90, -82, -77, -72, -60)] == [1, 2, 3, 4, 5]
    assert not wifi.should_roam(-72, -69)  # needs 4 dB
    assert wifi.should_roam(-72, -68)
    assert not wifi.should_roam(-60, -57, current_tput_mbps=30, candidate_tput_mbps=20)  # +5 dB bonus
    assert wifi.should_roam(-60, -70, current_tput_mbps=10, candidate_tput_mbps=20)  # > 5 Mbps better
    # the vendor's rule and the Schmitt trigger
    rssi = np.array([-74.0, -76.0, -73.0, -77.0])
    assert list(wifi.wifi_choice(rssi, np.zeros(4, bool), "none")) == [True, False, True, False]
    assert list(wifi.wifi_choice(rssi, np.zeros(4, bool), "hysteresis")) == [False, False, False, False]
    assert list(wifi.wifi_choice(rssi, np.ones(4, bool), "hysteresis")) == [True, True, True, True]
    assert wifi.vendor_quality(-75) == pytest.approx(0.125)


def test_v23_v24_upper_layer_timers() -> None:
    assert flapcost.mqtt_dead_client_s(60) == 90
    assert flapcost.dhcp_retransmit_schedule() == [4, 8, 16, 32, 64]
    assert flapcost.beacon_loss_detection_s() == pytest.approx(3.6)


def test_flap_costs_follow_the_cost_table() -> None:
    p = load_site(SITES / "demo.toml").params
    l2 = flapcost.flap_cost("l2-path", p)
    up = flapcost.flap_cost("uplink-wifi", p)
    assert l2.outage_s == pytest.approx(1.0)  # one TCP RTO
    assert up.outage_s > flapcost.WIFI_ASSOC_SCAN_S and up.extra_bytes > 5000 and up.ghost_session_s == 90
    with pytest.raises(ValueError):
        flapcost.flap_cost("teleport", p)


def test_deterministic_for_a_seed() -> None:
    site = load_site(SITES / "demo.toml")
    a = summary(simulate(site, hours=3, seed=7))
    b = summary(simulate(site, hours=3, seed=7))
    c = summary(simulate(site, hours=3, seed=8))
    for d in (a, b, c):
        d.pop("wall_s")
    assert a == b
    assert a != c


def test_v27_av2_short_link_and_technology_mix() -> None:
    """V27 [L]: an AV2 pair at short distance on a good channel reports ~650 Mbit/s average PHY;
    a Green PHY link is ROBO only; rates never exceed the technology's maximum."""
    site = site_from_dict({
        "site": {"grid": "TN"},
        "cable": [{"name": "r", "type": "Cu-2.5mm2", "length_m": 30}],
        "charger": [{"name": "A", "cable": "r", "at_m": 5, "network_password": "k", "technology": "AV2"},
                    {"name": "G", "cable": "r", "at_m": 25, "network_password": "k", "technology": "GP"},
                    {"name": "V", "cable": "r", "at_m": 15, "network_password": "k"}],
        "plc_module": [{"name": "M", "cable": "r", "at_m": 10, "network_password": "k", "technology": "AV2"}],
    })
    result = simulate(site, hours=1)
    rates = {n.name: s.mean_rate_mbps for n, s in zip(site.nodes, result.stats, strict=True)}
    assert 400 <= rates["A"] <= 900
    assert rates["G"] == pytest.approx(9.8452, abs=1e-3)
    assert 100 <= rates["V"] <= 150.21
