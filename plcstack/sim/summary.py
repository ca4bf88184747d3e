"""The contents of ``summary.json``: site totals, the per-node table and the metrics advice compares.

Pure functions of a :class:`~plcstack.sim.engine.SimResult`; writing files is the caller's business
(:mod:`plcstack.sim.report`).  The per-node list ``nodes`` is the charger table (uplink, PHY rate,
availability, flaps, downtime for every node); ``advice`` holds only the plan of actions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import mac
from .engine import UPLINK_NONE, SimResult, uplink_name
from .site import charging_at

# The four numbers every action's effect is reported in (before -> after).
EFFECT_KEYS = ("downtime_s_total", "flaps_total", "worst_plc_rate_mbps", "chargers_without_route")
EVENTS_KEPT = 5000


def end_state(result: SimResult) -> SimResult:
    """Put the run's physics back to the charging state at the end of the run (what-if runs that
    reused it in this process moved it) and return the result."""
    t0 = min((t for t, *_ in result.timeline), default=0.0)
    result.physics.set_charging(np.array(charging_at(result.site, t0 + result.hours * 3600.0)))
    return result


def avlns_in_range(result: SimResult) -> list[int]:
    """Per node: how many distinct AVLNs (CCos at the end of the run) it hears -- the networks
    whose airtime it shares (docs/sim-mac.md)."""
    margins = end_state(result).physics.margin_matrix()
    ccos = sorted(set(result.final_cco) - {-1})
    out = []
    for i in range(len(result.site.nodes)):
        heard = {c for c in ccos if c == result.final_cco[i] or margins[c, i] >= 0}
        out.append(max(1, len(heard)))
    return out


def availability(downtime_s: float, hours: float) -> float:
    """Fraction of the simulated time a node had a working uplink (1.0 = never down)."""
    total = hours * 3600.0
    return round(max(0.0, 1.0 - downtime_s / total), 5) if total > 0 else 1.0


def uplink_kind(site_node_kind: str, bridge: bool, gateway: str) -> str:
    """``wired`` (PLC module), ``wifi``, ``plc`` (through a gateway node) or ``none``."""
    if site_node_kind == "plc_module":
        return "wired"
    if gateway in ("wifi", "none", "wired"):
        return gateway
    return "wifi" if bridge else "plc"


def node_summaries(result: SimResult) -> list[dict[str, Any]]:
    """One row per node: configuration, where it ended up and how well it was served."""
    site = result.site
    days = result.hours / 24.0
    share = avlns_in_range(result)
    out = []
    for i, (node, st) in enumerate(zip(site.nodes, result.stats, strict=True)):
        cco = result.final_cco[i]
        rate = st.mean_rate_mbps
        goodput = None
        if rate is not None:
            goodput = float(mac.goodput_mbps(rate, transport="tcp") * mac.shared_airtime_fraction(share[i]))
        gateway = uplink_name(site, result.final_uplink[i])
        out.append({
            "name": node.name,
            "kind": node.kind,
            "mac": node.mac_text,
            "cable": node.cable, "at_m": node.at_m, "phase": node.phase, "technology": node.technology,
            "bridge": node.bridge,
            "wifi_rssi_dbm": node.wifi_rssi_dbm,
            "avln": result.nid_hex[i] if cco >= 0 else None,
            "cco": site.nodes[cco].name if cco >= 0 else None,
            "gateway": gateway,
            "uplink": uplink_kind(node.kind, node.bridge, gateway),
            "phy_rate_mbps": None if rate is None else round(rate, 2),
            "goodput_tcp_mbps": None if goodput is None else round(goodput, 2),
            "avlns_in_range": share[i],
            "flaps": st.flaps,
            "flap_kinds": dict(sorted(st.flap_kinds.items())),
            "l2_flaps": st.l2_flaps,
            "downtime_s": round(st.downtime_s, 1),
            "availability": availability(st.downtime_s, result.hours),
            "extra_bytes": st.extra_bytes,
            "extra_of_daily_budget": round(st.extra_bytes / (site.params.daily_bytes * days), 4) if days else None,
            "broker_ghost_session_s": round(st.ghost_session_s, 1),
            "time_by_gateway_s": {k: round(v, 1) for k, v in sorted(st.time_by_gateway.items())},
            "time_by_avln_s": {k: round(v, 1) for k, v in sorted(st.time_by_avln.items())},
        })
    return out


def key_metrics(result: SimResult) -> dict[str, Any]:
    """The numbers advice compares: downtime, flaps, worst and mean charger PLC rate, chargers
    without a route at the end of the run, and the lowest charger availability."""
    site = result.site
    chargers = [(n, s, u) for n, s, u in zip(site.nodes, result.stats, result.final_uplink, strict=True)
                if n.kind == "charger"]
    rates = [s.mean_rate_mbps for _, s, _ in chargers if s.mean_rate_mbps is not None]
    avail = [availability(s.downtime_s, result.hours) for _, s, _ in chargers]
    return {
        "flaps_total": result.flaps_total,
        "downtime_s_total": round(result.downtime_s_total, 1),
        "worst_plc_rate_mbps": round(min(rates), 2) if rates else None,
        "mean_plc_rate_mbps": round(float(np.mean(rates)), 2) if rates else None,
        "chargers_without_route": sum(1 for _, _, u in chargers if u == UPLINK_NONE),
        "worst_availability": min(avail) if avail else None,
    }


CHANGE_WEIGHT_S = 10.0  # a network change (AVLN, uplink, Ethernet path) counts like 10 s offline [E]


def trouble_by_hour(result: SimResult, settle_s: float = 60.0) -> list[float]:
    """Per simulated hour: charger-seconds without an uplink plus ``CHANGE_WEIGHT_S`` per change of
    AVLN, uplink or Ethernet path, after the power-on minute -- where in the day the trouble is."""
    t0 = min((t for t, *_ in result.timeline), default=0.0)
    n_hours = max(1, int(math.ceil(result.hours)))
    out = [0.0] * n_hours
    t_end = t0 + result.hours * 3600.0
    start = t0 + settle_s
    down_since: dict[int, float] = {}
    chargers = {i for i, n in enumerate(result.site.nodes) if n.kind == "charger"}

    def add_down(a: float, b: float) -> None:
        a = max(a, start)
        while a < b:
            h = min(n_hours - 1, int((a - t0) // 3600.0))
            edge = min(b, t0 + (h + 1) * 3600.0) if h < n_hours - 1 else b
            out[h] += edge - a
            a = edge

    for t, i, kind, label in result.timeline:
        if t - t0 >= settle_s:
            out[min(n_hours - 1, int((t - t0) // 3600.0))] += CHANGE_WEIGHT_S
        if kind != "uplink" or i not in chargers:
            continue
        if i in down_since:
            add_down(down_since.pop(i), t)
        if label == "none":
            down_since[i] = t
    for since in down_since.values():
        add_down(since, t_end)
    return [round(x, 1) for x in out]


def combine_metrics(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Key metrics of several runs of one site taken together: downtime and flaps add up, the
    worst rate and availability are the worst of them, routes the most missing."""
    if len(parts) == 1:
        return dict(parts[0])

    def worst(key: str, pick: Any) -> Any:
        vals = [p[key] for p in parts if p[key] is not None]
        return pick(vals) if vals else None

    means = [p["mean_plc_rate_mbps"] for p in parts if p["mean_plc_rate_mbps"] is not None]
    return {
        "flaps_total": sum(p["flaps_total"] for p in parts),
        "downtime_s_total": round(sum(p["downtime_s_total"] for p in parts), 1),
        "worst_plc_rate_mbps": worst("worst_plc_rate_mbps", min),
        "mean_plc_rate_mbps": round(sum(means) / len(means), 2) if means else None,
        "chargers_without_route": max(p["chargers_without_route"] for p in parts),
        "worst_availability": worst("worst_availability", min),
    }


