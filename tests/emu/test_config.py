"""Network TOML files (plcstack.emu.config)."""

from __future__ import annotations

from pathlib import Path

import pytest
from emu_helpers import req

from plcstack.codec import decode_frame, messages
from plcstack.emu import PowerLine, Timers
from plcstack.emu.config import ConfigError, default_network, load_network, network_from_dict

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "emu").glob("*.toml"))




@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_networks_load(path):
    net = load_network(path)
    assert net.modems and all(len(s.config.mac) == 6 for s in net.modems)


def test_config_options_reach_the_modem():
    net = network_from_dict({
        "network": {"latency_ms": 2, "seed": 3},
        "timers": {"beacon_s": 0.1},
        "link": {"tx_rate_mbps": 99, "pair": [{"a": "00:b0:52:00:00:01", "b": "00:b0:52:00:00:02",
                                               "tx_rate_mbps": 7, "reachable": False}]},
        "modem": [{"mac": "00:b0:52:00:00:01", "chip": "QCA7000", "nmk": "B59319D7E8157BA001B018669CCEE30D",
                   "cco": "always", "set_key_result": 0, "iface": "x0"}],
    })
    (spec,) = net.modems
    c = spec.config
    assert (spec.iface, c.chip, c.cco, c.set_key_success_result, c.timers.beacon_s) == ("x0", "QCA7000", "always", 0,
                                                                                        0.1)
    assert c.nmk == bytes.fromhex("B59319D7E8157BA001B018669CCEE30D") and net.latency_s == 0.002 and net.seed == 3
    q = net.link.link(bytes.fromhex("00b052000002"), bytes.fromhex("00b052000001"), 0.0)
    assert (q.rx_rate_mbps, q.reachable) == (7, False)


@pytest.mark.parametrize(("data", "needle"), [
    ({}, "no [[modem]]"),
    ({"modem": [{"chip": "QCA7420"}]}, "missing 'mac'"),
    ({"modem": [{"mac": "00:b0:52:00:00:01", "chip": "QCA9999"}]}, "unknown chip"),
    ({"modem": [{"mac": "00:b0:52:00:00:01", "colour": "red"}]}, "unknown keys"),
    ({"modem": [{"mac": "00:b0:52:00:00:01"}, {"mac": "00:b0:52:00:00:01"}]}, "duplicate MAC"),
    ({"modem": [{"mac": "00:b0:52:00:00:01", "nmk": "1234"}]}, "nmk must be 16 bytes"),
    ({"modem": [{"mac": "00:b0:52:00:00:01"}], "timers": {"warp": 1}}, "[timers]: unknown keys"),
    ({"modem": [{"mac": "00:b0:52:00:00:01"}], "link": {"attenuation_db": [1, 2]}}, "58 values"),
])
def test_config_errors_name_the_problem(data, needle):
    with pytest.raises(ConfigError, match=None) as info:
        network_from_dict(data, "net.toml")
    assert needle in str(info.value) and "net.toml" in str(info.value)


def test_default_network_is_a_qca7420_on_homeplugav():
    (spec,) = default_network("eth9").modems
    assert (spec.iface, spec.config.chip, spec.config.password) == ("eth9", "QCA7420", "HomePlugAV")


def test_site_example_two_avlns_and_per_pair_rates():
    from plcstack.codec import mac_bytes

    net = load_network(REPO / "examples" / "emu" / "site.toml")
    pl = PowerLine(link=net.link, latency_s=net.latency_s)
    for i, spec in enumerate(net.modems):
        pl.add(spec.config, seed=i)
    pl.run_for(3.0)
    office, garage, attic, charger = (mac_bytes(m) for m in ("00:b0:52:00:01:01", "00:b0:52:00:01:02",
                                                             "00:b0:52:00:01:03", "00:b0:52:00:02:01"))
    assert sorted(p.mac for p in pl[office].members()) == [garage, attic]
    assert pl[charger].members() == [] and pl[charger].role.value == "cco"
    (r,) = [decode_frame(f) for f in pl.request(office, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    rates = {s.mac: (s.avg_tx, s.avg_rx) for s in r.message.networks[0].stations}
    assert rates == {garage: (48, 52), attic: (120, 110)}


def test_timers_must_be_positive():
    with pytest.raises(ValueError, match="beacon_s"):
        Timers(beacon_s=0)
