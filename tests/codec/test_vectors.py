"""Every published hex vector in ``tests/data/vectors/`` decodes to the fields its source gives.

One JSON file per source (scapy's tests, open-plc-utils fixtures and issues, pyslac, homeplug_exporter,
faifa output in a vendor manual, frames of pyPLC's and iso15118-simulator-rs's captures); each vector
names its file and line or capture frame (``tests/data/README.md``). The expectations are the
source's own assertions or its documented decoding; the open-plc-utils fragments (``mme/fmi.hex``)
are reassembled and must report the open-plc-utils FMI order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from plcstack.codec import DecodeError, decode_frame, encode_frame
from plcstack.codec.fragment import OPEN_PLC_UTILS, SPEC, PushResult, Reassembler, fragment
from plcstack.codec.mac import format_mac

DATA = Path(__file__).resolve().parents[1] / "data" / "vectors"
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"  # the notes the vectors came from
# the wrapper for vectors that start at MMV (ff:ff:ff:ff:ff:ff <- 02:00:00:00:00:01, 0x88E1)
DUMMY_ETH = bytes.fromhex("ffffffffffff020000000001") + b"\x88\xe1"


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(DATA.glob("*.json")):
        doc = json.loads(path.read_text())
        assert doc["source"].get("url") and doc["source"].get("license"), path.name
        out += [(path.stem, v) for v in doc["vectors"]]
    return out


VECTORS = _load()
BY_ID = {v["id"]: v for _, v in VECTORS}


def wire(v: dict[str, Any]) -> bytes:
    raw = bytes.fromhex(v["hex"])
    return DUMMY_ETH + raw if v["starts_at"] == "mmv" else raw


def _same(actual: Any, expected: Any) -> bool:
    """Compare a decoded value with the JSON form of the source's value (recursing into arrays)."""
    if isinstance(expected, dict) and "startswith" in expected:
        return len(actual) == expected["length"] and bytes(actual).hex().startswith(expected["startswith"])
    if isinstance(expected, dict):
        return all(_same(getattr(actual, k), e) for k, e in expected.items())
    if isinstance(expected, list):
        # a shorter list compares the first entries (the source lists only some, e.g. one of two stations)
        return len(actual) >= len(expected) and all(_same(a, e) for a, e in zip(actual, expected, strict=False))
    if isinstance(actual, int):
        return actual == int(str(expected), 0)
    if isinstance(actual, (bytes, bytearray)):
        flat = str(expected).replace(":", "").lower()
        return bytes(actual).hex() == flat or bytes(actual).split(b"\0", 1)[0].decode("latin-1") == expected
    return str(actual) == str(expected)


def test_vectors_are_there_and_named_by_source() -> None:
    counts: dict[str, int] = {}
    for source, v in VECTORS:
        counts[source] = counts.get(source, 0) + 1
        assert "file" in v or "url" in v, v["id"]  # a file with a line or frame, a whole fixture file, or a URL
        assert v["provenance"] and v["expect"], v["id"]
    assert len(BY_ID) == len(VECTORS)  # ids are unique
    assert counts == {"homeplug-exporter": 3, "iso15118-simulator-rs": 4, "open-plc-utils": 13, "pyplc-captures": 18,
                      "pyslac": 1, "scapy": 13, "zyxel-pla470-faifa": 6}


@pytest.mark.parametrize("vector", [v for _, v in VECTORS], ids=[v["id"] for _, v in VECTORS])
def test_vector_decodes_as_its_source_says(vector: dict[str, Any]) -> None:
    raw, exp = wire(vector), vector["expect"]
    partial = "length" in vector  # the source shows only the first bytes of a longer frame
    if partial:
        assert len(bytes.fromhex(vector["hex"])) < vector["length"]
    if "rejected" in exp:
        with pytest.raises(DecodeError) as info:
            decode_frame(raw)
        assert info.value.field == exp["rejected"]
        return
    frame = decode_frame(raw)
    assert (frame.mmv, frame.mmtype, frame.name) == (exp["mmv"], int(exp["mmtype"], 16), exp["name"])
    assert (f"{frame.fmi:04x}" if frame.fmi is not None else None) == exp["fmi"]
    assert (frame.oui.hex() if frame.oui is not None else None) == exp["oui"]
    if "dst" in exp:
        assert (format_mac(frame.dst), format_mac(frame.src)) == (exp["dst"], exp["src"])
    assert (frame.truncated is not None) == ("truncated" in exp), frame.truncated
    if not partial:
        assert encode_frame(frame) == raw
    for name, expected in exp.get("fields", {}).items():
        actual = getattr(frame.message, name)
        assert _same(actual, expected), f"{name}: source {expected!r}, ours {actual!r}"


