"""FMI fragmentation and bounded reassembly, in both octet orders."""

from __future__ import annotations

import pytest

from plcstack.codec import RawMessage, decode_frame, encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.fragment import OPEN_PLC_UTILS, SPEC, PushResult, Reassembler, fragment

DST, SRC = "00:b0:52:12:34:56", "aa:aa:aa:aa:aa:aa"


def _big_frame(payload_len: int = 4000):
    msg = m.VS_RD_MEM_CNF(mstatus=0, address=0x1000, length=payload_len,
                          data=bytes(i & 0xFF for i in range(payload_len)))
    return make_frame(DST, SRC, msg, mmv=1)


@pytest.mark.parametrize("convention", [SPEC, OPEN_PLC_UTILS])
def test_fragment_and_reassemble(convention):
    frame = _big_frame()
    wires = fragment(frame, fmsn=7, convention=convention)
    assert len(wires) == 3 and all(len(w) <= 1514 for w in wires)
    r = Reassembler()
    results = [r.push(w, t=0.1 * i) for i, w in enumerate(wires)]
    assert [res for res, _ in results] == [PushResult.FRAGMENT, PushResult.FRAGMENT, PushResult.COMPLETE]
    whole = results[-1][1]
    assert whole is not None and whole.name == "VS_RD_MEM.CNF"
    assert whole.message.data == frame.message.data
    assert whole.oui == bytes.fromhex("00b052")
    assert r.convention_seen == convention
    assert r.buffered_bytes == 0


def test_a_full_fragment_may_arrive_early_a_short_one_may_not():
    wires = fragment(_big_frame(), fmsn=1)
    r = Reassembler()
    assert r.push(wires[1])[0] is PushResult.FRAGMENT  # full (1514 bytes): held
    assert r.push(wires[0])[0] is PushResult.FRAGMENT
    res, whole = r.push(wires[2])
    assert res is PushResult.COMPLETE and whole.message.length == 4000
    r2 = Reassembler()
    assert r2.push(wires[2], index=7)[0] is PushResult.ORPHAN  # short last fragment first: reported
    (rep,) = r2.pop_incomplete()
    assert rep.reason.startswith("orphan") and rep.frames == (7,) and rep.received == (2,)
    assert r2.pending == 0


def test_interleaved_messages_keyed_by_fmsn():
    a, b = fragment(_big_frame(), fmsn=1), fragment(_big_frame(3000), fmsn=2)
    r = Reassembler()
    done = [r.push(w)[1] for w in (a[0], b[0], a[1], b[1], a[2], b[2]) if r]
    names = [d.message.length for d in done if d is not None]
    assert sorted(names) == [3000, 4000]


def test_timeout_and_memory_bound():
    wires = fragment(_big_frame(), fmsn=3)
    r = Reassembler(timeout_s=1.0)
    r.push(wires[0], t=0.0)
    assert r.push(wires[1], t=5.0)[0] is PushResult.FRAGMENT  # the first expired; fragment 2 is full: held
    assert r.dropped == 1 and r.incomplete[0].reason.startswith("timeout")
    tiny = Reassembler(max_bytes=2000)
    assert tiny.push(wires[0])[0] is PushResult.FRAGMENT
    assert tiny.push(wires[1])[0] is PushResult.DROPPED
    assert tiny.buffered_bytes <= 2000 and tiny.incomplete[-1].reason.startswith("memory bound")
    many = Reassembler(max_pending=4)
    for fmsn in range(20):
        many.push(fragment(_big_frame(), fmsn=fmsn)[0])
    assert many.pending <= 4 and many.stats()["incomplete_by_reason"] == {"evicted": 16}


def test_single_frame_decode_marks_spec_fragments_raw():
    wires = fragment(_big_frame(), fmsn=9)
    first, second = decode_frame(wires[0]), decode_frame(wires[1])
    assert isinstance(first.message, RawMessage) and first.is_fragment and first.nf_mi == 2
    assert first.oui == bytes.fromhex("00b052")
    assert second.oui is None and second.fn_mi == 1 and second.fmsn == 9


def test_unfragmented_frames_pass_through():
    r = Reassembler()
    wire = fragment(make_frame(DST, SRC, m.VS_NW_INFO_REQ(), mmv=1))[0]
    assert r.push(wire)[0] is PushResult.NOT_FRAGMENT


