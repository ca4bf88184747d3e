"""Field views: every byte of a frame belongs to exactly one field, values match the decoder."""

from __future__ import annotations

import json

import pytest

from plcstack.codec import DecodeError, decode_frame, encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.describe import ERROR, describe, describe_json, leaves
from plcstack.codec.registry import all_definitions
from plcstack.pcapio import open_capture

SRC, DST = "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"


def _check_partition(raw: bytes) -> None:
    """The leaf views tile the frame: contiguous, in order, from 0 to its length."""
    views = describe(raw)
    p = 0
    for leaf in leaves(views):
        assert leaf.start == p, (leaf.path, leaf.start, p)
        assert leaf.end >= leaf.start
        p = leaf.end
    assert p == len(raw)
    json.dumps([v.to_json() for v in views])


@pytest.mark.parametrize("mdef", all_definitions(), ids=lambda d: d.layout.name)
def test_every_declared_message_is_described(mdef):
    raw = encode_frame(make_frame(DST, SRC, mdef.cls()))
    _check_partition(raw)
    top = {v.path for v in describe(raw)}
    assert {"eth.dst", "eth.src", "eth.type", "mme.mmv", "mme.mmtype"} <= top
    assert ("mme.oui" in top) == (mdef.oui is not None)


def test_values_names_units_and_offsets_of_a_slac_frame():
    raw = encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_CNF(num_sounds=10, time_out=6, resp_type=1,
                                                               run_id=bytes(range(8))), vlan=0x2005))
    by_path = {v.path: v for top in describe(raw) for v in top.walk()}
    t = by_path["time_out"]
    assert (t.value, t.unit, t.quantity, t.start, t.end) == (6, "ms", 600, 18 + 5 + 7, 18 + 5 + 8)
    assert raw[t.start] == 6
    assert by_path["resp_type"].value_name == "TO_OTHER_STA"
    assert by_path["run_id"].value == bytes(range(8)) and raw[by_path["run_id"].start:by_path["run_id"].end] == \
        bytes(range(8))
    assert by_path["vlan[0].vid"].value == 5 and by_path["vlan[0].pcp"].value == 1
    assert by_path["mme.mmtype"].value_name == "CM_SLAC_PARM.CNF"
    assert by_path["time_out"].display() == "6 (600 ms)"


def test_arrays_give_indexed_paths():
    msg = m.CM_NW_STATS_CNF(stations=[(b"\x02" * 6, 100, 90), (b"\x04" * 6, 50, 40)])
    raw = encode_frame(make_frame(DST, SRC, msg))
    by_path = {v.path: v for top in describe(raw) for v in top.walk()}
    st = by_path["stations[1].da"]
    assert st.value == b"\x04" * 6 and raw[st.start:st.end] == b"\x04" * 6
    assert by_path["stations[1].avg_phy_rate_rx"].unit == "Mbit/s"
    js = describe_json(raw)
    arr = next(v for v in js if v["path"] == "stations")
    assert arr["children"][0]["children"][0]["value"] == "02:02:02:02:02:02"


def test_json_keeps_the_integer_and_adds_the_name():
    raw = encode_frame(make_frame(DST, SRC, m.CM_SET_KEY_CNF(result=1, pid=4)))
    res = next(v for v in describe_json(raw) if v["path"] == "result")
    assert res["value"] == 1 and res["value_name"] == "FAILURE" and "Qualcomm" in res["note"]


def test_truncated_frames_describe_what_is_there():
    full = encode_frame(make_frame(DST, SRC, m.CM_ATTEN_CHAR_IND(num_sounds=10, aag=bytes(58))))
    _check_partition(full[:70])
    _check_partition(full[:100])


def test_errors_raise_or_are_kept():
    bad = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ())))
    bad[14] = 0x08
    with pytest.raises(DecodeError):
        describe(bytes(bad))
    views = describe(bytes(bad), errors="keep")
    assert views[-1].kind == ERROR and "mmv" in views[-1].note and views[-1].start == 14


def test_every_shared_capture_frame_is_tiled(capture_files):
    n = 0
    for path in capture_files:
        with open_capture(path) as reader:
            for _i, _t, buf, off, length, _lt in reader:
                raw = bytes(buf[off:off + length])
                try:
                    decode_frame(raw)
                except DecodeError:
                    continue
                _check_partition(raw)
                n += 1
    assert n > 2000


def test_homeplug_1_0_frames_are_described():
    wire = bytes.fromhex("ffffffffffff020000000001" "887b" "02" "0700" "2403aabbcc") + bytes(20)
    views = describe(wire)
    by_path = {v.path: v for top in views for v in top.walk()}
    assert by_path["hp10.mctrl.ne"].value == 2
    assert by_path["hp10.entries[1].metype"].value == 4 and by_path["hp10.entries[1].mev"].value == 1
    assert by_path["hp10.entries[1].data"].value == bytes.fromhex("aabbcc")
    _check_partition(wire)
