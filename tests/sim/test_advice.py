"""The advice plan: rules propose, what-ifs decide; every action shows its simulated effect."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from plcstack.sim import advice, sweep
from plcstack.sim.advice_rules import CHARGERS_PER_MODULE, RuleContext, candidates
from plcstack.sim.engine import simulate
from plcstack.sim.generate import generate_site_dict
from plcstack.sim.site import charging_at, load_site, site_from_dict
from plcstack.sim.summary import node_summaries

SITES = Path(__file__).resolve().parents[2] / "sites"


def _m(down: float, flaps: int = 0, routes: int = 0, worst: float | None = 100.0) -> dict:
    return {"downtime_s_total": down, "flaps_total": flaps, "chargers_without_route": routes,
            "worst_plc_rate_mbps": worst}


def test_materially_better_weighs_downtime_flaps_and_margin() -> None:
    day = 24.0
    assert advice.materially_better(_m(100, flaps=900), _m(40_000, flaps=2), day)  # flap outages are in downtime
    assert not advice.materially_better(_m(5000), _m(1000), day)
    assert not advice.materially_better(_m(980), _m(1000), day)  # 2 %: not worth a visit
    assert advice.materially_better(_m(0, flaps=0), _m(30, flaps=30), day)
    assert not advice.materially_better(_m(0, flaps=3), _m(0, flaps=0), day)
    assert advice.materially_better(_m(0, routes=0), _m(0, routes=1), day)
    # a faster worst link counts only while it is short of margin
    assert advice.materially_better(_m(0, worst=40.0), _m(0, worst=20.0), day)
    assert not advice.materially_better(_m(0, worst=140.0), _m(0, worst=100.0), day)
    assert not advice.materially_better(_m(0, flaps=500, worst=40.0), _m(0, flaps=0, worst=20.0), day)
    # more chargers stranded at the end only if the downtime falls by as much
    assert not advice.materially_better(_m(0, routes=2, worst=140.0), _m(0, routes=1, worst=10.0), day)
    assert advice.materially_better(_m(100, routes=2), _m(50_000, routes=1), day)


def test_worst_hour_and_problems() -> None:
    assert advice.worst_hour_start([0, 3, 9, 1], 4, 1) == 2 * 3600.0
    assert advice.worst_hour_start([0, 0, 0], 3, 1) == 0.0
    assert advice.worst_hour_start([5, 0, 1, 9], 3, 2) == 0.0  # hour 3 lies beyond the 3 simulated hours
    demo = load_site(SITES / "demo.toml")
    peak = advice.peak_charging_start(demo, 24, 1)
    assert sum(charging_at(demo, peak + 1800)) == max(sum(charging_at(demo, t * 900.0)) for t in range(96))
    trouble = [0.0] * 24
    trouble[int(peak // 3600) + 1] = 5.0  # the worst hour overlaps the charging peak: one window
    (window,) = advice.screen_windows(demo, trouble, 24, 1)
    assert window[0] == peak and window[1] == pytest.approx(1 + (int(peak // 3600) + 1 - peak / 3600))
    assert len(advice.screen_windows(demo, [9.0] + [0.0] * 23, 24, 1)) == 2
    assert not advice.has_problems(_m(0), 24)
    assert advice.has_problems(_m(0, worst=20.0), 24) and advice.has_problems(_m(0, routes=1), 24)


def _context(site, hours: float = 2.0, seed: int = 0) -> RuleContext:
    base = simulate(site, hours=hours, seed=seed)
    return RuleContext(site, {n["name"]: n for n in node_summaries(base)})


def test_rules_propose_the_manuals_fixes() -> None:
    site = load_site(SITES / "demo.toml")
    cands = candidates(_context(site))
    actions = {c.action for c in cands}
    assert {"no-bridge", "single-bridge"} <= actions  # a module is wired and two chargers bridge
    assert len({c.cid for c in cands}) == len(cands)
    assert all(c.instruction and c.why and c.rule for c in cands)
    # the variants really differ from the site and keep it valid
    for c in cands:
        assert c.apply(site) != site


def test_wrong_module_key_and_chargers_without_a_gateway_key() -> None:
    data = {"site": {"grid": "TN"}, "cable": [{"name": "a", "type": "Cu-10mm2", "length_m": 60}],
            "charger": [{"name": f"C{i}", "cable": "a", "at_m": 10 + 10 * i, "network_password": "site-key-2026"}
                        for i in range(4)],
            "plc_module": [{"name": "M1", "cable": "a", "at_m": 30, "network_password": "typo-key-2026"}]}
    site = site_from_dict(data)
    cands = {c.cid: c for c in candidates(_context(site))}
    fix = cands["key:M1"]
    assert fix.apply(site).nodes[site.node_index("M1")].network_password == "site-key-2026"
    assert any(c.startswith("key:C0") for c in cands)  # or re-key the chargers to the module's key


def test_crowded_module_gets_a_second_one() -> None:
    data = generate_site_dict(n_chargers=CHARGERS_PER_MODULE + 10, n_runs=1, run_length_m=120.0, bridges=0)
    for c in data["charger"]:
        del c["wifi_rssi_dbm"]  # every charger on PLC behind the one module
    site = site_from_dict(data)
    cands = [c for c in candidates(_context(site, hours=0.5)) if c.rule == "chargers-per-module"]
    assert len(cands) == 1
    after = cands[0].apply(site)
    assert sum(n.kind == "plc_module" for n in after.nodes) == 2


def test_it_grid_module_on_the_wrong_pair_is_recoupled() -> None:
    data = tomllib.loads((SITES / "it-grid.toml").read_text())
    first = data["charger"][0]
    data["plc_module"] = [{"name": "M1", "cable": first["cable"], "at_m": 5, "phase": "L2-L3",
                           "network_password": first["network_password"]}]
    site = site_from_dict(data)
    cands = [c for c in candidates(_context(site)) if c.action == "module-coupling"]
    pairs = [n.phase for n in site.chargers if n.cable == first["cable"]]
    want = max(set(pairs), key=pairs.count)
    assert cands and cands[0].apply(site).nodes[site.node_index("M1")].phase == want != "L2-L3"


def test_uplink_pins_only_borderline_chargers_that_switched() -> None:
    site = load_site(SITES / "demo.toml")
    ctx = _context(site, hours=6)
    pins = [c for c in candidates(ctx) if c.action == "uplink"]
    thr = site.params.wifi_threshold_dbm
    for c in pins:
        for name in c.details["chargers"]:
            node = site.nodes[site.node_index(name)]
            assert node.wifi_rssi_dbm is not None and abs(node.wifi_rssi_dbm - thr) <= 3.0
            assert ctx.base_nodes[name]["flap_kinds"]


def _plan(name: str, hours: float, seed: int = 0, runner: sweep.Runner | None = None) -> advice.Plan:
    site = load_site(SITES / f"{name}.toml")
    base = simulate(site, hours=hours, seed=seed)
    return advice.plan(site, base, hours, seed, runner=runner)


def _check_steps(p: advice.Plan, hours: float) -> None:
    """Every action is a confirmed, material improvement on the step before it."""
    assert len(p.advice) <= advice.MAX_ACTIONS
    assert [a["rank"] for a in p.advice] == list(range(1, len(p.advice) + 1))
    prev = None
    for a in p.advice:
        before = {k: v[0] for k, v in a["effect"].items()}
        after = {k: v[1] for k, v in a["effect"].items()}
        assert advice.materially_better(after, before, hours), a["text"]
        if prev is not None:
            assert before == prev
        prev = after
        assert a["instruction"] in a["text"] and "->" in a["text"]
    if p.advice:
        assert p.info["after"]["downtime_s_total"] == p.advice[-1]["effect"]["downtime_s_total"][1]


def test_one_bridge_site_keeps_its_bridge() -> None:
    """The manual's configuration: no gateway change is proposed, whatever else helps."""
    p = _plan("one-bridge", 6)
    _check_steps(p, 6)
    assert not any(a["rule"] in ("single-bridge", "one-gateway-per-network") for a in p.advice)
    assert p.info["actions"] == len(p.advice)


