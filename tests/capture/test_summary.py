"""plcstack.capture.summary: what the default one-line view shows (and leaves out)."""

from __future__ import annotations

from plcstack.capture import CapturedFrame, summary_line
from plcstack.codec import decode_frame, encode
from plcstack.codec import messages as m

PEV, EVSE = "02:00:00:00:00:01", "02:00:00:00:00:02"
RUN = bytes.fromhex("0250455600010001")
NID = bytes.fromhex("026bcba5354e08")


def line(wire: bytes, **kw: object) -> str:
    return summary_line(CapturedFrame(7, 0, wire, frame=decode_frame(wire), orig_len=len(wire), rel_ns=1_500_000,
                                      **kw))  # type: ignore[arg-type]


def test_slac_match_cnf_shows_run_id_macs_and_nid_without_boilerplate() -> None:
    wire = encode(PEV, EVSE, m.CM_SLAC_MATCH_CNF(run_id=RUN, pev_mac=bytes.fromhex("020000000001"),
                                                 evse_mac=bytes.fromhex("020000000002"), nid=NID, nmk=bytes(16)))
    text = line(wire)
    assert text.startswith("      7     0.001500 02:00:00:00:00:02 → 02:00:00:00:00:01   ")
    assert f" {len(wire)} CM_SLAC_MATCH.CNF" in text
    for part in ("run_id=0250455600010001", "pev_mac=02:00:00:00:00:01", "evse_mac=02:00:00:00:00:02",
                 "nid=026bcba5354e08"):
        assert part in text
    assert "application_type" not in text and "security_type" not in text and "nmk" not in text


def test_set_key_cnf_result_has_its_name_and_the_qualcomm_note() -> None:
    wire = encode(PEV, EVSE, m.CM_SET_KEY_CNF(result=1, my_nonce=bytes(4), your_nonce=bytes(4), pid=4, prn=0,
                                              pmn=0, cco_capability=0))
    text = line(wire)
    assert "result=1 FAILURE" in text and "Qualcomm" in text and "pid=4 HLE" in text


def test_device_class_name_version_and_units() -> None:
    wire = encode(PEV, "00:b0:52:00:00:01", m.VS_SW_VER_CNF(mstatus=0, device_class=0x20, version_length=10,
                                                            version=b"MAC-QCA7420".ljust(254, b"\0"), ident=0,
                                                            stepping=0, cookie=0))
    text = line(wire)
    assert "device_class=32" in text and "QCA7420" in text and "version=MAC-QCA7420" in text and "mstatus=0" in text
    wire = encode(PEV, EVSE, m.CM_SLAC_PARM_CNF(run_id=RUN, msound_target=b"\xff" * 6, num_sounds=10, time_out=6,
                                                forwarding_sta=bytes.fromhex("020000000001")))
    assert "time_out=6 (600 ms)" in line(wire) and "num_sounds=10" in line(wire)


def test_vlan_cut_and_unknown_destination_are_shown() -> None:
    wire = encode(PEV, EVSE, m.CM_SLAC_PARM_REQ(run_id=RUN), vlan=[(0x88A8, 100), (0x8100, 0x2005)])
    text = line(wire)
    assert "[VLAN 100 pcp 0] [VLAN 5 pcp 1]" in text
    cut = summary_line(CapturedFrame(1, 0, wire[:30], frame=decode_frame(wire[:30]), orig_len=len(wire)))
    assert f"[cut by snaplen: 30 of {len(wire)} bytes]" in cut and "[truncated]" not in cut
    cooked = summary_line(CapturedFrame(1, 0, wire, frame=decode_frame(wire), orig_len=len(wire), dst_known=False))
    assert "→ ?  " in cooked


def test_a_frame_cut_before_its_attenuation_groups_shows_a_dash() -> None:
    wire = encode(PEV, "00:b0:52:00:00:01", m.CM_ATTEN_PROFILE_IND(pev_mac=bytes.fromhex("020000000001"),
                                                                   num_groups=58, rsvd=0, aag=bytes(range(58))))
    for n in range(19, len(wire)):  # cut anywhere in the MMENTRY (the snaplen of a real capture)
        cut = wire[:n]
        text = summary_line(CapturedFrame(1, 0, cut, frame=decode_frame(cut), orig_len=len(wire)))
        assert f"[cut by snaplen: {n} of {len(wire)} bytes]" in text
    text = summary_line(CapturedFrame(1, 0, wire[:26], frame=decode_frame(wire[:26]), orig_len=len(wire)))
    assert "aag=-" in text and "num_groups=58" in text


def test_the_line_does_its_lookups_once_per_type_not_per_frame() -> None:
    """The default view of 200k frames took twice as long as before value names came in: value names,
    field plans and MAC texts are now worked out once per type.  Counted, not timed (the machine is
    shared): Python and C calls per line over every declared message, after one line of each."""
    import sys

    from plcstack.codec import encode_frame, make_frame
    from plcstack.codec.registry import all_definitions

    wires = [encode_frame(make_frame("00:b0:52:00:00:01", PEV, d.cls())) for d in all_definitions()]
    recs = [CapturedFrame(i, 0, w, frame=decode_frame(w), orig_len=len(w)) for i, w in enumerate(wires)]
    for r in recs:
        summary_line(r)
    calls = 0

    def count(_frame: object, event: str, _arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        for r in recs:
            summary_line(r)
    finally:
        sys.setprofile(None)
    assert calls / len(recs) < 40, calls / len(recs)  # 27.5 measured; per-frame lookups made it 55.8
