"""SLAC sessions of captures: our own traffic (must be clean), faults (must show), every shared capture."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from slac_helpers import EVSE_HOST, EVSE_MODEM, PEV_HOST, PEV_MODEM

from plcstack.cli import main
from plcstack.emu.config import network_from_dict
from plcstack.emu.recorder import PcapRecorder
from plcstack.slac import EvseConfig, EvseMachine, PevConfig, PevMachine
from plcstack.slac.inproc import SlacBench
from plcstack.slac.session import analyse_capture

MODEMS = [{"name": "evse-modem", "mac": EVSE_MODEM.hex(":"), "chip": "QCA7000", "cco": "always"},
          {"name": "pev-modem", "mac": PEV_MODEM.hex(":"), "chip": "QCA7000", "cco": "never"}]


class HostLinks:
    """A capture of both host links, each frame once (what a tap on both Ethernet cables records)."""

    def __init__(self, path: Path) -> None:
        self.pcap = PcapRecorder(str(path), epoch=1_700_000_000.0)
        self.modems = {EVSE_MODEM, PEV_MODEM}

    def record(self, frame: bytes, t: float, modem: bytes, direction: str) -> None:
        if direction == "in" or (direction == "out" and frame[6:12] in self.modems):
            self.pcap.record(frame, t, modem, direction)

    def close(self) -> None:
        self.pcap.close()


def recorded_run(path: Path, faults: list | None = None, seed: int = 1) -> Path:
    net = network_from_dict({"network": {"seed": seed}, "modem": MODEMS, "fault": faults or []})
    rec = HostLinks(path)
    pl = net.powerline(recorder=rec)
    rng = random.Random(seed)
    bench = SlacBench(pl)
    evse = bench.attach(EvseMachine(EvseConfig(mac=EVSE_HOST), rng=rng), EVSE_MODEM, start_at=0.0)
    pev = bench.attach(PevMachine(PevConfig(mac=PEV_HOST), rng=rng), PEV_MODEM, start_at=0.3)
    bench.run(until=30.0, stop=lambda: pev.done and evse.done)
    rec.close()
    return path


def test_our_own_session_is_on_the_standards_path(tmp_path: Path) -> None:
    (s,) = analyse_capture(recorded_run(tmp_path / "ours.pcap"))
    assert s["result"] == "matched" and s["ev_mac"] == PEV_HOST.hex(":") and s["evse_mac"] == EVSE_HOST.hex(":")
    assert s["violations"] == [] and s["left_path"] is None, s["violations"]
    assert [st["step"] for st in s["steps"]] == ["CM_SET_KEY", "CM_SET_KEY", "CM_SLAC_PARM", "CM_START_ATTEN_CHAR",
                                                  "CM_MNBC_SOUND",
                                                  "CM_ATTEN_PROFILE", "CM_ATTEN_CHAR", "CM_SLAC_MATCH",
                                                  "CM_SET_KEY (EVSE NMK)"]
    assert [c["check"] for c in s["checks"]][0] == "TT_EVSE_SLAC_init"  # from the EVSE's key to the first PARM
    assert s["sounds"] == {"sent": 10, "expected": 10, "profiles_heard": 10, "vendor_profiles_heard": 10,
                           "reported": 10}  # the emulated QCA7000 also sends VS_ATTENUATION_CHARACTERISTICS.IND
    assert s["profile_check"]["max_group_difference_db"] == 0  # our EVSE reported the average of its profiles
    assert s["decision"]["same_as_lowest"] and s["nid_derives_from_nmk"]


def test_a_lost_match_cnf_shows_as_a_retry(tmp_path: Path) -> None:
    path = recorded_run(tmp_path / "lost.pcap", [{"a": "evse-modem", "b": "pev-modem", "direction": "a->b",
                                                  "drop": ["CM_SLAC_MATCH.CNF"], "drop_count": 1}])
    (s,) = analyse_capture(path)
    assert s["result"] == "matched" and s["retries"]["CM_SLAC_MATCH.REQ"] == 1 and s["violations"] == []


def test_a_slow_modem_shows_as_attempts_with_parm_retries(tmp_path: Path) -> None:
    sessions = analyse_capture(recorded_run(tmp_path / "slow.pcap", [{"modem": "evse-modem", "set_key_s": 3.2}]))
    assert sessions[-1]["result"] == "matched"
    failed = sessions[0]
    assert failed["result"] == "CM_SLAC_PARM" and failed["retries"]["CM_SLAC_PARM.REQ"] == 2
    assert failed["left_path"]["step"] == "CM_SLAC_PARM" and failed["violations"] == []  # failing is on the path


def test_cli_json_one_object_per_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = recorded_run(tmp_path / "ours.pcap")
    assert main(["slac", str(path), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1 and {"run_id", "ev_mac", "evse_mac", "result", "steps"} <= set(lines[0])
    assert main(["slac", str(path)]) == 0
    assert "MATCHED" in capsys.readouterr().out


def test_cli_errors_are_messages_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slac", str(tmp_path / "missing.pcap")]) == 2
    assert main(["slac", str(tmp_path)]) == 2
    assert main(["slac", "evs"]) == 2
    (tmp_path / "junk.pcap").write_bytes(b"not a capture at all")
    assert main(["slac", str(tmp_path / "junk.pcap")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no such capture" in err and "directory" in err


@pytest.mark.parametrize("name", ["ABB", "ModelY", "binding-rs", "phytec", "SuperCharger", "slac-openplc", "slac-pyslac",
                                  "2022-11-25", "2022-12-20", "2022-10-26", "2025-01-21"])
def test_every_slac_run_of_the_shared_captures(name: str, capture_files: list[Path]) -> None:
    files = [p for p in capture_files if name in p.name]
    assert files, f"no shared capture named *{name}*"
    for path in files:
        sessions = analyse_capture(path)
        assert sessions, path
        for s in sessions:
            assert len(s["run_id"]) == 16 and s["ev_mac"] and s["steps"]
            assert s["result"] == "matched" or s["left_path"] is not None
            for v in s["violations"]:
                assert v["source"] and ("measured_s" in v or "measured" in v)


def test_known_facts_of_the_shared_captures(capture_files: list[Path]) -> None:
    by_name = {p.name: p for p in capture_files}
    (abb,) = analyse_capture(by_name["iso15118-simulator-rs__ABB-Normal.pcapng"])
    assert abb["result"] == "matched" and abb["exchange_s"] == pytest.approx(0.878, abs=0.001)
    assert abb["violations"] == [] and abb["attenuation"][0]["average_db"] == pytest.approx(37.3, abs=0.05)
    first, second = analyse_capture(by_name["slac-binding-rs__phytec-power-pcltool.pcapng"])
    assert first["run_id"] == second["run_id"] == "86a0642400000000" and second["attempt"] == 2
    assert first["result"] == "CM_ATTEN_CHAR" and first["retries"]["CM_SLAC_PARM.REQ"] == 37
    assert second["result"] == "matched"
    (pyplc,) = analyse_capture(by_name["pyPLC__2022-11-25_v0.2_ABB_until_ChargeParamDiscovery.pcapng"])
    late = [v for v in pyplc["violations"] if v["check"] == "TP_EVSE_avg_atten_calc"]
    assert late and late[0]["frame"] == 261  # the ABB charger answered 0.44 s after its sounding window closed
    super_ = analyse_capture(by_name["pyPLC__2023-03-02_SuperCharger_CableCheck_error.pcapng"])
    assert [s["result"] for s in super_] == ["matched", "CM_ATTEN_CHAR", "CM_SLAC_PARM"]
    assert super_[0]["sounds"]["vendor_profiles_heard"] == 10


def test_a_cut_capture_keeps_the_sessions_before_the_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = recorded_run(tmp_path / "whole.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(whole[:-7])
    assert main(["slac", str(cut), "--json"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out.splitlines()[0])["run_id"] and "session(s) before it" in out.err


def test_session_keys_before_the_session(capture_files: list[Path]) -> None:
    (s,) = analyse_capture(next(p for p in capture_files if "ModelY" in p.name))
    key = s["steps"][0]
    assert key["step"] == "CM_SET_KEY" and key["frames"] == [77] and "EVSE host" in key["detail"]
    nid = [c for c in s["checks"] if c["check"] == "NID from NMK"]
    assert nid and nid[0]["severity"] == "note" and nid[0]["measured"] == "01020304050607"  # pyPLC's made-up NID
    init = next(c for c in s["checks"] if c["check"] == "TT_EVSE_SLAC_init")
    assert init["ok"] and init["measured_s"] == pytest.approx(36.1, abs=0.1)


def test_a_capture_of_every_interface_counts_each_frame_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``tcpdump -i any`` (Linux cooked) sees a frame leaving one interface and arriving on another: the
    second copy is no CM_SLAC_PARM.REQ repetition.  Read from standard input, as ``tcpdump -w - | ...``."""
    import io
    import struct

    from pcap_builders import pcap_bytes

    from plcstack.pcapio import CaptureReader

    single = recorded_run(tmp_path / "ours.pcap")
    records = []
    with CaptureReader(single) as reader:
        for pkt in reader.packets():
            frame, ns = pkt.data, pkt.time_ns
            for k, ptype in enumerate((4, 1 if frame[0] & 1 else 0)):  # outgoing on one side, in on the other
                sll = struct.pack("!HHH8sH", ptype, 1, 6, frame[6:12] + bytes(2), int.from_bytes(frame[12:14], "big"))
                t = ns + 5_000 * k
                records.append((t // 10**9, t % 10**9 // 1000, sll + frame[14:]))
    doubled = pcap_bytes(records, linktype=113)
    (twice,) = analyse_capture(io.BytesIO(doubled))  # type: ignore[arg-type]
    (once,) = analyse_capture(single)
    assert twice["copies_skipped"] >= 19 and once["copies_skipped"] == 0
    for key in ("result", "retries", "sounds", "violations", "left_path"):
        assert twice[key] == once[key], key
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(doubled)))
    assert main(["slac", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<stdin>: 1 SLAC session(s)") and "MATCHED" in out and "second copies" in out


def test_sounds_short_of_their_rnd_still_count(tmp_path: Path) -> None:
    """open-plc-utils ``pev`` sends CM_MNBC_SOUND.IND 7 bytes short (64 of 71; tshark: malformed): the
    RunID and CNT are there, so the EV did sound."""
    from plcstack.pcapio import CaptureReader, PcapWriter

    single = recorded_run(tmp_path / "ours.pcap")
    short = tmp_path / "short.pcap"
    with CaptureReader(single) as reader, PcapWriter(short, nano=True) as out:
        for pkt in reader.packets():
            frame = pkt.data
            sound = frame[12:14] == b"\x88\xe1" and frame[15:17] == b"\x76\x60"  # CM_MNBC_SOUND.IND
            out.write(frame[:64] if sound else frame, time_ns=pkt.time_ns)
    (s,) = analyse_capture(short)
    assert s["sounds"]["sent"] == 10 and s["result"] == "matched" and s["violations"] == []
