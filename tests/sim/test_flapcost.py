"""What a flap costs: RFC 2131 / 6298, MQTT 3.1.1, and the rule book's firmware timers."""

from __future__ import annotations

import pytest
from sim_sites import SITES

from plcstack.avln import rules
from plcstack.sim import flapcost
from plcstack.sim.site import load_site


def test_upper_layer_timers() -> None:
    assert flapcost.mqtt_dead_client_s(60) == 90
    assert flapcost.dhcp_retransmit_schedule() == [4, 8, 16, 32, 64]
    assert flapcost.beacon_loss_detection_s() == pytest.approx(3.6)


def test_flap_costs_follow_the_cost_table() -> None:
    p = load_site(SITES / "demo.toml").params
    l2 = flapcost.flap_cost("l2-path", p)
    up = flapcost.flap_cost("uplink-wifi", p)
    assert l2.outage_s == pytest.approx(1.0)  # one TCP RTO
    assert up.outage_s > flapcost.WIFI_ASSOC_SCAN_S and up.extra_bytes > 5000 and up.ghost_session_s == 90
    with pytest.raises(ValueError):
        flapcost.flap_cost("teleport", p)


def test_rejoin_timers_are_the_rule_books() -> None:
    """One declaration: the flap costs use the Greenvity firmware timers of plcstack.avln.rules."""
    assert flapcost.BBT_S is rules.BBT_S and flapcost.BEACON_LOSS_TICK_S is rules.BEACON_LOSS_TICK_S
    assert flapcost.REDISCOVERY_TICKS == rules.REDISCOVERY_TICKS == 18
    assert flapcost.beacon_loss_detection_s() == rules.beacon_loss_detection_s() == pytest.approx(3.6)
