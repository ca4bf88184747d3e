"""The capture decoder and `plcstack decode` on generated and real captures."""

from __future__ import annotations

import json

from plcstack.capture import CaptureDecoder, count_decoded
from plcstack.cli import main
from plcstack.codec import make_frame
from plcstack.codec import messages as m
from plcstack.codec.batch import read_headers
from plcstack.codec.fragment import fragment
from plcstack.pcapio import write_pcap
from plcstack.samples import realistic_mix


def _write(tmp_path, frames):
    path = tmp_path / "x.pcap"
    write_pcap(path, frames)
    return path


def test_json_lines_have_the_documented_keys(tmp_path, capsys):
    path = _write(tmp_path, realistic_mix(60, seed=3))
    assert main(["decode", str(path), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(lines) == 60
    keys = {"frame", "time", "src", "dst", "mmv", "mmtype", "name", "oui", "fmi", "fields", "error"}
    assert all(keys <= set(obj) for obj in lines)
    assert lines[0]["frame"] == 1 and lines[0]["error"] is None
    names = {obj["name"] for obj in lines}
    assert {"CM_SLAC_PARM.REQ", "CM_SLAC_MATCH.CNF", "VS_SW_VER.CNF"} <= names
    match = next(o for o in lines if o["name"] == "CM_SLAC_MATCH.CNF")
    assert len(match["fields"]["nmk"]) == 32 and ":" in match["fields"]["pev_mac"]


def test_malformed_frames_are_reported_and_decoding_continues(tmp_path, capsys):
    good = [f for _, f in realistic_mix(5, seed=1)]
    bad_mmv = bytearray(good[1])
    bad_mmv[14] = 0x07
    non_hp = b"\xff" * 12 + b"\x08\x00" + bytes(46)
    frames = [(1.0 + i, f) for i, f in enumerate([good[0], bytes(bad_mmv), non_hp, good[2], good[3][:17]])]
    path = _write(tmp_path, frames)
    assert main(["decode", str(path), "--json"]) == 0
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["frame"] for o in objs] == [1, 2, 4, 5]
    assert "field mmv" in objs[1]["error"] and "frame 2" in objs[1]["error"]
    assert objs[2]["error"] is None
    dec = CaptureDecoder(path)
    list(dec)
    assert dec.stats.non_homeplug == 1 and dec.stats.errors >= 1


def test_type_filter_stats_and_verify(tmp_path, capsys):
    path = _write(tmp_path, realistic_mix(500, seed=2))
    assert main(["decode", str(path), "--type", "CM_SLAC_PARM", "--json"]) == 0
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert objs and {o["name"] for o in objs} == {"CM_SLAC_PARM.REQ", "CM_SLAC_PARM.CNF"}
    assert main(["decode", str(path), "--type", "0xA001", "--json"]) == 0
    assert {json.loads(x)["name"] for x in capsys.readouterr().out.splitlines()} == {"VS_SW_VER.CNF"}
    assert main(["decode", str(path), "--stats", "--verify", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["homeplug_frames"] == 500 and summary["verify_mismatches"] == 0
    assert sum(summary["by_type"].values()) == 500


def test_reassembly_in_capture(tmp_path, capsys):
    msg = m.VS_RD_MEM_CNF(length=3500, data=bytes(3500))
    wires = fragment(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", msg, mmv=1), fmsn=5)
    path = _write(tmp_path, [(float(i), w) for i, w in enumerate(wires)])
    assert main(["decode", str(path), "--json"]) == 0
    objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(objs) == 3 and objs[-1]["reassembled"]["name"] == "VS_RD_MEM.CNF"
    assert all(o["error"] is None for o in objs)


def test_header_table_agrees_with_full_decode(tmp_path):
    path = _write(tmp_path, realistic_mix(2000, seed=5))
    table = read_headers(path)
    records = list(CaptureDecoder(path))
    assert len(table) == len(records) == count_decoded(path) == 2000
    assert table.mmtype.tolist() == [r.frame.mmtype for r in records]
    assert table.mmv.tolist() == [r.frame.mmv for r in records]
    assert table.oui.tolist() == [int.from_bytes(r.frame.oui, "big") if r.frame.oui else -1 for r in records]


def test_real_captures_decode_without_errors(capture_files, capsys):
    for path in capture_files:
        assert main(["decode", str(path), "--stats", "--verify", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)["summary"]
        assert summary["decode_errors"] == 0 and summary["verify_mismatches"] == 0, path.name
        assert summary["homeplug_frames"] > 0


def test_homeplug_1_0_frames(tmp_path, capsys):
    from plcstack.codec.hp10 import HP10Entry, HP10Frame, decode_hp10, encode_hp10

    frame = HP10Frame(b"\xff" * 6, bytes.fromhex("020000000001"), (), 0,
                      [HP10Entry(0, 0x07, b""), HP10Entry(1, 0x04, bytes(9))], bytes(20))
    wire = encode_hp10(frame)
    assert decode_hp10(wire) == frame
    path = _write(tmp_path, [(1.0, wire)])
    assert main(["decode", str(path), "--json", "--verify"]) == 0
    obj = json.loads(capsys.readouterr().out.splitlines()[0])
    assert obj["name"] == "HP1.0 REQUEST_PARAMETERS_AND_STATISTICS+SET_NETWORK_ENCRYPTION_KEY"
    assert obj["fields"]["entries"][1]["data"] == "00" * 9
