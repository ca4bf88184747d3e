"""The simulator's plots, rendered in memory (PNG bytes); files are written by :mod:`.report`.

* ``link_rates.png``: coded PHY rate of every link at the end of the run (heat map);
* ``membership_timeline.png``: AVLN membership and uplink of every node over time;
* ``worst_link_snr.png``: SNR per carrier of the worst charger-to-gateway link, per tone-map slot;
* ``plan.png``: downtime and flaps after each action of the advice plan.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import SimResult
from .summary import end_state

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 110


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    _pyplot().close(fig)
    return buf.getvalue()


FULL_MATRIX_NODES = 40  # above this the heat map shows links to the gateways only (readable, and N x G work)


def link_rates_png(result: SimResult) -> bytes:
    """All pairs on small sites; on large ones every node's rate to each gateway (modules, bridges)."""
    plt = _pyplot()
    site, phys = result.site, result.physics
    names = [n.name for n in site.nodes]
    if len(names) <= FULL_MATRIX_NODES:
        rates, cols, title = phys.rate_matrix(), names, "Coded PHY rate per link (Mbit/s), charging state at the end"
    else:
        gws = [i for i, n in enumerate(site.nodes) if n.is_gateway]
        rates = np.zeros((len(names), len(gws)))
        for c, j in enumerate(gws):
            tx = np.flatnonzero(np.arange(len(names)) != j)
            rates[tx, c] = phys.rates_into(j, tx)[0]
        cols, title = [names[j] for j in gws], "Coded PHY rate to each gateway (Mbit/s), charging state at the end"
    fig, ax = plt.subplots(figsize=(max(5.0, 0.35 * len(cols) + 3), max(4.0, 0.35 * min(len(names), 60) + 2)))
    im = ax.imshow(rates, cmap="viridis", vmin=0, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=7)
    if len(names) <= 120:
        ax.set_yticks(range(len(names)), names, fontsize=7 if len(names) <= 40 else 4)
    if len(names) <= 16:  # small sites: print the rates in the cells
        top = max(float(rates.max()), 1.0)
        for i in range(len(names)):
            for j in range(len(cols)):
                if i != j:
                    ax.text(j, i, f"{rates[i, j]:.0f}", ha="center", va="center", fontsize=6,
                            color="white" if rates[i, j] < 0.6 * top else "black")
    ax.set_xlabel("receiver")
    ax.set_ylabel("transmitter")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label="Mbit/s")
    fig.tight_layout()
    return _png(fig)


def membership_timeline_png(result: SimResult) -> bytes:
    """Two panels: AVLN (which CCo) on top, uplink / gateway below; | marks an Ethernet path flip."""
    plt = _pyplot()
    names = [n.name for n in result.site.nodes]
    t0 = min((t for t, *_ in result.timeline), default=0.0)
    t_end = t0 + result.hours * 3600
    cmap = plt.get_cmap("tab20")
    by_node: dict[tuple[int, str], list[tuple[float, str]]] = {}
    for t, n, k, lab in result.timeline:
        by_node.setdefault((n, k), []).append((t, lab))
    fig, axes = plt.subplots(2, 1, figsize=(11, max(5.0, 0.55 * len(names) + 2)), sharex=True)
    for ax, kind, title in ((axes[0], "avln", "AVLN membership (NID tail @ CCo; - = not associated)"),
                            (axes[1], "uplink", "uplink (gateway) per node; | = L2 path flip in a bridging loop")):
        labels: dict[str, int] = {}
        for i in range(len(names)):
            segs = by_node.get((i, kind), [])
            ends = [t for t, _ in segs[1:]] + [t_end]
            spans = [((t - t0) / 3600.0, (end - t) / 3600.0) for (t, _), end in zip(segs, ends, strict=True)]
            colors = ["0.85" if lab in ("-", "none") else cmap(labels.setdefault(lab, len(labels)) % 20)
                      for _, lab in segs]
            if spans:
                ax.broken_barh(spans, (i - 0.4, 0.8), facecolors=colors)
            if kind == "uplink":
                flips = [t for t, _ in by_node.get((i, "l2"), [])]
                if flips:
                    ax.plot([(t - t0) / 3600.0 for t in flips], [i] * len(flips), "k|", markersize=5)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title(title, fontsize=9)
        handles = [plt.Rectangle((0, 0), 1, 1, color=cmap(v % 20)) for v in labels.values()]
        ax.legend(handles, list(labels), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[1].set_xlabel("hours")
    fig.tight_layout()
    return _png(fig)


def worst_link(result: SimResult) -> tuple[int, int] | None:
    """(charger, gateway) of the slowest charger on PLC, else the weakest link of the site."""
    worst: tuple[int, int, float] | None = None
    for i, (node, st) in enumerate(zip(result.site.nodes, result.stats, strict=True)):
        u = result.final_uplink[i]
        if node.kind == "charger" and u >= 0 and st.mean_rate_mbps is not None:
            if worst is None or st.mean_rate_mbps < worst[2]:
                worst = (i, u, st.mean_rate_mbps)
    if worst is not None:
        return worst[0], worst[1]
    rates = result.physics.rate_matrix()
    masked = np.where(rates > 0, rates, np.inf)
    np.fill_diagonal(masked, np.inf)
    if not np.isfinite(masked).any():
        return None
    tx, rx = np.unravel_index(int(np.argmin(masked)), masked.shape)
    return int(tx), int(rx)


def worst_link_snr_png(result: SimResult) -> bytes | None:
    pair = worst_link(result)
    if pair is None:
        return None
    plt = _pyplot()
    i, u = pair
    phys = result.physics
    names = [n.name for n in result.site.nodes]
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
    return _png(fig)


def plan_png(advice: list[dict[str, Any]]) -> bytes | None:
    """Downtime and flaps before the plan and after each action (the confirmed full-length runs)."""
    if not advice:
        return None
    plt = _pyplot()
    labels = ["as built"] + [f"{a['rank']}. {a['action']}" for a in advice]
    down = [advice[0]["effect"]["downtime_s_total"][0]] + [a["effect"]["downtime_s_total"][1] for a in advice]
    flaps = [advice[0]["effect"]["flaps_total"][0]] + [a["effect"]["flaps_total"][1] for a in advice]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, vals, title, color in ((axes[0], np.array(down) / 3600.0, "downtime (charger-hours)", "#c0392b"),
                                   (axes[1], flaps, "flaps", "#2c3e50")):
        ax.bar(range(len(vals)), vals, color=color)
        ax.set_xticks(range(len(vals)), labels, rotation=35, ha="right", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Simulated effect of the plan, step by step", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def render_plots(result: SimResult, advice: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    """Every plot of a run, by file name."""
    end_state(result)
    out = {"link_rates.png": link_rates_png(result), "membership_timeline.png": membership_timeline_png(result)}
    snr = worst_link_snr_png(result)
    if snr is not None:
        out["worst_link_snr.png"] = snr
    plan = plan_png(advice or [])
    if plan is not None:
        out["plan.png"] = plan
    return out


__all__ = ["link_rates_png", "membership_timeline_png", "plan_png", "render_plots", "worst_link", "worst_link_snr_png"]
