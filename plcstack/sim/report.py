"""``summary.json``, plots and advice from simulation results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import mac
from .engine import UPLINK_NONE, SimResult, simulate, uplink_name
from .physics import SitePhysics
from .site import Site, site_from_dict, site_to_dict

Progress = Callable[[str], None] | None


# -- summary -----------------------------------------------------------------------------------------

def _uplink_name(result: SimResult, u: int) -> str:
    return uplink_name(result.site, u)


def avlns_in_range(result: SimResult) -> list[int]:
    """Per node: how many distinct AVLNs (CCos at the end of the run) it hears, plus one for its own
    charging session's SLAC network while charging (§6.9) -- the airtime it shares (§6.3)."""
    phys = result.physics
    margins = phys.margin_matrix()
    ccos = sorted(set(result.final_cco) - {-1})
    out = []
    for i in range(len(result.site.nodes)):
        heard = {c for c in ccos if c == result.final_cco[i] or margins[c, i] >= 0}
        out.append(max(1, len(heard)))
    return out


def node_summaries(result: SimResult) -> list[dict[str, Any]]:
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
        out.append({
            "name": node.name,
            "kind": node.kind,
            "mac": node.mac_text,
            "cable": node.cable, "at_m": node.at_m, "phase": node.phase, "technology": node.technology,
            "bridge": node.bridge,
            "wifi_rssi_dbm": node.wifi_rssi_dbm,
            "avln": result.nid_hex[i] if cco >= 0 else None,
            "cco": site.nodes[cco].name if cco >= 0 else None,
            "gateway": _uplink_name(result, result.final_uplink[i]),
            "phy_rate_mbps": None if rate is None else round(rate, 2),
            "goodput_tcp_mbps": None if goodput is None else round(goodput, 2),
            "avlns_in_range": share[i],
            "flaps": st.flaps,
            "flap_kinds": dict(sorted(st.flap_kinds.items())),
            "l2_flaps": st.l2_flaps,
            "downtime_s": round(st.downtime_s, 1),
            "availability": round(1.0 - st.downtime_s / (result.hours * 3600.0), 5),
            "extra_bytes": st.extra_bytes,
            "extra_of_daily_budget": round(st.extra_bytes / (site.params.daily_bytes * days), 4) if days else None,
            "broker_ghost_session_s": round(st.ghost_session_s, 1),
            "time_by_gateway_s": {k: round(v, 1) for k, v in sorted(st.time_by_gateway.items())},
            "time_by_avln_s": {k: round(v, 1) for k, v in sorted(st.time_by_avln.items())},
        })
    return out


def key_metrics(result: SimResult) -> dict[str, Any]:
    """The numbers advice compares: flaps, downtime, worst PLC rate, unreachable chargers."""
    rates = [s.mean_rate_mbps for s, n in zip(result.stats, result.site.nodes, strict=True)
             if n.kind == "charger" and s.mean_rate_mbps is not None]
    return {
        "flaps_total": result.flaps_total,
        "downtime_s_total": round(result.downtime_s_total, 1),
        "worst_plc_rate_mbps": round(min(rates), 2) if rates else None,
        "mean_plc_rate_mbps": round(float(np.mean(rates)), 2) if rates else None,
        "chargers_without_route": sum(1 for u, n in zip(result.final_uplink, result.site.nodes, strict=True)
                                      if n.kind == "charger" and u == UPLINK_NONE),
    }


def summary(result: SimResult, advice: list[dict[str, Any]] | None = None) -> dict[str, Any]:
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
        "wall_s": round(result.wall_s, 2),
        "events": [{"t_s": t, "node": site.nodes[i].name, "event": kind, "detail": d}
                   for t, i, kind, d in result.events[:5000]],
        "events_truncated": len(result.events) > 5000,
    }


def write_summary(data: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(data, indent=2, default=float) + "\n", encoding="utf-8")
    return path


# -- advice ------------------------------------------------------------------------------------------

