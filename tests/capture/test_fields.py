"""plcstack.capture.fields: what --filter paths resolve to on real records."""

from __future__ import annotations

from plcstack.capture import CapturedFrame, parse_display_filter
from plcstack.capture.fields import resolver
from plcstack.codec import DecodeError, decode_frame, decode_header, encode
from plcstack.codec import messages as m

NID = bytes.fromhex("026bcba5354e08")


def rec_of(wire: bytes) -> CapturedFrame:
    return CapturedFrame(4, 0, wire, frame=decode_frame(wire), orig_len=len(wire), rel_ns=2_500_000_000)


def hit(rec: CapturedFrame, text: str) -> bool:
    return parse_display_filter(text).matches(resolver(rec))


def test_header_names_and_message_fields() -> None:
    wire = encode("02:00:00:00:00:01", "02:00:00:00:00:02",
                  m.CM_SLAC_MATCH_CNF(run_id=bytes(range(8)), pev_mac=bytes.fromhex("020000000001"),
                                      evse_mac=bytes.fromhex("020000000002"), nid=NID, nmk=bytes(16)), vlan=0x6007)
    rec = rec_of(wire)
    assert hit(rec, "nid == 0x026bcba5354e08 and name == \"CM_SLAC_MATCH.CNF\" and base == \"CM_SLAC_MATCH\"")
    assert hit(rec, "src == 02:00:00:00:00:02 and dst == 02:00:00:00:00:01 and mmtype == 0x607d and mmv == 1")
    assert hit(rec, f"frame == 4 and len == {len(wire)} and time > 2.4 and time < 2.6 and kind == \"message\"")
    assert hit(rec, "vlan == 7 and vlan.pcp == 3 and vlan[0].vid == 7 and vlan.tpid == 0x8100")
    assert hit(rec, "run_id == 00:01:02:03:04:05:06:07 and evse_mac == 02:00:00:00:00:02")
    assert hit(rec, "eth.src == 02:00:00:00:00:02 and mme.fmi.fmsn == 0 and fields.nid == 0x026bcba5354e08")
    assert not hit(rec, "error") and not hit(rec, "result")


def test_arrays_value_names_and_per_byte_values() -> None:
    wire = encode("02:00:00:00:00:01", "00:b0:52:00:00:01",
                  m.CC_SET_TEI_MAP_IND(mode=1, num_stations=2, stations=[(1, bytes.fromhex("020000000001"), 1),
                                                                         (2, bytes.fromhex("020000000002"), 0)]))
    rec = rec_of(wire)
    assert hit(rec, "stations.mac == 02:00:00:00:00:02") and hit(rec, "stations[1].tei == 2")
    assert not hit(rec, "stations[0].mac == 02:00:00:00:00:02")
    assert hit(rec, 'mode == "ADD"') and hit(rec, 'stations[0].status == "AUTHENTICATED"')
    atten = rec_of(encode("02:00:00:00:00:01", "02:00:00:00:00:02",
                          m.CM_ATTEN_PROFILE_IND(pev_mac=bytes(6), num_groups=58, aag=bytes(range(10, 68)))))
    assert hit(atten, "aag > 60") and not hit(atten, "aag > 70") and hit(atten, "aag[0] == 10")


def test_error_records() -> None:
    wire = bytearray(encode("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", m.CM_SLAC_PARM_REQ(run_id=bytes(8))))
    wire[14] = 0x20
    try:
        decode_header(bytes(wire))
    except DecodeError as exc:
        err = exc
    rec = CapturedFrame(9, 0, bytes(wire), error=err, orig_len=len(wire))
    assert hit(rec, 'error and error.field == "mmv" and kind == "error"') and not hit(rec, "name")


def test_a_field_no_frame_can_have_is_an_error_with_suggestions() -> None:
    """A misspelt field or an unquoted name must not silently match nothing (Wireshark refuses them too)."""
    import pytest

    from plcstack.capture import CaptureDecoder, DisplayFilterError
    from plcstack.capture.fields import check_filter_fields

    for text, needle in (("reslut != 0", "did you mean result"), ("name == CM_SET_KEY.CNF", "need quotes"),
                         ("stations.macc == 00:00:00:00:00:01", "stations.mac"), ("foo", "unknown field 'foo'")):
        with pytest.raises(DisplayFilterError, match=needle):
            check_filter_fields(parse_display_filter(text))
        with pytest.raises(DisplayFilterError):
            CaptureDecoder([], display_filter=text)
    for text in ("networks.stations.mac == 00:00:00:00:00:01", "vlan[1].vid == 3", "hp10.mctrl.ne", "aag[3] > 10",
                 "fields.nid", "body contains 01", "trailing", "eth.type == 0x88e1", "error.field == \"mmv\"",
                 "frame.number == 4", "frame.len > 10", "homeplug_av.mmhdr.mmtype == 0x607d"):
        check_filter_fields(parse_display_filter(text))
    wire = encode("02:00:00:00:00:01", "02:00:00:00:00:02", m.CM_SLAC_MATCH_CNF(run_id=bytes(8), nid=NID))
    assert hit(rec_of(wire), "frame.number == 4 and homeplug_av.mmhdr.mmtype == 0x607d and frame.len > 60")
