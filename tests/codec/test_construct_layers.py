"""plcstack.construct_layers: construct parses every frame to the fields our decoder gives, and builds it back."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

construct = pytest.importorskip("construct", reason="needs the construct extra (pip install 'plcstack[construct]')")

from plcstack import construct_layers as C  # noqa: E402
from plcstack.capture import iter_decoded  # noqa: E402
from plcstack.codec import RawMessage, decode_frame, encode_frame, make_frame, messages  # noqa: E402
from plcstack.codec.layout import ARRAY, Layout  # noqa: E402
from plcstack.codec.registry import all_definitions, definition_of  # noqa: E402
from plcstack.samples import realistic_mix  # noqa: E402

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"


def same_fields(layout: Layout, ours: Any, theirs: Any) -> bool:
    """Our message tuple and construct's Container hold the same value in every declared field."""
    for f in layout.fields:
        mine, other = getattr(ours, f.name), theirs[f.name]
        if f.kind == ARRAY and mine is not None:
            assert f.item is not None
            if len(mine) != len(other) or not all(same_fields(f.item, a, b) for a, b in zip(mine, other, strict=True)):
                return False
        elif mine != other:
            return False
    return True


def check(data: bytes, where: str) -> bool:
    """Compare construct with our decoder on one frame; False when there is no complete typed body."""
    frame = decode_frame(data)
    if isinstance(frame.message, RawMessage) or frame.truncated:
        return False
    header, body = C.parse_frame(data)
    mdef = definition_of(frame.message)
    assert body is not None and header.body_offset <= len(data), where
    assert same_fields(mdef.layout, frame.message, body), f"{where}: {mdef.name}\n{frame.message}\n{body}"
    layout_end = len(data) - len(frame.trailing or b"")
    assert C.body_struct(mdef).build(body) == data[header.body_offset:layout_end], where
    return True


def test_every_declaration_has_a_struct() -> None:
    names = {d.cls.__name__ for d in all_definitions()}
    assert set(C.STRUCTS) == names and len(names) > 80
    for d in all_definitions():
        assert [sc.name for sc in C.STRUCTS[d.cls.__name__].subcons] == [f.name for f in d.fields]


def test_published_vectors_parse_alike() -> None:
    typed = 0
    for path in sorted(VECTORS.glob("*.json")):
        for v in json.loads(path.read_text())["vectors"]:
            raw = bytes.fromhex(v["hex"])
            if v["starts_at"] == "mmv":
                raw = bytes.fromhex("ffffffffffff02000000000188e1") + raw
            if "rejected" in v["expect"]:
                continue
            typed += check(raw, f"{path.name} {v['id']}")
    assert typed >= 45


def test_sample_traffic_parses_alike() -> None:
    frames = [data for _, data in realistic_mix(400, seed=3)]
    assert sum(check(data, f"sample frame {i}") for i, data in enumerate(frames, 1)) == len(frames)


def test_conditional_and_counted_fields() -> None:
    # CM_SET_KEY.REQ: new_key only when key_type != 5 (nonce only); VS_MFG_STRING.CNF: string counted by length
    nonce_only = encode_frame(make_frame("00:b0:52:00:00:01", "02:00:00:00:00:01", messages.CM_SET_KEY_REQ(
        key_type=5, my_nonce=b"\x01\x02\x03\x04", pid=4, nid=bytes(7), new_key=None)))
    _, body = C.parse_frame(nonce_only)
    assert body is not None and body.key_type == 5 and body.new_key is None
    assert check(nonce_only, "nonce-only CM_SET_KEY.REQ")
    # CM_ATTEN_PROFILE.IND: aag counted by num_groups (ISO 15118-3)
    groups = bytes(random.Random(1).randrange(256) for _ in range(58))
    msg = messages.CM_ATTEN_PROFILE_IND(pev_mac=bytes(6), num_groups=58, aag=groups)
    data = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", msg))
    assert check(data, "CM_ATTEN_PROFILE.IND")
    _, body = C.parse_frame(data)
    assert body is not None and body.aag == groups
    with pytest.raises(construct.StreamError):  # ends inside its count: construct's error (we flag it truncated)
        C.parse_frame(data[:40])
    assert decode_frame(data[:40]).truncated


def test_undeclared_and_fragments_have_no_body() -> None:
    header, body = C.parse_frame(bytes.fromhex("ffffffffffff020000000001" "88e1" "01" "0060" "0000") + bytes(46))
    assert header.mmtype == 0x6000 and body is None
    assert C.struct_for(1, 0x6064, None) is C.STRUCTS["CM_SLAC_PARM_REQ"]


def test_every_shared_capture_frame_parses_alike(capture_files: list[Path]) -> None:
    typed = 0
    for path in capture_files:  # skips with a message when ../shared/captures is absent
        for rec in iter_decoded(path):
            if rec.frame is not None:
                typed += check(bytes(rec.data), f"{path.name} frame {rec.index}")
    assert typed > 2000
