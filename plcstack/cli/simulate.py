"""``plcstack simulate`` and ``plcstack sweep``: the site simulator from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

SIM_EPILOG = """\
examples:
  plcstack simulate sites/two-bridges.toml --hours 24 --out out/two-bridges
  plcstack simulate sites/demo.toml --json | jq .flaps_total
  plcstack simulate sites/it-grid.toml --seed 3 --no-advice

The site file (TOML) lists cable runs, chargers and PLC modules; see sites/*.toml and the
plcstack.sim.site module docstring for every key.  Writes OUT/summary.json (flaps_total,
downtime_s_total, per-node AVLN/gateway/PHY rate/flaps/downtime, bridging loops, advice) and
three plots: link_rates.png, membership_timeline.png, worst_link_snr.png.  Advice is backed by
what-if runs of the same length and seed (which single bridge, where the PLC module goes, Wi-Fi
or PLC per charger).  Results are deterministic for a seed.
"""

SWEEP_EPILOG = """\
examples:
  plcstack sweep sites/two-bridges.toml --vary site.cross_phase_loss_db=0,10,20 --runs 3
  plcstack sweep sites/demo.toml --vary charger.C2.bridge=true,false --vary site.gateway_policy=none,hysteresis
  plcstack sweep sites/demo.toml --vary plc_module.M1.at_m=0,60,120 --dask tcp://scheduler:8786

KEY is site.PARAM, charger.NAME.FIELD, charger.FIELD (all chargers), plc_module.NAME.FIELD or
cable.NAME.FIELD.  Several --vary make a grid; --runs repeats each point with seeds 0..N-1.
Jobs run on a local process pool (--workers) or on a Dask cluster (--dask ADDRESS).
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("simulate", help="simulate a PLC site: links, AVLNs, gateways, flapping",
                              description="Simulate a site of EV chargers and PLC modules over time.",
                              epilog=SIM_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", type=Path, help="site TOML file")
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours from midnight (default 24)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: sim-SITENAME)")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout instead of a table")
    p.add_argument("--no-advice", action="store_true", help="skip the what-if runs behind the advice")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run_simulate)

    s = subparsers.add_parser("sweep", help="run a parameter grid of simulations (local pool or Dask)",
                              description="Simulate a grid of site variants and tabulate the results.",
                              epilog=SWEEP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("site", type=Path)
    s.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2,...")
    s.add_argument("--runs", type=int, default=1, help="seeds per grid point (default 1)")
    s.add_argument("--hours", type=float, default=24.0)
    s.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    s.add_argument("--dask", default=None, metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786)")
    s.add_argument("--out", type=Path, default=None, help="directory for sweep.json, sweep.csv and sweep.png")
    s.add_argument("--json", action="store_true", help="print the rows as JSON")
    s.set_defaults(func=run_sweep)


def _is_tty() -> bool:
    return sys.stderr.isatty()


def run_simulate(args: argparse.Namespace) -> int:
    from plcstack.sim import report
    from plcstack.sim.engine import simulate
    from plcstack.sim.site import SiteError, load_site

    try:
        site = load_site(args.site)
    except (OSError, SiteError, KeyError) as exc:
        print(f"plcstack simulate: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path(f"sim-{site.name}")
    progress_ctx = None
    task = None
    if _is_tty() and not args.json:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        progress_ctx = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                                transient=True)
        progress_ctx.start()
        task = progress_ctx.add_task(f"simulating {site.name}", total=args.hours * 3600.0)

    def tick(done_s: float) -> None:
        if progress_ctx is not None:
            progress_ctx.update(task, completed=done_s)

    def note(text: str) -> None:
        if progress_ctx is not None:
            progress_ctx.update(task, description=text)
        elif not args.json:
            print(f"  {text}", file=sys.stderr)

    try:
        try:
            result = simulate(site, hours=args.hours, seed=args.seed, progress=tick)
        except KeyError as exc:  # an unknown cable type surfaces here
            print(f"plcstack simulate: {exc}", file=sys.stderr)
            return 2
        advice = [] if args.no_advice else report.advise(site, result, args.hours, args.seed, progress=note)
        data = report.summary(result, advice)
        path = report.write_summary(data, out)
        plots = [] if args.no_plots else report.write_plots(result, out)
    finally:
        if progress_ctx is not None:
            progress_ctx.stop()
    if args.json:
        print(json.dumps(data, indent=2, default=float))
        return 0
    _print_table(data, path, plots)
    return 0


def _print_table(data: dict[str, Any], path: Path, plots: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    from plcstack.sim.report import summary_table_rows

    console = Console()
    table = Table(title=f"{data['site']}: {data['hours']:g} h, seed {data['seed']}, grid {data['grid']}")
    for col in ("node", "kind", "gateway", "PHY Mbit/s", "flaps", "downtime s", "availability", "AVLN"):
        table.add_column(col)
    for row in summary_table_rows(data):
        table.add_row(*row)
    console.print(table)
    console.print(f"flaps_total {data['flaps_total']}, downtime_s_total {data['downtime_s_total']:g}, "
                  f"bridging loops {len(data['bridging_loops'])}")
    for a in data["advice"]:
        console.print(f"- {a['text']}")
    console.print(f"wrote {path}" + "".join(f", {p.name}" for p in plots))


def run_sweep(args: argparse.Namespace) -> int:
    from plcstack.sim import sweep
    from plcstack.sim.site import SiteError

    try:
        data = tomllib.loads(args.site.read_text(encoding="utf-8"))
        varies = [sweep.parse_vary(v) for v in args.vary]
        jobs = sweep.build_jobs(data, varies, args.runs, args.hours)
    except (OSError, SiteError, tomllib.TOMLDecodeError) as exc:
        print(f"plcstack sweep: {exc}", file=sys.stderr)
        return 2
    keys = [k for k, _ in varies]
    progress_ctx = None
    task = None
    if _is_tty() and not args.json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        progress_ctx = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), transient=True)
        progress_ctx.start()
        task = progress_ctx.add_task("sweep", total=len(jobs))

    def done(_row: dict[str, Any]) -> None:
        if progress_ctx is not None:
            progress_ctx.advance(task)

    try:
        if args.dask:
            rows = sweep.run_dask(jobs, args.dask, on_done=done)
        else:
            rows = sweep.run_local(jobs, args.workers, on_done=done)
    finally:
        if progress_ctx is not None:
            progress_ctx.stop()
    agg = sweep.aggregate(rows, keys)
    if args.out:
        _write_sweep(args.out, rows, agg, keys)
    if args.json:
        print(json.dumps({"rows": rows, "aggregate": agg}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"sweep of {args.site.name}: {len(jobs)} runs")
    cols = keys + ["runs", "flaps_total", "downtime_s_total", "worst_plc_rate_mbps", "chargers_without_route"]
    for c in cols:
        table.add_column(c)
    for r in agg:
        table.add_row(*[str(r[c]) for c in cols])
    Console().print(table)
    return 0


def _write_sweep(out: Path, rows: list[dict[str, Any]], agg: list[dict[str, Any]], keys: list[str]) -> None:
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps({"rows": rows, "aggregate": agg}, indent=2) + "\n")
    with open(out / "sweep.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(agg[0].keys()))
        writer.writeheader()
        writer.writerows(agg)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    labels = [", ".join(f"{k.split('.')[-1]}={r[k]}" for k in keys) for r in agg]
    for ax, metric in zip(axes, ("flaps_total", "downtime_s_total", "worst_plc_rate_mbps"), strict=True):
        vals = [r[metric] if r[metric] is not None else 0 for r in agg]
        lo = [v - (r[metric + "_min"] if r[metric + "_min"] is not None else v) for v, r in zip(vals, agg, strict=True)]
        hi = [(r[metric + "_max"] if r[metric + "_max"] is not None else v) - v for v, r in zip(vals, agg, strict=True)]
        ax.bar(range(len(vals)), vals, yerr=[lo, hi], capsize=3)
        ax.set_xticks(range(len(vals)), labels, rotation=45, ha="right", fontsize=7)
        ax.set_title(metric)
    fig.tight_layout()
    fig.savefig(out / "sweep.png", dpi=110)
    plt.close(fig)
