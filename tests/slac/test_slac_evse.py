"""The EVSE machine against scripted EVs: answers, sounding window, retries, several EVs at once."""

from __future__ import annotations

import random

import pytest
from slac_helpers import EVSE_HOST, EVSE_MODEM, PEV_HOST, evse_waiting, names, sent, set_key_cnf

from plcstack.codec import encode, messages
from plcstack.keys.derive import nid_from_nmk
from plcstack.slac import DEFAULT_TIMERS, EvseConfig, EvseMachine, Step
from plcstack.slac import events as ev
from plcstack.slac.evse import EvseState, SessionState

RUN = bytes.fromhex("0250455600010001")
EV2 = bytes.fromhex("02000000E7BB")


def parm_req(src: bytes = PEV_HOST, run_id: bytes = RUN) -> bytes:
    return encode(b"\xff" * 6, src, messages.CM_SLAC_PARM_REQ(run_id=run_id))


def start_atten(src: bytes = PEV_HOST, run_id: bytes = RUN) -> bytes:
    return encode(b"\xff" * 6, src, messages.CM_START_ATTEN_CHAR_IND(
        num_sounds=10, time_out=6, resp_type=1, forwarding_sta=src, run_id=run_id))


def sound(cnt: int, src: bytes = PEV_HOST, run_id: bytes = RUN) -> bytes:
    return encode(b"\xff" * 6, src, messages.CM_MNBC_SOUND_IND(cnt=cnt, run_id=run_id))


def profile(level: int, pev: bytes = PEV_HOST) -> bytes:
    return encode(EVSE_HOST, EVSE_MODEM, messages.CM_ATTEN_PROFILE_IND(pev_mac=pev, num_groups=58, rsvd=0,
                                                                     aag=bytes([level]) * 58))


def atten_rsp(src: bytes = PEV_HOST, run_id: bytes = RUN) -> bytes:
    return encode(EVSE_HOST, src, messages.CM_ATTEN_CHAR_RSP(source_address=src, run_id=run_id, result=0))


def match_req(src: bytes = PEV_HOST, run_id: bytes = RUN) -> bytes:
    return encode(EVSE_HOST, src, messages.CM_SLAC_MATCH_REQ(
        mvf_length=0x3E, pev_mac=src, evse_mac=EVSE_HOST, run_id=run_id))


def fire(evse: EvseMachine, t: float) -> list:
    out = []
    while (d := evse.next_deadline()) is not None and d <= t:
        evse.handle_timeout(d)
        out += [(d, f) for f in sent(evse)]
    return out


def sounded(evse: EvseMachine, levels: list[int], src: bytes = PEV_HOST, run_id: bytes = RUN) -> list:
    evse.receive(parm_req(src, run_id), 0.1)
    evse.receive(start_atten(src, run_id), 0.12)
    for i, level in enumerate(levels):
        evse.receive(sound(9 - i, src, run_id), 0.2 + 0.02 * i)
        evse.receive(profile(level, src), 0.2 + 0.02 * i)
    return sent(evse)


def test_session_key_is_fresh_and_random_per_session() -> None:
    keys = []
    for seed in (1, 2):
        evse = EvseMachine(EvseConfig(mac=EVSE_HOST), rng=random.Random(seed))
        evse.start(0.0)
        (req,) = sent(evse)
        assert req.message.nid == nid_from_nmk(req.message.new_key) == evse.nid
        keys.append(req.message.new_key)
    assert keys[0] != keys[1]
    fixed = EvseMachine(EvseConfig(mac=EVSE_HOST, nmk=bytes(range(16))), rng=random.Random(1))
    fixed.start(0.0)
    assert sent(fixed)[0].message.new_key == bytes(range(16))


def test_parm_cnf_fields() -> None:
    evse = evse_waiting()
    evse.receive(parm_req(), 0.1)
    (cnf,) = sent(evse)
    m = cnf.message
    assert cnf.name == "CM_SLAC_PARM.CNF" and cnf.dst == PEV_HOST
    assert (m.msound_target, m.num_sounds, m.time_out, m.resp_type, m.forwarding_sta, m.run_id) == (
        b"\xff" * 6, 10, 6, 1, PEV_HOST, RUN)


