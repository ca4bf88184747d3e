"""plcstack.capture.tree: the -V tree and the -x hex dump, on built and real frames."""

from __future__ import annotations

import re
from pathlib import Path

from plcstack.capture import CaptureDecoder, CapturedFrame
from plcstack.capture.tree import frame_tree, hex_dump, tree_json
from plcstack.codec import decode_frame, encode
from plcstack.codec import messages as m
from plcstack.codec.codes import SetKeyResult

_ROW = re.compile(r"^([0-9a-f]{4})  ((?:[0-9a-f]{2} ?)+)\s+.{0,16}\s+(\S.*)$")


def rebuilt(dump: list[str]) -> tuple[bytes, list[str]]:
    """The bytes and labels of a hex dump, checking offsets run on without gaps or overlaps."""
    data = b""
    labels = []
    for line in dump:
        mo = _ROW.match(line)
        assert mo is not None, line
        assert int(mo.group(1), 16) == len(data), line
        data += bytes.fromhex(mo.group(2))
        labels.append(mo.group(3))
    return data, labels


def record(wire: bytes) -> CapturedFrame:
    return CapturedFrame(1, 0, wire, frame=decode_frame(wire), orig_len=len(wire))


def test_set_key_cnf_tree_names_values_and_the_qualcomm_note() -> None:
    wire = encode("02:00:00:00:00:01", "00:b0:52:00:00:01",
                  m.CM_SET_KEY_CNF(result=1, my_nonce=b"\xbb" * 4, your_nonce=b"\xaa" * 4, pid=4, prn=0, pmn=0,
                                   cco_capability=0))
    text = "\n".join(frame_tree(record(wire)))
    assert f"result: 1 {SetKeyResult(1).name}  [19]" in text
    assert "note:" in text and "Qualcomm" in text
    assert "ethertype: 0x88E1 HOMEPLUG_AV  [12:14]" in text and "mmtype: 0x6009 CM_SET_KEY.CNF" in text
    assert "pid: 4 HLE" in text and "trailing:" in text


def test_units_and_vlan_in_the_tree() -> None:
    wire = encode("02:00:00:00:00:01", "02:00:00:00:00:02",
                  m.CM_SLAC_PARM_CNF(run_id=bytes(8), msound_target=b"\xff" * 6, num_sounds=10, time_out=6,
                                     forwarding_sta=bytes(6)), vlan=[(0x88A8, 100), (0x8100, 0x2005)])
    text = "\n".join(frame_tree(record(wire)))
    assert "time_out: 6 (600 ms)" in text and "vid: 100" in text and "vid: 5" in text and "0x88A8" in text


def test_hex_dump_gives_every_byte_once_with_its_field() -> None:
    wire = encode("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))))
    data, labels = rebuilt(hex_dump(record(wire)))
    assert data == wire
    assert labels[:3] == ["eth.dst ff:ff:ff:ff:ff:ff", "eth.src 02:00:00:00:00:01", "eth.type = 0x88E1 HOMEPLUG_AV"]
    assert any(label.startswith("run_id") for label in labels) and labels[-1] in ("trailing", "...")


def test_real_frames_tree_and_dump_cover_every_byte(capture_files: list[Path]) -> None:
    n = 0
    for path in capture_files:
        for rec in CaptureDecoder(path):
            data, _ = rebuilt(hex_dump(rec))
            assert data == rec.data, (path.name, rec.index)
            tree = frame_tree(rec)
            assert tree[0].startswith(f"Frame {rec.index}: {rec.orig_len} bytes on wire")
            if rec.frame is not None:
                assert any(line == rec.frame.name for line in tree), (path.name, rec.index)
                assert tree_json(rec)[0]["path"] == "eth.dst"
            n += 1
    assert n > 2000
