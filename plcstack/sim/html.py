"""``report.html``: one self-contained page to hand over -- site summary, the plan, the charger table
and the plots, inline (``data:`` URIs), readable on a phone.  No scripts, nothing fetched.

:func:`render_html` is pure: summary data and PNG bytes in, a string out.
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from .summary import CHARGER_COLUMNS, charger_rows

CSS = """
:root { --fg: #1d2733; --muted: #5b6876; --line: #d9dee4; --good: #1e8449; --warn: #b9770e; --bad: #c0392b;
        --card: #f5f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
main { max-width: 1100px; margin: 0 auto; padding: 12px 14px 40px; overflow-wrap: anywhere; }
h1 { font-size: 1.45rem; margin: 8px 0 2px; } h2 { font-size: 1.15rem; margin: 26px 0 8px; }
.muted { color: var(--muted); font-size: .9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; }
.card { background: var(--card); border-radius: 8px; padding: 8px 10px; }
.card b { display: block; font-size: 1.25rem; } .card span { color: var(--muted); font-size: .85rem; }
ol.plan { padding-left: 1.3em; } ol.plan li { margin: 0 0 14px; }
.instruction { font-weight: 600; } .why { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; white-space: nowrap; }
th { background: var(--card); position: sticky; top: 0; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%; }
table.effect { width: auto; max-width: 100%; margin: 4px 0; }
table.effect td { padding: 2px 6px 2px 0; white-space: normal; }
table.effect td + td { white-space: nowrap; overflow-wrap: normal; }
.better { color: var(--good); } .worse { color: var(--bad); }
.a-good { color: var(--good); } .a-warn { color: var(--warn); } .a-bad { color: var(--bad); font-weight: 600; }
figure { margin: 14px 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: .85rem; }
@media (max-width: 600px) { body { font-size: 15px; } h1 { font-size: 1.25rem; } }
"""

PLOT_CAPTIONS = {
    "plan.png": "Downtime and flaps as built and after each action (full-length what-if runs).",
    "link_rates.png": "Coded PHY rate of every link at the end of the run.",
    "membership_timeline.png": "Which PLC network (AVLN) and which uplink each node used over time.",
    "worst_link_snr.png": "SNR per carrier of the slowest charger-to-gateway link, per tone-map slot.",
}
EFFECT_LABELS = (("downtime_s_total", "downtime (charger-s)", False), ("flaps_total", "flaps", False),
                 ("worst_plc_rate_mbps", "worst charger rate (Mbit/s)", True),
                 ("chargers_without_route", "chargers without a route", False))


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer() and abs(v) < 100:
        return f"{v:,.1f}"
    return f"{v:,.0f}" if isinstance(v, int | float) else escape(str(v))


def _card(value: Any, label: str) -> str:
    return f'<div class="card"><b>{_fmt(value)}</b><span>{escape(label)}</span></div>'


def _effect_table(effect: dict[str, list[Any]]) -> str:
    rows = []
    for key, label, higher_better in EFFECT_LABELS:
        if key not in effect:
            continue
        before, after = effect[key]
        cls = ""
        if before is not None and after is not None and before != after:
            cls = "better" if (after > before) == higher_better else "worse"
        rows.append(f'<tr><td>{escape(label)}</td><td>{_fmt(before)}</td><td>&rarr;</td>'
                    f'<td class="{cls}">{_fmt(after)}</td></tr>')
    return f'<table class="effect">{"".join(rows)}</table>'


def _plan(data: dict[str, Any]) -> str:
    advice = data.get("advice", [])
    plan = data.get("plan", {})
    parts = ['<h2 id="plan">Plan</h2>']
    if not advice:
        parts.append("<p>No change the installation rules suggest improves this site in the simulation.</p>")
    else:
        parts.append(f'<p class="muted">{len(advice)} action{"s" if len(advice) != 1 else ""}, best first; each '
                     "effect is a full-length simulation with the actions above it already done.</p>")
        items = []
        for a in advice:
            text, head = a["text"], a.get("instruction", "")
            lead, rest = (head, text[len(head):]) if head and text.startswith(head) else ("", text)
            items.append(f'<li><p class="text"><span class="instruction">{escape(lead)}</span>{escape(rest)}</p>'
                         f'{_effect_table(a.get("effect", {}))}</li>')
        parts.append(f'<ol class="plan">{"".join(items)}</ol>')
        if len(advice) > 1 and plan.get("before") and plan.get("after"):
            effect = {k: [plan["before"].get(k), plan["after"].get(k)] for k, _, _ in EFFECT_LABELS}
            parts.append(f"<p><b>All actions together:</b></p>{_effect_table(effect)}")
    poor = plan.get("still_poorly_served") or []
    if poor:
        names = ", ".join(f"{escape(p['name'])} ({p['availability'] * 100:.2f} %)" for p in poor[:30])
        more = f" and {len(poor) - 30} more" if len(poor) > 30 else ""
        parts.append(f"<p><b>Still below 99 % availability{' after the plan' if advice else ''}:</b> "
                     f"{names}{more}.</p>")
    if plan.get("screen_runs") is not None:
        parts.append(f'<p class="muted">What-if runs: {plan.get("screen_runs", 0)} screening runs of '
                     f'{_fmt(plan.get("screen_hours"))} h, {plan.get("confirm_runs", 0)} full-length '
                     f'confirmations, {_fmt(plan.get("wall_s"))} s.</p>')
    return "".join(parts)


def _availability_class(a: float) -> str:
    return "a-good" if a >= 0.999 else "a-warn" if a >= 0.99 else "a-bad"


def _chargers(data: dict[str, Any]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in CHARGER_COLUMNS)
    body = []
    for node, row in zip(data["nodes"], charger_rows(data), strict=True):
        cells = []
        for col, cell in zip(CHARGER_COLUMNS, row, strict=True):
            cls = f' class="{_availability_class(node["availability"])}"' if col == "availability" else ""
            cells.append(f"<td{cls}>{escape(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<h2 id="chargers">Chargers and modules</h2><div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _plots(images: dict[str, bytes]) -> str:
    figs = []
    for name in [n for n in PLOT_CAPTIONS if n in images] + [n for n in images if n not in PLOT_CAPTIONS]:
        uri = "data:image/png;base64," + base64.b64encode(images[name]).decode("ascii")
        figs.append(f'<figure><img src="{uri}" alt="{escape(name)}" loading="lazy">'
                    f"<figcaption>{escape(PLOT_CAPTIONS.get(name, name))}</figcaption></figure>")
    return '<h2 id="plots">Plots</h2>' + "".join(figs) if figs else ""


def render_html(data: dict[str, Any], images: dict[str, bytes] | None = None) -> str:
    """The whole report page for a ``summary.json`` document and its plots (PNG bytes by name)."""
    m = data.get("metrics", {})
    chargers = [n for n in data["nodes"] if n["kind"] == "charger"]
    worst_av = m.get("worst_availability")
    cards = "".join([
        _card(len(chargers), "chargers"),
        _card(sum(1 for n in data["nodes"] if n["kind"] == "plc_module"), "PLC modules"),
        _card(sum(1 for n in chargers if n["bridge"]), "Wi-Fi-to-PLC bridges"),
        _card(data["flaps_total"], "flaps"),
        _card(data["downtime_s_total"], "downtime (charger-s)"),
        _card(m.get("worst_plc_rate_mbps"), "worst charger PHY rate (Mbit/s)"),
        _card(m.get("chargers_without_route"), "chargers without a route"),
        _card(None if worst_av is None else f"{worst_av * 100:.1f} %", "lowest availability"),
        _card(len(data.get("avlns", [])), "PLC networks (AVLNs)"),
        _card(len(data.get("bridging_loops", [])), "bridging loops"),
    ])
    title = f"PLC site report: {data['site']}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{escape(title)}</title><style>{CSS}</style></head><body><main>'
        f"<h1>{escape(title)}</h1>"
        f'<p class="muted">{_fmt(data["hours"])} simulated hours, seed {data["seed"]}, {escape(data["grid"])} grid, '
        f'{_fmt(data["mains_hz"])} Hz, gateway policy {escape(data["gateway_policy"])}. Made by plcstack simulate.'
        "</p>"
        f'<h2 id="summary">Site summary</h2><div class="cards">{cards}</div>'
        f"{_plan(data)}{_chargers(data)}{_plots(images or {})}"
        "</main></body></html>\n")


__all__ = ["render_html"]