def summary(result: SimResult, advice: list[dict[str, Any]] | None = None,
            plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole ``summary.json`` document (``plan``: the advice run's totals and costs)."""
    site = result.site
    avlns: dict[tuple[str, str], list[str]] = {}
    for i, c in enumerate(result.final_cco):
        if c >= 0:
            avlns.setdefault((result.nid_hex[i], site.nodes[c].name), []).append(site.nodes[i].name)
    return {
        "site": site.name,
        "source": site.source,
        "hours": result.hours,
        "seed": result.seed,
        "grid": site.params.grid,
        "mains_hz": site.params.mains_hz,
        "gateway_policy": site.params.gateway_policy,
        "flaps_total": result.flaps_total,
        "downtime_s_total": round(result.downtime_s_total, 1),
        "metrics": key_metrics(result),
        "nodes": node_summaries(result),
        "avlns": [{"nid": nid, "cco": cco, "members": m} for (nid, cco), m in sorted(avlns.items())],
        "bridging_loops": result.loops,
        "advice": advice or [],
        "plan": plan or {},
        "wall_s": round(result.wall_s, 2),
        "events": [{"t_s": t, "node": site.nodes[i].name, "event": kind, "detail": d}
                   for t, i, kind, d in result.events[:EVENTS_KEPT]],
        "events_truncated": len(result.events) > EVENTS_KEPT,
    }


CHARGER_COLUMNS = ("node", "availability", "uplink", "gateway", "PHY Mbit/s", "flaps", "downtime s", "cable @ m",
                   "kind", "AVLN")


def charger_rows(data: dict[str, Any]) -> list[tuple[str, ...]]:
    """The per-node table of a summary as text cells (CLI table and report.html share it); the
    state an installer looks at first comes first (a phone shows the left columns)."""
    rows: list[tuple[str, ...]] = []
    for n in data["nodes"]:
        rows.append((n["name"], f"{n['availability'] * 100:.2f} %", n.get("uplink", "-"), n["gateway"],
                     "-" if n["phy_rate_mbps"] is None else f"{n['phy_rate_mbps']:.1f}", str(n["flaps"]),
                     f"{n['downtime_s']:.0f}", f"{n['cable']} @ {n['at_m']:g}", n["kind"],
                     (n["avln"] or "-")[-6:] + ("@" + n["cco"] if n["cco"] else "")))
    return rows


__all__ = ["CHARGER_COLUMNS", "EFFECT_KEYS", "trouble_by_hour", "availability", "avlns_in_range", "charger_rows", "combine_metrics", "end_state", "key_metrics",
           "node_summaries", "summary"]
