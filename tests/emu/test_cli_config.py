"""Network files, the `plcstack emulate` / `plcstack replay` command lines, pcap recording and replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from emu_helpers import HOST, req

from plcstack.cli import build_parser, main
from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import ModemConfig, PowerLine, Timers
from plcstack.emu.config import ConfigError, default_network, load_network, network_from_dict
from plcstack.emu.recorder import PcapRecorder
from plcstack.emu.replay import TypeFilter, read_frames, replay_into_network
from plcstack.pcapio import PcapWriter, open_capture

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "emu").glob("*.toml"))
SHARED = REPO.parent / "shared" / "captures" / "openplc-clients"


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


def test_help_teaches_with_examples(capsys):
    parser = build_parser()
    for cmd in ("emulate", "replay"):
        with pytest.raises(SystemExit):
            parser.parse_args([cmd, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"plcstack {cmd}" in text


def test_emulate_needs_a_config_or_an_interface(capsys):
    with pytest.raises(SystemExit):
        main(["emulate"])
    assert main(["emulate", "--config", "/nonexistent/net.toml"]) == 2
    assert "nonexistent" in capsys.readouterr().err


def test_pcap_recorder_writes_host_frames(tmp_path):
    rec = PcapRecorder(str(tmp_path / "x.pcap"), epoch=1000.0)
    pl = PowerLine(recorder=rec)
    pl.add(ModemConfig(mac=bytes.fromhex("00b05200000a")))
    pl.run_for(1.0)
    pl.request(bytes.fromhex("00b05200000a"), req(messages.VS_SW_VER_REQ(cookie=5)))
    rec.close()
    frames = [(ts, bytes(buf[off:off + n])) for _, ts, buf, off, n, _ in open_capture(str(tmp_path / "x.pcap"))]
    assert [decode_frame(f).name for _, f in frames] == ["VS_SW_VER.REQ", "VS_SW_VER.CNF"]
    assert frames[0][0] >= 1000.0


def _capture(tmp_path) -> str:
    path = str(tmp_path / "requests.pcap")
    with PcapWriter(path) as w:
        w.write(encode(LOCAL_MAC, HOST, messages.VS_SW_VER_REQ(cookie=1)), 10.0)
        w.write(BROADCAST_MAC + HOST + b"\x08\x00" + bytes(46), 10.1)  # not HomePlug: skipped
        w.write(encode(LOCAL_MAC, HOST, messages.VS_NW_INFO_REQ(), mmv=1), 10.5)
        w.write(encode(BROADCAST_MAC, HOST, messages.VS_SW_VER_REQ(cookie=2)), 11.0)
    return path


def test_replay_filters_and_timing(tmp_path):
    path = _capture(tmp_path)
    assert [t for t, _ in read_frames(path)] == pytest.approx([0.0, 0.5, 1.0])
    assert len(read_frames(path, ["VS_NW_INFO.REQ"])) == 1
    assert len(read_frames(path, ["VS_SW_VER"])) == 2
    assert len(read_frames(path, ["0xA038,0xA000"])) == 3
    assert TypeFilter([]).empty


def test_replay_into_emulator_records_the_answers(tmp_path):
    path = _capture(tmp_path)
    net = load_network(REPO / "examples" / "emu" / "two-modems.toml")
    result = replay_into_network(read_frames(path), net)
    names = sorted(decode_frame(f).name for f in result.got)
    # the broadcast SW_VER is answered by both modems (the remote one through the power line)
    assert names == ["VS_NW_INFO.CNF", "VS_SW_VER.CNF", "VS_SW_VER.CNF", "VS_SW_VER.CNF"]
    out = tmp_path / "out.pcap"
    assert main(["replay", path, "--into-emulator", str(REPO / "examples" / "emu" / "two-modems.toml"),
                 "--pcap", str(out), "--speed", "4"]) == 0
    assert len(list(open_capture(str(out)))) == 3 + 4


@pytest.mark.skipif(not (SHARED / "openplc-requests.pcap").exists(), reason="shared open-plc-utils capture missing")
def test_replay_of_the_openplc_request_capture(tmp_path):
    net = load_network(REPO / "examples" / "emu" / "two-modems.toml")
    for spec in net.modems:  # requests follow resets 0.37 s apart in this capture
        spec.config.timers = Timers(reset_s=0.2, set_key_s=0.0)
    result = replay_into_network(read_frames(str(SHARED / "openplc-requests.pcap")), net)
    got = {decode_frame(f).name for f in result.got}
    assert {"VS_SW_VER.CNF", "VS_NW_INFO.CNF", "VS_SET_KEY.CNF", "VS_RS_DEV.CNF", "VS_OP_ATTRIBUTES.CNF",
            "VS_LNK_STATS.CNF", "VS_PL_LINK_STATUS.CNF", "VS_GET_NVM.CNF", "MS_PB_ENC.CNF", "VS_FAC_DEFAULTS.CNF",
            "VS_RD_MOD.CNF", "VS_MODULE_OPERATION.CNF"} <= got


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


def test_pcap_can_record_the_power_line_management_messages(tmp_path):
    rec = PcapRecorder(str(tmp_path / "plc.pcap"))
    pl = PowerLine(recorder=rec, record_plc=True)
    for mac in ("00b05200000a", "00b05200000b"):
        pl.add(ModemConfig(mac=bytes.fromhex(mac)))
    pl.run_for(2.0)
    rec.close()
    names = {decode_frame(bytes(b[o:o + n])).name for _, _, b, o, n, _ in open_capture(str(tmp_path / "plc.pcap"))}
    assert {"CM_UNASSOCIATED_STA.IND", "CC_ASSOC.REQ", "CC_ASSOC.CNF", "CM_ENCRYPTED_PAYLOAD.IND",
            "CC_SET_TEI_MAP.IND"} <= names
