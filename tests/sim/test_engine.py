"""The engine over time: bridging loops, airtime sharing, determinism, technology mix."""

from __future__ import annotations

import numpy as np
import pytest
from sim_sites import SITES
from test_formation import small_site

from plcstack.keys.derive import nid_from_password, nmk_from_password
from plcstack.sim import mac
from plcstack.sim.engine import simulate
from plcstack.sim.report import avlns_in_range, summary
from plcstack.sim.site import load_site, site_from_dict


def test_nmk_and_nid_of_the_factory_password() -> None:
    assert nmk_from_password("HomePlugAV").hex().upper() == "50D3E4933F855B7040784DF815AA8DB7"
    assert nid_from_password("HomePlugAV").hex().upper() == "B0F2E695666B03"


def test_airtime_sharing() -> None:
    assert mac.shared_airtime_fraction(1) == 1.0
    assert mac.shared_airtime_fraction(2) == 0.5
    two = small_site((1, 1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03",
                                     "02:00:00:00:00:04"), passwords=("a", "a", "b", "b"))
    one = small_site((1, 1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03",
                                     "02:00:00:00:00:04"))
    r2, r1 = simulate(two, hours=0.01), simulate(one, hours=0.01)
    assert avlns_in_range(r2) == [2, 2, 2, 2]
    assert avlns_in_range(r1) == [1, 1, 1, 1]


def test_two_bridges_make_a_loop_and_flap_the_router_table() -> None:
    one = simulate(load_site(SITES / "one-bridge.toml"), hours=6)
    two = simulate(load_site(SITES / "two-bridges.toml"), hours=6)
    assert one.loops == []
    assert len(two.loops) == 1 and sorted(two.loops[0]["gateways"]) == ["C1", "C5"]
    assert sum(s.l2_flaps for s in two.stats) > 0
    assert sum(s.l2_flaps for s in one.stats) == 0


def test_deterministic_for_a_seed() -> None:
    site = load_site(SITES / "demo.toml")
    a = summary(simulate(site, hours=3, seed=7))
    b = summary(simulate(site, hours=3, seed=7))
    c = summary(simulate(site, hours=3, seed=8))
    for d in (a, b, c):
        d.pop("wall_s")
    assert a == b
    assert a != c


