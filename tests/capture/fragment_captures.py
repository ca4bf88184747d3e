"""Hypothesis-generated captures of MME fragment sequences, for comparing the batch and per-frame paths.

A capture holds a few fragmented messages (vendor, manufacturer-specific and standard types), each
split in the spec or the open-plc-utils FMI octet order, tagged or not, with any FMSN; their pieces
are interleaved, reordered, left out or sent twice, with whole MMV-1 messages (FMI ``00 FMSN``)
between them and an occasional gap longer than the reassembly timeout.
"""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import strategies as st

from plcstack.codec import RawMessage, encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.fragment import MAX_ETHER_PAYLOAD, OPEN_PLC_UTILS, SPEC, fragment
from plcstack.pcapio import write_pcap

HOST = "00:b0:52:00:00:01"
SENDERS = ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03")
# VS_GET_PROPERTY.CNF and VS_RD_MEM.CNF (vendor: an OUI in the first fragment only), a
# manufacturer-specific type and CM_ENCRYPTED_PAYLOAD.IND (standard: no OUI at all)
MMTYPES = (0xA0F9, 0xA009, 0x8001, 0x6006)
PIECE = MAX_ETHER_PAYLOAD - 5  # fragment payload of a full fragment


@st.composite
def fragmented_message(draw: st.DrawFn) -> list[bytes]:
    """The wire fragments of one message."""
    pieces = draw(st.integers(2, 4))
    last = draw(st.sampled_from([1, 20, 400, PIECE]) | st.integers(1, PIECE))
    seed = draw(st.integers(0, 2**32 - 1))
    body = random.Random(seed).randbytes((pieces - 1) * PIECE + last - 3)  # 3: the OUI of vendor types
    if draw(st.booleans()):
        body = bytes(len(body))  # zero bytes read as the "no OUI" vendor OUI where an OUI is expected
    vlan = draw(st.none() | st.integers(0, 0xFFFF))
    frame = make_frame(HOST, draw(st.sampled_from(SENDERS)), RawMessage(body), mmtype=draw(st.sampled_from(MMTYPES)),
                       mmv=1, vlan=vlan)
    return fragment(frame, fmsn=draw(st.integers(0, 255)), convention=draw(st.sampled_from([SPEC, OPEN_PLC_UTILS])))


@st.composite
def whole_message(draw: st.DrawFn) -> list[bytes]:
    """A whole MMV-1 message whose FMI is ``00 FMSN`` (what every unfragmented frame of a stream looks like)."""
    msg = draw(st.sampled_from([m.VS_SW_VER_REQ(cookie=7), m.CM_SLAC_PARM_REQ(run_id=bytes(range(8)))]))
    return [encode_frame(make_frame(HOST, draw(st.sampled_from(SENDERS)), msg, mmv=1, fmi=draw(st.integers(0, 255))))]


@st.composite
def fragment_capture(draw: st.DrawFn) -> list[tuple[float, bytes]]:
    """(time, frame) records: pieces of several messages, interleaved, reordered, lost and repeated."""
    messages = draw(st.lists(fragmented_message() | whole_message(), min_size=1, max_size=5))
    pieces = [(k, n, wire) for k, frames in enumerate(messages) for n, wire in enumerate(frames)]
    # per piece: a sort key (all equal: one message after the other, in order), lost, sent twice
    fates = draw(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 9), st.integers(0, 9)),
                          min_size=len(pieces), max_size=len(pieces)))
    order = sorted(range(len(pieces)), key=lambda i: (fates[i][0], i))
    frames: list[bytes] = []
    for i in order:
        _key, lost, twice = fates[i]
        if lost == 9:
            continue
        frames += [pieces[i][2]] * (2 if twice == 9 else 1)
    gaps = draw(st.lists(st.sampled_from([0.001, 0.001, 0.001, 2.5]), min_size=len(frames), max_size=len(frames)))
    t, out = 1_700_000_000.0, []
    for gap, wire in zip(gaps, frames, strict=True):
        t += gap
        out.append((t, wire))
    return out


def write_capture(path: Path, records: list[tuple[float, bytes]]) -> Path:
    write_pcap(path, records)
    return path
