"""The capture decoder against tshark: the same frames, numbers, times, MACs, lengths and types.

On every frame of every shared capture, and on captures built here in the forms tshark reads too
(Linux cooked v1 / v2, pcap FCS flag, pcapng ``if_fcslen``, QinQ, a frame cut by the snaplen).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pcap_builders import T0, ng_epb, ng_idb, ng_shb, pcap_bytes, sll2_packet, sll_packet, with_fcs

from plcstack.capture import CaptureDecoder
from plcstack.capture.timefmt import seconds
from plcstack.codec import encode
from plcstack.codec import messages as m
from plcstack.codec.mac import format_mac

pytestmark = [pytest.mark.realtools,
              pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed "
                                 "(bash tools/install-debian-deps.sh)")]

FIELDS = ["frame.number", "frame.time_relative", "frame.len", "eth.src", "eth.dst", "sll.src.eth",
          "homeplug_av.mmhdr.mmtype", "homeplug_av.mmhdr.mmtype.qualcomm", "homeplug_av.mmhdr.mmtype.st",
          "vlan.id", "ieee8021ad.id", "eth.fcs.status"]


def tshark_rows(path: Path) -> list[dict[str, str]]:
    cmd = ["tshark", "-o", "eth.check_fcs:TRUE", "-r", str(path), "-Y", "homeplug-av || homeplug", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def _mmtype(row: dict[str, str]) -> int | None:
    for key in ("homeplug_av.mmhdr.mmtype", "homeplug_av.mmhdr.mmtype.qualcomm", "homeplug_av.mmhdr.mmtype.st"):
        if row[key]:
            return int(row[key].split(",")[0], 0)
    return None


def compare(path: Path) -> int:
    ours = {r.index: r for r in CaptureDecoder(path)}
    theirs = tshark_rows(path)
    assert [int(t["frame.number"]) for t in theirs] == sorted(ours), path.name
    for t in theirs:
        r = ours[int(t["frame.number"])]
        where = f"{path.name} frame {r.index}"
        assert t["frame.time_relative"] == seconds(r.rel_ns, 9), where
        src = t["eth.src"].split(",")[0] or t["sll.src.eth"]
        assert src == format_mac(r.data[6:12]), where
        if r.dst_known:
            assert t["eth.dst"].split(",")[0] == format_mac(r.data[0:6]), where
        header = r.message or r.header
        if header is not None and r.fragment is None and _mmtype(t) is not None:
            assert _mmtype(t) == header.mmtype, where
        if r.fcs is not None:
            assert t["eth.fcs.status"] == ("1" if r.fcs_ok else "0"), where
        tags = (r.frame or r.header or r.ethernet).vlan_tags  # type: ignore[union-attr]
        if tags:
            ids = [int(x) for x in (t["ieee8021ad.id"].split(",") + t["vlan.id"].split(",")) if x]
            assert sorted(ids) == sorted(tag.vid for tag in tags), where
    return len(theirs)


def test_every_frame_of_every_shared_capture(capture_files: list[Path]) -> None:
    assert sum(compare(p) for p in capture_files) > 2000


def test_built_captures_in_every_link_layer(tmp_path: Path) -> None:
    run = bytes(range(8))
    frames = [encode("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", m.CM_SLAC_PARM_REQ(run_id=run)),
              encode("02:00:00:00:00:01", "02:00:00:00:00:02", m.CM_SLAC_PARM_REQ(run_id=run),
                     vlan=[(0x88A8, 100), (0x8100, 0x2005)]),
              encode("02:00:00:00:00:02", "00:b0:52:00:00:01", m.VS_SW_VER_REQ(cookie=7), vlan=[(0x8100, 9)])]
    bad_fcs = bytearray(with_fcs(frames[0]))
    bad_fcs[-2] ^= 0x10
    e = "<"
    files = {
        "sll.pcap": pcap_bytes([(T0, i, sll_packet(f)) for i, f in enumerate(frames)], linktype=113),
        "sll2.pcap": pcap_bytes([(T0, i * 7, sll2_packet(f)) for i, f in enumerate(frames)], linktype=276),
        "fcs.pcap": pcap_bytes([(T0, i, with_fcs(f)) for i, f in enumerate(frames)] + [(T0 + 1, 0, bytes(bad_fcs))],
                               linktype=1 | 0x04000000 | 2 << 28),
        "fcs.pcapng": ng_shb(e) + ng_idb(e, 1, fcslen=4) + b"".join(
            ng_epb(e, 0, 1000 * i + 3, with_fcs(f), orig_len=len(f) + 4) for i, f in enumerate(frames)),
        "snap.pcap": pcap_bytes([(T0, 0, frames[2][:40])], orig_lens=[len(frames[2])]),
    }
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert compare(path) == (4 if name == "fcs.pcap" else 1 if name == "snap.pcap" else 3), name
