"""SLAC sessions of a capture: grouped by RunID and checked against the ISO 15118-3 timers.

Every frame that carries a RunID (CM_SLAC_PARM, CM_START_ATTEN_CHAR, CM_MNBC_SOUND, CM_ATTEN_CHAR,
CM_SLAC_MATCH) belongs to the session of that RunID; CM_ATTEN_PROFILE.IND (and Qualcomm's
VS_ATTENUATION_CHARACTERISTICS.IND) to the session of the EV it names; CM_VALIDATE to the session of
its two hosts; CM_SET_KEY from the EV host after CM_SLAC_MATCH.CNF is the EV taking the EVSE's key.
A CM_SLAC_PARM exchange after a session got past sounding starts a new attempt with the same RunID
(some EVs keep one RunID for every attempt).

Each session's steps (:class:`plcstack.slac.events.Step`, the machines' own vocabulary) are timed and
checked against :class:`plcstack.slac.timers.SlacTimers` -- the table the machines run on -- and the
recorded attenuation is run through :mod:`plcstack.slac.decision` (the EVSE's averaging and the EV's
choice).  A check is a ``violation`` when the timer's meaning is unambiguous in the public sources
and a ``note`` otherwise; ``left_path`` names the first violation in protocol order (or the step
where the session stopped).  Frames a one-sided capture never saw are reported as not captured,
not as protocol errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plcstack.capture import CaptureDecoder
from plcstack.capture.copies import FrameCopies
from plcstack.codec import Frame, messages
from plcstack.codec.mac import format_mac
from plcstack.keys.derive import nid_matches_nmk
from plcstack.slac.decision import average_profiles, decide
from plcstack.slac.events import MATCHED, AttenuationProfile, Step
from plcstack.slac.timers import DEFAULT_TIMERS, SlacTimers

#: Capture timestamps are the capturing host's: allow this much (s) before calling a timer violated.
TOLERANCE_S = 0.005
M = messages
_RUN_ID_TYPES = (M.CM_SLAC_PARM_REQ, M.CM_SLAC_PARM_CNF, M.CM_START_ATTEN_CHAR_IND, M.CM_MNBC_SOUND_IND,
                 M.CM_ATTEN_CHAR_IND, M.CM_ATTEN_CHAR_RSP, M.CM_SLAC_MATCH_REQ, M.CM_SLAC_MATCH_CNF)


@dataclass
class Seen:
    index: int  # frame number in the capture
    t: float
    frame: Frame


@dataclass
class RecordedSession:
    run_id: bytes
    attempt: int
    ev_mac: bytes = b""
    parm_req: list[Seen] = field(default_factory=list)
    parm_cnf: list[Seen] = field(default_factory=list)
    starts: list[Seen] = field(default_factory=list)
    sounds: list[Seen] = field(default_factory=list)
    profiles: list[Seen] = field(default_factory=list)  # CM_ATTEN_PROFILE.IND
    vendor_profiles: list[Seen] = field(default_factory=list)  # VS_ATTENUATION_CHARACTERISTICS.IND
    atten_ind: list[Seen] = field(default_factory=list)
    atten_rsp: list[Seen] = field(default_factory=list)
    validate: list[Seen] = field(default_factory=list)
    match_req: list[Seen] = field(default_factory=list)
    match_cnf: list[Seen] = field(default_factory=list)
    new_key: list[Seen] = field(default_factory=list)
    set_key: list[Seen] = field(default_factory=list)  # a host's CM_SET_KEY.REQ before the session
    copies: int = 0  # second copies of frames skipped (a capture of several interfaces saw them twice)

    @property
    def first_t(self) -> float:
        return min(s.t for s in self.all_frames())

    def all_frames(self) -> list[Seen]:
        return sorted((*self.set_key, *self.parm_req, *self.parm_cnf, *self.starts, *self.sounds, *self.profiles,
                       *self.vendor_profiles, *self.atten_ind, *self.atten_rsp, *self.validate, *self.match_req,
                       *self.match_cnf, *self.new_key), key=lambda s: s.index)

    @property
    def past_sounding(self) -> bool:
        return bool(self.atten_ind or self.match_req or self.match_cnf or self.sounds)


# -------------------------------------------------------------------------------------- grouping


def _enough_of(m: Any) -> bool:
    """A message cut short still counts when what the analysis reads is there: the RunID (and CNT) of a
    sound or a request; open-plc-utils ``pev`` sends CM_MNBC_SOUND.IND 7 bytes short of its RND (tshark:
    malformed), which is no reason to say the EV never sounded."""
    if isinstance(m, M.CM_MNBC_SOUND_IND):
        return m.run_id is not None and m.cnt is not None
    return isinstance(m, _RUN_ID_TYPES) and not isinstance(m, M.CM_ATTEN_CHAR_IND | M.CM_SLAC_MATCH_CNF) \
        and getattr(m, "run_id", None) is not None


def group_sessions(records: Any) -> list[RecordedSession]:
    """Group decoded capture records (``plcstack.capture.Record``) into SLAC sessions, in order of appearance.

    A copy of a frame that a capture of several interfaces saw more than once (each link it crossed:
    the emulator's ``--pcap``, ``tcpdump -i any``) is not counted; a sender's own repetitions on one
    interface are (:class:`plcstack.capture.copies.FrameCopies`; ``RecordedSession.copies`` says how
    many copies were skipped)."""
    sessions: list[RecordedSession] = []
    by_run: dict[bytes, RecordedSession] = {}
    keys: list[Seen] = []  # every CM_SET_KEY.REQ, attached below to the session that follows it
    copies = FrameCopies()
    for r in records:
        f = r.frame
        if f is None or (f.truncated is not None and not _enough_of(f.message)):
            continue
        m = f.message
        if copies.is_copy(r):
            dup = by_run.get(bytes(m.run_id)) if isinstance(m, _RUN_ID_TYPES) else None
            if dup is not None:
                dup.copies += 1
            continue
        seen = Seen(r.index, r.time, f)
        if isinstance(m, _RUN_ID_TYPES):
            run_id = bytes(m.run_id)
            s = by_run.get(run_id)
            opening = isinstance(m, M.CM_SLAC_PARM_REQ | M.CM_SLAC_PARM_CNF)
            if s is None or (opening and s.past_sounding):
                s = RecordedSession(run_id, 1 if s is None else s.attempt + 1)
                by_run[run_id] = s
                sessions.append(s)
            _add(s, seen)
        elif isinstance(m, M.CM_ATTEN_PROFILE_IND | M.VS_ATTENUATION_CHARACTERISTICS_IND):
            s = _latest(sessions, bytes(m.pev_mac))
            if s is not None:
                (s.profiles if isinstance(m, M.CM_ATTEN_PROFILE_IND) else s.vendor_profiles).append(seen)
        elif isinstance(m, M.CM_VALIDATE_REQ | M.CM_VALIDATE_CNF):
            s = _latest(sessions, f.src) or _latest(sessions, f.dst)
            if s is not None:
                s.validate.append(seen)
        elif isinstance(m, M.CM_SET_KEY_REQ):
            s = _latest(sessions, f.src)
            if s is not None and s.match_cnf and not s.new_key and f.src == s.ev_mac:
                s.new_key.append(seen)
            else:
                keys.append(seen)
    for s in sessions:
        hosts = {s.ev_mac, *(x.frame.src for x in s.parm_cnf + s.atten_ind)}
        start = min(x.index for x in s.all_frames())
        before = [k for k in keys if k.index < start and k.frame.src in hosts]
        for host in hosts:  # the latest key each host set before this session (EVSE: session NMK; EV: private)
            own = [k for k in before if k.frame.src == host]
            if own:
                s.set_key.append(own[-1])
        s.set_key.sort(key=lambda k: k.index)
    return sessions


def _latest(sessions: list[RecordedSession], ev_mac: bytes) -> RecordedSession | None:
    for s in reversed(sessions):
        if s.ev_mac == ev_mac:
            return s
    return None


# message class -> the session list it goes to, and where it names the EV
_SESSION_LISTS: dict[type, tuple[str, Callable[[Any, Any], bytes]]] = {
    M.CM_SLAC_PARM_REQ: ("parm_req", lambda f, m: f.src),
    M.CM_SLAC_PARM_CNF: ("parm_cnf", lambda f, m: f.dst),
    M.CM_START_ATTEN_CHAR_IND: ("starts", lambda f, m: f.src),
    M.CM_MNBC_SOUND_IND: ("sounds", lambda f, m: f.src),
    M.CM_ATTEN_CHAR_IND: ("atten_ind", lambda f, m: bytes(m.source_address)),
    M.CM_ATTEN_CHAR_RSP: ("atten_rsp", lambda f, m: f.src),
    M.CM_SLAC_MATCH_REQ: ("match_req", lambda f, m: bytes(m.pev_mac)),
    M.CM_SLAC_MATCH_CNF: ("match_cnf", lambda f, m: bytes(m.pev_mac)),
}


def _add(s: RecordedSession, seen: Seen) -> None:
    f, m = seen.frame, seen.frame.message
    entry = _SESSION_LISTS.get(type(m))
    if entry is None:
        return
    name, ev_mac = entry
    getattr(s, name).append(seen)
    s.ev_mac = s.ev_mac or ev_mac(f, m)


# -------------------------------------------------------------------------------------- checking


class _Checker:
    def __init__(self, timers: SlacTimers) -> None:
        self.timers = timers
        self.items: list[dict[str, Any]] = []

    def timer(self, step: Step, name: str, measured: float, frame: int, what: str, *, at_least: bool = False,
              limit: float | None = None, severity: str = "violation") -> dict[str, Any]:
        s = self.timers.setting(name)
        lim = s.value if limit is None else limit
        ok = measured >= lim - TOLERANCE_S if at_least else measured <= lim + TOLERANCE_S
        item = {"step": step.value, "check": name, "measured_s": round(measured, 4),
                "limit_s": round(lim, 4), "relation": ">=" if at_least else "<=", "ok": ok,
                "severity": severity, "frame": frame, "what": what, "source": s.source}
        self.items.append(item)
        return item

    def count(self, step: Step, name: str, measured: int, expected: int, frame: int, what: str, *,
              at_most: bool = False) -> None:
        s = self.timers.setting(name) if name in self.timers.names() else None
        ok = measured <= expected if at_most else measured == expected
        self.items.append({"step": step.value, "check": name, "measured": measured, "limit": expected,
                           "relation": "<=" if at_most else "==", "ok": ok, "severity": "violation",
                           "frame": frame, "what": what, "source": s.source if s else "ISO 15118-3 message field"})


def _requests(c: _Checker, step: Step, reqs: list[Seen], answers: list[Seen], what: str) -> None:
    """Repetitions of a request: at most C_EV_match_retry, each after TT_match_response; answers within
    TP_match_response."""
    if not reqs:
        return
    c.count(step, "C_EV_match_retry", len(reqs) - 1, c.timers.C_EV_match_retry, reqs[-1].index,
            f"repetitions of {what} (one process)", at_most=True)
    answer_times = [a.t for a in answers]
    for prev, nxt in zip(reqs, reqs[1:], strict=False):
        if any(prev.t < t <= nxt.t for t in answer_times):
            continue  # answered in between: a repetition of its own, not a timeout
        gap = nxt.t - prev.t
        c.timer(step, "TT_match_response", gap, nxt.index, f"{what} repeated before its response could come",
                at_least=True)
        c.timer(step, "TT_match_sequence", gap, nxt.index, f"{what} repeated later than the responder waits",
                severity="note")
    for a in answers[:1]:
        before = [r for r in reqs if r.t <= a.t]
        if before:
            c.timer(step, "TP_match_response", a.t - before[-1].t, a.index, f"answer to {what}")


def _batch(c: _Checker, s: RecordedSession) -> None:
    seq = sorted(s.starts + s.sounds, key=lambda x: x.index)
    lo, hi = c.timers.setting("TP_EV_batch_msg_interval").minimum, c.timers.setting("TP_EV_batch_msg_interval").maximum
    gaps = [(b.t - a.t, b.index) for a, b in zip(seq, seq[1:], strict=False)]
    if not gaps:
        return
    short = min(gaps)
    long = max(gaps)
    c.timer(Step.MNBC_SOUND, "TP_EV_batch_msg_interval", short[0], short[1],
            "shortest pause between CM_START_ATTEN_CHAR.IND / CM_MNBC_SOUND.IND", at_least=True, limit=lo)
    c.timer(Step.MNBC_SOUND, "TP_EV_batch_msg_interval", long[0], long[1],
            "longest pause between CM_START_ATTEN_CHAR.IND / CM_MNBC_SOUND.IND", limit=hi)


def _profile_check(s: RecordedSession) -> dict[str, Any] | None:
    """The EVSE's CM_ATTEN_CHAR.IND against the average of its modem's CM_ATTEN_PROFILE.IND (decision.py)."""
    if not s.profiles or not s.atten_ind:
        return None
    groups, n = average_profiles([tuple(p.frame.message.aag[:p.frame.message.num_groups]) for p in s.profiles])
    ind = s.atten_ind[0].frame.message
    reported = tuple(ind.aag[:ind.num_groups])
    k = min(len(groups), len(reported))
    diff = max((abs(a - b) for a, b in zip(groups[:k], reported[:k], strict=True)), default=0)
    return {"profiles": n, "reported_sounds": ind.num_sounds, "max_group_difference_db": diff,
            "average_of_profiles_db": round(sum(groups) / len(groups), 2) if groups else None}


def assess(s: RecordedSession, timers: SlacTimers = DEFAULT_TIMERS, t0: float = 0.0) -> dict[str, Any]:
    """The JSON-ready report of one recorded session (shape in docs/slac.md)."""
    c = _Checker(timers)
    start = min(x.t for x in s.all_frames() if x not in s.set_key)
    cnf0 = s.parm_cnf[0] if s.parm_cnf else None
    time_out = cnf0.frame.message.time_out if cnf0 else int(round(timers.TT_EVSE_match_MNBC * 10))
    num_sounds = cnf0.frame.message.num_sounds if cnf0 else timers.C_EV_match_MNBC
    first_start = s.starts[0] if s.starts else None

    evse_keys = [k for k in s.set_key if k.frame.src != s.ev_mac]
    parms = s.parm_req or s.parm_cnf
    first_parm = parms[0] if parms else None
    if evse_keys and first_parm is not None:
        c.timer(Step.SLAC_PARM, "TT_EVSE_SLAC_init", first_parm.t - evse_keys[-1].t, first_parm.index,
                "first CM_SLAC_PARM after the EVSE set its key (state B is not in the capture)", severity="note")
    _requests(c, Step.SLAC_PARM, s.parm_req, s.parm_cnf, "CM_SLAC_PARM.REQ")
    if cnf0 and first_start:
        c.timer(Step.START_ATTEN_CHAR, "TT_match_sequence", first_start.t - cnf0.t, first_start.index,
                "CM_START_ATTEN_CHAR.IND after CM_SLAC_PARM.CNF")
    if s.starts:
        c.count(Step.START_ATTEN_CHAR, "C_EV_start_atten_char_inds", len(s.starts), timers.C_EV_start_atten_char_inds,
                s.starts[-1].index, "CM_START_ATTEN_CHAR.IND sent")
    if s.sounds:
        c.count(Step.MNBC_SOUND, "C_EV_match_MNBC", len(s.sounds), num_sounds, s.sounds[-1].index,
                "CM_MNBC_SOUND.IND sent (NUM_SOUNDS of CM_SLAC_PARM.CNF)")
        if first_start:
            c.timer(Step.MNBC_SOUND, "TT_EVSE_match_MNBC", s.sounds[-1].t - first_start.t, s.sounds[-1].index,
                    "last sound after the first CM_START_ATTEN_CHAR.IND (inside the EVSE's window)",
                    limit=time_out * 0.1)
    _batch(c, s)
    if s.atten_ind and first_start:
        ind = s.atten_ind[0]
        c.timer(Step.ATTEN_CHAR, "TT_EV_atten_results", ind.t - first_start.t, ind.index,
                "CM_ATTEN_CHAR.IND after the first CM_START_ATTEN_CHAR.IND")
        c.timer(Step.ATTEN_CHAR, "TP_EVSE_avg_atten_calc", ind.t - (first_start.t + time_out * 0.1), ind.index,
                "CM_ATTEN_CHAR.IND after the end of the sounding window")
    for evse in dict.fromkeys(x.frame.src for x in s.atten_ind):
        inds = [x for x in s.atten_ind if x.frame.src == evse]
        rsps = [x for x in s.atten_rsp if x.frame.dst == evse]
        _requests(c, Step.ATTEN_CHAR, inds, rsps, "CM_ATTEN_CHAR.IND")
    if s.match_req and s.atten_rsp:
        c.timer(Step.SLAC_MATCH, "TT_EVSE_match_session", s.match_req[0].t - s.atten_rsp[0].t, s.match_req[0].index,
                "CM_SLAC_MATCH.REQ after CM_ATTEN_CHAR.RSP")
        c.timer(Step.SLAC_MATCH, "TP_EV_match_session", s.match_req[0].t - s.atten_rsp[-1].t, s.match_req[0].index,
                "CM_SLAC_MATCH.REQ after the last CM_ATTEN_CHAR.RSP", severity="note")
    _requests(c, Step.SLAC_MATCH, s.match_req, s.match_cnf, "CM_SLAC_MATCH.REQ")
    if s.match_cnf and s.new_key:
        c.timer(Step.NEW_KEY, "TT_match_join", s.new_key[0].t - s.match_cnf[0].t, s.new_key[0].index,
                "the EV sets the EVSE's NMK after CM_SLAC_MATCH.CNF (join follows)")

    # the attenuation the EV saw and the choice it made, through the machines' own decision rule
    reports = [AttenuationProfile(x.frame.src, x.frame.message.num_sounds,
                                  tuple(x.frame.message.aag[:x.frame.message.num_groups]), bytes(x.frame.message.resp_id))
               for x in {x.frame.src: x for x in reversed(s.atten_ind)}.values()]
    chosen = s.match_req[0].frame.dst if s.match_req else (s.match_cnf[0].frame.src if s.match_cnf else None)
    decision = decide(reports) if reports else None
    evse_macs = list(dict.fromkeys([*(x.frame.src for x in s.parm_cnf), *(x.frame.src for x in s.atten_ind)]))
    evse_mac = chosen or (evse_macs[0] if evse_macs else None)

    steps = _steps(s, start, num_sounds)
    result, stopped = _result(s)
    violations = [i for i in c.items if not i["ok"] and i["severity"] == "violation"]
    left = None
    order = [st.value for st in Step]
    if violations:
        v = min(violations, key=lambda i: (order.index(i["step"]), i["frame"]))
        left = {"step": v["step"], "frame": v["frame"], "reason": f"{v['what']}: {v.get('measured_s', v.get('measured'))}"
                f" {'s ' if 'measured_s' in v else ''}vs {v['check']} {v['relation']} {v.get('limit_s', v.get('limit'))}"}
    elif result != MATCHED:
        left = {"step": result, "frame": s.all_frames()[-1].index, "reason": stopped}
    for k in s.set_key + s.new_key:
        km = k.frame.message
        if km.new_key is not None and not nid_matches_nmk(bytes(km.nid), bytes(km.new_key)):
            c.items.append({"step": Step.SET_KEY.value if k in s.set_key else Step.NEW_KEY.value,
                            "check": "NID from NMK", "measured": bytes(km.nid).hex(), "limit": "NID(NMK)",
                            "relation": "==", "ok": False, "severity": "note", "frame": k.index,
                            "what": "CM_SET_KEY.REQ NID does not derive from its NMK", "source": "HomePlug AV 1.1 13.5"})
    nid_ok = None
    if s.match_cnf:
        mc = s.match_cnf[0].frame.message
        nid_ok = nid_matches_nmk(bytes(mc.nid), bytes(mc.nmk))
    out: dict[str, Any] = {
        "run_id": s.run_id.hex(), "attempt": s.attempt, "ev_mac": format_mac(s.ev_mac) if s.ev_mac else None,
        "evse_mac": format_mac(evse_mac) if evse_mac else None, "evse_candidates": [format_mac(m) for m in evse_macs],
        "result": result, "stopped": stopped or None, "start_s": round(start - t0, 6),
        "first_frame": s.all_frames()[0].index, "last_frame": s.all_frames()[-1].index, "copies_skipped": s.copies,
        "exchange_s": round(s.match_cnf[0].t - s.parm_req[0].t, 4) if s.match_cnf and s.parm_req else None,
        "retries": {"CM_SLAC_PARM.REQ": max(0, len(s.parm_req) - 1),
                    "CM_ATTEN_CHAR.IND": max(0, len(s.atten_ind) - len({x.frame.src for x in s.atten_ind})),
                    "CM_SLAC_MATCH.REQ": max(0, len(s.match_req) - 1)},
        "sounds": {"sent": len(s.sounds), "expected": num_sounds, "profiles_heard": len(s.profiles),
                   "vendor_profiles_heard": len(s.vendor_profiles),
                   "reported": s.atten_ind[0].frame.message.num_sounds if s.atten_ind else None},
        "attenuation": [{"evse_mac": format_mac(r.evse_mac), "num_sounds": r.num_sounds, "groups": len(r.groups_db),
                         "average_db": round(r.average_db, 2), "groups_db": list(r.groups_db)} for r in reports],
        "profile_check": _profile_check(s),
        "decision": None if decision is None else {
            "lowest_average": format_mac(decision.ranked[0].evse_mac) if decision.ranked else None,
            "ev_chose": format_mac(chosen) if chosen else None,
            "same_as_lowest": (chosen == decision.ranked[0].evse_mac) if chosen and decision.ranked else None,
            "accepted_by_default_policy": decision.chosen is not None, "reason": decision.reason},
        "nid_derives_from_nmk": nid_ok,
        "steps": steps, "checks": c.items, "violations": violations, "left_path": left,
        "timers": {name: timers.setting(name).value for name in sorted({i["check"] for i in c.items})
                   if name in timers.names()},
    }
    return out


def _steps(s: RecordedSession, start: float, num_sounds: int) -> list[dict[str, Any]]:
    def entry(step: Step, frames: list[Seen], detail: str) -> dict[str, Any]:
        return {"step": step.value, "t_s": round(frames[0].t - start, 4), "end_s": round(frames[-1].t - start, 4),
                "frames": [x.index for x in frames], "count": len(frames), "detail": detail}

    out = []
    for k in s.set_key:
        who = "EV" if k.frame.src == s.ev_mac else "EVSE"
        out.append(entry(Step.SET_KEY, [k], f"{who} host {format_mac(k.frame.src)} sets NID "
                         f"{bytes(k.frame.message.nid).hex()} on its modem"))
    parm = sorted(s.parm_req + s.parm_cnf, key=lambda x: x.index)
    if parm:
        out.append(entry(Step.SLAC_PARM, parm, f"{len(s.parm_req)} REQ, {len(s.parm_cnf)} CNF"
                         + ("" if s.parm_req else " (requests not captured)")))
    if s.starts:
        out.append(entry(Step.START_ATTEN_CHAR, s.starts, f"{len(s.starts)} IND"))
    if s.sounds:
        cnts = [x.frame.message.cnt for x in s.sounds]
        out.append(entry(Step.MNBC_SOUND, s.sounds, f"{len(s.sounds)} of {num_sounds}, CNT {cnts[0]}..{cnts[-1]}"))
    heard = s.profiles or s.vendor_profiles
    if heard:
        kind = "CM_ATTEN_PROFILE.IND" if s.profiles else "VS_ATTENUATION_CHARACTERISTICS.IND"
        out.append(entry(Step.ATTEN_PROFILE, heard, f"{len(heard)} {kind}"))
    ac = sorted(s.atten_ind + s.atten_rsp, key=lambda x: x.index)
    if ac:
        out.append(entry(Step.ATTEN_CHAR, ac, f"{len(s.atten_ind)} IND, {len(s.atten_rsp)} RSP"))
    if s.validate:
        out.append(entry(Step.VALIDATE, s.validate, f"{len(s.validate)} frame(s)"))
    ma = sorted(s.match_req + s.match_cnf, key=lambda x: x.index)
    if ma:
        out.append(entry(Step.SLAC_MATCH, ma, f"{len(s.match_req)} REQ, {len(s.match_cnf)} CNF"
                         + ("" if s.match_req else " (request not captured)")))
    if s.new_key:
        out.append(entry(Step.NEW_KEY, s.new_key, "EV host sets the EVSE's NMK on its modem"))
    return out


def _result(s: RecordedSession) -> tuple[str, str]:
    """("matched", "") or (the step where the session stopped, why)."""
    if s.match_cnf:
        return MATCHED, ""
    if s.match_req:
        return Step.SLAC_MATCH.value, f"{len(s.match_req)} CM_SLAC_MATCH.REQ without CM_SLAC_MATCH.CNF"
    if s.atten_ind:
        return Step.SLAC_MATCH.value, "CM_ATTEN_CHAR.IND received, the EV sent no CM_SLAC_MATCH.REQ"
    if s.sounds or s.starts:
        return Step.ATTEN_CHAR.value, "sounding without CM_ATTEN_CHAR.IND"
    if s.parm_cnf:
        return Step.START_ATTEN_CHAR.value, "CM_SLAC_PARM.CNF without CM_START_ATTEN_CHAR.IND"
    return Step.SLAC_PARM.value, f"{len(s.parm_req)} CM_SLAC_PARM.REQ without CM_SLAC_PARM.CNF"


# -------------------------------------------------------------------------------------- entry points


def analyse_capture(path: str | os.PathLike[str], timers: SlacTimers = DEFAULT_TIMERS) -> list[dict[str, Any]]:
    """Every SLAC session of a pcap/pcapng file, assessed (times relative to the first packet)."""
    sessions, error = analyse_capture_partial(path, timers)
    if error is not None:
        raise error
    return sessions


def analyse_capture_partial(path: str | os.PathLike[str], timers: SlacTimers = DEFAULT_TIMERS
                            ) -> tuple[list[dict[str, Any]], Exception | None]:
    """Like :func:`analyse_capture`, but a file cut or damaged part-way still gives the sessions before
    the damage, with the error beside them."""
    from plcstack.pcapio import CaptureFormatError

    records = []
    error: Exception | None = None
    try:
        for r in CaptureDecoder(path):  # a path, "-" (standard input) or a binary stream
            records.append(r)
    except (CaptureFormatError, OSError, ValueError) as exc:
        error = exc
    t0 = (records[0].time_ns - records[0].rel_ns) / 1e9 if records else 0.0  # the first packet, as decode's -t r
    return [assess(s, timers, t0) for s in group_sessions(records)], error


def format_sessions(sessions: list[dict[str, Any]], path: str) -> str:
    if not sessions:
        return f"{path}: no SLAC session (no frame with a RunID)"
    path = "<stdin>" if path == "-" else path
    lines = [f"{path}: {len(sessions)} SLAC session(s)"]
    for s in sessions:
        head = (f"\nRunID {s['run_id']}" + (f" (attempt {s['attempt']})" if s["attempt"] > 1 else "")
                + f" at {s['start_s']:.3f} s, frames {s['first_frame']}-{s['last_frame']}: EV {s['ev_mac']}, "
                f"EVSE {s['evse_mac'] or 'not seen'}: "
                f"{s['result'].upper() if s['result'] == MATCHED else 'stopped at ' + s['result']}")
        if s["exchange_s"] is not None:
            head += f" (CM_SLAC_PARM.REQ -> CM_SLAC_MATCH.CNF {s['exchange_s']:.3f} s)"
        lines.append(head)
        for st in s["steps"]:
            lines.append(f"  {st['t_s']:8.3f}  {st['step']:<22} {st['detail']}  [frames {st['frames'][0]}"
                         + (f"-{st['frames'][-1]}" if len(st["frames"]) > 1 else "") + "]")
        snd = s["sounds"]
        lines.append(f"  sounds: {snd['sent']} sent of {snd['expected']}, {snd['profiles_heard']} profiles heard"
                     + (f", {snd['vendor_profiles_heard']} QCA vendor profiles" if snd["vendor_profiles_heard"] else "")
                     + (f", {snd['reported']} reported in CM_ATTEN_CHAR.IND" if snd["reported"] is not None else ""))
        for a in s["attenuation"]:
            lines.append(f"  attenuation from {a['evse_mac']}: average {a['average_db']:.1f} dB over {a['groups']} "
                         f"groups ({a['num_sounds']} sounds)")
        if s["copies_skipped"]:
            lines.append(f"  {s['copies_skipped']} copies of frames skipped (the capture saw them on more than one "
                         "interface: tcpdump -i any, a pcapng of several links such as plcstack emulate --pcap)")
        retries = {k: v for k, v in s["retries"].items() if v}
        if retries:
            lines.append("  retries: " + ", ".join(f"{k} x{v}" for k, v in retries.items()))
        for v in s["violations"]:
            meas = f"{v['measured_s']:.4f} s" if "measured_s" in v else str(v["measured"])
            lim = f"{v['limit_s']:g} s" if "limit_s" in v else str(v["limit"])
            lines.append(f"  VIOLATION {v['check']}: {v['what']}: {meas} (must be {v['relation']} {lim}; "
                         f"{v['source']}) [frame {v['frame']}]")
        notes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for i in s["checks"]:
            if not i["ok"] and i["severity"] == "note":
                notes.setdefault((i["check"], i["what"]), []).append(i)
        for (check, what), items in notes.items():
            if "measured_s" not in items[0]:
                lines.append(f"  note {check}: {what} ({items[0]['measured']}) [frame {items[0]['frame']}]")
                continue
            worst = max(items, key=lambda i: abs(i["measured_s"] - i["limit_s"]))
            times = f" x{len(items)}, worst" if len(items) > 1 else ""
            lines.append(f"  note {check}: {what}{times}: {worst['measured_s']:.4f} s (limit {worst['limit_s']:g} s) "
                         f"[frame {worst['frame']}]")
        if s["left_path"]:
            lines.append(f"  left the standard's path at {s['left_path']['step']} (frame {s['left_path']['frame']}): "
                         f"{s['left_path']['reason']}")
    return "\n".join(lines)
