"""The batch (column-wise) path against the per-frame decoder: every field of every frame equal.

Real frames of every shared capture (skips without ``../shared``), hypothesis-fuzzed chunks (random
and bit-flipped headers, truncated and extended bodies, every declared message with generated
values), and the header-only path against ``decode_header`` frame by frame.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcstack.codec import (
    DecodeError,
    Frame,
    decode_ethernet,
    decode_frame,
    decode_header,
    encode_frame,
    make_frame,
)
from plcstack.codec import messages as M
from plcstack.codec.batch import ERROR, OK, OTHER, BatchDecoder, decode_batch
from plcstack.codec.fragment import fragment
from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, REST, TEXT, VARBYTES, Layout, _eval
from plcstack.codec.names import KNOWN_OUIS, OUI_NONE
from plcstack.codec.registry import all_definitions, key_table
from plcstack.pcapio import LINKTYPE_ETHERNET, open_capture

ETH = bytes.fromhex("ffffffffffff020000000001")
MMTYPES = sorted({k[1] for k in key_table()})
OUIS = [*KNOWN_OUIS, OUI_NONE, b"\x12\x34\x56"]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chunk_of(frames: list[bytes], gap: int = 0) -> tuple[bytes, np.ndarray, np.ndarray]:
    """One buffer holding the frames (``gap`` filler bytes between them), with offsets and lengths."""
    parts, offs, at = [], [], 0
    for f in frames:
        parts.append(f + b"\xa5" * gap)
        offs.append(at)
        at += len(f) + gap
    return b"".join(parts), np.array(offs, dtype=np.int64), np.array([len(f) for f in frames], dtype=np.int64)


def _same(got: Any, want: Any) -> bool:
    """Equal values and equal classes, all the way down (namedtuples compare as plain tuples)."""
    if type(got) is not type(want):
        return False
    if isinstance(got, tuple | list):
        return len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want, strict=True))
    return bool(got == want)


def carries_homeplug_av(frame: bytes) -> bool:
    """0x88E1 after the VLAN tags, inside the frame."""
    try:
        return decode_ethernet(frame).ethertype == 0x88E1
    except DecodeError:
        return False


def per_frame(frame: bytes) -> Frame | DecodeError | None:
    """decode_frame's answer; None for a frame that is not HomePlug AV."""
    try:
        return decode_frame(frame)
    except DecodeError as exc:
        return None if exc.field == "ethertype" or not carries_homeplug_av(frame) else exc


def assert_batch_equals_per_frame(frames: list[bytes], decoder: BatchDecoder | None = None, gap: int = 0) -> None:
    buf, offs, lens = chunk_of(frames, gap)
    chunk = (decoder or BatchDecoder()).decode(buf, offs, lens)
    rows = dict(chunk.frames())
    assert sorted(rows) == list(range(len(frames)))
    h = chunk.headers
    for i, raw in enumerate(frames):
        want, got = per_frame(raw), rows[i]
        if isinstance(want, DecodeError):
            assert isinstance(got, DecodeError), (i, raw.hex(), got)
            assert (str(got), got.field, got.offset) == (str(want), want.field, want.offset), raw.hex()
        elif want is None:
            assert got is None, (i, raw.hex(), got)
        else:
            assert isinstance(got, Frame) and _same(got, want), (i, raw.hex(), got, want)
        # the header path: exactly decode_header's answer (body offset relative to the frame)
        try:
            wh: Any = decode_header(raw)
        except DecodeError as exc:
            wh = exc
        gh = h.header(i)
        if isinstance(wh, DecodeError):
            assert isinstance(gh, DecodeError) and str(gh) == str(wh), raw.hex()
            assert h.status[i] in (ERROR, OTHER)
            assert h.error_of(i) is gh
        else:
            assert not isinstance(gh, DecodeError), (raw.hex(), gh)
            assert _same(gh._replace(body_offset=gh.body_offset - int(offs[i])), wh), raw.hex()
            assert h.status[i] == OK
            assert h.mmv[i] == wh.mmv and h.mmtype[i] == wh.mmtype
            assert h.fmi[i] == (-1 if wh.fmi is None else wh.fmi)
            assert h.oui[i] == (-1 if wh.oui is None else int.from_bytes(wh.oui, "big"))
            assert h.vlan[i] == (-1 if wh.vlan is None else wh.vlan)
            assert h.body[i] - offs[i] == wh.body_offset


# ----------------------------------------------------------------------------- real captures


def _ethernet_frames(path: Any) -> list[bytes]:
    with open_capture(path) as reader:
        return [bytes(buf[off:off + n]) for _i, _t, buf, off, n, lt in reader if lt == LINKTYPE_ETHERNET]


