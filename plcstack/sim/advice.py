"""Advice: a ranked plan of at most ten actions, each backed by what-if simulations.

1. The rules (:mod:`plcstack.sim.advice_rules`) propose candidate changes for the current site.
2. *Screening*: every candidate runs for two short windows (``screen_hours`` each, default 1 h):
   the hour of the base run with the most trouble (chargers offline, network changes) and the
   busiest charging time (the most noise), in parallel on a :class:`~plcstack.sim.sweep.Runner`.
   The candidate that improves the site most is applied and the next round screens the best
   runners-up and any new candidates on top of it (greedy).
3. *Confirmation*: every prefix of the plan (action 1, actions 1-2, ...) runs for the full length
   with the base run's seed, in parallel; the plan keeps the steps up to the first that is not a
   material improvement on the one before.  The effects reported are these full runs.
4. If the confirmed plan still leaves problems, screening starts again from it, with the windows of
   its own full run (at most three screening phases).

Variants that do not change wiring share the base run's channel and noise set-up (the runner's
physics cache).  The rules, thresholds and their sources are in ``docs/sim-advice.md``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import sweep
from .advice_rules import Candidate, RuleContext, candidates
from .engine import SimResult
from .site import DAY_S, Site, charging_at, site_to_dict
from .summary import EFFECT_KEYS, key_metrics, node_summaries, trouble_by_hour

MAX_ACTIONS = 10
KEEP_BEST = 4  # runners-up of a screening round that the next round screens again
DIRECT_TRIES = 3  # best-screened candidates run at full length when screening confirms nothing
SKIP_AFTER_PHASES = 2  # a candidate that helped in none of two screening phases since the plan last grew is not screened again
SCREEN_HOURS = 1.0  # length of a screening run [E]: long enough for loops and partitions to show
RATE_MARGIN_MBPS = 50.0  # [E] below this coded PHY rate a charger's link has little margin left
Metrics = dict[str, Any]


@dataclass(frozen=True)
class WhatIfEvent:
    """Progress of the what-if runs: ``stage`` is "screen" or "confirm"."""

    stage: str
    done: int
    total: int
    label: str


Progress = Callable[[WhatIfEvent], None] | None


@dataclass
class Plan:
    """The ranked actions (``advice``) and how the plan was found (``info``)."""

    advice: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


# -- comparing runs ---------------------------------------------------------------------------------

def materially_better(a: Metrics, b: Metrics, hours: float) -> bool:
    """Is run ``a`` better than run ``b`` by enough to be worth a site visit?  Its :func:`cost_s`
    (downtime, flaps, the worst link's shortfall of margin) is at least 10 % lower, and at least 60 s
    per simulated day; it leaves no more chargers without a route unless its downtime falls by as
    much.  At equal cost, fewer chargers without a route also count."""
    day = max(hours / 24.0, 1e-6)
    ca, cb = cost_s(a, hours), cost_s(b, hours)
    step = max(60.0 * day, 10.0, 0.1 * cb)
    ra, rb = a["chargers_without_route"], b["chargers_without_route"]
    if ra > rb and b["downtime_s_total"] - a["downtime_s_total"] < step:
        return False
    return cb - ca >= step or (ra < rb and ca <= cb)


FLAP_COST_S = 10.0  # [E] what a flap costs beyond its outage (reconnect traffic, the broker's ghost session)
MARGIN_COST = 0.05  # [E] a worst link at 0 Mbit/s weighs like 5 % of one charger's time offline


def cost_s(m: Metrics, hours: float) -> float:
    """One number to rank improving candidates by (charger-seconds, lower is better): downtime, plus
    ``FLAP_COST_S`` per flap, plus the worst charger's shortfall below ``RATE_MARGIN_MBPS``."""
    worst = m["worst_plc_rate_mbps"]
    shortfall = 0.0 if worst is None else max(0.0, RATE_MARGIN_MBPS - worst) / RATE_MARGIN_MBPS
    return m["downtime_s_total"] + FLAP_COST_S * m["flaps_total"] + MARGIN_COST * shortfall * hours * 3600.0


def rank_key(m: Metrics, c: Candidate, reference: Metrics, hours: float) -> tuple[float, ...]:
    """Order of preference among improving candidates: the lowest :func:`cost_s` (in steps of 1 % of
    the reference's), then the least effort."""
    step = max(1.0, 0.01 * cost_s(reference, hours))
    return (math.floor(cost_s(m, hours) / step), c.effort)


def effect(before: Metrics, after: Metrics) -> dict[str, list[Any]]:
    return {k: [before[k], after[k]] for k in (*EFFECT_KEYS, "worst_availability")}


def _num(v: Any, unit: str = "") -> str:
    if v is None:
        return "-"
    return (f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.1f}") + unit


def effect_text(before: Metrics, after: Metrics, hours: float) -> str:
    return (f"simulated {hours:g} h: downtime {_num(before['downtime_s_total'])} -> "
            f"{_num(after['downtime_s_total'], ' s')}, flaps {_num(before['flaps_total'])} -> "
            f"{_num(after['flaps_total'])}, worst charger rate {_num(before['worst_plc_rate_mbps'])} -> "
            f"{_num(after['worst_plc_rate_mbps'], ' Mbit/s')}, chargers without a route "
            f"{before['chargers_without_route']} -> {after['chargers_without_route']}")


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- the planner ------------------------------------------------------------------------------------

Windows = tuple[tuple[float, float], ...]  # (start_s, hours) of the runs behind one row


class _WhatIfs:
    """Runs variants of the site through a runner, caching rows by (plan prefix, windows)."""

    def __init__(self, runner: sweep.Runner, seed: int, progress: Progress) -> None:
        self.runner, self.seed, self.progress = runner, seed, progress
        self.cache: dict[tuple[Any, ...], Metrics] = {}
        self.runs = {"screen": 0, "confirm": 0}

    def run(self, stage: str, variants: list[tuple[tuple[str, ...], str, Site]], windows: Windows) -> list[Metrics]:
        todo = [(key, label, s) for key, label, s in variants if (key, windows) not in self.cache]
        jobs = [sweep.SweepJob((), self.seed, windows[0][1], site_to_dict(s), start_s=windows[0][0], tag=label,
                               detail=True, windows=windows) for _, label, s in todo]
        total = len(jobs)
        if self.progress and total:
            hours = sum(h for _, h in windows)
            self.progress(WhatIfEvent(stage, 0, total, f"{total} what-ifs of {hours:g} h"))
        done = [0]

        def on_done(i: int, _row: Metrics) -> None:
            done[0] += 1
            if self.progress:
                self.progress(WhatIfEvent(stage, done[0], total, todo[i][1]))

        rows = self.runner.run(jobs, on_done) if jobs else []
        self.runs[stage] += total
        for (key, _, _), row in zip(todo, rows, strict=True):
            self.cache[(key, windows)] = row
        return [self.cache[(key, windows)] for key, _, _ in variants]


def _apply(site: Site, chain: list[Candidate]) -> Site:
    for c in chain:
        site = c.apply(site)
    return site


def worst_hour_start(trouble: list[float], hours: float, window_h: float) -> float:
    """Start (s) of the ``window_h`` window with the most trouble (a run's ``trouble_by_hour``:
    chargers offline, network changes); 0 when nothing happened."""
    steps = max(1, int(round(window_h)))
    last = max(0, min(len(trouble), int(math.ceil(hours))) - steps)
    loads = [sum(trouble[k:k + steps]) for k in range(last + 1)]
    if not loads or max(loads) == 0:
        return 0.0
    return float(loads.index(max(loads))) * 3600.0


def peak_charging_start(site: Site, hours: float, window_h: float) -> float:
    """Start (s) of the ``window_h`` window within [0, hours] with the most chargers charging (the
    noisiest time for PLC links), on a 15-minute grid."""
    span, width, grid = hours * 3600.0, window_h * 3600.0, 900.0
    if width >= span:
        return 0.0
    counts = [sum(charging_at(site, (k * grid) % DAY_S)) for k in range(int(span // grid) + 1)]
    steps = max(1, int(round(width / grid)))
    loads = [sum(counts[k:k + steps]) for k in range(0, len(counts) - steps)]
    return float(loads.index(max(loads))) * grid if loads else 0.0


def screen_windows(site: Site, trouble: list[float], hours: float, window_h: float) -> Windows:
    """Where screening looks: the worst hour of the last full run (chargers offline, network changes)
    and the busiest charging time (noise), each ``window_h`` long."""
    starts = sorted({worst_hour_start(trouble, hours, window_h), peak_charging_start(site, hours, window_h)})
    merged: list[tuple[float, float]] = []
    for start in starts:  # overlapping windows become one run (one start-up, no hour simulated twice)
        if merged and start <= merged[-1][0] + merged[-1][1] * 3600.0:
            s0, h0 = merged[-1]
            merged[-1] = (s0, max(h0, (start - s0) / 3600.0 + window_h))
        else:
            merged.append((start, window_h))
    return tuple(merged)


def has_problems(m: Metrics, hours: float) -> bool:
    """Anything left that an action could still improve materially?"""
    day = max(hours / 24.0, 1e-6)
    worst = m["worst_plc_rate_mbps"]
    return (m["downtime_s_total"] >= max(60.0 * day, 10.0) or m["flaps_total"] >= max(5.0 * day, 1.0)
            or m["chargers_without_route"] > 0 or (worst is not None and worst < RATE_MARGIN_MBPS))


@dataclass
class _Search:
    """State of the plan search: the confirmed chain and what failed where."""

    site: Site
    base_nodes: dict[str, dict[str, Any]]
    w: _WhatIfs
    hours: float
    screen_h: float
    max_actions: int
    rejected: set[str] = field(default_factory=set)  # screened good, confirmed not
    unhelpful: Counter[str] = field(default_factory=Counter)  # phases in which a candidate never helped
    first_round: list[tuple[Candidate, Metrics]] = field(default_factory=list)  # the last phase's first round

    @property
    def full(self) -> Windows:
        return ((0.0, self.hours),)

    def screen(self, chain: list[Candidate], windows: Windows) -> list[Candidate]:
        """Greedy screening from ``chain``: each round applies the candidate that improves the plan
        most in these windows.  The next round screens the ``KEEP_BEST`` runners-up and candidates
        never screened before (the rules look at the changed site again)."""
        keys = tuple(c.cid for c in chain)
        state = _apply(self.site, chain)
        screened_h = sum(h for _, h in windows)
        used = {g for c in chain for g in c.groups}
        new: list[Candidate] = []
        seen: set[str] = set()
        keep: set[str] = set()
        current: Metrics | None = None
        helped: set[str] = set()
        while len(chain) + len(new) < self.max_actions:
            pool = [c for c in candidates(RuleContext(state, self.base_nodes)) if used.isdisjoint(c.groups)
                    and c.cid not in self.rejected and self.unhelpful[c.cid] < SKIP_AFTER_PHASES
                    and (c.cid not in seen or c.cid in keep)]
            if not pool:
                break
            variants = [((*keys, c.cid), c.instruction, c.apply(state)) for c in pool]
            if current is None:  # the plan so far, in the same batch as the first candidates
                variants.insert(0, (keys, "plan so far", state))
            rows = self.w.run("screen", variants, windows)
            if current is None:
                current, rows = rows[0], rows[1:]
                self.first_round = list(zip(pool, rows, strict=True))
            seen |= {c.cid for c in pool}
            ref = current
            good = sorted(((c, r) for c, r in zip(pool, rows, strict=True) if materially_better(r, ref, screened_h)),
                          key=lambda cr: rank_key(cr[1], cr[0], ref, screened_h))
            helped |= {c.cid for c, _ in good}
            if not good:
                break
            (best, current), rest = good[0], good[1:]
            keep = {c.cid for c, _ in rest[:KEEP_BEST]}
            new.append(best)
            used.update(best.groups)
            keys = (*keys, best.cid)
            state = best.apply(state)
        self.unhelpful.update(seen - helped)
        return new

    def direct(self, chain: list[Candidate], final: Metrics) -> tuple[Candidate, Metrics, Metrics] | None:
        """The short screening windows can misjudge a candidate (a partition that heals only over a
        day): the ``DIRECT_TRIES`` best-screened candidates of the last phase, each on top of the
        plan, in full-length runs; the best that is a material improvement, if any."""
        used = {g for c in chain for g in c.groups}
        keys = tuple(c.cid for c in chain)
        state = _apply(self.site, chain)
        ranked = sorted(((c, r) for c, r in self.first_round if c.cid not in self.rejected and used.isdisjoint(c.groups)),
                        key=lambda cr: rank_key(cr[1], cr[0], final, self.screen_h))[:DIRECT_TRIES]
        if not ranked:
            return None
        rows = self.w.run("confirm", [((*keys, c.cid), c.instruction, c.apply(state)) for c, _ in ranked], self.full)
        good = sorted(((c, r) for (c, _), r in zip(ranked, rows, strict=True) if materially_better(r, final, self.hours)),
                      key=lambda cr: rank_key(cr[1], cr[0], final, self.hours))
        self.rejected.update(c.cid for c, _ in ranked if not good or c is not good[0][0])
        self.first_round = []
        return (good[0][0], final, good[0][1]) if good else None

    def confirm(self, chain: list[Candidate], base_m: Metrics) -> list[tuple[Candidate, Metrics, Metrics]]:
        """Full-length runs of every plan prefix, in parallel; the plan keeps the steps up to the
        first that is not a material improvement on the one before (later steps may build on it)."""
        variants = [(tuple(c.cid for c in chain[:k + 1]), chain[k].instruction, _apply(self.site, chain[:k + 1]))
                    for k in range(len(chain))]
        rows = self.w.run("confirm", variants, self.full)
        steps: list[tuple[Candidate, Metrics, Metrics]] = []
        prev = base_m
        for c, row in zip(chain, rows, strict=True):
            if not materially_better(row, prev, self.hours):
                self.rejected.add(c.cid)
                break
            steps.append((c, prev, row))
            prev = row
        return steps


MAX_PHASES = 5  # screening phases: from the base run, then from each confirmed plan's full run


def plan(site: Site, base: SimResult, hours: float, seed: int, runner: sweep.Runner | None = None,
         progress: Progress = None, screen_hours: float = SCREEN_HOURS, max_actions: int = MAX_ACTIONS) -> Plan:
    """The advice plan for ``site`` given its base run (same ``hours`` and ``seed``)."""
    t0 = time.perf_counter()
    own = runner is None
    runner = runner or sweep.SerialRunner()
    sweep.share_physics(site, seed, base.physics)
    base_m = key_metrics(base)
    base_nodes = {n["name"]: n for n in node_summaries(base)}
    w = _WhatIfs(runner, seed, progress)
    search = _Search(site, base_nodes, w, hours, min(screen_hours, hours), max_actions)
    steps: list[tuple[Candidate, Metrics, Metrics]] = []
    trouble = trouble_by_hour(base)
    phases: list[Windows] = []
    tried: set[tuple[Windows, int, int]] = set()
    try:
        while len(phases) < MAX_PHASES and len(steps) < max_actions:
            final = steps[-1][2] if steps else base_m
            if not has_problems(final, hours):
                break
            windows = screen_windows(site, trouble, hours, search.screen_h)
            chain = [c for c, _, _ in steps]
            phase = (windows, len(chain), len(search.rejected))
            if phase in tried:
                break
            tried.add(phase)
            phases.append(windows)
            new = search.screen(chain, windows)
            confirmed = search.confirm(chain + new, base_m) if new else steps
            if len(confirmed) <= len(steps):  # nothing screened well was confirmed: full-length tries
                step = search.direct(chain, final)
                if step is None and not new:
                    break
                confirmed = steps + [step] if step is not None else steps
            if len(confirmed) > len(steps):
                steps = confirmed
                search.unhelpful.clear()  # a changed site: what did not help before may help now
                trouble = w.cache[(tuple(c.cid for c, _, _ in steps), search.full)]["trouble_by_hour"]
    finally:
        if own:
            runner.close()
    return _render(steps, base_m, base_nodes, hours, phases, search, time.perf_counter() - t0)


def _render(steps: list[tuple[Candidate, Metrics, Metrics]], base_m: Metrics, base_nodes: dict[str, dict[str, Any]],
            hours: float, phases: list[Windows], search: _Search, wall_s: float) -> Plan:
    advice = []
    for rank, (c, before, after) in enumerate(steps, start=1):
        advice.append({
            "rank": rank, "action": c.action, "rule": c.rule, "effort": c.effort,
            "text": f"{c.instruction}. {_upper_first(effect_text(before, after, hours))}. Why: {c.why}.",
            "instruction": c.instruction, "why": c.why, "effect": effect(before, after), **c.details})
    final = steps[-1][2] if steps else base_m
    avail = final["availability"] if steps else {n["name"]: n["availability"] for n in base_nodes.values()
                                                 if n["kind"] == "charger"}
    drop = ("availability", "trouble_by_hour", "seed", "wall_s")
    info = {
        "before": dict(base_m), "after": {k: v for k, v in final.items() if k not in drop},
        "actions": len(advice), "screen_hours": search.screen_h,
        "screen_windows_s": [[[s, s + h * 3600.0] for s, h in windows] for windows in phases],
        "screen_runs": search.w.runs["screen"], "confirm_runs": search.w.runs["confirm"],
        "still_poorly_served": [{"name": n, "availability": a} for n, a in sorted(avail.items()) if a < 0.99],
        "wall_s": round(wall_s, 2),
    }
    return Plan(advice, info)


def advise(site: Site, base: SimResult, hours: float, seed: int, progress: Progress = None,
           runner: sweep.Runner | None = None, screen_hours: float = SCREEN_HOURS) -> list[dict[str, Any]]:
    """Just the ranked actions of :func:`plan`."""
    return plan(site, base, hours, seed, runner=runner, progress=progress, screen_hours=screen_hours).advice


__all__ = ["MAX_ACTIONS", "Plan", "WhatIfEvent", "advise", "effect_text", "has_problems", "materially_better",
           "plan", "rank_key", "worst_hour_start", "cost_s"]
