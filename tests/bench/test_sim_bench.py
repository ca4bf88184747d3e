"""Simulator benchmarks: the 100-charger depot (8 runs, two bridges, PLC modules on two runs, so the
network partitions) for 24 simulated hours; target <= 15 s on one core.

`make bench` times them with pytest-benchmark; in `make test` each runs once as a plain test.
``tools/bench_sim.py`` prints how the cost scales with chargers (25-200).
"""

from __future__ import annotations

from pathlib import Path

from plcstack.sim.engine import simulate
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import load_site

DEPOT = Path(__file__).resolve().parents[2] / "sites" / "depot-100.toml"


def test_bench_depot_100_setup(benchmark) -> None:  # type: ignore[no-untyped-def]
    site = load_site(DEPOT)
    phys = benchmark.pedantic(lambda: SitePhysics(site, 0), rounds=1, iterations=1)
    assert phys.n == 102


def test_bench_depot_100_24_hours(benchmark) -> None:  # type: ignore[no-untyped-def]
    site = load_site(DEPOT)
    phys = SitePhysics(site, 0)

    def run():  # type: ignore[no-untyped-def]
        return simulate(site, hours=24, seed=0, physics=phys)

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(result.stats) == 102
    assert all(0 <= s.downtime_s <= 86400 + 1e-6 for s in result.stats)
    assert len({c for c in result.final_cco if c >= 0}) >= 2  # the depot partitions