# ----------------------------------------------------------------------------- the bugs of strictness


def _slac_parm(fmi: bytes, mmv: int = 1) -> bytes:
    wire = bytearray(encode_frame(make_frame("ff:ff:ff:ff:ff:ff", SRC, m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))))))
    wire[14] = mmv
    wire[17:19] = fmi
    return bytes(wire)


@pytest.mark.parametrize("mmv", [0x08, 0x20, 0x11, 0x03])
def test_corrupted_mmv_is_an_error_not_a_fragment(mmv):
    r = Reassembler()
    res, whole = r.push(_slac_parm(b"\x20\x00", mmv=mmv))
    assert res is PushResult.INVALID and whole is None
    assert r.last_error is not None and r.last_error.field == "mmv"
    assert r.pending == 0 and r.fragments == 0


def test_no_fmsn_value_makes_a_short_frame_a_fragment_in_either_order():
    r = Reassembler()
    match_cnf = encode_frame(make_frame(DST, SRC, m.CM_SLAC_MATCH_CNF(mvf_length=0x56)))
    assert len(match_cnf) == 109
    for fmsn in range(256):
        for wire in (_slac_parm(bytes((0, fmsn))), match_cnf[:17] + bytes((0, fmsn)) + match_cnf[19:]):
            assert r.push(wire)[0] is PushResult.NOT_FRAGMENT, f"FMSN 0x{fmsn:02X}"
            f = decode_frame(wire)
            assert not f.is_fragment and f.truncated is None
    assert r.pending == 0 and r.fragments == 0 and not r.incomplete


def test_unrelated_frames_with_fmsn_0x10_and_0x11_are_not_joined():
    r = Reassembler()
    first, second = _slac_parm(b"\x00\x10"), _slac_parm(b"\x00\x11")
    assert r.push(first)[0] is PushResult.NOT_FRAGMENT
    assert r.push(second)[0] is PushResult.NOT_FRAGMENT
    assert r.completed == 0 and r.pending == 0


def test_60_byte_slac_parm_with_fmi_20_00_is_decoded_not_held():
    wire = _slac_parm(b"\x20\x00")
    r = Reassembler()
    assert r.push(wire, t=0.0)[0] is PushResult.NOT_FRAGMENT
    assert r.finish() == [] and r.pending == 0
    f = decode_frame(wire)
    assert f.name == "CM_SLAC_PARM.REQ" and f.message.run_id == bytes(range(8)) and f.fmi_anomaly


def test_a_short_last_fragment_completes_its_sequence():
    wires = fragment(_big_frame(1495 - 12 + 10), fmsn=4)  # 10 bytes left for fragment 2: padded to 60
    assert len(wires) == 2 and len(wires[1]) == 60
    r = Reassembler()
    assert r.push(wires[0])[0] is PushResult.FRAGMENT
    res, whole = r.push(wires[1])
    assert res is PushResult.COMPLETE and whole.message.length == 1495 - 12 + 10
    assert r.push(wires[1])[0] is PushResult.NOT_FRAGMENT  # alone, a 60-byte frame is not a fragment


def test_inconsistent_fragment_counts_are_reported():
    a = fragment(_big_frame(4000), fmsn=9)
    b = fragment(_big_frame(2500), fmsn=9)  # same key, 2 fragments instead of 3
    r = Reassembler()
    r.push(a[0], t=0.0, index=1)
    assert r.push(b[1], t=0.1, index=2)[0] is PushResult.ORPHAN
    reasons = [i.reason for i in r.pop_incomplete()]
    assert reasons[0].startswith("inconsistent") and reasons[1].startswith("orphan")
    assert r.incomplete[0].frames == (1,) and r.incomplete[0].fragments == 3


def test_end_of_input_reports_what_is_pending():
    wires = fragment(_big_frame(), fmsn=2)
    r = Reassembler()
    r.push(wires[0], t=1.0, index=10)
    r.push(wires[1], t=1.1, index=11)
    (rep,) = r.finish()
    assert rep.reason == "end of input" and rep.received == (0, 1) and rep.frames == (10, 11)
    assert "got fragments 1,2 of 3" in rep.summary() and rep.to_json()["received"] == [1, 2]
    st = r.stats()
    assert st["incomplete"] == 1 and st["pending"] == 0 and st["fragments"] == 2 and st["buffered_bytes"] == 0
