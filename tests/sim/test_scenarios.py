"""The installation manual's cases, simulated: the behaviour must emerge from the models."""

from __future__ import annotations

from pathlib import Path

import pytest

from plcstack.sim.engine import simulate
from plcstack.sim.report import key_metrics
from plcstack.sim.site import load_site

SITES = Path(__file__).resolve().parents[2] / "sites"


@pytest.fixture(scope="module")
def bridge_runs() -> dict[str, object]:
    return {name: simulate(load_site(SITES / f"{name}.toml"), hours=24, seed=0)
            for name in ("one-bridge", "two-bridges", "three-bridges")}


def test_one_bridge_does_not_flap(bridge_runs) -> None:
    assert bridge_runs["one-bridge"].flaps_total == 0


def test_two_and_three_bridges_flap(bridge_runs) -> None:
    two, three = bridge_runs["two-bridges"], bridge_runs["three-bridges"]
    assert two.flaps_total > 0 and three.flaps_total > 0
    assert two.downtime_s_total > bridge_runs["one-bridge"].downtime_s_total
    # the flaps are chargers' paths moving between gateways, not noise in the accounting
    kinds = {k for s in two.stats for k in s.flap_kinds}
    assert kinds <= {"l2-path", "gateway", "avln", "uplink-wifi", "uplink-plc"} and "l2-path" in kinds


@pytest.mark.parametrize("seed", [1, 2])
def test_bridge_result_holds_for_other_seeds(seed: int) -> None:
    assert simulate(load_site(SITES / "one-bridge.toml"), hours=12, seed=seed).flaps_total == 0
    assert simulate(load_site(SITES / "two-bridges.toml"), hours=12, seed=seed).flaps_total > 0


def test_mid_run_module_raises_the_worst_chargers_rate() -> None:
    start = key_metrics(simulate(load_site(SITES / "module-start.toml"), hours=24))
    middle = key_metrics(simulate(load_site(SITES / "module-middle.toml"), hours=24))
    assert middle["worst_plc_rate_mbps"] > 1.5 * start["worst_plc_rate_mbps"]
    assert middle["mean_plc_rate_mbps"] > start["mean_plc_rate_mbps"]


def test_weak_wifi_charger_uses_plc_strong_uses_wifi() -> None:
    weak = simulate(load_site(SITES / "wifi-weak.toml"), hours=24)
    strong = simulate(load_site(SITES / "wifi-strong.toml"), hours=24)
    i = weak.site.node_index("C3")
    w, s = weak.stats[i], strong.stats[i]
    assert w.time_by_gateway.get("wifi", 0.0) < 0.2 * 86400 and w.time_by_gateway.get("C1", 0.0) > 0.8 * 86400
    assert s.time_by_gateway.get("wifi", 0.0) > 0.99 * 86400


def test_hysteresis_policy_flaps_less_than_none() -> None:
    site = load_site(SITES / "demo.toml")
    none = simulate(site.with_params(gateway_policy="none"), hours=12)
    hyst = simulate(site.with_params(gateway_policy="hysteresis"), hours=12)
    sticky = simulate(site.with_params(gateway_policy="sticky"), hours=12)

    def switching(r) -> int:  # flaps the firmware policy decides (not L2 learning)
        return sum(v for s in r.stats for k, v in s.flap_kinds.items() if k != "l2-path")

    assert switching(none) > switching(hyst) >= switching(sticky)


def test_partitioned_same_nid_chargers_swap_avlns() -> None:
    """Same NID, partitioned CCos: two CCos of one NID that cannot hear each other; chargers between
    them re-join whichever they hear first after a beacon loss (order-dependent, Greenvity firmware)."""
    site = load_site(SITES / "partitioned.toml")
    swaps = 0
    for seed in (1, 2):
        result = simulate(site, hours=24, seed=seed)
        assert len({result.final_cco[i] for i in range(len(site.nodes)) if result.final_cco[i] >= 0}) == 2
        swaps += sum(s.flap_kinds.get("avln", 0) for s in result.stats)
    assert swaps > 0