@pytest.mark.slow
def test_two_bridges_plan_keeps_a_single_bridge() -> None:
    p = _plan("two-bridges", 6)
    _check_steps(p, 6)
    first = p.advice[0]
    assert first["action"] == "single-bridge" and first["bridge"] in ("C1", "C5")
    before, after = first["effect"]["flaps_total"]
    assert after < before / 5
    assert not any(a["action"] == "uplink" and "Wi-Fi" in a["instruction"] and "only" not in a["instruction"]
                   for a in p.advice)


@pytest.mark.slow
def test_module_start_plan_moves_the_module_to_its_chargers() -> None:
    p = _plan("module-start", 4)
    _check_steps(p, 4)
    move = p.advice[0]
    assert move["action"] == "move-plc-module" and move["at_m"] > 100
    before, after = move["effect"]["worst_plc_rate_mbps"]
    assert after > 1.5 * before


@pytest.mark.slow
def test_partitioned_plan_adds_modules_where_chargers_have_no_route() -> None:
    p = _plan("partitioned", 6, seed=1)
    _check_steps(p, 6)
    # the modules may come after a phase-order fix (which also gives the middle chargers a route)
    modules = [a for a in p.advice if a["action"] in ("add-plc-module", "split-run")]
    assert modules, [a["text"] for a in p.advice]
    first = modules[0]
    spots = first["at_m"] if isinstance(first["at_m"], list) else [first["at_m"]]
    middle = [n.at_m for n in load_site(SITES / "partitioned.toml").chargers if not n.bridge]
    assert all(min(middle) <= at <= max(middle) for at in spots)  # among the chargers, not at the board
    assert p.info["after"]["downtime_s_total"] < p.info["before"]["downtime_s_total"] / 10
    assert p.info["after"]["chargers_without_route"] == 0


