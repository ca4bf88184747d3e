"""The PEV machine against a scripted EVSE: the sequence, retries, the decision and repetition."""

from __future__ import annotations

import random

import pytest
from slac_helpers import (
    EVSE_HOST,
    OTHER_EVSE,
    PEV_HOST,
    atten_char_ind,
    match_cnf,
    names,
    parm_cnf,
    pev_after_key,
    sent,
    set_key_cnf,
    sw_ver_cnf,
)

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC
from plcstack.keys.derive import nid_from_nmk
from plcstack.slac import DEFAULT_TIMERS, DecisionPolicy, PevConfig, PevMachine, Step
from plcstack.slac import events as ev
from plcstack.slac.pev import PevState


def run_until(pev: PevMachine, t: float) -> list:
    """Fire the PEV's timers up to ``t``; return (time, frame) of everything it sent."""
    out = []
    while (d := pev.next_deadline()) is not None and d <= t:
        pev.handle_timeout(d)
        out += [(d, f) for f in sent(pev)]
    return out


def test_first_frames_leave_the_old_network_then_ask_for_parameters() -> None:
    pev = PevMachine(PevConfig(mac=PEV_HOST), rng=random.Random(1))
    pev.start(0.0)
    (key,) = sent(pev)
    assert key.dst == LOCAL_MAC and key.name == "CM_SET_KEY.REQ" and key.message.key_type == 1
    assert key.message.nid == nid_from_nmk(key.message.new_key)  # a private random NMK with its own NID
    pev.receive(set_key_cnf(PEV_HOST), 0.01)
    (poll,) = sent(pev)
    assert poll.name == "VS_SW_VER.REQ" and pev.state is PevState.MODEM_READY  # the modem restarts after a key
    frames = run_until(pev, 0.6)
    assert [round(t, 2) for t, f in frames] == [0.26, 0.51] and all(f.name == "VS_SW_VER.REQ" for _, f in frames)
    pev.receive(sw_ver_cnf(PEV_HOST), 0.7)
    (parm,) = sent(pev)
    assert parm.name == "CM_SLAC_PARM.REQ" and parm.dst == BROADCAST_MAC and parm.mmv == 1
    assert len(parm.message.run_id) == 8 and pev.state is PevState.PARM
    (done,) = [e for e in pev.events() if isinstance(e, ev.StepDone)]
    assert done.step is Step.SET_KEY and "answered again after 0.69 s" in done.detail


def test_a_modem_that_never_answers_vs_sw_ver_costs_t_modem_ready_max_once() -> None:
    pev = PevMachine(PevConfig(mac=PEV_HOST), rng=random.Random(1))
    pev.start(0.0)
    sent(pev)
    pev.receive(set_key_cnf(PEV_HOST), 0.0)
    frames = run_until(pev, DEFAULT_TIMERS.T_modem_ready_max + 0.01)
    assert frames[-1][1].name == "CM_SLAC_PARM.REQ" and frames[-1][0] == pytest.approx(DEFAULT_TIMERS.T_modem_ready_max)
    assert "did not answer VS_SW_VER" in [e for e in pev.events() if isinstance(e, ev.StepDone)][0].detail


def test_parm_request_is_repeated_c_ev_match_retry_times_then_the_process_fails() -> None:
    pev = pev_after_key()
    (first,) = sent(pev)
    frames = run_until(pev, 0.65)
    assert [(round(t, 3), f.name) for t, f in frames] == [(0.2, "CM_SLAC_PARM.REQ"), (0.4, "CM_SLAC_PARM.REQ")]
    assert all(f.message.run_id == first.message.run_id for _, f in frames)
    evs = pev.events()
    assert [e.attempt for e in evs if isinstance(e, ev.Retry)] == [2, 3]
    (failed,) = [e for e in evs if isinstance(e, ev.Failed)]
    assert failed.step is Step.SLAC_PARM and failed.timer == "TT_match_response" and not failed.final
    assert failed.t == pytest.approx(0.6)  # 1 + C_EV_match_retry transmissions, TT_match_response apart
    # a new process with a new RunID after TT_matching_rate
    frames = run_until(pev, 1.0)
    assert frames[0][0] == pytest.approx(0.6 + DEFAULT_TIMERS.TT_matching_rate)
    assert frames[0][1].message.run_id != first.message.run_id


def test_repetition_stops_after_c_conn_max_match_processes() -> None:
    pev = pev_after_key()
    sent(pev)
    run_until(pev, 30.0)
    fails = [e for e in pev.events() if isinstance(e, ev.Failed)]
    assert len(fails) == DEFAULT_TIMERS.C_conn_max_match and fails[-1].final and pev.state is PevState.UNMATCHED
    assert [f.final for f in fails] == [False, False, True]


def test_repetition_window_limits_processes() -> None:
    timers = DEFAULT_TIMERS.with_values(C_conn_max_match=100, TT_matching_repetition=3.0)
    pev = pev_after_key(timers)
    sent(pev)
    run_until(pev, 30.0)
    fails = [e for e in pev.events() if isinstance(e, ev.Failed)]
    assert fails[-1].final and fails[-1].t <= 3.0 + 0.6 and len(fails) == 3  # 0.6, 1.6, 2.6 (next would be 3.6)


def sound_and_report(pev: PevMachine, run_id: bytes, reports: dict[bytes, int]) -> list:
    for i, mac in enumerate(reports):
        pev.receive(parm_cnf(mac, PEV_HOST, run_id), 0.01 + 0.001 * i)
    frames = [(0.01, f) for f in sent(pev)]
    frames += run_until(pev, 0.3)
    for mac, level in reports.items():
        pev.receive(atten_char_ind(mac, PEV_HOST, run_id, level), 0.31)
    frames += [(0.31, f) for f in sent(pev)]
    return frames


