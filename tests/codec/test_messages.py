"""Layouts checked against their sources: open-plc-utils structs, Wireshark, real frames."""

from __future__ import annotations

import pytest

from plcstack.codec import DecodeError, decode_frame, encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.codes import ToneMapStatus
from plcstack.codec.names import OUI_DSPACE
from plcstack.pcapio import open_capture

LOCAL, HOST = "00:b0:52:00:00:01", "02:00:00:00:00:01"


def _frames(capture_files, name: str) -> dict[int, bytes]:
    path = next((p for p in capture_files if p.name.startswith(name)), None)
    if path is None:
        pytest.skip(f"{name} not among the shared captures")
    with open_capture(path) as reader:
        return {i: bytes(b[o:o + n]) for i, _t, b, o, n, _l in reader}


def test_tone_map_confirms_start_with_mstatus(capture_files):
    frames = _frames(capture_files, "pyPLC__2022-12-20_alpi")
    for n in (2011, 2039, 2057):  # RX confirms refusing slot 0
        f = decode_frame(frames[n])
        assert f.name == "VS_RX_TONE_MAP_CHAR.CNF" and f.mmv == 1
        assert f.message.mstatus == ToneMapStatus.UNKNOWN_SLOT and f.message.mme_len == 22
        assert f.message.mac.hex() == "bcf2aff31374" and f.message.mod_carriers == b""
    tx = decode_frame(frames[1157])  # a TX confirm with 917 active carriers
    assert tx.message.mstatus == 0 and tx.message.mme_len == 477 and tx.message.num_active_carriers == 917
    assert len(tx.message.mod_carriers) == 459 and tx.message.mme_len == 18 + 459 and tx.trailing == b""


def test_rx_tone_map_confirm_carries_gil_and_agc():
    msg = m.VS_RX_TONE_MAP_CHAR_CNF_V1(mme_len=22 + 4, mac=b"\x02" * 6, num_tms=1, num_active_carriers=8,
                                       gil=3, agc=17, mod_carriers=b"\x44" * 4)
    raw = encode_frame(make_frame(HOST, LOCAL, msg))
    # MSTATUS at 22, MME_LEN 24, MAC 28, NUMTMS 36, carriers count 38, GIL 44, AGC 46, carriers 48
    assert raw[44] == 3 and raw[46] == 17 and raw[48:52] == b"\x44" * 4 and raw[28:34] == b"\x02" * 6
    back = decode_frame(raw)
    assert (back.message.gil, back.message.agc, back.message.mod_carriers) == (3, 17, b"\x44" * 4)


def test_get_property_follows_open_plc_utils():
    # open-plc-utils GetProperty.c request: COOKIE, DATA_FORMAT, PROP_FORMAT, RESERVED[2], PROP_VERSION,
    # PROP_LENGTH, PROP_NUMBER
    body = (0x12345678).to_bytes(4, "little") + bytes((2, 1, 0, 0)) + (0).to_bytes(4, "little") + \
        (4).to_bytes(4, "little") + (0x7001).to_bytes(4, "little")
    raw = bytes.fromhex("00b052000001020000000001" "88e1" "00f8a0" "00b052") + body
    raw += bytes(60 - len(raw))
    f = decode_frame(raw)
    assert f.truncated is None and f.name == "VS_GET_PROPERTY.REQ"
    assert (f.message.cookie, f.message.data_format, f.message.prop_length, f.message.prop_number) == (
        0x12345678, 2, 4, 0x7001)
    cnf = m.VS_GET_PROPERTY_CNF(cookie=0x12345678, data_format=2, data=b"\x01\x00\x00\x00")
    back = decode_frame(encode_frame(make_frame(HOST, LOCAL, cnf)))
    assert back.message.data_length == 4 and back.message.data == b"\x01\x00\x00\x00"


def test_dspace_0x8002_carries_its_oui_and_ms_pb_enc_does_not():
    text = b'dSPACE SCS Diag|dsV2Gshark|v1|CP state|{"state": "B2"}'
    raw = bytes.fromhex("ffffffffffff020000000001" "88e1" "010280" "0000" "644d70") + text
    f = decode_frame(raw)
    assert f.oui == OUI_DSPACE and f.name == "DSPACE_SCS_DIAG.IND" and f.message.text == text
    assert encode_frame(f) == raw
    pb = decode_frame(encode_frame(make_frame(LOCAL, HOST, m.MS_PB_ENC_REQ(pb_action=1))))
    assert pb.oui is None and pb.name == "MS_PB_ENC.REQ" and pb.message.pb_action == 1


def test_encrypted_payload_header_is_one_declaration():
    h = m.ENCRYPTED_PAYLOAD_HEADER
    assert h.fixed_size == 24
    hdr = h.cls(peks=0x0F, avln_status=0, pid=4, prn=0x1234, pmn=1, iv=bytes(range(16)), length=60)
    wire = h.pack(hdr)
    assert wire == bytes((0x0F, 0, 4, 0x34, 0x12, 1)) + bytes(range(16)) + (60).to_bytes(2, "little")
    assert h.unpack(wire + b"rest") == hdr
    with pytest.raises(DecodeError) as info:
        h.unpack(wire[:10])
    assert info.value.field == "length"
    ind = m.CM_ENCRYPTED_PAYLOAD_IND(**hdr._asdict(), encrypted=b"\x00" * 16)
    body = encode_frame(make_frame(HOST, LOCAL, ind))[19:]
    assert body[:24] == wire  # the message starts with the same header


def test_sc_join_and_watchdog_and_classification():
    req = decode_frame(encode_frame(make_frame("ff:ff:ff:ff:ff:ff", HOST, m.CM_SC_JOIN_REQ(cco_capability=1))))
    assert req.name == "CM_SC_JOIN.REQ" and req.message.cco_capability == 1
    cnf = decode_frame(encode_frame(make_frame(HOST, LOCAL, m.CM_SC_JOIN_CNF(nid=b"\x01" * 7, avln_status=8))))
    assert cnf.message.nid == b"\x01" * 7 and cnf.message.avln_status == 8
    wd = m.VS_WD_RPT_IND(session_id=7, num_parts=1, cur_part=1, rdata_length=3, rdata_offset=0, rdata=b"abc")
    back = decode_frame(encode_frame(make_frame(HOST, LOCAL, wd)))
    assert back.message.session_id == 7 and back.message.rdata.startswith(b"abc")
    read = decode_frame(encode_frame(make_frame(LOCAL, HOST, m.VS_CLASSIFICATION_REQ(mcontrol=2, offset=0,
                                                                                     count=20))))
    assert read.message.count == 20 and read.message.classifiers is None
    add = decode_frame(encode_frame(make_frame(LOCAL, HOST, m.VS_CLASSIFICATION_REQ(mcontrol=0, maction=4,
                                                                                    num_classifiers=1))))
    assert add.message.maction == 4 and len(add.message.classifiers) == 54 and add.message.offset is None


def test_mfg_string_is_64_bytes():
    raw = encode_frame(make_frame(HOST, LOCAL, m.VS_MFG_STRING_CNF(length=5, string=b"hello".ljust(64, b"\0"))))
    assert len(raw) == 20 + 2 + 64
    assert decode_frame(raw).message.string == b"hello".ljust(64, b"\0")
