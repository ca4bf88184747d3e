#!/usr/bin/env python3
"""Run the simulator and the advice plan on random generated sites: nothing tuned for them.

    python tools/sim_random_sites.py [--sites 14] [--hours 4] [--seed 7]

Each site: 1-5 Cu-16mm2 runs of 20-500 m, 2-40 chargers, 0-4 Wi-Fi bridges, PLC modules on some runs
or none, TN / TT / IT.  Checks what must hold everywhere (availability within 0-1, finite downtime,
a plan that does not make things worse) and prints one line per site; exit 1 if any site failed.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
import traceback

from plcstack.sim import advice, summary
from plcstack.sim.engine import simulate
from plcstack.sim.generate import generate_site


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=14)
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    failed = 0
    t0 = time.perf_counter()
    for k in range(args.sites):
        n_runs = rng.randint(1, 5)
        kw = dict(n_chargers=rng.randint(2, 40), n_runs=n_runs, run_length_m=rng.choice([20, 60, 150, 300, 500]),
                  bridges=rng.randint(0, 4), grid=rng.choice(["TN", "TT", "IT"]), seed=k,
                  module=rng.random() < 0.6, module_runs=rng.randint(0, n_runs))
        try:
            site = generate_site(**kw)
            result = simulate(site, hours=args.hours, seed=k)
            data = summary.summary(result)
            assert all(0.0 <= n["availability"] <= 1.0 for n in data["nodes"]), "availability outside 0-1"
            assert math.isfinite(data["downtime_s_total"]), "downtime not finite"
            plan = advice.plan(site, result, args.hours, k)
            before, after = plan.info["before"], plan.info["after"]
            worse = advice.cost_s(after, args.hours) > advice.cost_s(before, args.hours)
            assert not (plan.advice and worse), "the plan made things worse"
            actions = ", ".join(a["action"] for a in plan.advice) or "(nothing to do)"
            print(f"{k:3} {kw}: downtime {before['downtime_s_total']:,.0f} -> {after['downtime_s_total']:,.0f} s; "
                  f"{actions}", flush=True)
        except Exception:  # noqa: BLE001 - report every site, then fail
            failed += 1
            print(f"{k:3} {kw}: FAILED", flush=True)
            traceback.print_exc()
    print(f"{args.sites - failed} of {args.sites} sites ok in {time.perf_counter() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
