"""The AVLN rule book: election order, joining, the lone-station policies, merging, beacon loss."""

from __future__ import annotations

import pytest

from plcstack.avln import rules as r

NID_A = bytes.fromhex("026BCBA5354E08")
NID_B = bytes.fromhex("B0F2E695666B03")
MAC1, MAC2, MAC3 = bytes.fromhex("020000000001"), bytes.fromhex("020000000002"), bytes.fromhex("020000000003")


def test_precedence_orders_capability_then_mode_then_mac() -> None:
    assert r.precedence(2, "auto", MAC1) > r.precedence(1, "auto", MAC3)
    assert r.precedence(1, "auto", MAC2) > r.precedence(1, "auto", MAC1)
    assert r.precedence(0, "always", MAC1) > r.precedence(3, "auto", MAC3)
    with pytest.raises(ValueError):
        r.precedence(4, "auto", MAC1)


def test_joins_a_cco_of_its_nid_and_ignores_foreign_ones() -> None:
    own = r.precedence(1, "auto", MAC1)
    foreign = r.Heard(MAC2, NID_B, r.precedence(3, "auto", MAC2))
    ours = r.Heard(MAC3, NID_A, r.precedence(0, "auto", MAC3))
    d = r.discovery_decision(NID_A, own, "auto", [foreign, ours])
    assert d.action is r.Action.JOIN and d.cco == MAC3


def test_order_dependent_pick_among_ccos_of_one_nid() -> None:
    own = r.precedence(1, "auto", MAC1)
    a = r.Heard(MAC2, NID_A, r.precedence(1, "auto", MAC2))
    b = r.Heard(MAC3, NID_A, r.precedence(1, "auto", MAC3))
    assert r.discovery_decision(NID_A, own, "auto", [a, b], pick=0).cco == MAC2
    assert r.discovery_decision(NID_A, own, "auto", [a, b], pick=1).cco == MAC3


def test_always_outranking_the_heard_cco_starts_its_own() -> None:
    own = r.precedence(0, "always", MAC1)
    ours = r.Heard(MAC3, NID_A, r.precedence(3, "auto", MAC3))
    assert r.discovery_decision(NID_A, own, "always", [ours]).action is r.Action.BECOME_CCO


def test_election_among_unassociated_stations() -> None:
    low, high = r.precedence(1, "auto", MAC1), r.precedence(1, "auto", MAC2)
    assert r.discovery_decision(NID_A, low, "auto", [], [r.Heard(MAC2, NID_A, high)]).action is r.Action.WAIT
    won = r.discovery_decision(NID_A, high, "auto", [], [r.Heard(MAC1, NID_A, low)])
    assert won.action is r.Action.BECOME_CCO and won.reason == "won CCo election"
    # an unassociated station of another NID is no rival
    alone = r.discovery_decision(NID_A, low, "auto", [], [r.Heard(MAC2, NID_B, high)])
    assert alone.action is r.Action.BECOME_CCO


def test_lone_station_policies() -> None:
    own = r.precedence(1, "auto", MAC1)
    qca = r.discovery_decision(NID_A, own, "auto", [], foreign_networks=True)
    assert qca.action is r.Action.BECOME_CCO
    gv = r.discovery_decision(NID_A, own, "auto", [], foreign_networks=True,
                              lone_policy=r.LonePolicy.STAY_UNASSOCIATED)
    assert gv.action is r.Action.STAY_UNASSOCIATED
    assert r.discovery_decision(NID_A, own, "auto", [], foreign_networks=False,
                                lone_policy=r.LonePolicy.STAY_UNASSOCIATED).action is r.Action.BECOME_CCO
    assert r.discovery_decision(NID_A, own, "never", []).action is r.Action.STAY_UNASSOCIATED


def test_merge_and_beacon_loss() -> None:
    low, high = r.precedence(1, "auto", MAC1), r.precedence(2, "auto", MAC1)
    assert r.cco_resigns(low, high) and not r.cco_resigns(high, low)
    assert r.wins_election(high, low)
    assert r.beacon_loss_detection_s() == pytest.approx(3.6)
    assert not r.beacon_lost(3.5) and r.beacon_lost(3.6)
