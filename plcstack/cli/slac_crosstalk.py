"""``plcstack slac crosstalk SITE.toml``: the crosstalk bench's command line (see plcstack.slac.crosstalk)."""

from __future__ import annotations

import argparse
import json
import sys

DESCRIPTION = """\
Every EV of a site matches at the same time over the emulated power line, with our EVSE and PEV
stacks; the site simulator gives the attenuation between every EV modem and every charger modem.
Reports how often an EV matched the wrong charger (or none), how close the attenuation margins
were, and how the EV's decision threshold changes that (one set of runs per threshold).

EVs: the site's [[plc_module]] entries with technology = "GP" (each plugged into the nearest charger
on its cable), or one generated EV per charger with --ev-per-charger.

examples:
  plcstack slac crosstalk sites/garage-row.toml --runs 10
  plcstack slac crosstalk sites/garage-busway.toml --ev-per-charger --threshold-db 20,30,40 --json
  plcstack slac crosstalk sites/garage-single-phase.toml --evse-delay 0   # chargers always ready first
"""


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threshold-db wants numbers (dB), comma-separated: {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("--threshold-db wants positive numbers (dB)")
    return values


def run_crosstalk(rest: list[str]) -> int:
    from plcstack.cli.slac import _fail, _Parser

    p = _Parser(prog="plcstack slac crosstalk", description=DESCRIPTION,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", help="site TOML file (plcstack.sim.site format)")
    p.add_argument("--ev-per-charger", action="store_true", help="plug one generated EV into every charger")
    p.add_argument("--runs", type=int, default=10, help="runs per threshold (random plug-in times, sound spread)")
    p.add_argument("--threshold-db", type=_thresholds, default=(25.0, 30.0, 35.0, 40.0), metavar="X[,Y...]",
                   help="EV decision threshold(s): highest acceptable average attenuation (default 25,30,35,40)")
    p.add_argument("--ev-spread", type=float, default=2.0, metavar="S", help="EVs plug in within S seconds")
    p.add_argument("--evse-delay", type=float, default=1.0, metavar="S",
                   help="a charger starts SLAC up to S seconds after its EV plugged in")
    p.add_argument("--jitter-db", type=float, default=None, help="per-sound spread of the groups (default 1 dB, measured)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    a = p.parse_args(rest)
    if a.runs < 1:
        return _fail("--runs must be at least 1")
    if a.ev_spread < 0 or a.evse_delay < 0:
        return _fail("--ev-spread and --evse-delay must be >= 0")
    from plcstack.sim.site import SiteError, load_site
    from plcstack.slac.crosstalk import (
        MEASURED_JITTER_DB,
        BenchParams,
        CrosstalkError,
        crosstalk,
        format_crosstalk,
    )

    try:
        site = load_site(a.site)
    except (OSError, SiteError) as exc:
        text = str(exc)  # a TOML error already names the file
        return _fail(text if text.startswith(str(a.site)) else f"{a.site}: {text}")
    params = BenchParams(runs=a.runs, thresholds_db=a.threshold_db, seed=a.seed, ev_spread_s=a.ev_spread,
                         evse_delay_s=a.evse_delay, jitter_db=MEASURED_JITTER_DB if a.jitter_db is None else a.jitter_db)
    total = a.runs * len(a.threshold_db)
    try:
        if a.json or not sys.stderr.isatty():
            rep = crosstalk(site, params, a.ev_per_charger)
        else:
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task(f"crosstalk {site.name}", total=total)
                rep = crosstalk(site, params, a.ev_per_charger, progress=lambda: bar.advance(task))
    except CrosstalkError as exc:
        return _fail(f"{a.site}: {exc}")
    print(json.dumps(rep) if a.json else format_crosstalk(rep))
    return 0
