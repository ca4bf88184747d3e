"""plcstack.capture.decoder on generated and real captures: records, counts, filters, reassembly."""

from __future__ import annotations

import json

import pytest

from plcstack.capture import CaptureDecoder, count_decoded, record_json, summary_line
from plcstack.capture.chunks import read_headers
from plcstack.cli import main
from plcstack.codec import encode_frame, format_mac, make_frame
from plcstack.codec import messages as m
from plcstack.codec.fragment import OPEN_PLC_UTILS, SPEC, fragment
from plcstack.pcapio import PcapWriter, write_pcap
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


# ------------------------------------------------------------------ times, filters, errors, reassembly


def _slac(i: int) -> bytes:
    return encode_frame(make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01",
                                   m.CM_SLAC_PARM_REQ(run_id=bytes([i]) * 8)))


def test_times_are_exact_and_relative_to_the_first_packet_of_the_file(tmp_path):
    other = b"\xff" * 12 + b"\x08\x00" + bytes(46)
    path = tmp_path / "t.pcap"
    with PcapWriter(path, nano=True) as w:
        w.write(other, time_ns=1_700_000_000_123_456_789)
        w.write(_slac(1), time_ns=1_700_000_000_623_456_790)
        w.write(other, time_ns=1_700_000_001_000_000_000)
        w.write(_slac(2), time_ns=1_700_000_001_000_000_001)
    recs = list(CaptureDecoder(path, types="CM_SLAC_PARM"))
    assert [r.index for r in recs] == [2, 4]
    assert [r.time_ns for r in recs] == [1_700_000_000_623_456_790, 1_700_000_001_000_000_001]
    assert [r.rel_ns for r in recs] == [500_000_001, 876_543_212]  # the first packet is not HomePlug
    assert [r.delta_ns for r in recs] == [500_000_001, 1]  # since the previous captured packet
    assert [r.delta_shown_ns for r in recs] == [0, 376_543_211]
    obj = record_json(recs[1])
    assert obj["time"] == "1700000001.000000001" and obj["time_ns"] == 1_700_000_001_000_000_001
    assert obj["time_relative"] == "0.876543212"


def test_filters_are_counted_as_filtered(tmp_path):
    path = _write(tmp_path, realistic_mix(300, seed=4))
    everything = list(CaptureDecoder(path))
    n_all = len(everything)
    mac = everything[0].frame.src
    for kw in ({"types": "SLAC"}, {"src": format_mac(mac)}, {"dst": "ff:ff:ff:ff:ff:ff"}, {"display_filter": "mmtype >= 0xa000"},
               {"types": ["CM", "VS"], "display_filter": "not name contains \"SLAC\""}):
        dec = CaptureDecoder(path, **kw)
        shown = list(dec)
        assert 0 < len(shown) < n_all, kw
        assert dec.stats.homeplug == n_all and dec.stats.filtered == n_all - len(shown)
        assert sum(dec.stats.by_type.values()) == len(shown)
    assert all(r.frame.src == mac for r in CaptureDecoder(path, src=format_mac(mac).upper()))


def test_error_records_keep_what_is_known(tmp_path):
    tagged = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01",
                                     m.CM_SLAC_PARM_REQ(run_id=bytes(8)), vlan=0x2005))
    bad = bytearray(tagged)
    bad[18] = 0x08  # MMV 0x08: a bit error on an SPI link
    path = _write(tmp_path, [(1.0, bytes(bad))])
    (rec,) = list(CaptureDecoder(path))
    assert rec.kind == "error" and rec.error.field == "mmv"
    obj = record_json(rec)
    assert obj["vlan"] == [{"tpid": 0x8100, "id": 5, "pcp": 1, "dei": 0}] and obj["mmv"] == 8
    assert obj["mmtype"] == 0x6064 and obj["src"] == "02:00:00:00:00:01" and obj["error_field"] == "mmv"
    assert obj["error_offset"] == 18 and "MMV" in obj["error"]


