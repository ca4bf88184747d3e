"""MAC: 1901 timing, efficiency, TCP goodput against field numbers, airtime sharing."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import mac


def test_mac_efficiency_single_flow() -> None:
    payload = [500, 1000, 2050, 2391]
    np.testing.assert_allclose(mac.mac_efficiency(payload, cw=8), [0.43, 0.59, 0.75, 0.77], atol=0.01)
    np.testing.assert_allclose(mac.mac_efficiency(payload, cw=16), [0.38, 0.55, 0.71, 0.74], atol=0.01)
    assert mac.SACK_US == pytest.approx(mac.PREAMBLE_US + mac.FC_US)
    assert mac.backoff_parameters(0, "CA1") == (0, 8)
    assert mac.backoff_parameters(7, "CA3") == (15, 32)
    assert mac.backoff_parameters(2, "CA0") == (3, 32)


def test_shared_airtime_between_avlns() -> None:
    np.testing.assert_allclose(mac.shared_airtime_fraction(np.array([1, 2, 4])), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError):
        mac.shared_airtime_fraction(0)


def test_tcp_goodput_is_a_third_to_a_half_of_the_link_rate() -> None:
    """Field: net rate about 1/3 of the displayed link rate (ALLNET), 58.5 Mbit/s from an HPAV "200"
    pair (SmallNetBuilder, 29 % of the 200 Mbit/s nameplate, which is the uncoded rate).  One TCP flow on
    an idle medium, data and ACK frames contending."""
    coded = 150.2
    tcp = float(mac.goodput_mbps(coded, transport="tcp"))
    udp = float(mac.goodput_mbps(coded, transport="udp"))
    raw = coded * 21 / 16
    assert 1 / 3 <= tcp / raw <= 1 / 2
    assert 0.4 <= tcp / coded <= 0.6
    assert tcp < udp < 0.75 * coded
    assert mac.goodput_mbps(coded, pb_error_rate=0.1) == pytest.approx(0.9 * tcp)
    with pytest.raises(ValueError):
        mac.goodput_mbps(coded, transport="sctp")


def test_more_flows_cost_airtime_beyond_the_fair_share() -> None:
    """With N stations contending, 1901 collisions grow: per-flow goodput falls faster than 1/N and the
    aggregate falls; by ~30 active stations about half of all transmissions collide (Zaptec: about 30
    chargers per PLC module, more is unstable; ALLNET: at most 15 devices)."""
    one = float(mac.goodput_mbps(150.2, n_flows=1))
    per = {n: float(mac.goodput_mbps(150.2, n_flows=n)) for n in (5, 15, 30, 50)}
    for n, g in per.items():
        assert g < one / n
    agg = [per[n] * n for n in (5, 15, 30, 50)]
    assert all(a > b for a, b in zip(agg, agg[1:], strict=False))
    p15, p30, p50 = (mac.data_airtime_fraction(n)[1] for n in (15, 30, 50))
    assert p15 < 0.4 < p30 < 0.6 < p50
