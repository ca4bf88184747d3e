"""Property tests of the codec (hypothesis).

(a) arbitrary bytes, with and without a valid Ethernet + 0x88E1 header, only ever raise DecodeError;
(b) mutated real frames only raise DecodeError, and whatever decodes re-encodes to the same bytes;
(c) every declared message encodes and decodes back equal for generated field values;
(d) bit errors in the MMV / MMTYPE / OUI octets of a real vendor frame give the documented result;
(e) describe() and the reassembler take anything: views tile every frame that decodes, the
    reassembler never raises and stays within its bounds.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plcstack.codec import DecodeError, decode_frame, decode_header, encode_frame, make_frame
from plcstack.codec import messages as M
from plcstack.codec.layout import ARRAY, INT, REST, VARBYTES, Layout, _count_refs, _eval
from plcstack.codec.names import KNOWN_OUIS, OUI_NONE, OUI_QCA, is_known
from plcstack.codec.registry import MessageDef, all_definitions, key_table

CAPTURES = Path(__file__).resolve().parents[3] / "shared" / "captures"  # as tests/conftest.py

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MMTYPES = sorted({k[1] for k in key_table()})
OUIS = [*KNOWN_OUIS, OUI_NONE, b"\x12\x34\x56"]
ETH = bytes.fromhex("ffffffffffff020000000001")


def _decode_only_decodeerror(data: bytes) -> Any:
    try:
        frame = decode_frame(data)
    except DecodeError as exc:
        assert exc.field is not None  # every rejection names the field at fault
        return None
    # whatever decodes re-encodes exactly (frames from the wire keep their trailing bytes)
    assert encode_frame(frame) == data
    return frame


# ----------------------------------------------------------------------------- (a) random bytes


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_only_raise_decode_error(data: bytes):
    _decode_only_decodeerror(data)
    try:
        decode_header(data)
    except DecodeError:
        pass


@st.composite
def homeplug_like(draw: st.DrawFn) -> bytes:
    tag = draw(st.sampled_from([b"\x81\x00", b"\x88\xa8", b"\x91\x00"]))
    vlan = draw(st.sampled_from([b"", tag + draw(st.binary(min_size=2, max_size=2)),
                                 b"\x88\xa8\x00\x64\x81\x00" + draw(st.binary(min_size=2, max_size=2))]))
    mmv = draw(st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 255)))
    mmtype = draw(st.one_of(st.sampled_from(MMTYPES), st.integers(0, 0xFFFF)))
    fmi = draw(st.one_of(st.just(b"\0\0"), st.binary(min_size=2, max_size=2))) if mmv in (1, 2) else b""
    oui = draw(st.one_of(st.sampled_from(OUIS), st.just(b""))) if mmtype >= 0x8000 else b""
    body = draw(st.binary(max_size=160))
    cut = draw(st.integers(0, 200))
    wire = ETH + vlan + b"\x88\xe1" + bytes([mmv]) + mmtype.to_bytes(2, "little") + fmi + oui + body
    return wire[:len(wire) - cut] if draw(st.booleans()) else wire


@FAST
@given(homeplug_like())
def test_random_homeplug_frames_only_raise_decode_error(data: bytes):
    _decode_only_decodeerror(data)


def test_every_registered_mmtype_with_random_body():
    # deterministic sweep: every registered (mmv, mmtype, oui) with bodies of every length 0..80
    for (mmv, mmtype, oui) in key_table():
        hdr = ETH + b"\x88\xe1" + bytes([mmv]) + mmtype.to_bytes(2, "little") + (b"\0\0" if mmv else b"")
        hdr += oui or b""
        for n in range(0, 81, 7):
            for fill in (0x00, 0xFF, 0x5A):
                _decode_only_decodeerror(hdr + bytes([fill]) * n)


# ----------------------------------------------------------------------------- (b) mutated real frames


@cache
def sample_frames() -> tuple[bytes, ...]:
    """Up to 3 real frames per (MMV, MMTYPE, OUI) from the shared captures, plus frames built here."""
    from plcstack.pcapio import open_capture

    picked: dict[Any, list[bytes]] = {}
    for path in sorted(p for p in CAPTURES.glob("*/*") if p.suffix in (".pcap", ".pcapng")):
        with open_capture(path) as reader:
            for _i, _t, buf, off, n, _l in reader:
                raw = bytes(buf[off:off + n])
                if raw[12:14] != b"\x88\xe1":
                    continue
                try:
                    h = decode_header(raw)
                except DecodeError:
                    continue
                lst = picked.setdefault((h.mmv, h.mmtype, h.oui), [])
                if len(lst) < 3:
                    lst.append(raw)
    built = [encode_frame(make_frame(ETH[:6], ETH[6:], d.cls())) for d in all_definitions()]
    return tuple(r for lst in picked.values() for r in lst) + tuple(built)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    frames = sample_frames()
    data = bytearray(draw(st.sampled_from(frames)))
    for _ in range(draw(st.integers(0, 4))):  # bit flips, biased to the headers
        pos = draw(st.one_of(st.integers(12, min(30, len(data) - 1)), st.integers(0, len(data) - 1)))
        data[pos] ^= 1 << draw(st.integers(0, 7))
    op = draw(st.sampled_from(["none", "truncate", "extend"]))
    if op == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif op == "extend":
        data += draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_real_frames(data: bytes):
    _decode_only_decodeerror(data)


def test_sample_frames_roundtrip_unmutated():
    frames = sample_frames()
    assert len(frames) >= len(all_definitions())
    for raw in frames:
        assert _decode_only_decodeerror(raw) is not None


# ----------------------------------------------------------------------------- (c) declared messages


def _length_refs(rec: Layout) -> set[str]:
    """Fields used inside count expressions that are not simple references (kept small)."""
    import re

    out: set[str] = set()
    for f in rec.fields:
        if f.kind in (VARBYTES, ARRAY) and f.count and not re.fullmatch(r"\{\w+\}", f.count.strip()):
            out |= set(re.findall(r"\{(\w+)\}", f.count))
    return out


def message_strategy(rec: Layout, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for every field of ``rec``, built from its declaration; count fields match their data."""
    counts = _count_refs(rec.fields)
    small = _length_refs(rec)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        values: dict[str, Any] = {}
        for f in rec.fields:
            if f.when is not None and not _eval(f.when, {k: (0 if v is None else v) for k, v in values.items()}):
                values[f.name] = None
                continue
            if f.name in counts:
                values[f.name] = None  # set from its data below
            elif f.kind == INT:
                top = 40 if f.name in small else (1 << (8 * f.size)) - 1
                values[f.name] = draw(st.integers(0, top))
            elif f.kind == VARBYTES:
                target_of = {t.name: ref for ref, t in counts.items()}
                if f.name in target_of:
                    cap = (1 << (8 * next(x for x in rec.fields if x.name == target_of[f.name]).size)) - 1
                    values[f.name] = draw(st.binary(max_size=min(cap, 40)))
                else:
                    values[f.name] = draw(st.binary(min_size=_eval(f.count, values), max_size=_eval(f.count, values)))
            elif f.kind == REST:
                values[f.name] = draw(st.binary(max_size=40))
            elif f.kind == ARRAY:
                assert f.item is not None
                values[f.name] = draw(st.lists(message_strategy(f.item, depth + 1), max_size=3 if depth == 0 else 2))
            else:
                values[f.name] = draw(st.binary(min_size=f.size, max_size=f.size))
        for ref, target in counts.items():
            if values.get(target.name) is not None:
                values[ref] = len(values[target.name])
        return tuple.__new__(rec.cls, tuple(values[f.name] for f in rec.fields))

    return build()


