"""Sweeps and what-if runs: job building, runners (serial, local pool, Dask), shared physics set-up."""

from __future__ import annotations

import threading
import tomllib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from plcstack.sim import sweep
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import Node, SiteError, SiteParams, load_site, site_to_dict

SITES = Path(__file__).resolve().parents[2] / "sites"


def test_parse_vary_types_and_errors() -> None:
    assert sweep.parse_vary("site.cross_phase_loss_db=0,2.5,x,true") == ("site.cross_phase_loss_db",
                                                                        [0, 2.5, "x", True])
    with pytest.raises(SiteError):
        sweep.parse_vary("site.cross_phase_loss_db")
    with pytest.raises(SiteError):
        sweep.parse_vary("site.cross_phase_loss_db=")


def test_build_jobs_is_a_grid_of_validated_variants() -> None:
    data = tomllib.loads((SITES / "two-bridges.toml").read_text())
    jobs = sweep.build_jobs(data, [("charger.C5.bridge", [True, False]), ("site.gateway_policy", ["none", "sticky"])],
                            runs=2, hours=1)
    assert len(jobs) == 8 and {j.seed for j in jobs} == {0, 1}
    assert {j.overrides for j in jobs} == {(("charger.C5.bridge", b), ("site.gateway_policy", p))
                                           for b in (True, False) for p in ("none", "sticky")}
    with pytest.raises(SiteError, match="NOPE"):
        sweep.build_jobs(data, [("charger.NOPE.bridge", [True])], runs=1, hours=1)
    with pytest.raises(SiteError):
        sweep.build_jobs(data, [("site.gateway_policy", ["sometimes"])], runs=1, hours=1)


ENGINE_ONLY_CHANGES = {"bridge": True, "wifi_rssi_dbm": -61.0, "gateway_policy": "sticky",
                       "network_password": "another-key-2026", "cco_capability": 3, "charging": ((0.0, 3600.0),)}


def _arrays(phys: SitePhysics) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(phys).items() if isinstance(v, np.ndarray)}


def test_engine_only_fields_leave_the_physics_unchanged() -> None:
    """The shared set-up is only sound if the physics really ignores these fields: build it afresh
    for each change and compare every array it holds."""
    site = load_site(SITES / "demo.toml")
    assert set(ENGINE_ONLY_CHANGES) == set(sweep.ENGINE_ONLY_NODE_FIELDS)
    ref = _arrays(SitePhysics(site, 3))
    name = site.chargers[1].name
    variants = [site.with_node(name, **{k: v}) for k, v in ENGINE_ONLY_CHANGES.items()]
    params = {f.name: f.type for f in fields(SiteParams)}
    variants += [site.with_params(**{k: ("none" if params[k] == "str" else 0.5)}) for k in sweep.ENGINE_ONLY_PARAMS]
    for v in variants:
        assert sweep.physics_key(v) == sweep.physics_key(site)
        got = _arrays(SitePhysics(v, 3))
        assert got.keys() == ref.keys()
        for k in ref:
            assert np.array_equal(got[k], ref[k], equal_nan=True), k


def test_wiring_and_noise_changes_get_their_own_physics() -> None:
    site = load_site(SITES / "demo.toml")
    key = sweep.physics_key(site)
    m = next(n for n in site.nodes if n.kind == "plc_module")
    assert sweep.physics_key(site.with_node(m.name, at_m=m.at_m + 5)) != key
    assert sweep.physics_key(site.with_node(m.name, phase="L2-N")) != key
    assert sweep.physics_key(site.with_params(cross_phase_loss_db=22.0)) != key
    assert sweep.physics_key(site.with_params(background="noisy")) != key
    assert {f.name for f in fields(Node)} >= set(sweep.ENGINE_ONLY_NODE_FIELDS)


def test_reused_physics_gives_the_same_run_as_a_fresh_one() -> None:
    """A worker runs many jobs on one cached physics: results must not depend on what ran before."""
    site = load_site(SITES / "demo.toml")
    data = site_to_dict(site)
    variant = site_to_dict(site.with_params(gateway_policy="none"))
    job = sweep.SweepJob((), 0, 1.0, variant, start_s=7200.0, detail=True)
    sweep.run_job(sweep.SweepJob((), 0, 2.0, data))  # warms (and mutates) the cached physics
    warm = sweep.run_job(job)
    sweep._physics.clear()
    sweep._channels.clear()
    fresh = sweep.run_job(job)
    assert {k: v for k, v in warm.items() if k != "wall_s"} == {k: v for k, v in fresh.items() if k != "wall_s"}
    assert set(fresh["availability"]) == {n.name for n in site.chargers}
    assert len(fresh["trouble_by_hour"]) == 1


def test_physics_cache_is_bounded_and_shares_the_channel_across_seeds() -> None:
    site = load_site(SITES / "one-bridge.toml")
    sweep._physics.clear()
    sweep._channels.clear()
    a, b = sweep.physics_for(site, 0), sweep.physics_for(site, 1)
    assert a is not b and a.channel is b.channel
    assert sweep.physics_for(site.with_node(site.chargers[0].name, bridge=False), 0) is a
    for x in (10.0, 11.0, 12.0):
        sweep.physics_for(site.with_params(cross_phase_loss_db=x), 0)
    assert len(sweep._physics) <= sweep.PHYSICS_CACHE_SIZE and len(sweep._channels) <= sweep.PHYSICS_CACHE_SIZE


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


def test_pool_and_serial_runners_agree() -> None:
    data = tomllib.loads((SITES / "two-bridges.toml").read_text())
    jobs = sweep.build_jobs(data, [("charger.C5.bridge", [True, False])], runs=2, hours=1)
    serial = sweep.SerialRunner().run(jobs)
    alone = threading.active_count() == 1
    pool = sweep.PoolRunner(2)
    try:
        seen: list[int] = []
        rows = pool.run(jobs, lambda i, _row: seen.append(i))
    finally:
        pool.close()
    assert _strip(rows) == _strip(serial) and sorted(seen) == list(range(len(jobs)))
    if alone:  # no other thread: workers are forked and inherit this process's physics cache
        assert pool.start_method == "fork"


def test_sweep_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    data = tomllib.loads((SITES / "one-bridge.toml").read_text())
    jobs = sweep.build_jobs(data, [sweep.parse_vary("site.cross_phase_loss_db=0,25")], runs=1, hours=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        rows = sweep.run_dask(jobs, cl)
    assert _strip(rows) == _strip(sweep.run_local(jobs, workers=1))


def test_aggregate_means_and_ranges() -> None:
    rows = [{"k": 1, "flaps_total": f, "downtime_s_total": 10.0 * f, "worst_plc_rate_mbps": None,
             "mean_plc_rate_mbps": 5.0, "chargers_without_route": 0, "worst_availability": 1.0} for f in (2, 4)]
    (agg,) = sweep.aggregate(rows, ["k"])
    assert agg["runs"] == 2 and agg["flaps_total"] == 3 and agg["flaps_total_min"] == 2
    assert agg["flaps_total_max"] == 4 and agg["worst_plc_rate_mbps"] is None


def test_tune_allocator_on_glibc() -> None:
    import platform

    first = sweep.tune_allocator()
    assert sweep.tune_allocator() == first
    assert first == (platform.libc_ver()[0] == "glibc")  # elsewhere a harmless no-op
