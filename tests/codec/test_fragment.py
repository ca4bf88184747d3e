"""FMI fragmentation and bounded reassembly, in both octet orders."""

from __future__ import annotations

import pytest

from plcstack.codec import RawMessage, decode_frame, make_frame
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


def test_out_of_order_fragments():
    wires = fragment(_big_frame(), fmsn=1)
    r = Reassembler()
    assert r.push(wires[2])[0] is PushResult.FRAGMENT
    assert r.push(wires[0])[0] is PushResult.FRAGMENT
    res, whole = r.push(wires[1])
    assert res is PushResult.COMPLETE and whole.message.length == 4000


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
    assert r.push(wires[1], t=5.0)[0] is PushResult.FRAGMENT  # the first expired: a new message starts
    assert r.dropped == 1
    tiny = Reassembler(max_bytes=2000)
    assert tiny.push(wires[0])[0] is PushResult.FRAGMENT
    assert tiny.push(wires[1])[0] is PushResult.DROPPED
    assert tiny.buffered_bytes <= 2000
    many = Reassembler(max_pending=4)
    for fmsn in range(20):
        many.push(fragment(_big_frame(), fmsn=fmsn)[0])
    assert len(many._pending) <= 4


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