# ============================================================================= fragments (mme/fmi.hex)


def _opu_fragments() -> list[bytes]:
    return [wire(BY_ID[f"opu-fmi-fragment-{n}"]) for n in (1, 2, 3)]


def test_opu_fragment_layout() -> None:
    frags = _opu_fragments()
    # MMV 1, MMTYPE 0xA085; octet after MMTYPE = FMSN (0), next = NF_MI << 4 | FN_MI (0x20, 0x21, 0x22)
    for fn, data in enumerate(frags):
        assert len(data) == 1518 and data[14] == 1 and data[15:17] == b"\x85\xa0"
        assert data[17] == 0 and data[18] == 0x20 | fn


def test_opu_fragments_reassemble_and_report_the_order() -> None:
    r = Reassembler()
    results = [r.push(data, t=0.0) for data in _opu_fragments()]
    assert [res for res, _ in results] == [PushResult.FRAGMENT, PushResult.FRAGMENT, PushResult.COMPLETE]
    assert r.convention_seen == OPEN_PLC_UTILS
    whole = results[-1][1]
    assert whole is not None
    assert (whole.mmv, whole.mmtype, whole.fmi) == (1, 0xA085, 0)
    # the first fragment's payload starts 00 00 00: read as the (QCA-alias) OUI 00:00:00
    assert whole.oui == b"\0\0\0" and whole.name == "VS_MULTICAST_INFO.CNF"
    per = 1518 - 19
    assert whole.message.body == bytes(per - 3) + b"\x11" * per + b"\x22" * per
    assert r.buffered_bytes == 0 and r.completed == 1


def test_opu_fragments_out_of_order_and_spec_order_for_contrast() -> None:
    frags = _opu_fragments()
    r = Reassembler()
    assert r.push(frags[2])[0] is PushResult.FRAGMENT
    assert r.push(frags[0])[0] is PushResult.FRAGMENT
    res, whole = r.push(frags[1])
    assert res is PushResult.COMPLETE and r.convention_seen == OPEN_PLC_UTILS
    assert whole is not None and whole.message.body.startswith(bytes(10))
    # the same message split by our fragment() in spec order reassembles as SPEC
    r2 = Reassembler()
    spec = fragment(whole._replace(trailing=b""), fmsn=7, max_payload=1499)
    assert len(spec) == 3
    for data in spec[:-1]:
        assert r2.push(data)[0] is PushResult.FRAGMENT
    res, again = r2.push(spec[-1])
    assert res is PushResult.COMPLETE and r2.convention_seen == SPEC
    assert again is not None and again.message == whole.message


# ============================================================================= provenance


def test_vectors_match_the_reference_notes() -> None:
    """Where the collected notes are at hand, every hex block they show is in tests/data (nothing lost)."""
    if not REFERENCE.is_dir():
        pytest.skip(f"needs ../shared/reference (the notes tests/data/vectors was built from): {REFERENCE}")
    ours = [bytes.fromhex(v["hex"]) for _, v in VECTORS]
    blocks = []
    for name in ("hexvectors.md", "vectors.md"):
        text = (REFERENCE / name).read_text()
        blocks += [bytes.fromhex(re.sub(r"\s+", "", b)) for b in re.findall(r"```\n([0-9a-f \n]+)```", text)]
    assert len(blocks) >= 50
    missing = [b.hex()[:40] for b in blocks if not any(o.startswith(b) for o in ours)]
    assert missing == []
