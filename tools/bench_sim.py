#!/usr/bin/env python3
"""Measure how the site simulator's cost scales with chargers.

    taskset -c 0 python tools/bench_sim.py [--quick] [--hours 24]

Sites: generated depots with one run per 12 chargers, PLC modules in the middle of half the runs and
two Wi-Fi bridges (so the network partitions), plus sites/depot-100.toml.  Per row: the CPU time of
the physics set-up (channel of every ordered pair, noise, influence sets: O(N^2 x carriers)) and of
the time simulation (O(N x simulated time)), the simulation's time per node-hour, flaps and CCos.
CPU time (``time.process_time``) is reported because wall time is disturbed by other jobs.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from plcstack.sim.engine import simulate
from plcstack.sim.generate import generate_site
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import Site, load_site

DEPOT = Path(__file__).resolve().parents[1] / "sites" / "depot-100.toml"


def depot(n: int) -> Site:
    runs = max(2, round(n / 12))
    return generate_site(n_chargers=n, n_runs=runs, run_length_m=150.0, bridges=2, module_runs=runs // 2,
                         seed=n)


def measure(label: str, site: Site, hours: float) -> None:
    c0 = time.process_time()
    phys = SitePhysics(site, 0)
    c1 = time.process_time()
    result = simulate(site, hours=hours, seed=0, physics=phys, clock=None)
    c2 = time.process_time()
    n = len(site.nodes)
    ccos = len({c for c in result.final_cco if c >= 0})
    print(f"{label:>14} {n:>6} {hours:>5g} {c1 - c0:>8.2f} {c2 - c1:>7.2f} {1000 * (c2 - c1) / (n * hours):>13.2f} "
          f"{result.flaps_total:>6} {ccos:>5}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="6 simulated hours, 25-100 chargers")
    ap.add_argument("--hours", type=float, default=24.0)
    args = ap.parse_args()
    hours = 6.0 if args.quick else args.hours
    sizes = (25, 50, 100) if args.quick else (25, 50, 100, 200)
    print(f"{'site':>14} {'nodes':>6} {'hours':>5} {'setup s':>8} {'sim s':>7} {'ms/node-hour':>13} {'flaps':>6} "
          f"{'CCos':>5}")
    for n in sizes:
        measure(f"generated-{n}", depot(n), hours)
    measure("depot-100", load_site(DEPOT), hours)


if __name__ == "__main__":
    main()
