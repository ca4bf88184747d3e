"""Our EVSE and PEV on the emulated line with the emulator's fault injection (docs/emulator.md).

Each fault gets the recovery ISO 15118-3 prescribes where one exists (a repeated request, a new
matching process) and the prescribed failure where it does not.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from slac_helpers import EVSE_HOST, PEV_HOST

from plcstack.emu.config import network_from_dict
from plcstack.slac import DEFAULT_TIMERS, EvseConfig, EvseMachine, PevConfig, PevMachine, Step
from plcstack.slac import events as ev
from plcstack.slac.inproc import SlacBench
from plcstack.slac.pev import PevState

MODEMS = [
    {"name": "evse-modem", "mac": "00:b0:52:00:e5:01", "chip": "QCA7000", "cco": "always"},
    {"name": "pev-modem", "mac": "00:b0:52:00:e7:01", "chip": "QCA7000", "cco": "never"},
]


def run(faults: list[dict[str, Any]], seed: int = 1, until: float = 40.0) -> tuple[SlacBench, EvseMachine, PevMachine]:
    net = network_from_dict({"network": {"seed": seed}, "link": {"attenuation_db": 21}, "modem": MODEMS,
                             "fault": faults})
    pl = net.powerline()
    rng = random.Random(seed)
    bench = SlacBench(pl)
    evse = EvseMachine(EvseConfig(mac=EVSE_HOST), rng=rng)
    pev = PevMachine(PevConfig(mac=PEV_HOST), rng=rng)
    bench.attach(evse, bytes.fromhex("00b05200e501"), start_at=0.0)
    bench.attach(pev, bytes.fromhex("00b05200e701"), start_at=0.3)
    bench.run(until=until, stop=lambda: pev.done and (evse.done or pev.state is PevState.UNMATCHED))
    return bench, evse, pev


def of(trace: list, kind: type) -> list:
    return [e for e in trace if isinstance(e, kind)]


def test_some_sounds_lost_the_evse_averages_what_it_heard() -> None:
    bench, evse, pev = run([{"modem": "pev-modem", "sound_loss": 0.5}])
    assert pev.state is PevState.MATCHED
    (rep,) = of(bench.trace(evse), ev.AttenuationReported)
    assert 0 < rep.profile.num_sounds < 10  # ATTEN_CHAR.IND NUM_SOUNDS says how many were heard
    done = [e for e in bench.trace(evse) if isinstance(e, ev.StepDone) and e.step is Step.MNBC_SOUND]
    started = next(e.t for e in bench.trace(evse) if isinstance(e, ev.StepDone) and e.step is Step.START_ATTEN_CHAR)
    assert done[0].t == pytest.approx(started + DEFAULT_TIMERS.TT_EVSE_match_MNBC)  # the window closed it


def test_every_sound_lost_no_profile_and_no_match() -> None:
    bench, evse, pev = run([{"modem": "pev-modem", "sound_loss": 1.0}])
    assert pev.state is PevState.UNMATCHED
    evse_fails = of(bench.trace(evse), ev.Failed)
    assert evse_fails and all(f.step is Step.ATTEN_PROFILE for f in evse_fails)
    pev_fails = of(bench.trace(pev), ev.Failed)
    assert [f.step for f in pev_fails] == [Step.ATTEN_CHAR] * DEFAULT_TIMERS.C_conn_max_match
    assert [f.timer for f in pev_fails] == ["TT_EV_atten_results"] * 3 and pev_fails[-1].final


def test_slow_ev_modem_after_set_key_costs_only_time() -> None:
    bench, evse, pev = run([{"modem": "pev-modem", "set_key_s": 6.0}])
    trace = bench.trace(pev)
    assert pev.state is PevState.MATCHED and not of(trace, ev.Failed) and not of(trace, ev.Retry)
    key = next(e for e in trace if isinstance(e, ev.StepDone) and e.step is Step.SET_KEY)
    assert key.t == pytest.approx(0.3 + 6.0, abs=DEFAULT_TIMERS.TT_modem_poll + 0.01)  # VS_SW_VER polls until back


def test_slow_evse_modem_after_set_key_costs_a_matching_process() -> None:
    bench, evse, pev = run([{"modem": "evse-modem", "set_key_s": 3.2}])
    trace = bench.trace(pev)
    assert pev.state is PevState.MATCHED
    parm_retries = [r for r in of(trace, ev.Retry) if r.step is Step.SLAC_PARM]
    assert len(parm_retries) >= DEFAULT_TIMERS.C_EV_match_retry  # 1 + 2 requests into a deaf charger modem
    fails = of(trace, ev.Failed)
    assert fails and fails[0].step is Step.SLAC_PARM and not fails[0].final
    starts = of(trace, ev.ProcessStarted)
    assert len(starts) >= 2 and starts[1].t == pytest.approx(fails[0].t + DEFAULT_TIMERS.TT_matching_rate)
    assert pev.joined is not None and pev.joined.t - pev.result.t < DEFAULT_TIMERS.TT_match_join  # type: ignore[union-attr]


def test_evse_modem_too_slow_for_the_repetition_budget_leaves_the_ev_unmatched() -> None:
    bench, evse, pev = run([{"modem": "evse-modem", "set_key_s": 8.0}])
    fails = of(bench.trace(pev), ev.Failed)
    assert pev.state is PevState.UNMATCHED and len(fails) == DEFAULT_TIMERS.C_conn_max_match
    assert all(f.step is Step.SLAC_PARM for f in fails) and fails[-1].final
    # three processes of 1 + C_EV_match_retry requests each, TT_matching_rate apart, after the EV's own modem is back
    first = of(bench.trace(pev), ev.ProcessStarted)[0].t
    assert fails[-1].t == pytest.approx(first + 3 * 0.6 + 2 * 0.4, abs=0.01)


def test_lost_match_cnf_is_recovered_by_repeating_the_request() -> None:
    bench, evse, pev = run([{"a": "evse-modem", "b": "pev-modem", "direction": "a->b",
                             "drop": ["CM_SLAC_MATCH.CNF"], "drop_count": 1}])
    assert pev.state is PevState.MATCHED
    (retry,) = [r for r in of(bench.trace(pev), ev.Retry) if r.step is Step.SLAC_MATCH]
    assert retry.attempt == 2 and retry.timer == "TT_match_response"
    repeated = [e for e in bench.trace(evse) if isinstance(e, ev.StepDone) and e.step is Step.SLAC_MATCH]
    assert len(repeated) == 2 and "repeated" in repeated[1].detail


def test_every_match_cnf_lost_three_requests_per_process_then_unmatched() -> None:
    bench, evse, pev = run([{"a": "evse-modem", "b": "pev-modem", "direction": "a->b",
                             "drop": ["CM_SLAC_MATCH.CNF"]}])
    assert pev.state is PevState.UNMATCHED
    fails = of(bench.trace(pev), ev.Failed)
    assert [f.step for f in fails] == [Step.SLAC_MATCH] * 3
    match_retries = [r for r in of(bench.trace(pev), ev.Retry) if r.step is Step.SLAC_MATCH]
    assert len(match_retries) == 3 * DEFAULT_TIMERS.C_EV_match_retry


def test_lost_atten_char_rsp_makes_the_evse_repeat_its_indication() -> None:
    bench, evse, pev = run([{"a": "pev-modem", "b": "evse-modem", "direction": "a->b",
                             "drop": ["CM_ATTEN_CHAR.RSP"], "drop_count": 1}])
    assert pev.state is PevState.MATCHED
    (retry,) = [r for r in of(bench.trace(evse), ev.Retry) if r.step is Step.ATTEN_CHAR]
    assert retry.attempt == 2


def test_twenty_percent_loss_everywhere_still_matches_with_retries() -> None:
    bench, evse, pev = run([{"loss": 0.2}], seed=4)
    assert pev.state is PevState.MATCHED, [e for e in bench.trace(pev) if isinstance(e, ev.Failed)]
