"""plcstack.keys.audit: the report of what a capture gives away, from published frames (tests/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plcstack.codec import decode_frame
from plcstack.keys.audit import audit, frames_text
from plcstack.keys.derive import nmk_from_password
from plcstack.keys.dictionary import NidSearch
from plcstack.keys.scan import scan_records

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"


class Rec:
    """The part of a decoded capture record the scan reads."""

    def __init__(self, index: int, hexstr: str) -> None:
        self.index, self.time, self.error, self.reassembled = index, float(index), None, None
        self.frame = decode_frame(bytes.fromhex(hexstr))


def vector(source: str, vid: str) -> dict[str, Any]:
    doc = json.loads((VECTORS / f"{source}.json").read_text())
    return next(v for v in doc["vectors"] if v["id"] == vid)


def records() -> list[Rec]:
    """A real Alpitronic SLAC match and CM_SET_KEY, and faifa's VS_NW_INFO.CNF of a factory-default network."""
    match = vector("pyplc-captures", "pyplc-cm-slac-match-cnf-carries-nid-nmk")
    set_key = vector("pyplc-captures", "pyplc-cm-set-key-req-host-local-qca7420-modem-broadcas")
    nw_info = vector("zyxel-pla470-faifa", "faifa-vs-nw-info-cnf-int6300")
    return [Rec(match["frame"], match["hex"]), Rec(set_key["frame"], set_key["hex"]), Rec(40, nw_info["hex"])]


def test_report_from_published_frames() -> None:
    scan = scan_records(records())
    search = NidSearch(list(scan.nid_frames()))
    search.check([b"nothing", b"HomePlugAV"])
    report = audit(scan, search.result, capture="published.pcap")
    doc = report.to_json()
    nids = {n["nid"]: n for n in doc["nids"]}
    assert set(nids) == {"B468ACE9FF5603", "B0F2E695666B03"}
    assert nids["B468ACE9FF5603"]["frames"] == [19, 20] and nids["B468ACE9FF5603"]["nmk_disclosed_in_frame"] == 19
    assert nids["B0F2E695666B03"]["default_password"] == "HomePlugAV"
    assert nids["B0F2E695666B03"]["recovered_passwords"] == ["HomePlugAV"]
    assert [k["message"] for k in doc["keys"]] == ["CM_SLAC_MATCH.CNF", "CM_SET_KEY.REQ"]
    assert all(k["key"] == "<redacted>" and k["nid_matches_key"] for k in doc["keys"])
    assert doc["search"]["candidates"] == 2 and doc["capture"] == "published.pcap"
    assert doc["findings"] == [
        "NID B0F2E695666B03 is the factory-default network of 'HomePlugAV'",
        "2 key(s) sent unencrypted (frames 19,20): anyone on the wire can read them",
    ]
    nmk = "9ED1F8A5B566E83DC4F1700E4A89AFEC"
    text = "\n".join(report.text_lines())
    assert nmk not in text and "FACTORY DEFAULT (HomePlugAV)" in text and "password recovered: 'HomePlugAV'" in text
    assert nmk in "\n".join(report.text_lines(show_keys=True))
    assert json.dumps(report.to_json(show_keys=True)).count(nmk) == 2


def test_nmk_with_a_foreign_nid_is_a_finding() -> None:
    recs = records()[:1]
    m = recs[0].frame.message
    recs[0].frame = recs[0].frame._replace(message=m._replace(nmk=nmk_from_password("HomePlugAV0123")))
    report = audit(scan_records(recs))
    assert report.search is None
    assert any("carries an NMK of another NID in frame 19" in f for f in report.findings)
    assert "does NOT match the NMK" in "\n".join(report.text_lines())


def test_frames_text() -> None:
    assert frames_text([3]) == "frame 3" and frames_text([3, 36]) == "frames 3,36"
    assert frames_text(list(range(1, 13))) == "frames 1,2,3,4,5,6,7,8,9,10,... (12 in all)"