def test_av2_short_link_and_technology_mix() -> None:
    """devolo dLAN 1200+ (AV2) pair: ~650 Mbit/s average PHY at short distance; an AV2 pair at short distance on a good channel reports ~650 Mbit/s average PHY;
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


def test_a_flap_outage_is_not_counted_twice_while_the_node_is_down_anyway() -> None:
    """Downtime is time: a flap whose outage falls while the charger has no route adds nothing, and a
    flap outage while it is up adds exactly its length."""
    from plcstack.sim.engine import UPLINK_NONE, Engine

    site = site_from_dict({"cable": [{"name": "r", "type": "Cu-10mm2", "length_m": 40}],
                           "charger": [{"name": f"C{i}", "cable": "r", "at_m": 10 + 10 * i, "network_password": "k"}
                                       for i in range(2)],
                           "plc_module": [{"name": "M", "cable": "r", "at_m": 0, "network_password": "k"}]})
    eng = Engine(site, hours=0.01)
    eng._start(0.0)
    assert eng.uplink[1] == site.node_index("M")
    eng.uplink[0] = UPLINK_NONE  # node 0: no route at all
    for k in range(10):  # ten AVLN flaps with a 30 s rejoin each, within 50 s
        eng._charge(100.0 + 5 * k, 0, "avln", rejoin_s=30.0)
    eng._charge(100.0, 1, "l2-path")  # node 1 (on PLC through M, up) loses one RTO
    for k in range(1, 41):
        eng._account(100.0 + 5 * k, 5.0)
    assert eng.down_s[0] == pytest.approx(200.0)
    assert eng.down_s[1] == pytest.approx(1.0)


def test_downtime_never_exceeds_the_simulated_time() -> None:
    """A far charger behind an AFCI on an IT run: associated, no usable route, rejoining again and again."""
    data = {"site": {"grid": "IT"}, "cable": [{"name": "a", "type": "Cu-10mm2", "length_m": 100}],
            "breaker": [{"cable": "a", "at_m": 50, "insertion_loss_db": 15, "kind": "AFCI"}],
            "charger": [{"name": f"C{i}", "cable": "a", "at_m": 10 + 10 * i,
                         "phase": ["L1-L3", "L1-L2", "L2-L3"][i % 3], "network_password": "k"} for i in range(9)],
            "plc_module": [{"name": "M", "cable": "a", "at_m": 0, "phase": "L1-L3", "network_password": "k"}]}
    result = simulate(site_from_dict(data), hours=24, seed=0)
    nodes = summary(result)["nodes"]
    assert max(s.flaps for s in result.stats) > 10
    assert all(0.0 <= s.downtime_s <= 86400.0 for s in result.stats)
    assert all(0.0 <= n["availability"] <= 1.0 for n in nodes)


# -- properties on random small sites (hypothesis) ---------------------------------------------------

import math  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sim_sites import PROPERTY, random_site_dict  # noqa: E402

NODE_KEYS = {"name", "kind", "mac", "cable", "at_m", "phase", "technology", "bridge", "wifi_rssi_dbm", "avln", "cco",
             "gateway", "phy_rate_mbps", "goodput_tcp_mbps", "avlns_in_range", "flaps", "flap_kinds", "l2_flaps",
             "downtime_s", "availability", "extra_bytes", "extra_of_daily_budget", "broker_ghost_session_s",
             "time_by_gateway_s", "time_by_avln_s"}


def _numbers(obj: object):  # type: ignore[no-untyped-def]
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield obj


@st.composite
def bridged_sites(draw):  # type: ignore[no-untyped-def]
    data = random_site_dict(draw)
    if draw(st.booleans()):  # sometimes one charger bridges its Wi-Fi as well as the wired module
        data["charger"][0]["bridge"] = True
    return data


@PROPERTY
@given(bridged_sites(), st.integers(0, 5))
def test_summary_is_complete_finite_and_deterministic(data: dict, seed: int) -> None:
    hours = 0.5
    site = site_from_dict(data)
    first = summary(simulate(site, hours=hours, seed=seed, clock=None))
    again = summary(simulate(site, hours=hours, seed=seed, clock=None))
    assert first == again  # deterministic for a seed
    assert {"flaps_total", "downtime_s_total", "metrics", "nodes", "avlns", "bridging_loops", "events"} <= set(first)
    for node in first["nodes"]:
        assert NODE_KEYS <= set(node)
        assert 0.0 <= node["availability"] <= 1.0 and 0.0 <= node["downtime_s"] <= hours * 3600 + 1e-6
        assert node["phy_rate_mbps"] is None or 0.0 <= node["phy_rate_mbps"] <= 150.3
        assert node["flaps"] >= 0 and node["l2_flaps"] >= 0
    assert all(math.isfinite(x) and x >= 0 for x in _numbers({k: v for k, v in first.items()
                                                              if k not in ("nodes", "events")}))
    assert all(math.isfinite(x) for x in _numbers(first["nodes"]) if isinstance(x, float))
    gateways = sum(1 for c in data["charger"] if c.get("bridge")) + 1
    if gateways < 2:  # a PLC module wired and no bridge: no bridging loop, no L2 flaps
        assert first["bridging_loops"] == [] and all(n["l2_flaps"] == 0 for n in first["nodes"])


def test_seeds_change_the_fading_not_the_means() -> None:
    """Different seeds: different fading (and so different event times), similar mean rates."""
    site = load_site(SITES / "module-middle.toml")
    runs = [simulate(site, hours=6, seed=s, clock=None) for s in range(4)]
    rates = np.array([[s.mean_rate_mbps for s in r.stats if s.mean_rate_mbps is not None] for r in runs])
    from plcstack.sim.engine import Engine

    assert len({float(r.physics.base_lin.sum()) for r in runs}) == 4  # a noise realisation per seed
    fading = [Engine(site, hours=1, seed=s).fading.value_db for s in range(4)]
    assert all(not np.allclose(fading[0], f) for f in fading[1:])
    assert (rates.std(axis=0) <= 0.25 * rates.mean(axis=0) + 1.0).all()


@pytest.mark.parametrize("hours", [0.0, -2.0, float("nan"), float("inf")])
def test_a_run_needs_a_positive_finite_length(hours: float) -> None:
    with pytest.raises(ValueError, match="positive number of simulated hours"):
        simulate(load_site(SITES / "one-bridge.toml"), hours=hours)
