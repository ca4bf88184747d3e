"""plcstack replay: capture -> emulated network or interface (plcstack.emu.replay)."""

from __future__ import annotations

from pathlib import Path

import pytest
from emu_helpers import HOST, capture

from plcstack.cli import main
from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import Timers
from plcstack.emu.config import load_network
from plcstack.emu.replay import ReplayError, read_frames, replay_into_network
from plcstack.pcapio import PcapWriter, open_capture

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "emu").glob("*.toml"))




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
    assert len(read_frames(path, [])) == 3
    with pytest.raises(ReplayError, match="did you mean"):
        read_frames(path, ["VS_SW_VERR"])  # the one --type filter names the closest known types


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


def test_replay_of_the_openplc_request_capture(tmp_path):
    net = load_network(REPO / "examples" / "emu" / "two-modems.toml")
    for spec in net.modems:  # requests follow resets 0.37 s apart in this capture
        spec.config.timers = Timers(reset_s=0.2, set_key_s=0.0)
    result = replay_into_network(read_frames(str(capture("openplc-requests.pcap"))), net)
    got = {decode_frame(f).name for f in result.got}
    assert {"VS_SW_VER.CNF", "VS_NW_INFO.CNF", "VS_SET_KEY.CNF", "VS_RS_DEV.CNF", "VS_OP_ATTRIBUTES.CNF",
            "VS_LNK_STATS.CNF", "VS_PL_LINK_STATUS.CNF", "VS_GET_NVM.CNF", "MS_PB_ENC.CNF", "VS_FAC_DEFAULTS.CNF",
            "VS_RD_MOD.CNF", "VS_MODULE_OPERATION.CNF"} <= got


def _two_sided_capture(tmp_path) -> str:
    """What a host's interface sees: its requests and its modem's answers (the modem's MAC is 98:48:...)."""
    modem = bytes.fromhex("9848275a3ce6")
    path = str(tmp_path / "two-sided.pcap")
    with PcapWriter(path) as w:
        w.write(encode(BROADCAST_MAC, HOST, messages.VS_SW_VER_REQ(cookie=1)), 1.0)
        w.write(encode(HOST, modem, messages.VS_SW_VER_CNF(version=b"MAC-QCA7420".ljust(254, b"\0"))), 1.001)
        w.write(encode(LOCAL_MAC, HOST, messages.CM_BRG_INFO_REQ(), mmv=1), 1.1)
        w.write(encode(BROADCAST_MAC, modem, messages.CM_ATTEN_PROFILE_IND(pev_mac=HOST, num_groups=0, aag=b"")), 1.2)
    return path


def test_replay_leaves_the_captured_modems_frames_out_by_default(tmp_path):
    path = _two_sided_capture(tmp_path)
    modem = bytes.fromhex("9848275a3ce6")
    hosts = read_frames(path, sources="hosts")
    assert [decode_frame(f).name for _, f in hosts] == ["VS_SW_VER.REQ", "CM_BRG_INFO.REQ"]
    assert [decode_frame(f).src for _, f in read_frames(path, sources="modems")] == [modem, modem]
    assert len(read_frames(path, sources="all")) == 4
    assert len(read_frames(path, sources="all", exclude_src=[modem])) == 2
    assert len(read_frames(path, sources="all", only_src=[modem], types=["CM_ATTEN_PROFILE"])) == 1
    with pytest.raises(ReplayError):
        read_frames(path, sources="nobody")


def test_replay_default_does_not_teach_the_emulator_the_real_modems_mac(tmp_path):
    net = load_network(REPO / "examples" / "emu" / "two-modems.toml")
    real_modem = bytes.fromhex("9848275a3ce6")
    path = _two_sided_capture(tmp_path)
    out = replay_into_network(read_frames(path), net)
    assert {decode_frame(f).name for f in out.got} >= {"VS_SW_VER.CNF", "CM_BRG_INFO.CNF"}
    everything = replay_into_network(read_frames(path, sources="all"), net)
    assert len(everything.sent) == 4 and len(out.sent) == 2
    pl = net.powerline()
    for _, f in read_frames(path):
        pl.send_from_host(net.modems[0].config.mac, f)
    assert real_modem not in pl[net.modems[0].config.mac].hosts


def test_replay_of_a_real_pyplc_capture_sends_only_the_hosts_frames():
    path = capture("pyPLC__2022-11-25_v0.2_ABB_until_ChargeParamDiscovery.pcapng")
    sent = read_frames(str(path))
    srcs = {f[6:12] for _, f in sent}
    assert bytes.fromhex("9848275a3ce6") not in srcs and bytes.fromhex("dc0ea1116708") in srcs
    names = {decode_frame(f).name for _, f in sent}
    assert not any(n.endswith(".CNF") and n.startswith("VS_") for n in names)


def test_replay_cli_source_options(tmp_path, capsys):
    path = _two_sided_capture(tmp_path)
    net = str(REPO / "examples" / "emu" / "two-modems.toml")
    assert main(["replay", path, "--into-emulator", net, "--from", "all", "--exclude-src", "98:48:27:5a:3c:e6"]) == 0
    assert "sent 2 frame(s)" in capsys.readouterr().out
    assert main(["replay", path, "--into-emulator", net, "--src", "not-a-mac"]) == 2
