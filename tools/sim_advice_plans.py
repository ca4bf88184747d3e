"""Re-measure the README's advice table: the plan for each example site, and how long it took.

    python tools/sim_advice_plans.py [--hours 24] [--workers N] [site ...]

Prints one Markdown row per site: actions (rule ids), downtime / flaps / worst charger rate /
chargers without a route before -> after the whole plan, what-if runs, wall time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from plcstack.sim import advice, sweep
from plcstack.sim.engine import simulate
from plcstack.sim.site import load_site

ROOT = Path(__file__).resolve().parents[1]
SITES = ["one-bridge", "two-bridges", "three-bridges", "module-start", "module-middle", "it-grid", "wifi-weak",
         "demo", "partitioned", "depot-100"]


def _pair(before: object, after: object) -> str:
    def f(v: object) -> str:
        return "-" if v is None else f"{v:,.0f}" if isinstance(v, float) and abs(v) >= 100 else f"{v:g}" \
            if isinstance(v, float) else str(v)
    return f"{f(before)} -> {f(after)}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sites", nargs="*", default=SITES)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    print("| site | plan (rules) | downtime s | flaps | worst rate Mbit/s | no route | what-ifs | wall s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.sites:
        t0 = time.perf_counter()
        site = load_site(ROOT / "sites" / f"{name}.toml")
        base = simulate(site, hours=args.hours, seed=0)
        sweep.share_physics(site, 0, base.physics)
        with sweep.make_runner(args.workers) as runner:
            p = advice.plan(site, base, args.hours, 0, runner=runner)
        b, a = p.info["before"], p.info["after"]
        rules = ", ".join(x["action"] for x in p.advice) or "(none)"
        print(f"| {name} | {rules} | {_pair(b['downtime_s_total'], a['downtime_s_total'])} | "
              f"{_pair(b['flaps_total'], a['flaps_total'])} | "
              f"{_pair(b['worst_plc_rate_mbps'], a['worst_plc_rate_mbps'])} | "
              f"{_pair(b['chargers_without_route'], a['chargers_without_route'])} | "
              f"{p.info['screen_runs']} + {p.info['confirm_runs']} | {time.perf_counter() - t0:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
