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
  plcstack simulate sites/demo.toml --json | jq '.advice[].text'
  plcstack simulate depot.toml --workers 4          # what-ifs on 4 local processes
  plcstack simulate depot.toml --dask tcp://scheduler:8786
  plcstack simulate sites/it-grid.toml --seed 3 --no-advice

The site file (TOML) lists cable runs, chargers and PLC modules; see sites/*.toml and the
plcstack.sim.site module docstring for every key.  Writes to OUT (default sim-SITENAME):

  summary.json   flaps_total, downtime_s_total, metrics, nodes (the per-charger table: uplink,
                 gateway, AVLN, PHY rate, availability, flaps, downtime), bridging loops, events,
                 advice (the plan) and plan (its totals and the what-if runs behind it)
  report.html    one self-contained page: summary, plan, charger table, plots (phone-friendly)
  *.png          link_rates, membership_timeline, worst_link_snr, plan

The advice is a ranked plan of at most 10 actions from the installation rules (one Wi-Fi-to-PLC
bridge or none with a PLC module, a module per circuit in the middle of its chargers, ~30
chargers per module, runs too long for PLC, network keys, coupling, Wi-Fi or PLC per charger).
Every candidate is screened with a short what-if run (--screen-hours) at the site's busiest hour,
the best are confirmed with full-length runs of the same seed; each action shows its effect
(downtime, flaps, worst charger rate, chargers without a route: before -> after).  What-ifs run in
parallel (a local process pool by default).  Results are deterministic for a seed, whatever the
number of workers.  Rules and sources: docs/sim-advice.md.
"""

SWEEP_EPILOG = """\
examples:
  plcstack sweep sites/two-bridges.toml --vary site.cross_phase_loss_db=0,10,20 --runs 3
  plcstack sweep sites/demo.toml --vary charger.C2.bridge=true,false --vary site.gateway_policy=none,hysteresis
  plcstack sweep sites/demo.toml --vary plc_module.M1.at_m=0,60,120 --dask tcp://scheduler:8786

KEY is site.PARAM, charger.NAME.FIELD, charger.FIELD (all chargers), plc_module.NAME.FIELD or
cable.NAME.FIELD.  Several --vary make a grid; --runs repeats each point with seeds 0..N-1.
Jobs run on a local process pool (--workers) or on a Dask cluster (--dask ADDRESS); each worker
reuses the channel set-up between jobs whose wiring is the same.
"""


def _add_runner_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes for the what-if runs (default: CPU count; 1 = in this process)")
    p.add_argument("--dask", default=None, metavar="ADDRESS", help="run them on a Dask cluster (tcp://host:8786)")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("simulate", help="simulate a PLC site: links, AVLNs, gateways, flapping, advice",
                              description="Simulate a site of EV chargers and PLC modules over time and plan "
                                          "what to change.",
                              epilog=SIM_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", type=Path, help="site TOML file")
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours from midnight (default 24)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: sim-SITENAME)")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout instead of a table")
    p.add_argument("--no-advice", action="store_true", help="skip the what-if runs behind the advice")
    p.add_argument("--no-plots", action="store_true", help="skip the plots (report.html then has none)")
    p.add_argument("--screen-hours", type=float, default=None, metavar="H",
                   help="length of the screening what-ifs (default 1 h)")
    _add_runner_args(p)
    p.set_defaults(func=run_simulate)

    s = subparsers.add_parser("sweep", help="run a parameter grid of simulations (local pool or Dask)",
                              description="Simulate a grid of site variants and tabulate the results.",
                              epilog=SWEEP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("site", type=Path)
    s.add_argument("--vary", action="append", required=True, metavar="KEY=V1,V2,...")
    s.add_argument("--runs", type=int, default=1, help="seeds per grid point (default 1)")
    s.add_argument("--hours", type=float, default=24.0)
    s.add_argument("--out", type=Path, default=None, help="directory for sweep.json, sweep.csv and sweep.png")
    s.add_argument("--json", action="store_true", help="print the rows as JSON")
    _add_runner_args(s)
    s.set_defaults(func=run_sweep)


LABEL_CHARS = 40


class _Bar:
    """A rich progress display without a refresh thread (so worker processes can fork safely);
    silent when stderr is not a terminal or JSON goes to stdout."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        self.done: dict[str, int] = {}
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("[dim]{task.fields[label]}"),
                                     console=Console(stderr=True), auto_refresh=False, transient=True)
            self.progress.start()

    def update(self, name: str, description: str, done: float, total: float, label: str = "") -> None:
        self.done[name] = int(done)
        if self.progress is None:
            return
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(description, total=total, label=label)
        self.progress.update(self.tasks[name], description=description, completed=done, total=total,
                             label=label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…")
        self.progress.refresh()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _make_runner(args: argparse.Namespace) -> Any:
    from plcstack.sim import sweep

    return sweep.make_runner(args.workers, args.dask)


def _plan(args: argparse.Namespace, site: Any, result: Any, bar: _Bar) -> Any:
    """The advice plan on the runner the options ask for (None and a message when it cannot start)."""
    from plcstack.sim import advice as advice_mod
    from plcstack.sim import sweep

    sweep.share_physics(site, args.seed, result.physics)  # forked workers inherit the base set-up
    try:
        runner = _make_runner(args)
    except (OSError, ValueError, ImportError) as exc:
        print(f"plcstack simulate: cannot start the what-if workers: {exc}", file=sys.stderr)
        return None
    stages = {"screen": "screening what-ifs", "confirm": "confirming the plan"}
    before: dict[str, int] = {}  # what-ifs of earlier batches, so each bar counts them all

    def on_whatif(e: advice_mod.WhatIfEvent) -> None:
        if e.done == 0:
            before[e.stage] = bar.done.get(e.stage, 0)
            if bar.progress is None and not args.json:
                print(f"  {stages.get(e.stage, e.stage)}: {e.label}", file=sys.stderr)
        offset = before.get(e.stage, 0)
        bar.update(e.stage, stages.get(e.stage, e.stage), offset + e.done, offset + e.total, e.label)

    kwargs = {} if args.screen_hours is None else {"screen_hours": args.screen_hours}
    with runner:
        return advice_mod.plan(site, result, args.hours, args.seed, runner=runner, progress=on_whatif, **kwargs)


def run_simulate(args: argparse.Namespace) -> int:
    from plcstack.sim import advice as advice_mod
    from plcstack.sim import plots, report, summary
    from plcstack.sim.engine import simulate
    from plcstack.sim.site import SiteError, load_site

    def fail(msg: object) -> int:
        print(f"plcstack simulate: {msg}", file=sys.stderr)
        return 2

    from plcstack.sim.sweep import tune_allocator

    try:
        site = load_site(args.site)
    except (OSError, SiteError, KeyError) as exc:
        return fail(exc)
    tune_allocator()
    if args.hours <= 0:
        return fail("--hours must be > 0")
    out = args.out or Path(f"sim-{site.name}")
    bar = _Bar(sys.stderr.isatty() and not args.json)
    try:
        try:
            result = simulate(site, hours=args.hours, seed=args.seed,
                              progress=lambda s: bar.update("base", f"simulating {site.name} (h)", s / 3600.0,
                                                            args.hours))
        except KeyError as exc:  # an unknown cable type surfaces here
            return fail(exc)
        plan = advice_mod.Plan() if args.no_advice else _plan(args, site, result, bar)
        if plan is None:
            return 2
        data = summary.summary(result, plan.advice, plan.info)
        images = {} if args.no_plots else plots.render_plots(result, plan.advice)
    finally:
        bar.stop()
    try:
        path = report.write_summary(data, out)
        written = report.write_images(images, out)
        page = report.write_report_html(data, images, out)
    except OSError as exc:
        return fail(f"cannot write to {out}: {exc}")
    if args.json:
        print(json.dumps(data, indent=2, default=float))
        return 0
    _print_table(data, [path, page, *written])
    return 0


TABLE_ROWS = 30  # larger sites print only the nodes with trouble


def _print_table(data: dict[str, Any], paths: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    from plcstack.sim.summary import CHARGER_COLUMNS, charger_rows

    console = Console()
    table = Table(title=f"{data['site']}: {data['hours']:g} h, seed {data['seed']}, grid {data['grid']}")
    for col in CHARGER_COLUMNS:
        table.add_column(col)
    rows = list(zip(data["nodes"], charger_rows(data), strict=True))
    shown = rows if len(rows) <= TABLE_ROWS else [r for r in rows if r[0]["availability"] < 0.999
                                                     or r[0]["flaps"]][:TABLE_ROWS]
    for _, row in shown:
        table.add_row(*row)
    if len(shown) < len(rows):
        table.caption = f"{len(shown)} of {len(rows)} nodes (the worst served); all of them in report.html"
    console.print(table)
    console.print(f"flaps_total {data['flaps_total']}, downtime_s_total {data['downtime_s_total']:g}, "
                  f"bridging loops {len(data['bridging_loops'])}")
    if data["advice"]:
        console.print("[bold]Plan[/bold] (each effect is a full-length what-if run):")
    for a in data["advice"]:
        console.print(f"{a.get('rank', '-')}. {a['text']}", highlight=False)
    console.print(f"wrote {paths[0]}" + "".join(f", {p.name}" for p in paths[1:]))


def run_sweep(args: argparse.Namespace) -> int:
    from plcstack.sim import sweep
    from plcstack.sim.site import SiteError

    sweep.tune_allocator()
    try:
        data = tomllib.loads(args.site.read_text(encoding="utf-8"))
        data.setdefault("site", {}).setdefault("name", args.site.stem)
        varies = [sweep.parse_vary(v) for v in args.vary]
        jobs = sweep.build_jobs(data, varies, args.runs, args.hours)
    except (OSError, SiteError, tomllib.TOMLDecodeError) as exc:
        print(f"plcstack sweep: {exc}", file=sys.stderr)
        return 2
    keys = [k for k, _ in varies]
    try:
        runner = sweep.SerialRunner() if len(jobs) == 1 else _make_runner(args)
    except (OSError, ValueError, ImportError) as exc:
        print(f"plcstack sweep: cannot start the workers: {exc}", file=sys.stderr)
        return 2
    bar = _Bar(sys.stderr.isatty() and not args.json)
    done = [0]

    def on_done(i: int, _row: dict[str, Any]) -> None:
        done[0] += 1
        label = ", ".join(f"{k}={v}" for k, v in jobs[i].overrides) + f" seed {jobs[i].seed}"
        bar.update("sweep", "sweep", done[0], len(jobs), label)

    try:
        rows = runner.run(jobs, on_done)
    finally:
        runner.close()
        bar.stop()
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
