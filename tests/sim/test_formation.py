"""AVLN formation in the simulator: every decision is the rule book's (plcstack.avln.rules)."""

from __future__ import annotations

import numpy as np
import pytest
from sim_sites import SITES

from plcstack.avln import rules
from plcstack.sim import flapcost
from plcstack.sim.engine import Engine, simulate
from plcstack.sim.site import load_site, site_from_dict


def small_site(caps: tuple[int, ...], macs: tuple[str, ...], passwords: tuple[str, ...] | None = None, **site):
    passwords = passwords or ("k",) * len(caps)
    return site_from_dict({
        "site": {"grid": "TN", **site},
        "cable": [{"name": "run", "type": "Cu-10mm2", "length_m": 60}],
        "charger": [{"name": f"N{i}", "cable": "run", "at_m": 10 + 15 * i, "phase": "L1",
                     "network_password": pw, "cco_capability": cap, "mac": mac}
                    for i, (cap, mac, pw) in enumerate(zip(caps, macs, passwords, strict=True))],
    })


@pytest.mark.parametrize(("caps", "macs", "winner"), [
    ((1, 2, 1), ("02:00:00:00:00:09", "02:00:00:00:00:01", "02:00:00:00:00:05"), "N1"),  # capability first
    ((1, 1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:09", "02:00:00:00:00:05"), "N1"),  # then the higher MAC
    ((0, 0, 3), ("02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:01"), "N2"),
])
def test_cco_election(caps, macs, winner) -> None:
    site = small_site(caps, macs)
    eng = Engine(site, hours=0.01)
    result = eng.run()
    ccos = {site.nodes[c].name for c in result.final_cco}
    assert ccos == {winner}


def test_no_peer_means_own_avln() -> None:
    site = small_site((1, 1), ("02:00:00:00:00:01", "02:00:00:00:00:02"), passwords=("one", "two"))
    result = simulate(site, hours=0.01)
    assert result.final_cco == [0, 1]  # different NIDs: each is CCo of its own AVLN


class _CutAfter:
    """Stand-in for the fading process: 0 dB until ``t_cut``, then a dead link."""

    def __init__(self, t_cut: float) -> None:
        self.t_cut = t_cut

    def pair_index(self, i, j):
        return np.minimum(i, j) * 1000 + np.maximum(i, j)

    def at_index(self, k, t):
        return np.full(np.shape(k), 0.0 if t < self.t_cut else -500.0)

    def at(self, i, j, t):
        return self.at_index(self.pair_index(i, j), t)


def test_beacon_loss_reaction_time() -> None:
    """A station restarts discovery 18 x 200 ms = 3.6 s after its CCo's beacons stop.

    An abrupt cut is only known to the sample step, so this runs at the beacon-loss tick (0.2 s);
    the default 1 s step interpolates the crossing of the (continuous) fading process instead.
    """
    # a very short fading correlation time makes the engine look at the link every step
    site = small_site((1, 2), ("02:00:00:00:00:01", "02:00:00:00:00:02"), fading_sigma_db=40.0, fading_tau_s=1e-3)
    eng = Engine(site, hours=60 / 3600, step_s=flapcost.BEACON_LOSS_TICK_S)
    t_cut = 20.3
    eng.fading = _CutAfter(t_cut)
    result = eng.run()
    rediscover = [t for t, i, kind, _ in result.events if kind == "rediscover"]
    assert rediscover, result.events
    assert rediscover[0] == pytest.approx(t_cut + 3.6, abs=flapcost.BEACON_LOSS_TICK_S)
    assert flapcost.BACKUP_CCO_TICKS * flapcost.BEACON_LOSS_TICK_S == pytest.approx(0.6)
    # after the loss the station hears nobody and runs its own AVLN (BBT rule), a new CCo of the same NID
    assert result.final_cco == [0, 1]


def _foreign_pair(**site: object):
    """Two chargers on one run with different keys: each hears only the other's (foreign) AVLN."""
    return small_site((1, 2), ("02:00:00:00:00:01", "02:00:00:00:00:02"), passwords=("one", "two"), **site)


def test_lone_policy_is_the_rule_books_default_and_a_site_parameter() -> None:
    """A station that hears only other AVLNs becomes CCo (HomePlug AV, Qualcomm firmware); the Greenvity
    rule keeps it unassociated.  Both come from rules.discovery_decision."""
    assert load_site(SITES / "demo.toml").params.lone_policy == rules.DEFAULT_LONE_POLICY.value == "become_cco"
    qca = simulate(_foreign_pair(), hours=0.01)
    assert qca.final_cco == [0, 1]
    gv = simulate(_foreign_pair(lone_policy="stay_unassociated"), hours=0.01)
    # the higher-ranked one decides first and hears nothing: CCo; the other hears a foreign AVLN
    assert gv.final_cco == [-1, 1]
    assert any(kind == "unassociated" for _, _, kind, _ in gv.events)


def test_cco_mode_never_and_always_follow_the_pib() -> None:
    data = {"site": {"grid": "TN"}, "cable": [{"name": "r", "type": "Cu-10mm2", "length_m": 40}],
            "charger": [{"name": "A", "cable": "r", "at_m": 5, "network_password": "k", "cco_capability": 3},
                        {"name": "B", "cable": "r", "at_m": 30, "network_password": "k", "cco_capability": 0,
                         "cco_mode": "always"}]}
    result = simulate(site_from_dict(data), hours=0.01)
    assert result.final_cco == [1, 1]  # "always" outranks every "auto" station
    data["charger"][1]["cco_mode"] = "never"
    data["charger"][0]["cco_mode"] = "never"
    result = simulate(site_from_dict(data), hours=0.01)
    assert result.final_cco == [-1, -1]


def test_two_ccos_of_one_nid_that_come_to_hear_each_other_merge() -> None:
    """Rule book step 6: the lower precedence resigns (rules.cco_resigns), its stations rejoin."""
    site = small_site((1, 2), ("02:00:00:00:00:01", "02:00:00:00:00:02"))
    eng = Engine(site, hours=30 / 3600)
    eng.formation.initial(0.0)
    assert eng.formation.cco_of.tolist() == [1, 1]
    # force a partition: both CCo, then let the merge check run
    eng.formation.is_cco[:] = True
    eng.formation.cco_of[:] = [0, 1]
    eng.formation.noise_changed()
    eng.formation.merge_check(10.0)
    assert eng.formation.is_cco.tolist() == [False, True]
    assert eng.formation.cco_of.tolist() == [1, 1]


def test_merge_checks_only_pairs_that_could_hear_each_other() -> None:
    """The cost of merge checks does not grow with CCos that cannot hear each other."""
    site = load_site(SITES / "depot-100.toml")
    eng = Engine(site, hours=0.01)
    eng.formation.initial(0.0)
    ccos = int(eng.formation.is_cco.sum())
    eng.formation.merge_check(5.0)
    pairs = eng.formation._merge_pairs.shape[0]
    assert ccos >= 3 and pairs < ccos * (ccos - 1) // 2


def _row_of_unassociated(n: int, **site: object):
    """``n`` chargers whose PIB says CCo "never", with no CCo anywhere: every one stays unassociated."""
    return site_from_dict({
        "site": {"grid": "TN", **site},
        "cable": [{"name": "run", "type": "Cu-10mm2", "length_m": 300}],
        "charger": [{"name": f"N{i}", "cable": "run", "at_m": 10 + 12 * i, "network_password": "k",
                     "cco_mode": "never"} for i in range(n)],
    })


def _count_decisions(eng: Engine) -> list[int]:
    calls = [0]
    decide = eng.formation._decide

    def counted(t, s, undecided):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return decide(t, s, undecided)

    eng.formation._decide = counted  # type: ignore[method-assign]
    return calls


def test_unassociated_stations_do_not_re_decide_while_nothing_they_hear_can_change() -> None:
    """A station that stays unassociated (PIB "never", Greenvity's lone rule) rescans every discover
    period; its decision is taken again only when a CCo, a membership or the noise changed, or when the
    fading of a pair it looked at could have crossed 0 dB -- not 720 times an hour."""
    eng = Engine(_row_of_unassociated(20), hours=1.0)
    calls = _count_decisions(eng)
    result = eng.run()
    assert result.final_cco == [-1] * 20
    assert calls[0] < 20 * 30  # 20 x 720 scans an hour before


def test_skipped_re_decisions_change_nothing() -> None:
    """With fading off every skipped decision is exactly the one it replaces: same events, same AVLNs."""
    # six far-apart pairs: the higher-ranked one of each pair runs an AVLN, the other (another key)
    # hears only that foreign AVLN and stays unassociated (Greenvity rule); one vehicle charges a while
    data: dict = {"site": {"lone_policy": "stay_unassociated", "fading_sigma_db": 0.0}, "cable": [], "charger": []}
    for r in range(6):
        data["cable"].append({"name": f"r{r}", "type": "Cu-2.5mm2", "length_m": 900})
        data["charger"] += [{"name": f"A{r}", "cable": f"r{r}", "at_m": 900, "network_password": "a",
                             "cco_capability": 2, "charging": ["00:20-00:50"] if r == 0 else []},
                            {"name": f"B{r}", "cable": f"r{r}", "at_m": 890, "network_password": "b"}]
    site = site_from_dict(data)
    fast = Engine(site, hours=2.0)
    fast_calls = _count_decisions(fast)
    slow = Engine(site, hours=2.0)
    slow_calls = _count_decisions(slow)
    apply = slow.formation._apply

    def never_repeat(t: float, s: int, d: rules.Decision, ready_at: float) -> None:
        apply(t, s, d, ready_at)
        slow.formation._repeat_world[s] = -2  # never the world counter: decide again at every scan

    slow.formation._apply = never_repeat  # type: ignore[method-assign]
    a, b = fast.run(), slow.run()
    assert a.final_cco.count(-1) == 6
    assert a.events == b.events and a.final_cco == b.final_cco
    assert fast_calls[0] < 0.2 * slow_calls[0]