def test_atten_char_averages_the_profiles_and_is_sent_when_all_sounds_are_in() -> None:
    evse = evse_waiting()
    frames = sounded(evse, [20, 21, 22, 20, 21, 22, 20, 21, 22, 23])
    (ind,) = [f for f in frames if f.name == "CM_ATTEN_CHAR.IND"]
    m = ind.message
    assert ind.dst == PEV_HOST and m.source_address == PEV_HOST and m.run_id == RUN
    assert m.num_sounds == 10 and m.num_groups == 58 and set(m.aag) == {212 // 10}  # 212 dB summed over 10 sounds
    assert evse.sessions[(PEV_HOST, RUN)].state is SessionState.WAIT_RSP


def test_sounding_window_closes_with_the_sounds_heard() -> None:
    evse = evse_waiting()
    sounded(evse, [30, 30, 30])
    frames = fire(evse, 1.0)
    (t, ind), *_ = [(t, f) for t, f in frames if f.name == "CM_ATTEN_CHAR.IND"]
    assert t == pytest.approx(0.12 + DEFAULT_TIMERS.TT_EVSE_match_MNBC) and ind.message.num_sounds == 3


def test_atten_char_ind_is_repeated_then_the_session_fails() -> None:
    evse = evse_waiting()
    sounded(evse, [20] * 10)  # IND sent at 0.38
    frames = fire(evse, 1.2)
    assert [(round(t, 2), f.name) for t, f in frames] == [(0.58, "CM_ATTEN_CHAR.IND"), (0.78, "CM_ATTEN_CHAR.IND")]
    (failed,) = [e for e in evse.events() if isinstance(e, ev.Failed)]
    assert failed.step is Step.ATTEN_CHAR and not failed.final and failed.t == pytest.approx(0.98)
    assert evse.state is EvseState.WAIT_PARM  # ready for the EV's next process


def test_match_after_rsp_and_a_repeated_match_request_is_answered_again() -> None:
    evse = evse_waiting()
    sounded(evse, [20] * 10)
    evse.receive(atten_rsp(), 0.4)
    evse.receive(match_req(), 0.5)
    (cnf,) = sent(evse)[:1]
    m = cnf.message
    assert cnf.name == "CM_SLAC_MATCH.CNF" and m.nmk == evse.nmk and m.nid == evse.nid and m.mvf_length == 0x56
    assert m.evse_mac == EVSE_HOST and m.pev_mac == PEV_HOST and evse.state is EvseState.JOINING
    evse.receive(match_req(), 0.7)  # the EV did not get our CNF
    assert names(sent(evse)) == ["CM_SLAC_MATCH.CNF"]


def test_start_atten_char_must_follow_within_tt_match_sequence() -> None:
    evse = evse_waiting()
    evse.receive(parm_req(), 0.1)
    sent(evse)
    fire(evse, 1.0)
    (failed,) = [e for e in evse.events() if isinstance(e, ev.Failed)]
    assert failed.step is Step.START_ATTEN_CHAR and failed.t == pytest.approx(0.1 + DEFAULT_TIMERS.TT_match_sequence)


def test_no_parm_request_gives_control_pilot_retries_then_unmatched() -> None:
    timers = DEFAULT_TIMERS.with_values(TT_EVSE_SLAC_init=2.0)
    evse = evse_waiting(timers)
    fire(evse, 100.0)
    evs = evse.events()
    retries = [e for e in evs if isinstance(e, ev.ControlPilotRetry)]
    assert [r.t for r in retries] == [2.0, 2.0 + 4.0 + 2.0] and retries[0].t_step_ef_s == 4.0
    (failed,) = [e for e in evs if isinstance(e, ev.Failed)]
    assert failed.final and failed.step is Step.SLAC_PARM and evse.state is EvseState.UNMATCHED


def test_two_evs_at_once_and_the_first_match_takes_the_charger() -> None:
    evse = evse_waiting()
    sounded(evse, [20] * 10)
    sounded(evse, [35] * 10, src=EV2, run_id=b"\x02" * 8)
    assert len(evse.sessions) == 2
    evse.receive(atten_rsp(EV2, b"\x02" * 8), 0.5)
    evse.receive(match_req(EV2, b"\x02" * 8), 0.6)  # the neighbour's EV asks first (crosstalk)
    assert names(sent(evse)) == ["CM_SLAC_MATCH.CNF", "VS_NW_INFO.REQ"]  # then it polls its modem for the join
    evse.receive(atten_rsp(), 0.61)
    evse.receive(match_req(), 0.62)
    assert sent(evse) == []
    assert evse.result is not None and evse.result.ev_mac == EV2


def test_local_modem_refusing_to_answer_set_key() -> None:
    evse = EvseMachine(EvseConfig(mac=EVSE_HOST), rng=random.Random(3))
    evse.start(0.0)
    sent(evse)
    frames = fire(evse, 5.0)
    assert names([f for _, f in frames]) == ["CM_SET_KEY.REQ"] * DEFAULT_TIMERS.C_set_key_retry
    (failed,) = [e for e in evse.events() if isinstance(e, ev.Failed)]
    assert failed.step is Step.SET_KEY and failed.final
    late = EvseMachine(EvseConfig(mac=EVSE_HOST), rng=random.Random(3))
    late.start(0.0)
    late.receive(set_key_cnf(EVSE_HOST, result=0), 0.3)  # HomePlug AV spec polarity is accepted too
    assert late.state is EvseState.MODEM_READY and names(sent(late)) == ["CM_SET_KEY.REQ", "VS_SW_VER.REQ"]


def test_qualcomm_vendor_profiles_when_the_firmware_sends_no_cm_atten_profile() -> None:
    evse = evse_waiting()
    evse.receive(parm_req(), 0.1)
    evse.receive(start_atten(), 0.12)
    for i in range(10):
        evse.receive(sound(9 - i), 0.2 + 0.02 * i)
        evse.receive(encode(EVSE_HOST, EVSE_MODEM, messages.VS_ATTENUATION_CHARACTERISTICS_IND(
            pev_mac=PEV_HOST, num_groups=58, carriers_per_group=16, aag=bytes([17]) * 58)), 0.2 + 0.02 * i)
    (ind,) = [f for f in sent(evse) if f.name == "CM_ATTEN_CHAR.IND"]
    assert ind.message.num_sounds == 10 and set(ind.message.aag) == {17}


def test_sounds_with_another_run_id_do_not_count_even_though_the_modem_reports_them() -> None:
    """The modem sends a CM_ATTEN_PROFILE.IND for every sound of the EV's MAC; only the sounds with the
    session's RunID may count (a profile may still arrive just before its sound)."""
    evse = evse_waiting()
    evse.receive(parm_req(), 0.1)
    evse.receive(start_atten(), 0.12)
    sent(evse)
    for i in range(10):  # every other sound carries a stale RunID
        t = 0.2 + 0.02 * i
        if i % 2:
            evse.receive(profile(20), t)  # profile before its sound
            evse.receive(sound(9 - i), t)
        else:
            evse.receive(sound(9 - i, run_id=b"\x99" * 8), t)
            evse.receive(profile(40), t)
    assert sent(evse) == []  # 5 of 10 sounds: the window decides
    (ind,) = [f for _, f in fire(evse, 0.75)]
    assert ind.name == "CM_ATTEN_CHAR.IND" and ind.message.num_sounds == 5
    ignored = [e for e in evse.events() if isinstance(e, ev.Ignored) and "RunID" in e.reason]
    assert len(ignored) == 5
    only_stale = evse_waiting()
    only_stale.receive(parm_req(), 0.1)
    only_stale.receive(start_atten(), 0.12)
    for i in range(10):
        only_stale.receive(sound(9 - i, run_id=b"\x99" * 8), 0.2 + 0.02 * i)
        only_stale.receive(profile(20), 0.2 + 0.02 * i)
    assert [f.name for f in sent(only_stale)] == ["CM_SLAC_PARM.CNF"]
    assert fire(only_stale, 1.0) == []
    failed = [e for e in only_stale.events() if isinstance(e, ev.Failed)]
    assert failed and failed[0].step is Step.ATTEN_PROFILE