def test_every_frame_of_every_shared_capture(capture_files):
    total = 0
    decoder = BatchDecoder()  # one decoder for all files: header shapes learnt in one file reused in the next
    for path in capture_files:
        frames = _ethernet_frames(path)
        assert_batch_equals_per_frame(frames, decoder)
        total += len(frames)
    assert total > 10_000


def test_shared_captures_in_small_chunks(capture_files):
    # rows near the end of a buffer and a decoder that has seen every shape before
    decoder = BatchDecoder()
    for path in capture_files:
        frames = _ethernet_frames(path)
        for k in range(0, len(frames), 97):
            assert_batch_equals_per_frame(frames[k:k + 97], decoder)


# ----------------------------------------------------------------------------- built and fuzzed frames


def _value(f: Any, draw: st.DrawFn) -> Any:
    if f.kind == INT:
        return draw(st.integers(0, (1 << (8 * f.size)) - 1))
    return draw(st.binary(min_size=f.size, max_size=f.size))


def message_values(rec: Layout, depth: int = 0) -> st.SearchStrategy[Any]:
    """Field values from the declaration; counts small and mostly consistent with their data."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        values: dict[str, Any] = {}
        for f in rec.fields:
            if f.when is not None:
                try:
                    present = _eval(f.when, values)
                except TypeError:
                    present = False
                if not present:
                    values[f.name] = None
                    continue
            if f.kind == INT:
                values[f.name] = draw(st.one_of(st.integers(0, 4), st.integers(0, (1 << (8 * f.size)) - 1)))
            elif f.kind in (BYTES, MAC, TEXT):
                values[f.name] = _value(f, draw)
            elif f.kind == VARBYTES:
                n = _eval(f.count or "0", values)
                values[f.name] = draw(st.binary(min_size=min(n, 64), max_size=min(n, 64)))
            elif f.kind == REST:
                values[f.name] = draw(st.binary(max_size=40))
            elif f.kind == ARRAY:
                assert f.item is not None
                n = min(_eval(f.count or "0", values), 3 if depth == 0 else 2)
                values[f.name] = [draw(message_values(f.item, depth + 1)) for _ in range(n)]
        return tuple.__new__(rec.cls, tuple(values[f.name] for f in rec.fields))

    return build()


@st.composite
def declared_frame(draw: st.DrawFn) -> bytes:
    """A frame of a declared message with generated values, then maybe cut or extended."""
    mdef = draw(st.sampled_from(all_definitions()))
    msg = draw(message_values(mdef.layout))
    kw: dict[str, Any] = {}
    if mdef.mmv is not None:
        kw["mmv"] = mdef.mmv
    vlan = draw(st.sampled_from([None, None, 5, 0x2007, ((0x88A8, 100), (0x8100, 5))]))
    try:
        raw = encode_frame(make_frame(ETH[:6], ETH[6:], msg, vlan=vlan, **kw)._replace(trailing=b""))
    except Exception:  # counts that the generated data cannot satisfy: encode the message as it is
        raw = encode_frame(make_frame(ETH[:6], ETH[6:], mdef.cls(), vlan=vlan, **kw))
    op = draw(st.sampled_from(["none", "none", "cut", "extend", "pad"]))
    if op == "cut":
        raw = raw[:draw(st.integers(0, len(raw)))]
    elif op == "extend":
        raw += draw(st.binary(min_size=1, max_size=40))
    elif op == "pad" and len(raw) < 60:
        raw += bytes(60 - len(raw))
    return raw


@st.composite
def homeplug_like(draw: st.DrawFn) -> bytes:
    tags = draw(st.sampled_from([b"", b"", b"\x81\x00\x00\x05", b"\x88\xa8\x00\x07\x81\x00\x00\x05",
                                 b"\x81\x00\x00\x01\x81\x00\x00\x01", b"\x91\x00\x00\x02",
                                 b"\x81\x00\x00\x01" * 3]))
    et = draw(st.sampled_from([b"\x88\xe1", b"\x88\xe1", b"\x88\x7b", b"\x08\x00", b"\x86\xdd"]))
    mmv = draw(st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 255)))
    mmtype = draw(st.one_of(st.sampled_from(MMTYPES), st.integers(0, 0xFFFF)))
    fmi = draw(st.one_of(st.just(b"\0\0"), st.binary(min_size=2, max_size=2))) if mmv in (1, 2) else b""
    oui = draw(st.one_of(st.sampled_from(OUIS), st.just(b""))) if mmtype >= 0x8000 else b""
    body = draw(st.binary(max_size=120))
    wire = ETH + tags + et + bytes([mmv]) + mmtype.to_bytes(2, "little") + fmi + oui + body
    return wire[:draw(st.integers(0, len(wire)))] if draw(st.booleans()) else wire


@st.composite
def bit_flipped(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(declared_frame()))
    for _ in range(draw(st.integers(1, 3))):
        if data:
            pos = draw(st.one_of(st.integers(12, max(12, min(24, len(data) - 1))), st.integers(0, len(data) - 1)))
            if pos < len(data):
                data[pos] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


frame_mix = st.one_of(declared_frame(), homeplug_like(), bit_flipped())


@FUZZ
@given(st.lists(frame_mix, min_size=1, max_size=40), st.integers(0, 3))
def test_fuzzed_chunks(frames: list[bytes], gap: int):
    assert_batch_equals_per_frame(frames, gap=gap)


_SHARED_DECODER = BatchDecoder()


@FUZZ
@given(st.lists(st.one_of(declared_frame(), bit_flipped()), min_size=1, max_size=40))
def test_fuzzed_chunks_with_a_long_lived_decoder(frames: list[bytes]):
    # shapes learnt from earlier examples must hold for every later frame of that shape
    assert_batch_equals_per_frame(frames, _SHARED_DECODER)


@cache
def _groups_of_one_type() -> list[bytes]:
    """Many frames of one layout with different counts, conditions and cuts: one column group."""
    out = []
    for n in range(0, 12):
        groups = bytes(range(n))
        for cut in (0, 1, 5):
            raw = encode_frame(make_frame(ETH[:6], ETH[6:], M.CM_ATTEN_PROFILE_IND(pev_mac=ETH[6:], num_groups=n,
                                                                                   aag=groups)))
            out.append(raw[:len(raw) - cut] if cut else raw)
    interval = _item(M.VS_LNK_STATS_CNF, "rx_intervals")
    for direction in (0, 1, 2, 3):
        for k in (0, 2):
            msg = M.VS_LNK_STATS_CNF(direction=direction, tx_mpdu_acked=direction, rx_pb_passed=7,
                                     rx_intervals=[interval(phy_rate=i, pb_passed=1 << 40) for i in range(k)])
            out.append(encode_frame(make_frame(ETH[:6], ETH[6:], msg)))
    return out


def _item(outer: Any, name: str) -> Any:
    """The generated item class of array ``name`` of a message class (or of an item class)."""
    from plcstack.codec.registry import definition_of

    fields = definition_of(outer).fields if outer in _CLASSES else _ITEMS[outer].fields
    item = next(f for f in fields if f.name == name).item
    assert item is not None
    _ITEMS[item.cls] = item
    return item.cls


_CLASSES = {d.cls for d in all_definitions()}
_ITEMS: dict[Any, Layout] = {}


def test_one_layout_many_variants():
    assert_batch_equals_per_frame(_groups_of_one_type())


def test_nested_variable_arrays():
    network = _item(M.VS_NW_INFO_CNF, "networks")
    station = _item(network, "stations")
    frames = []
    for k in range(5):
        networks = []
        for j in range(k):
            stations = [station(mac=bytes([j, i, 0, 0, 0, 1]), tei=i + 1, bda=bytes(6), avg_tx=100 + i,
                                    avg_rx=90 + i) for i in range(j)]
            networks.append(network(nid=bytes(7), snid=j, tei=1, role=2, cco_mac=bytes(6), cco_tei=1,
                                     num_stations=len(stations), stations=stations))
        msg = M.VS_NW_INFO_CNF(num_avlns=len(networks), networks=networks)
        raw = encode_frame(make_frame(ETH[:6], ETH[6:], msg, mmv=1))
        frames += [raw, raw[:len(raw) - 3], raw + b"\x01\x02"]
    assert_batch_equals_per_frame(frames)


def test_fragments_and_errors_are_decoded_one_by_one():
    msg = M.VS_RD_MEM_CNF(length=3000, data=bytes(range(256)) * 11 + bytes(184))
    wires = fragment(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", msg, mmv=1), fmsn=3)
    bad_mmv = bytearray(wires[0])
    bad_mmv[14] = 0x11
    frames = [*wires, bytes(bad_mmv), ETH + b"\x88\xe1", ETH + b"\x08\x00" + bytes(46), b"\x01\x02"]
    chunk = decode_batch(*chunk_of(frames))
    assert set(chunk.single) >= {0, 1}  # non-zero FMI: per frame (reassembly is the capture layer's job)
    assert_batch_equals_per_frame(frames)


def test_empty_chunk():
    chunk = decode_batch(b"", np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert list(chunk.frames()) == [] and len(chunk.headers) == 0


def test_remembered_shapes_do_not_keep_chunks_alive():
    frames = [b"\xff" * 12 + b"\x88\xe1\x11\x64\x60" + bytes(43), b"\xff" * 12 + b"\x88\xe1\x01\x64\x70" + bytes(43)]
    decoder = BatchDecoder()
    decoder.decode(*chunk_of(frames))
    errors = [e for s in decoder._table.by_key.values() for e in (s.error, s.frame_error) if e is not None]
    assert len(errors) == 2 and all(e.__traceback__ is None for e in errors)  # a traceback holds the chunk