def _effect(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    keys = ("flaps_total", "downtime_s_total", "worst_plc_rate_mbps", "chargers_without_route")
    return {k: [before[k], after[k]] for k in keys}


def _better(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Is metrics ``a`` better than ``b``? Fewer unreachable chargers, then fewer flaps, then less
    downtime, then a higher worst PLC rate."""
    def score(m: dict[str, Any]) -> tuple[float, float, float, float]:
        worst = m["worst_plc_rate_mbps"] if m["worst_plc_rate_mbps"] is not None else 0.0
        return (m["chargers_without_route"], m["flaps_total"], round(m["downtime_s_total"] / 60.0), -worst)
    return score(a) < score(b)


def _materially_better(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``a`` beats ``b`` by enough to be worth a site visit: fewer chargers without a route, or at
    least 10 % (and 5) fewer flaps, 10 % (and 60 s) less downtime, or a 10 % higher worst PLC rate --
    without being worse on an earlier criterion."""
    if a["chargers_without_route"] != b["chargers_without_route"]:
        return a["chargers_without_route"] < b["chargers_without_route"]
    fa, fb = a["flaps_total"], b["flaps_total"]
    da, db = a["downtime_s_total"], b["downtime_s_total"]
    wa, wb = a["worst_plc_rate_mbps"] or 0.0, b["worst_plc_rate_mbps"] or 0.0
    flaps_gain = fb - fa >= max(5, 0.1 * fb)
    flaps_loss = fa - fb >= max(5, 0.1 * fb)
    down_gain = db - da >= max(60.0, 0.1 * db)
    down_loss = da - db >= max(60.0, 0.1 * db)
    rate_gain = wa >= 1.1 * wb and wa - wb >= 1.0
    if flaps_loss or down_loss:
        return False
    return flaps_gain or down_gain or rate_gain


def _topology(site: Site) -> tuple[tuple[str, float], ...]:
    return tuple((n.cable, n.at_m) for n in site.nodes)


def advise(site: Site, base: SimResult, hours: float, seed: int, progress: Progress = None,
           max_bridge_candidates: int = 4) -> list[dict[str, Any]]:
    """Concrete recommendations, each backed by a what-if simulation with the same seed and hours."""
    base_m = key_metrics(base)
    advice: list[dict[str, Any]] = []
    # bridge flags, Wi-Fi and policies do not change the physics; positions do
    physics_cache: dict[tuple[tuple[str, float], ...], SitePhysics] = {_topology(site): base.physics}

    def run(variant: Site) -> dict[str, Any]:
        key = _topology(variant)
        if key not in physics_cache:
            physics_cache[key] = SitePhysics(variant, seed)
        return key_metrics(simulate(variant, hours=hours, seed=seed, physics=physics_cache[key]))

    chargers = [n for n in site.nodes if n.kind == "charger"]
    base_nodes = node_summaries(base)
    applied = site  # the site with every recommendation so far applied; later what-ifs build on it
    applied_m = base_m

    # 1. where the PLC module goes (physical placement first; the gateway choice builds on it)
    for mod in [n for n in site.nodes if n.kind == "plc_module"]:
        cable = site.cable(mod.cable)
        on_run = [n.at_m for n in chargers if n.cable == mod.cable]
        spots = {"start of the run": 0.0, "middle of the run": round(cable.length_m / 2.0, 1)}
        if on_run:
            spots["middle of its chargers"] = round(float(np.median(on_run)), 1)
        results = []
        for label, at in spots.items():
            if abs(at - mod.at_m) < 1e-6:
                continue
            if progress:
                progress(f"what-if: {mod.name} at {at:g} m ({label})")
            results.append((label, at, run(applied.with_node(mod.name, at_m=at))))
        best = None
        for label, at, m in results:
            if _materially_better(m, applied_m) and (best is None or _better(m, best[2])):
                best = (label, at, m)
        if best is not None:
            label, at, m = best
            before = applied_m
            applied, applied_m = applied.with_node(mod.name, at_m=at), m
            advice.append({
                "action": "move-plc-module", "module": mod.name, "cable": mod.cable, "at_m": at,
                "text": (f"Move {mod.name} from {mod.at_m:g} m to {at:g} m on {mod.cable} ({label}): worst charger "
                         f"PLC rate {before['worst_plc_rate_mbps']} -> {m['worst_plc_rate_mbps']} Mbps, chargers "
                         f"without a route {before['chargers_without_route']} -> {m['chargers_without_route']}, "
                         f"downtime {before['downtime_s_total']:g} s -> {m['downtime_s_total']:g} s, flaps "
                         f"{before['flaps_total']} -> {m['flaps_total']}."),
                "effect": _effect(before, m)})

    # 1b. no PLC module at all but chargers that are badly served: try one in the middle of their chargers
    if not any(n.kind == "plc_module" for n in site.nodes):
        poor = [n for n, ns in zip(site.nodes, base_nodes, strict=True)
                if n.kind == "charger" and not n.bridge and ns["availability"] < 0.99]
        if poor:
            cables: dict[str, list[float]] = {}
            for n in poor:
                cables.setdefault(n.cable, []).append(n.at_m)
            cable_name = max(cables, key=lambda c: len(cables[c]))
            at = round(float(np.median(cables[cable_name])), 1)
            passwords = [n.network_password for n in chargers]
            password = max(set(passwords), key=passwords.count)
            data = site_to_dict(applied)
            data["plc_module"].append({"name": "M-new", "cable": cable_name, "at_m": at,
                                       "network_password": password,
                                       "phase": next(n.phase for n in poor if n.cable == cable_name).split("-")[0]
                                       if site.params.grid != "IT" else
                                       next(n.phase for n in poor if n.cable == cable_name)})
            candidate = site_from_dict(data, name=site.name)
            if progress:
                progress(f"what-if: a PLC module at {at:g} m on {cable_name}")
            m = run(candidate)
            if _materially_better(m, applied_m):
                advice.append({
                    "action": "add-plc-module", "cable": cable_name, "at_m": at,
                    "text": (f"Add a PLC module (wired to the router) at {at:g} m on {cable_name}, in the middle of "
                             f"its chargers: chargers without a route {applied_m['chargers_without_route']} -> "
                             f"{m['chargers_without_route']}, downtime {applied_m['downtime_s_total']:g} s -> "
                             f"{m['downtime_s_total']:g} s, worst PLC rate {applied_m['worst_plc_rate_mbps']} -> "
                             f"{m['worst_plc_rate_mbps']} Mbps."),
                    "effect": _effect(applied_m, m)})
                applied, applied_m = candidate, m

    # 2. which single gateway should bridge Wi-Fi to PLC (none at all when a PLC module is wired)
    bridges = [n for n in chargers if n.bridge]
    has_module = any(n.kind == "plc_module" for n in applied.nodes)
    candidates: list[Any] = sorted((n for n in chargers if n.wifi_rssi_dbm is not None and n.wifi_rssi_dbm >= -75.0),
                                   key=lambda n: -(n.wifi_rssi_dbm or -999))[:max_bridge_candidates]
    for b in bridges:
        if b not in candidates:
            candidates.append(b)
    if has_module:
        candidates.append(None)  # the module alone is the gateway
    if candidates and (len(bridges) != (0 if has_module else 1) or len(candidates) > 1):
        results = []
        for cand in candidates:
            if progress:
                progress(f"what-if: {cand.name if cand else 'no'} bridge")
            variant = applied
            for n in chargers:
                if n.bridge != (n is cand):
                    variant = variant.with_node(n.name, bridge=(n is cand))
            results.append((cand, variant, run(variant)))
        best_node, best_site, best_m = results[0]
        for cand, variant, m in results[1:]:
            if _better(m, best_m):
                best_node, best_site, best_m = cand, variant, m
        others = [b.name for b in bridges if b is not best_node]
        unchanged = ((best_node is None and not bridges) or (len(bridges) == 1 and bridges[0] is best_node)
                     or not _materially_better(best_m, applied_m))
        if best_node is None and not unchanged:
            modules = ", ".join(n.name for n in applied.nodes if n.kind == "plc_module")
            advice.append({
                "action": "no-bridge", "disable_bridging_on": others,
                "text": (f"Disable Wi-Fi-to-PLC bridging on {', '.join(others)}: the PLC module ({modules}) is the "
                         f"gateway, and every extra bridge in its AVLN closes an Ethernet loop. Flaps "
                         f"{applied_m['flaps_total']} -> {best_m['flaps_total']}, downtime "
                         f"{applied_m['downtime_s_total']:g} s -> {best_m['downtime_s_total']:g} s."),
                "effect": _effect(applied_m, best_m)})
            applied, applied_m = best_site, best_m
        elif best_node is not None and not unchanged:
            text = (f"Make {best_node.name} (Wi-Fi {best_node.wifi_rssi_dbm:g} dBm) the only Wi-Fi-to-PLC bridge"
                    + (f"; disable bridging on {', '.join(others)}" if others else "")
                    + f": flaps {applied_m['flaps_total']} -> {best_m['flaps_total']}, downtime "
                    f"{applied_m['downtime_s_total']:g} s -> {best_m['downtime_s_total']:g} s.")
            advice.append({"action": "single-bridge", "bridge": best_node.name, "disable_bridging_on": others,
                           "text": text, "effect": _effect(applied_m, best_m)})
            applied, applied_m = best_site, best_m
        else:
            current = ", ".join(b.name for b in bridges) or "the PLC module alone"
            advice.append({"action": "keep-gateway", "bridges": [b.name for b in bridges],
                           "text": f"Keep the gateways as they are ({current}): no single-bridge alternative does "
                                   "better.", "effect": _effect(applied_m, best_m)})

    # 3. Wi-Fi or PLC, charger by charger (the manual's -75 dBm rule against the simulated PLC link)
    for node, ns in zip(site.nodes, base_nodes, strict=True):
        if node.kind != "charger" or node.bridge:
            continue
        rssi = node.wifi_rssi_dbm
        rate = ns["phy_rate_mbps"]
        via = [g for g in ns["time_by_gateway_s"] if g not in ("wifi", "none", "wired")]
        if rssi is not None and rssi >= -72.0:
            text = f"{node.name}: use Wi-Fi (RSSI {rssi:g} dBm >= -75 dBm with margin)."
            choice = "wifi"
        elif rssi is not None and rssi >= -78.0:
            if rate:
                if progress:
                    progress(f"what-if: {node.name} pinned to PLC")
                candidate = applied.with_node(node.name, wifi_rssi_dbm=None)
                pinned = run(candidate)
                if _materially_better(pinned, applied_m):
                    text = (f"{node.name}: Wi-Fi is borderline ({rssi:g} dBm, within 3 dB of -75); pin it to PLC "
                            f"(mean PHY {rate:g} Mbps via {', '.join(via) or '?'}): site flaps "
                            f"{applied_m['flaps_total']} -> {pinned['flaps_total']}.")
                    advice.append({"action": "uplink", "charger": node.name, "use": "plc", "text": text,
                                   "effect": _effect(applied_m, pinned)})
                    applied, applied_m = candidate, pinned
                else:
                    advice.append({"action": "uplink", "charger": node.name, "use": "wifi-with-hysteresis",
                                   "text": (f"{node.name}: Wi-Fi is borderline ({rssi:g} dBm); pinning it to PLC "
                                            f"does not help here (flaps {applied_m['flaps_total']} -> "
                                            f"{pinned['flaps_total']}); keep the hysteresis policy."),
                                   "effect": _effect(applied_m, pinned)})
                continue
            else:
                text = f"{node.name}: borderline Wi-Fi ({rssi:g} dBm) and no PLC route; improve Wi-Fi coverage."
                choice = "wifi"
        elif rate:
            text = f"{node.name}: use PLC (as configured: mean PHY {rate:g} Mbps via {', '.join(via) or '?'}, " \
                   f"availability {ns['availability']:.4f})."
            choice = "plc"
        else:
            text = f"{node.name}: as configured, no usable uplink (Wi-Fi {rssi if rssi is not None else 'none'}, " \
                   "no PLC route); it needs a PLC module on its run or a Wi-Fi access point."
            choice = "none"
        advice.append({"action": "uplink", "charger": node.name, "use": choice, "text": text,
                       "effect": {"flaps": ns["flaps"], "downtime_s": ns["downtime_s"], "phy_rate_mbps": rate}})

    # 4. everything above at once
    if applied is not site:
        if progress:
            progress("what-if: all recommendations together")
        m = applied_m
        advice.append({"action": "all", "text": (f"With all of the above: flaps {base_m['flaps_total']} -> "
                                                 f"{m['flaps_total']}, downtime {base_m['downtime_s_total']:g} s -> "
                                                 f"{m['downtime_s_total']:g} s, worst PLC rate "
                                                 f"{base_m['worst_plc_rate_mbps']} -> {m['worst_plc_rate_mbps']} Mbps."),
                       "effect": _effect(base_m, m)})

    # 5. firmware policy
    if site.params.gateway_policy == "none" and base_m["flaps_total"] > 0:
        if progress:
            progress("what-if: hysteresis policy")
        m = run(site.with_params(gateway_policy="hysteresis"))
        advice.append({"action": "policy", "policy": "hysteresis",
                       "text": (f"Enable RSSI hysteresis and a 60 s dwell in the charger firmware: flaps "
                                f"{base_m['flaps_total']} -> {m['flaps_total']}."), "effect": _effect(base_m, m)})
    return advice


# -- plots -------------------------------------------------------------------------------------------

def write_plots(result: SimResult, out_dir: Path) -> list[Path]:
    """Per-link rate heat map, membership timeline, SNR per carrier of the worst link."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    site = result.site
    names = [n.name for n in site.nodes]
    paths = []
    phys = result.physics

    # 1. heat map of PHY rates at the end of the run
    rates = phys.rate_matrix()
    fig, ax = plt.subplots(figsize=(max(5, 0.35 * len(names) + 3), max(4, 0.35 * len(names) + 2)))
    im = ax.imshow(rates, cmap="viridis", vmin=0)
    if len(names) <= 40:
        ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
    if len(names) <= 16:  # small sites: print the rates in the cells
        for i in range(len(names)):
            for j in range(len(names)):
                if i != j:
                    ax.text(j, i, f"{rates[i, j]:.0f}", ha="center", va="center", fontsize=6,
                            color="white" if rates[i, j] < 0.6 * max(rates.max(), 1) else "black")
    ax.set_xlabel("receiver")
    ax.set_ylabel("transmitter")
    ax.set_title("Coded PHY rate per link (Mbit/s), charging state at the end")
    fig.colorbar(im, ax=ax, label="Mbit/s")
    fig.tight_layout()
    p = out_dir / "link_rates.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)

    # 2. membership timeline: AVLN (which CCo) on top, uplink / gateway below
    hours = result.hours
    t0 = min((t for t, *_ in result.timeline), default=0.0)
    t_end = t0 + hours * 3600
    cmap = plt.get_cmap("tab20")
    fig, axes = plt.subplots(2, 1, figsize=(11, max(5, 0.55 * len(names) + 2)), sharex=True)
    for ax, kind, title in ((axes[0], "avln", "AVLN membership (NID tail @ CCo; - = not associated)"),
                            (axes[1], "uplink", "uplink (gateway) per node; | = L2 path flip in a bridging loop")):
        labels: dict[str, int] = {}
        for i in range(len(names)):
            segs = [(t, lab) for t, n, k, lab in result.timeline if n == i and k == kind]
            for k, (t, lab) in enumerate(segs):
                t_next = segs[k + 1][0] if k + 1 < len(segs) else t_end
                color = "0.85" if lab in ("-", "none") else cmap(labels.setdefault(lab, len(labels)) % 20)
                ax.barh(i, (t_next - t) / 3600.0, left=(t - t0) / 3600.0, color=color, height=0.8)
            if kind == "uplink":
                flips = [t for t, n, k, _ in result.timeline if n == i and k == "l2"]
                if flips:
                    ax.plot([(t - t0) / 3600.0 for t in flips], [i] * len(flips), "k|", markersize=5)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title(title, fontsize=9)
        handles = [plt.Rectangle((0, 0), 1, 1, color=cmap(v % 20)) for v in labels.values()]
        ax.legend(handles, list(labels), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[1].set_xlabel("hours")
    fig.tight_layout()
    p = out_dir / "membership_timeline.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(p)

    # 3. SNR per carrier of the worst charger -> gateway link
    worst = None
    for i, (node, st) in enumerate(zip(site.nodes, result.stats, strict=True)):
        u = result.final_uplink[i]
        if node.kind == "charger" and u >= 0 and st.mean_rate_mbps is not None:
            if worst is None or st.mean_rate_mbps < worst[2]:
                worst = (i, u, st.mean_rate_mbps)
    if worst is None:  # fall back to the weakest link of the heat map
        masked = np.where(rates > 0, rates, np.inf)
        np.fill_diagonal(masked, np.inf)
        if np.isfinite(masked).any():
            i, u = np.unravel_index(int(np.argmin(masked)), masked.shape)
            worst = (int(i), int(u), float(rates[i, u]))
    if worst is not None:
        i, u, _ = worst
        snr = phys.snr_db(i, u)
        f_mhz = phys.freq_hz / 1e6
        fig, ax = plt.subplots(figsize=(10, 4))
        for s in range(snr.shape[0]):
            ax.plot(f_mhz[phys.av_sel], snr[s][phys.av_sel], lw=0.7, label=f"slot {s}")
        ax.set_xlabel("MHz")
        ax.set_ylabel("SNR (dB)")
        ax.set_title(f"SNR per carrier, {names[i]} -> {names[u]} (worst link to a gateway), per tone-map slot")
        ax.legend(fontsize=7, ncol=6)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        p = out_dir / "worst_link_snr.png"
        fig.savefig(p, dpi=110)
        plt.close(fig)
        paths.append(p)
    return paths


def summary_table_rows(data: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for n in data["nodes"]:
        rows.append((n["name"], n["kind"], n["gateway"], "-" if n["phy_rate_mbps"] is None else f"{n['phy_rate_mbps']:.1f}",
                     str(n["flaps"]), f"{n['downtime_s']:.0f}", f"{n['availability'] * 100:.2f}%",
                     (n["avln"] or "-")[-6:] + ("@" + n["cco"] if n["cco"] else "")))
    return rows


__all__ = ["advise", "key_metrics", "node_summaries", "summary", "write_plots", "write_summary"]
