"""Crosstalk bench: every EV of a site matching at once, our stacks on the emulated power line.

A site (``plcstack.sim.site``) lists chargers; their Green PHY modems are the EVSE modems.  The EVs
plugged into them are either the site's ``[[plc_module]]`` entries with ``technology = "GP"`` (each
plugged into the nearest charger on its cable: it sits at the end of that charger's cable) or, with
``ev_per_charger``, one generated EV modem per charger at the charger's position.  The site simulator
(:class:`plcstack.emu.simlink.SimLinkModel`, the channel solution of the whole cable tree) gives the
attenuation between every EV modem and every EVSE modem -- the EV's own cable, the neighbours'
cables, the shared distribution board, cross-phase loss -- and which pairs hear each other at all.

Every run plugs the EVs in at random moments within ``ev_spread_s``; each charger starts SLAC
(its control pilot sees state B) ``evse_delay_s`` x U(0, 1) after its own EV plugged in; every EVSE
answers every CM_SLAC_PARM.REQ it hears while it is not matched, as ISO 15118-3 chargers do.  Each
CM_ATTEN_PROFILE.IND gets a per-group measurement spread (``jitter_db``: 1 dB, the mean per-group
standard deviation over 10 sounds measured in the two real QCA captures of docs/slac.md).  The report
counts EVs matched to their own charger, to a wrong one, or not at all, per decision threshold, and
the attenuation margins (own cable vs the best other charger) both from the physics and as the EVs saw
them.

References
----------
ISO 15118-3:2015 Annex A (matching by lowest attenuation, the threshold); pyPLC measurements of Green
PHY reach (unstable from 36 dB); docs/slac.md for the jitter measurement.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field, replace
from typing import Any

from plcstack.codec.mac import format_mac
from plcstack.emu.link import LinkModel, LinkQuality
from plcstack.emu.powerline import PowerLine
from plcstack.emu.simlink import SimLinkModel, modem_config_for_node
from plcstack.sim.site import Node, Site, mac_for
from plcstack.slac import events as ev
from plcstack.slac.decision import DecisionPolicy
from plcstack.slac.evse import EvseConfig, EvseMachine
from plcstack.slac.inproc import SlacBench
from plcstack.slac.pev import PevConfig, PevMachine
from plcstack.slac.timers import DEFAULT_TIMERS, SlacTimers

#: Per-group standard deviation (dB) of CM_ATTEN_PROFILE.IND values over 10 sounds: 0.77-1.22 dB in
#: slac-binding-rs__phytec-power-pcltool.pcapng frames 146-164 and iso15118-binding-rs frames 9-27.
MEASURED_JITTER_DB = 1.0
_POOL = 64  # pre-drawn jitter vectors per run (drawing 58 normals per delivered frame is wasted work)


class CrosstalkError(ValueError):
    """The site has nothing to bench (no charger, an EV far from every charger...)."""


@dataclass(frozen=True)
class ChargingPoint:
    charger: Node
    ev: Node

    @property
    def evse_host(self) -> bytes:
        return bytes([0x02, 0xE5]) + self.charger.mac[2:]

    @property
    def ev_host(self) -> bytes:
        return bytes([0x02, 0xE7]) + self.ev.mac[2:]


def charging_points(site: Site, ev_per_charger: bool = False) -> tuple[Site, list[ChargingPoint]]:
    """The site with its EV modems, and which EV is plugged into which charger (see the module docstring)."""
    chargers = [n for n in site.chargers if n.technology == "GP"] or list(site.chargers)
    if not chargers:
        raise CrosstalkError(f"site {site.name} has no [[charger]]")
    if ev_per_charger:
        others = tuple(n for n in site.nodes if not (n.kind == "plc_module" and n.technology == "GP"))
        evs = [Node(name=f"EV-{c.name}", kind="plc_module", cable=c.cable, at_m=c.at_m, phase=c.phase,
                    network_password=f"ev-{c.name}", technology="GP", cco_capability=0,
                    mac=mac_for(f"EV-{c.name}", "ev")) for c in chargers]
        site = replace(site, nodes=others + tuple(evs))
        return site, [ChargingPoint(c, e) for c, e in zip(chargers, evs, strict=True)]
    points = []
    for e in (n for n in site.nodes if n.kind == "plc_module" and n.technology == "GP"):
        near = [c for c in chargers if c.cable == e.cable]
        if not near:
            raise CrosstalkError(f"EV {e.name} is on cable {e.cable} with no charger (plug it in, or use "
                                 "--ev-per-charger)")
        points.append(ChargingPoint(min(near, key=lambda c: abs(c.at_m - e.at_m)), e))
    if not points:
        raise CrosstalkError(f"site {site.name} has no EV ([[plc_module]] with technology = \"GP\"); "
                             "use --ev-per-charger")
    taken = [p.charger.name for p in points]
    if len(set(taken)) != len(taken):
        raise CrosstalkError(f"two EVs plugged into one charger: {sorted(n for n in taken if taken.count(n) > 1)}")
    return site, points


class JitterLink:
    """A :class:`~plcstack.emu.link.LinkModel` adding measurement spread to the SLAC attenuation groups."""

    def __init__(self, inner: LinkModel, sigma_db: float, rng: random.Random) -> None:
        self.inner = inner
        self.rng = rng
        self.pool = [tuple(rng.gauss(0.0, sigma_db) for _ in range(58)) for _ in range(_POOL)] if sigma_db > 0 else []

    def link(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> LinkQuality:
        q = self.inner.link(src_mac, dst_mac, t_s)
        if not self.pool:
            return q
        noise = self.pool[self.rng.randrange(_POOL)]
        att = tuple(max(0, min(255, int(round(a + n)))) for a, n in zip(q.attenuation_db, noise, strict=False))
        return LinkQuality(q.tx_rate_mbps, q.rx_rate_mbps, att, q.reachable)


@dataclass
class BenchParams:
    runs: int = 10
    thresholds_db: tuple[float, ...] = (25.0, 30.0, 35.0, 40.0)
    seed: int = 0
    ev_spread_s: float = 2.0  # EVs plug in within this time
    evse_delay_s: float = 1.0  # a charger starts SLAC up to this long after its EV plugged in
    jitter_db: float = MEASURED_JITTER_DB
    timers: SlacTimers = field(default_factory=lambda: DEFAULT_TIMERS)
    until_s: float = 30.0  # virtual time limit of one run


@dataclass
class EvOutcome:
    run: int
    threshold_db: float
    ev: str
    charger: str
    matched_to: str | None
    processes: int
    time_to_match_s: float | None
    own_seen_db: float | None  # the own charger's CM_ATTEN_CHAR.IND average in the EV's first decision
    best_other_seen_db: float | None

    @property
    def outcome(self) -> str:
        if self.matched_to is None:
            return "unmatched"
        return "own" if self.matched_to == self.charger else "wrong"


def static_margins(link: SimLinkModel, points: list[ChargingPoint]) -> list[dict[str, Any]]:
    """Per EV: the physics' average attenuation (dB) to its own charger and to the best other one."""
    out = []
    for p in points:
        def avg(c: Node, p: ChargingPoint = p) -> float:
            g = link.attenuation_db(c.mac, p.ev.mac)  # what charger c's modem reports for sounds of this EV
            return sum(g) / len(g)

        own = avg(p.charger)
        others = [(avg(q.charger), q.charger.name) for q in points if q is not p]
        reach = [link.link(q.charger.mac, p.ev.mac, 0.0).reachable for q in points if q is not p]
        best = min(others) if others else (None, None)
        out.append({"ev": p.ev.name, "charger": p.charger.name, "own_db": round(own, 2),
                    "best_other_db": None if best[0] is None else round(best[0], 2), "best_other": best[1],
                    "margin_db": None if best[0] is None else round(best[0] - own, 2),
                    "others_in_reach": sum(reach)})
    return out


