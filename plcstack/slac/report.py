"""A machine's trace as a report: steps with times, the peer, the attenuation, retries, the result.

:func:`session_report` gives a JSON-ready dict (the shape of ``plcstack slac evse|pev --json``);
:func:`format_report` the text the CLI prints.  Times are seconds since the machine started.
"""

from __future__ import annotations

from typing import Any

from plcstack.codec.mac import format_mac
from plcstack.slac import events as ev
from plcstack.slac.events import MATCHED, Step


def _mac(m: bytes | None) -> str | None:
    return format_mac(m) if m else None


def profile_dict(p: ev.AttenuationProfile) -> dict[str, Any]:
    g = p.groups_db
    return {"evse_mac": _mac(p.evse_mac), "num_sounds": p.num_sounds, "groups": len(g),
            "average_db": round(p.average_db, 2) if g else None, "min_db": min(g) if g else None,
            "max_db": max(g) if g else None, "groups_db": list(g)}


def session_report(role: str, mac: bytes, trace: list[ev.SlacEvent], t0: float | None = None) -> dict[str, Any]:
    """Summarise the events of one EVSE or PEV run (``t0``: its start time; default the first event)."""
    if t0 is None:
        t0 = trace[0].t if trace else 0.0

    def rel(t: float) -> float:
        return round(t - t0, 4)

    steps: list[dict[str, Any]] = []
    retries: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    matched = joined = decided = None
    ignored = processes = 0
    first_parm = None  # PEV: first CM_SLAC_PARM.REQ sent; EVSE: first one received
    for e in trace:
        if isinstance(e, ev.StepDone):
            steps.append({"t_s": rel(e.t), "step": e.step.value, "peer": _mac(e.peer), "detail": e.detail})
            if e.step is Step.SLAC_PARM and first_parm is None:
                first_parm = e.t
        elif isinstance(e, ev.Retry):
            retries.append({"t_s": rel(e.t), "step": e.step.value, "attempt": e.attempt, "timer": e.timer,
                            "peer": _mac(e.peer)})
        elif isinstance(e, ev.Failed):
            failures.append({"t_s": rel(e.t), "step": e.step.value, "reason": e.reason, "timer": e.timer,
                             "final": e.final, "run_id": e.run_id.hex() or None, "peer": _mac(e.peer)})
        elif isinstance(e, ev.AttenuationReported):
            profiles.append(profile_dict(e.profile) | {"t_s": rel(e.t), "ev_mac": _mac(e.ev_mac)})
        elif isinstance(e, ev.Matched):
            matched = e
        elif isinstance(e, ev.Joined):
            joined = e
        elif isinstance(e, ev.Decided):
            decided = e
        elif isinstance(e, ev.Ignored):
            ignored += 1
        elif isinstance(e, ev.ProcessStarted):
            processes += 1
            if first_parm is None:
                first_parm = e.t  # the EV sends its first CM_SLAC_PARM.REQ now
    result: str
    reason: str
    if matched is not None and joined is not None:
        result, reason = MATCHED, ""
    elif failures:
        result, reason = str(failures[-1]["step"]), str(failures[-1]["reason"])
    elif matched is not None:
        result, reason = Step.JOIN.value, "matched, not yet in one AVLN"
    else:
        result, reason = (str(steps[-1]["step"]) if steps else Step.SET_KEY.value), "stopped (timeout)"
    peer = None
    if matched is not None:
        peer = matched.evse_mac if role == "PEV" else matched.ev_mac
    out: dict[str, Any] = {
        "role": role, "mac": _mac(mac), "result": result, "reason": reason, "peer": _mac(peer),
        "run_id": matched.run_id.hex() if matched else (failures[-1]["run_id"] if failures else None),
        "nid": matched.nid.hex() if matched else None,
        "time_to_match_s": round(matched.t - first_parm, 4) if matched and first_parm is not None else None,
        "matched_at_s": rel(matched.t) if matched else None, "joined_at_s": rel(joined.t) if joined else None,
        "stations": [_mac(s) for s in joined.stations] if joined else [],
        "processes": processes if role == "PEV" else None, "steps": steps, "retries": retries, "failures": failures, "attenuation": profiles, "ignored_frames": ignored,
    }
    if decided is not None:
        out["decision"] = {"chosen": _mac(decided.chosen), "reason": decided.reason,
                           "margin_db": None if decided.margin_db is None else round(decided.margin_db, 2),
                           "candidates": [_mac(c.evse_mac) for c in decided.candidates]}
    return out


def format_report(rep: dict[str, Any]) -> str:
    role = rep["role"]
    other = "EVSE" if role == "PEV" else "EV"
    if rep["result"] == MATCHED:
        head = (f"{role} {rep['mac']}: matched with {other} {rep['peer']}"
                + (f" in {rep['time_to_match_s']:.3f} s (CM_SLAC_PARM.REQ -> CM_SLAC_MATCH.CNF)" if rep["time_to_match_s"]
                   is not None else "")
                + f", in one AVLN at {rep['joined_at_s']:.3f} s (NID {rep['nid']})")
    else:
        head = f"{role} {rep['mac']}: NOT matched, stopped at {rep['result']}: {rep['reason']}"
    lines = [head, f"  {'t (s)':>8}  {'step':<24} {'peer':<18} detail"]
    for s in rep["steps"]:
        lines.append(f"  {s['t_s']:8.3f}  {s['step']:<24} {s['peer'] or '-':<18} {s['detail']}")
    for r in rep["retries"]:
        lines.append(f"  {r['t_s']:8.3f}  retry {r['step']} #{r['attempt']} after {r['timer']}")
    for f in rep["failures"]:
        lines.append(f"  {f['t_s']:8.3f}  FAILED at {f['step']}: {f['reason']}"
                     + (f" ({f['timer']})" if f["timer"] else "") + ("" if f["final"] else "; starting again"))
    for p in rep["attenuation"]:
        who = p["evse_mac"] if role == "PEV" else p["ev_mac"]
        if p["average_db"] is None:
            continue
        lines.append(f"  attenuation {'from EVSE' if role == 'PEV' else 'of EV'} {who}: {p['num_sounds']} sound(s), "
                     f"{p['groups']} groups, average {p['average_db']:.1f} dB (min {p['min_db']}, max {p['max_db']})")
        lines.append("    groups dB: " + " ".join(str(v) for v in p["groups_db"]))
    if "decision" in rep:
        d = rep["decision"]
        lines.append(f"  decision: {d['chosen'] or 'none'} ({d['reason']})")
    return "\n".join(lines)
