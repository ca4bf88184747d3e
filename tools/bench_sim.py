#!/usr/bin/env python3
"""Measure how the site simulator's cost scales with nodes and simulated hours.

    python tools/bench_sim.py [--quick]

Prints one row per (chargers, hours): wall time of the physics set-up (channel of every ordered
pair, noise influence sets) and of the time simulation, and the time per node-hour.
"""

from __future__ import annotations

import argparse
import time

from plcstack.sim.engine import simulate
from plcstack.sim.generate import generate_site
from plcstack.sim.physics import SitePhysics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller grid")
    args = ap.parse_args()
    grid = [(25, 6), (50, 6), (100, 6), (100, 24)] if args.quick else [
        (25, 24), (50, 24), (100, 6), (100, 12), (100, 24), (200, 24)]
    print(f"{'chargers':>8} {'hours':>5} {'setup s':>8} {'sim s':>7} {'ms/node-hour':>13} {'flaps':>6}")
    for n, hours in grid:
        site = generate_site(n_chargers=n, n_runs=max(1, n // 10), bridges=1)
        t0 = time.perf_counter()
        phys = SitePhysics(site, 0)
        t1 = time.perf_counter()
        result = simulate(site, hours=hours, seed=0, physics=phys)
        t2 = time.perf_counter()
        print(f"{n:>8} {hours:>5} {t1 - t0:>8.2f} {t2 - t1:>7.2f} {1000 * (t2 - t1) / ((n + 1) * hours):>13.2f} "
              f"{result.flaps_total:>6}")


if __name__ == "__main__":
    main()