def run_once(site: Site, points: list[ChargingPoint], base: SimLinkModel, threshold_db: float, run: int,
             params: BenchParams) -> list[EvOutcome]:
    """One run: every EV plugs in, every charger starts; returns each EV's outcome."""
    rng = random.Random(f"crosstalk/{params.seed}/{run}")
    pl = PowerLine(link=JitterLink(base, params.jitter_db, random.Random(rng.random())))
    nodes = {p.charger.mac: p.charger for p in points} | {p.ev.mac: p.ev for p in points}
    for i, node in enumerate(nodes.values()):
        pl.add(modem_config_for_node(node, chip="QCA7000"), seed=params.seed * 1000 + run * 100 + i)
    bench = SlacBench(pl)
    pevs: dict[str, PevMachine] = {}
    for p in points:
        plug_in = rng.uniform(0.0, params.ev_spread_s)
        evse = EvseMachine(EvseConfig(mac=p.evse_host, evse_id=p.charger.name.encode()[:17].ljust(17, b"\0"),
                                      timers=params.timers), rng=random.Random(rng.random()))
        pev = PevMachine(PevConfig(mac=p.ev_host, timers=params.timers, policy=DecisionPolicy(threshold_db)),
                         rng=random.Random(rng.random()))
        bench.attach(evse, p.charger.mac, start_at=plug_in + rng.uniform(0.0, params.evse_delay_s))
        bench.attach(pev, p.ev.mac, start_at=plug_in)
        bench.plug(pev, evse)
        pevs[p.ev.name] = pev
    bench.run(until=params.until_s, stop=lambda: all(m.done for m in pevs.values()))
    host_to_charger = {p.evse_host: p.charger.name for p in points}
    out = []
    for p in points:
        pev = pevs[p.ev.name]
        trace = bench.trace(pev)
        starts = [e for e in trace if isinstance(e, ev.ProcessStarted)]
        first = next((e for e in trace if isinstance(e, ev.Decided)), None)
        own = other = None
        if first is not None:
            seen = {host_to_charger.get(c.evse_mac): c.average_db for c in first.candidates}
            own = seen.pop(p.charger.name, None)
            other = min(seen.values()) if seen else None
        matched = host_to_charger.get(pev.result.evse_mac) if pev.result and pev.joined else None
        ttm = round(pev.result.t - starts[0].t, 4) if pev.result and starts else None
        out.append(EvOutcome(run, threshold_db, p.ev.name, p.charger.name, matched, len(starts), ttm, own, other))
    return out