def test_sounding_sequence_and_match_with_the_lowest_attenuation() -> None:
    pev = pev_after_key()
    (parm,) = sent(pev)
    run_id = parm.message.run_id
    frames = sound_and_report(pev, run_id, {EVSE_HOST: 30, OTHER_EVSE: 12})
    kinds = [f.name for _, f in frames]
    assert kinds[:13] == ["CM_START_ATTEN_CHAR.IND"] * 3 + ["CM_MNBC_SOUND.IND"] * 10
    times = [t for t, f in frames[:13]]
    assert all(b - a == pytest.approx(DEFAULT_TIMERS.TP_EV_batch_msg_interval) for a, b in zip(times, times[1:], strict=False))
    assert [f.message.cnt for _, f in frames[3:13]] == list(range(9, -1, -1))
    rsp = [f for _, f in frames if f.name == "CM_ATTEN_CHAR.RSP"]
    assert {f.dst for f in rsp} == {EVSE_HOST, OTHER_EVSE}
    (match,) = [f for _, f in frames if f.name == "CM_SLAC_MATCH.REQ"]  # both reported: decided at once
    assert match.dst == OTHER_EVSE and match.message.evse_mac == OTHER_EVSE and match.message.mvf_length == 0x3E
    nmk = bytes(range(16))
    pev.receive(match_cnf(OTHER_EVSE, PEV_HOST, run_id, nmk, nid_from_nmk(nmk)), 0.32)
    (key,) = sent(pev)
    assert key.name == "CM_SET_KEY.REQ" and key.message.new_key == nmk and key.message.nid == nid_from_nmk(nmk)
    matched = [e for e in pev.events() if isinstance(e, ev.Matched)]
    assert matched and matched[0].evse_mac == OTHER_EVSE and pev.state is PevState.SETTING_NEW_KEY


def test_decision_waits_for_tt_ev_atten_results_when_an_evse_stays_silent() -> None:
    pev = pev_after_key()
    (parm,) = sent(pev)
    run_id = parm.message.run_id
    pev.receive(parm_cnf(OTHER_EVSE, PEV_HOST, run_id), 0.011)  # answered but never reports
    frames = sound_and_report(pev, run_id, {EVSE_HOST: 20})
    assert "CM_SLAC_MATCH.REQ" not in names([f for _, f in frames])
    later = run_until(pev, 1.3)
    (match,) = [f for _, f in later if f.name == "CM_SLAC_MATCH.REQ"]
    assert match.dst == EVSE_HOST
    decided = [e for e in pev.events() if isinstance(e, ev.Decided)]
    assert decided[0].t == pytest.approx(0.011 + DEFAULT_TIMERS.TT_EV_atten_results)


def test_threshold_failure_is_reported_at_the_atten_char_step() -> None:
    pev = pev_after_key(policy=DecisionPolicy(threshold_db=15))
    (parm,) = sent(pev)
    sound_and_report(pev, parm.message.run_id, {EVSE_HOST: 20})
    (failed,) = [e for e in pev.events() if isinstance(e, ev.Failed)]
    assert failed.step is Step.ATTEN_CHAR and "threshold" in failed.reason


def test_match_request_retries_then_fails() -> None:
    pev = pev_after_key()
    (parm,) = sent(pev)
    frames = sound_and_report(pev, parm.message.run_id, {EVSE_HOST: 20})
    t0 = next(t for t, f in frames if f.name == "CM_SLAC_MATCH.REQ")
    later = run_until(pev, t0 + 0.65)
    assert [f.name for _, f in later] == ["CM_SLAC_MATCH.REQ"] * 2
    (failed,) = [e for e in pev.events() if isinstance(e, ev.Failed)]
    assert failed.step is Step.SLAC_MATCH and failed.t == pytest.approx(t0 + 0.6) and failed.peer == EVSE_HOST


def test_repeated_atten_char_ind_is_answered_again_but_counted_once() -> None:
    pev = pev_after_key()
    (parm,) = sent(pev)
    run_id = parm.message.run_id
    pev.receive(parm_cnf(EVSE_HOST, PEV_HOST, run_id), 0.01)
    sent(pev)
    pev.receive(atten_char_ind(EVSE_HOST, PEV_HOST, run_id, 20), 0.05)
    pev.receive(atten_char_ind(EVSE_HOST, PEV_HOST, run_id, 20), 0.25)
    assert names(sent(pev)).count("CM_ATTEN_CHAR.RSP") == 2
    assert len([e for e in pev.events() if isinstance(e, ev.AttenuationReported)]) == 1


def test_frames_of_other_runs_and_hosts_are_ignored() -> None:
    pev = pev_after_key()
    sent(pev)
    pev.receive(parm_cnf(EVSE_HOST, PEV_HOST, b"\x99" * 8), 0.01)
    pev.receive(parm_cnf(EVSE_HOST, OTHER_EVSE, b"\x99" * 8), 0.01)  # unicast to another host: dropped silently
    pev.receive(b"\x00" * 10, 0.01)
    pev.receive(bytes(12) + b"\x88\xe1" + b"\x07\x00\x00" + bytes(50), 0.01)  # bad MMV
    assert sent(pev) == [] and pev.state is PevState.PARM
    ignored = [e for e in pev.events() if isinstance(e, ev.Ignored)]
    assert [i.reason for i in ignored][0] == "RunID of another process" and len(ignored) == 2