@pytest.mark.parametrize("mdef", all_definitions(), ids=lambda d: d.layout.name)
def test_declared_message_roundtrip(mdef: MessageDef):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(message_strategy(mdef.layout))
    def check(msg: Any) -> None:
        frame = make_frame(ETH[:6], ETH[6:], msg)._replace(trailing=b"")
        raw = encode_frame(frame)
        back = decode_frame(raw)
        assert back.truncated is None
        assert type(back.message) is mdef.cls
        assert back.message == msg
        assert encode_frame(back) == raw
        # with padding: same message unless a rest() field takes the pad, and the bytes round-trip
        padded = encode_frame(frame._replace(trailing=None))
        assert encode_frame(decode_frame(padded)) == padded

    check()


# ----------------------------------------------------------------------------- (d) header bit errors


def _vendor_frame() -> bytes:
    """A real QCA VS_SW_VER.CNF (MMV 0, OUI 00:B0:52) from the captures, or one built like it."""
    for raw in sample_frames():
        if raw[14:20] == bytes.fromhex("0001a000b052"):
            return raw
    return encode_frame(make_frame(ETH[:6], ETH[6:], M.VS_SW_VER_CNF(device_class=0x20, version_length=4,
                                                                    version=b"test".ljust(254, b"\0"))))