def crosstalk(site: Site, params: BenchParams | None = None, ev_per_charger: bool = False,
              progress: Any = None) -> dict[str, Any]:
    """Run the bench (``params.runs`` runs per threshold) and summarise it (shape in docs/slac.md)."""
    params = params or BenchParams()
    site2, points = charging_points(site, ev_per_charger)
    t0 = time.perf_counter()
    base = SimLinkModel(site2, seed=params.seed)
    outcomes: list[EvOutcome] = []
    for threshold in params.thresholds_db:
        for run in range(params.runs):
            outcomes += run_once(site2, points, base, threshold, run, params)
            if progress is not None:
                progress()
    per_threshold = []
    for threshold in params.thresholds_db:
        rows = [o for o in outcomes if o.threshold_db == threshold]
        n = len(rows)
        count = {k: sum(1 for o in rows if o.outcome == k) for k in ("own", "wrong", "unmatched")}
        times = sorted(o.time_to_match_s for o in rows if o.time_to_match_s is not None)
        per_threshold.append({
            "threshold_db": threshold, "sessions": n, **{f"{k}_matches" if k != "unmatched" else k: v
                                                          for k, v in count.items()},
            "wrong_rate": round(count["wrong"] / n, 4) if n else None,
            "unmatched_rate": round(count["unmatched"] / n, 4) if n else None,
            "time_to_match_median_s": round(statistics.median(times), 4) if times else None,
            "time_to_match_max_s": max(times) if times else None,
            "processes_mean": round(sum(o.processes for o in rows) / n, 3) if n else None,
            "wrong": sorted({f"{o.ev}->{o.matched_to}" for o in rows if o.outcome == "wrong"}),
        })
    seen = [o.best_other_seen_db - o.own_seen_db for o in outcomes
            if o.own_seen_db is not None and o.best_other_seen_db is not None]
    margins = static_margins(base, points)
    return {
        "site": site.name, "source": site.source, "chargers": len(points), "evs": len(points),
        "ev_per_charger": ev_per_charger, "runs": params.runs,
        "params": {"ev_spread_s": params.ev_spread_s, "evse_delay_s": params.evse_delay_s,
                   "jitter_db": params.jitter_db, "seed": params.seed},
        "points": [{"ev": p.ev.name, "charger": p.charger.name, "ev_host": format_mac(p.ev_host),
                    "evse_host": format_mac(p.evse_host)} for p in points],
        "static_margins": margins,
        "seen_margin_db": {"n": len(seen), "min": round(min(seen), 2) if seen else None,
                           "median": round(statistics.median(seen), 2) if seen else None,
                           "below_3db": sum(1 for m in seen if m < 3.0)},
        "own_absent_in_first_decision": sum(1 for o in outcomes if o.own_seen_db is None),
        "thresholds": per_threshold,
        "elapsed_s": round(time.perf_counter() - t0, 2),
    }


