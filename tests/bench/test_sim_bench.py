"""Simulator benchmark: a 100-charger site for 24 simulated hours (issue target: <= 30 s, one core).

`make bench` times it with pytest-benchmark; in `make test` it runs once as a plain test.
``tools/bench_sim.py`` prints how the cost scales with nodes and hours.
"""

from __future__ import annotations

from plcstack.sim.engine import simulate
from plcstack.sim.generate import generate_site
from plcstack.sim.physics import SitePhysics


def test_bench_100_chargers_24_hours(benchmark) -> None:  # type: ignore[no-untyped-def]
    site = generate_site(n_chargers=100, n_runs=10, bridges=1)

    def run():  # type: ignore[no-untyped-def]
        return simulate(site, hours=24, seed=0, physics=SitePhysics(site, 0))

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(result.stats) == 101
    assert all(0 <= s.downtime_s <= 86400 for s in result.stats)