def test_error_records_show_the_header_the_codec_read(tmp_path):
    """A bad OUI: MMV, MMTYPE and FMI were read before the fault; JSON, the line and the filter use them."""
    wire = bytearray(encode_frame(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", m.VS_SW_VER_REQ(), mmv=1,
                                             fmi=0x0007)))
    wire[19:22] = b"\x00\xb0\x12"
    path = _write(tmp_path, [(1.0, bytes(wire))])
    (rec,) = list(CaptureDecoder(path))
    obj = record_json(rec)
    assert (obj["kind"], obj["mmv"], obj["mmtype"], obj["oui"], obj["name"]) == ("error", 1, 0xA000, "00b012",
                                                                                 "VS_0xA000.REQ")
    assert obj["fmi"] == {"raw": "0007", "nf_mi": 0, "fn_mi": 0, "fmsn": 7}
    assert "VS_0xA000.REQ [error]" in summary_line(rec)
    for expr, shown in (("mmtype == 0xa000", 1), ("fmi.fmsn == 7 and error.field == \"oui\"", 1), ("mmv == 0", 0)):
        assert len(list(CaptureDecoder(path, display_filter=expr))) == shown, expr


def test_incomplete_reassemblies_are_reported(tmp_path):
    msg = m.VS_RD_MEM_CNF(length=3500, data=bytes(3500))
    wires = fragment(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", msg, mmv=1), fmsn=7)
    path = _write(tmp_path, [(0.0, wires[0]), (0.1, wires[1])])  # the last fragment never comes
    dec = CaptureDecoder(path)
    recs = list(dec)
    assert [r.kind for r in recs] == ["fragment", "fragment"] and all(r.reassembled is None for r in recs)
    assert dec.stats.incomplete == 1 and dec.stats.incomplete_details[0]["reason"] == "end of input"
    assert dec.stats.incomplete_details[0]["frames"] == [1, 2]
    assert "got fragments 1,2 of 3" in dec.incomplete_lines[0]


@pytest.mark.parametrize("convention", [SPEC, OPEN_PLC_UTILS])
@pytest.mark.parametrize("types", [None, "QCA", "VS_RD_MEM", "0xA009"])
def test_vendor_messages_reassemble_in_both_fmi_octet_orders(tmp_path, convention, types):
    """A continuation of a vendor message carries no OUI; in the open-plc-utils octet order its header
    reads as a bad OUI, and the --type filter (by OUI or name) must still let the whole sequence through."""
    msg = m.VS_RD_MEM_CNF(length=3500, data=bytes(range(256)) * 13 + bytes(172))
    wires = fragment(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", msg, mmv=1, vlan=[(0x88A8, 3), (0x8100, 4)]),
                     fmsn=6, convention=convention)
    other = _slac(1)
    path = _write(tmp_path, [(0.0, wires[0]), (0.01, other), (0.02, wires[1]), (0.03, wires[2])])
    dec = CaptureDecoder(path, types=types)
    recs = list(dec)
    frags = [r for r in recs if r.kind == "fragment"]
    assert [r.index for r in frags] == [1, 3, 4] and dec.stats.errors == 0 and dec.stats.incomplete == 0
    assert frags[-1].reassembled is not None and frags[-1].reassembled.message == msg
    assert [r.fragment.split(" of ")[0] for r in frags] == ["fragment 1/3", "fragment 2/3", "last fragment 3/3"]
    assert all(" of VS_RD_MEM.CNF, FMSN 6 " in r.fragment and r.fragment in summary_line(r) for r in frags)
    assert [r.index for r in recs if r.kind == "message"] == ([] if types else [2])


def test_a_60_byte_frame_with_a_fragment_looking_fmi_is_decoded_whole(tmp_path):
    wire = bytearray(_slac(3))
    wire[17] = 0x20  # FMI octets 20 00: "fragment 1 of 3" on a 60-byte frame
    path = _write(tmp_path, [(0.0, bytes(wire))])
    (rec,) = list(CaptureDecoder(path))
    assert rec.kind == "message" and rec.frame.message.run_id == bytes([3]) * 8 and rec.frame.fmi_anomaly