@pytest.mark.slow
def test_plan_is_the_same_on_a_process_pool() -> None:
    pool = sweep.PoolRunner(2)
    try:
        parallel = _plan("demo", 3, runner=pool)
    finally:
        pool.close()
    serial = _plan("demo", 3)
    assert [a["text"] for a in parallel.advice] == [a["text"] for a in serial.advice]
    assert parallel.advice and parallel.info["screen_runs"] == serial.info["screen_runs"]


@pytest.mark.slow
def test_demo_plan_removes_the_bridging_loop() -> None:
    p = _plan("demo", 6)
    _check_steps(p, 6)
    gateway = next(a for a in p.advice if a["action"] in ("no-bridge", "single-bridge"))
    before, after = gateway["effect"]["flaps_total"]
    assert after < before / 5
    assert p.info["after"]["flaps_total"] <= after


@pytest.mark.slow
def test_plan_is_the_same_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with sweep.make_runner(dask=cl) as runner:
            on_dask = _plan("two-bridges", 2, runner=runner)
    serial = _plan("two-bridges", 2)
    assert on_dask.advice and [a["text"] for a in on_dask.advice] == [a["text"] for a in serial.advice]


def test_every_charger_on_its_own_key_gets_one_site_wide_rekey() -> None:
    data = generate_site_dict(n_chargers=8, n_runs=2, run_length_m=60.0, bridges=1, module=False)
    for i, c in enumerate(data["charger"]):
        if not c.get("bridge"):
            c["network_password"] = f"own-password-{i:03d}"
    site = site_from_dict(data)
    cands = {c.action: c for c in candidates(_context(site, hours=0.5))}
    rekey = cands["set-network-keys"]
    bridge = next(n for n in site.chargers if n.bridge)
    after = rekey.apply(site)
    assert {n.network_password for n in after.chargers} == {bridge.network_password}
    assert len(rekey.groups) == len(site.chargers) - 1  # it excludes each per-charger alternative