def format_crosstalk(rep: dict[str, Any]) -> str:
    p = rep["params"]
    lines = [f"site {rep['site']}: {rep['chargers']} chargers with an EV each, {rep['runs']} run(s) per threshold "
             f"(EVs plug in within {p['ev_spread_s']:g} s, chargers start up to {p['evse_delay_s']:g} s later, "
             f"{p['jitter_db']:g} dB sound spread)", "",
             "attenuation from the site physics (average of the 58 groups, EV -> charger modem):",
             f"  {'EV':<10} {'charger':<8} {'own dB':>7} {'best other':>16} {'margin dB':>9} {'others in reach':>15}"]
    for m in rep["static_margins"]:
        other = f"{m['best_other_db']:.1f} ({m['best_other']})" if m["best_other_db"] is not None else "-"
        margin = f"{m['margin_db']:.1f}" if m["margin_db"] is not None else "-"
        lines.append(f"  {m['ev']:<10} {m['charger']:<8} {m['own_db']:7.1f} {other:>16} {margin:>9} "
                     f"{m['others_in_reach']:>15}")
    s = rep["seen_margin_db"]
    if s["n"]:
        lines.append(f"margin as the EVs saw it (first decision): min {s['min']:.1f} dB, median {s['median']:.1f} dB, "
                     f"{s['below_3db']} of {s['n']} below 3 dB; own charger missing from {rep['own_absent_in_first_decision']}"
                     " first decision(s)")
    lines += ["", f"  {'threshold':>9} {'sessions':>8} {'own':>5} {'wrong':>6} {'unmatched':>9} {'wrong %':>8} "
              f"{'median s':>8} {'processes':>9}  wrong pairs"]
    for t in rep["thresholds"]:
        med = f"{t['time_to_match_median_s']:.3f}" if t["time_to_match_median_s"] is not None else "-"
        lines.append(f"  {t['threshold_db']:>6g} dB {t['sessions']:>8} {t['own_matches']:>5} {t['wrong_matches']:>6} "
                     f"{t['unmatched']:>9} {100 * (t['wrong_rate'] or 0):>7.1f}% {med:>8} {t['processes_mean']:>9.2f}  "
                     + (", ".join(t["wrong"][:6]) + (" ..." if len(t["wrong"]) > 6 else "")))
    lines.append(f"\n({rep['elapsed_s']:.1f} s)")
    return "\n".join(lines)
