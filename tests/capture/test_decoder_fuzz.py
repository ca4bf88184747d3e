"""Untrusted frames through the whole capture path: decoder, filters and every view never raise."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pcap_builders import T0, pcap_bytes

from plcstack.capture import CaptureDecoder, record_json, summary_line
from plcstack.capture.tree import frame_tree, hex_dump
from plcstack.codec import encode
from plcstack.codec import messages as m

SEED = encode("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))), vlan=5)
HEADS = [b"", SEED[:12] + b"\x88\xe1", SEED[:12] + b"\x88\x7b", SEED[:12] + b"\x81\x00\x00\x05\x88\xe1",
         SEED[:12] + b"\x88\xa8\x00\x01\x81\x00\x00\x02\x88\xe1", SEED[:18] + b"\x01\x08\x60\x00\x00"]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    head = draw(st.sampled_from(HEADS))
    body = draw(st.binary(max_size=120))
    if draw(st.booleans()):  # a mutated real frame
        data = bytearray(SEED)
        for pos, value in draw(st.lists(st.tuples(st.integers(0, len(SEED) - 1), st.integers(0, 255)), max_size=4)):
            data[pos] = value
        return bytes(data[: draw(st.integers(0, len(data)))])
    return head + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames(), min_size=1, max_size=8), st.sampled_from([1, 113, 276, 1 | 0x04000000 | 2 << 28]),
       st.sampled_from([None, "SLAC", "VS,HP10"]), st.sampled_from([None, "len > 20 or error", "vlan.pcp == 0"]))
def test_anything_decodes_to_records_and_views(batch: list[bytes], linktype: int, types: str | None,
                                               filt: str | None) -> None:
    data = pcap_bytes([(T0, i, f) for i, f in enumerate(batch)], linktype=linktype)
    dec = CaptureDecoder(io.BytesIO(data), types=types, display_filter=filt, verify=True)
    for rec in dec:
        summary_line(rec)
        json.dumps(record_json(rec))
        frame_tree(rec)
        hex_dump(rec)
    s = dec.stats
    assert s.packets == len(batch) and s.homeplug + s.non_homeplug == s.packets
    assert s.shown + s.filtered == s.homeplug and sum(s.by_type.values()) == s.shown