@pytest.mark.parametrize("bit", range(8))
@pytest.mark.parametrize("pos", range(14, 20), ids=["mmv", "mmtype_lo", "mmtype_hi", "oui0", "oui1", "oui2"])
def test_header_bit_errors_in_a_vendor_frame(pos: int, bit: int):
    raw = bytearray(_vendor_frame())
    assert raw[14:20] == bytes.fromhex("0001a000b052")
    raw[pos] ^= 1 << bit
    data = bytes(raw)
    mmv, mmtype = data[14], data[15] | data[16] << 8
    try:
        frame = decode_frame(data)
    except DecodeError as exc:
        err = exc
        frame = None
    if pos == 14:  # MMV
        if mmv > 2:
            assert frame is None and err.field == "mmv"
        else:
            # MMV 1/2: the OUI's first octets become FMI (00 B0), the OUI is read after them:
            # 52 + the first MMENTRY octets is no known OUI
            assert frame is None and err.field == "oui"
    elif pos in (15, 16):  # MMTYPE
        if mmtype >= 0xC000 or (mmtype < 0x8000 and not is_known(mmtype)):
            assert frame is None and err.field == "mmtype"
        else:
            # another (known or raw) type; its OUI read per the range rules
            assert frame is not None and frame.mmtype == mmtype
            assert encode_frame(frame) == data
            if mmtype >= 0x8000:
                assert frame.oui == OUI_QCA
            else:
                assert frame.oui is None  # public types carry no OUI: 00 B0 52 becomes MMENTRY
    else:  # OUI: no single bit error of 00:B0:52 gives another known OUI
        assert frame is None and err.field == "oui"
        assert err.offset == 17  # offset of the OUI in the frame


# ----------------------------------------------------------------------------- (e) views and reassembly


@FAST
@given(homeplug_like())
def test_describe_tiles_every_frame_that_decodes(data: bytes):
    from plcstack.codec.describe import ERROR, describe, leaves

    views = describe(data, errors="keep")
    try:
        decode_frame(data)
    except DecodeError:
        assert views and views[-1].kind == ERROR
        return
    p = 0
    for leaf in leaves(views):
        assert leaf.start == p
        p = leaf.end
    assert p == len(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(homeplug_like(), st.floats(0, 10)), max_size=40))
def test_reassembler_takes_anything_within_bounds(frames):
    from plcstack.codec.fragment import PushResult, Reassembler

    r = Reassembler(max_bytes=4000, max_pending=3)
    t = 0.0
    for data, dt in frames:
        t += dt
        res, whole = r.push(data, t)
        assert (whole is not None) == (res is PushResult.COMPLETE)
        assert r.buffered_bytes <= 4000 and r.pending <= 3
    r.finish()
    assert r.pending == 0 and r.buffered_bytes == 0
