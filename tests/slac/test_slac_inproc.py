"""Our EVSE and our PEV on the in-process emulated power line (two QCA7000-like modems)."""

from __future__ import annotations

from slac_helpers import EVSE_MODEM, PEV_MODEM, bench_pair, two_modem_line

from plcstack.emu.link import ConstantLinkModel, LinkQuality, default_attenuation
from plcstack.slac import DecisionPolicy, Step
from plcstack.slac import events as ev
from plcstack.slac.evse import EvseState
from plcstack.slac.pev import PevState


def steps(trace: list) -> list[Step]:
    return [e.step for e in trace if isinstance(e, ev.StepDone)]


def test_evse_and_pev_match_and_both_modems_end_in_one_avln() -> None:
    bench, evse, pev = bench_pair()
    t_end = bench.run(until=20.0)
    assert evse.state is EvseState.MATCHED and pev.state is PevState.MATCHED
    assert steps(bench.trace(pev)) == [Step.SET_KEY, Step.SLAC_PARM, Step.START_ATTEN_CHAR, Step.MNBC_SOUND,
                                       Step.ATTEN_CHAR, Step.SLAC_MATCH, Step.NEW_KEY, Step.JOIN]
    assert evse.result is not None and pev.result is not None
    assert evse.result.nmk == pev.result.nmk and pev.result.evse_mac == evse.mac
    a, b = bench.pl[EVSE_MODEM], bench.pl[PEV_MODEM]
    assert a.nid == b.nid == evse.nid
    assert [p.mac for p in a.members()] == [PEV_MODEM] and [p.mac for p in b.members()] == [EVSE_MODEM]
    parm = next(e.t for e in bench.trace(pev) if isinstance(e, ev.StepDone) and e.step is Step.SLAC_PARM)
    assert pev.result.t - parm < 0.5  # PARM.CNF -> MATCH.CNF: 3 + 10 messages 20 ms apart
    key = next(e for e in bench.trace(pev) if isinstance(e, ev.StepDone) and e.step is Step.SET_KEY)
    assert "answered again after 2.0" in key.detail  # the emulated QCA7000 restarts for 2 s after a key change
    assert t_end < 7.0
    (reported,) = [e for e in bench.trace(pev) if isinstance(e, ev.AttenuationReported)]
    assert reported.profile.num_sounds == 10 and abs(reported.profile.average_db - 21) < 1


def test_attenuation_above_the_threshold_fails_every_process() -> None:
    bench, evse, pev = bench_pair(two_modem_line(attenuation_db=45.0))
    bench.run(until=30.0, stop=lambda: pev.done)
    fails = [e for e in bench.trace(pev) if isinstance(e, ev.Failed)]
    assert pev.state is PevState.UNMATCHED and len(fails) == 3 and all(f.step is Step.ATTEN_CHAR for f in fails)


def test_unreachable_evse_means_parm_retries_then_repetition() -> None:
    pl = two_modem_line()
    link = pl.link
    assert isinstance(link, ConstantLinkModel)
    link.set_pair(EVSE_MODEM, PEV_MODEM, LinkQuality(1, 1, default_attenuation(), False))
    bench, evse, pev = bench_pair(pl)
    bench.run(until=30.0, stop=lambda: pev.done)
    retries = [e for e in bench.trace(pev) if isinstance(e, ev.Retry) and e.step is Step.SLAC_PARM]
    assert len(retries) == 3 * 2 and pev.state is PevState.UNMATCHED


def test_validation_counts_the_toggles_on_the_plugged_in_cable() -> None:
    bench, evse, pev = bench_pair(pev_kw={"validate": True})
    bench.plug(pev, evse)
    bench.run(until=20.0)
    assert pev.state is PevState.MATCHED
    (toggle,) = [e for e in bench.trace(pev) if isinstance(e, ev.ToggleRequest)]
    done = [e for e in bench.trace(pev) if isinstance(e, ev.StepDone) and e.step is Step.VALIDATE]
    assert done and f"{toggle.count} toggle(s) counted" in done[0].detail


def test_validation_fails_without_a_control_pilot_connection() -> None:
    bench, evse, pev = bench_pair(pev_kw={"validate": True, "policy": DecisionPolicy()})
    bench.run(until=30.0, stop=lambda: pev.done)
    assert pev.state is PevState.UNMATCHED
    assert any(isinstance(e, ev.Failed) and e.step is Step.VALIDATE for e in bench.trace(pev))


def test_amplitude_map_after_the_join() -> None:
    bench, evse, pev = bench_pair(evse_kw={"amp_map": bytes([0x11] * 8)})
    bench.run(until=20.0)
    assert evse.state is EvseState.MATCHED
    (e_amp,) = [e for e in bench.trace(evse) if isinstance(e, ev.AmpMapExchanged)]
    (p_amp,) = [e for e in bench.trace(pev) if isinstance(e, ev.AmpMapExchanged)]
    assert e_amp.result == 0 and p_amp.amdata == bytes([0x11] * 8)
