"""Header rules, typed errors, truncation and exact inverses of the frame codec."""

from __future__ import annotations

import pytest

from plcstack.codec import (
    DecodeError,
    RawMessage,
    by_name,
    decode_frame,
    decode_header,
    encode_frame,
    make_frame,
)
from plcstack.codec import messages as m

SRC, DST = "02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff"


def test_new_frames_are_padded_to_60_and_roundtrip():
    wire = encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ(run_id=b"\x01" * 8)))
    assert len(wire) == 60 and wire[12:14] == b"\x88\xe1" and wire[14] == 1
    assert wire[15:17] == b"\x64\x60" and wire[17:19] == b"\x00\x00"
    back = decode_frame(wire)
    assert back.message.run_id == b"\x01" * 8 and back.trailing == bytes(60 - 19 - 10)
    assert encode_frame(back) == wire


def test_vlan_tag_roundtrip():
    frame = make_frame(DST, SRC, m.VS_SW_VER_REQ(cookie=7), vlan=0x2005)
    wire = encode_frame(frame)
    assert wire[12:16] == b"\x81\x00\x20\x05" and wire[16:18] == b"\x88\xe1"
    back = decode_frame(wire)
    assert back.vlan == 0x2005 and back.oui == bytes.fromhex("00b052") and back.message.cookie == 7
    assert encode_frame(back) == wire


def test_vendor_header_with_fmi_puts_oui_after_fmi():
    wire = encode_frame(make_frame(DST, SRC, m.VS_NW_INFO_REQ(), mmv=1))
    assert wire[14:22] == bytes.fromhex("0138a0000000b052")
    h = decode_header(wire)
    assert (h.mmv, h.mmtype, h.fmi, h.oui, h.body_offset) == (1, 0xA038, 0, bytes.fromhex("00b052"), 22)


def test_mmv_selects_the_nw_info_layout():
    v0 = decode_frame(bytes.fromhex(
        "000000000000000CB908470F88E10039A000B05201B0F2E695666B030E0100000CB908471003"
        "01000CB908471003FFFFFFFFFFFF0000") + bytes(10))
    assert type(v0.message).__name__ == "VS_NW_INFO_CNF_V0"
    assert v0.message.networks[0].nid.hex() == "b0f2e695666b03"
    assert v0.message.networks[0].stations[0].bda == b"\xff" * 6


def test_ms_pb_enc_has_no_oui_but_st_manufacturer_messages_do():
    pb = decode_frame(encode_frame(make_frame(DST, SRC, m.MS_PB_ENC_REQ(pb_action=3))))
    assert pb.oui is None and pb.message.pb_action == 3
    st = bytes.fromhex("ffffffffffff020000000001" "88e1" "010080" "0000" "0080e1") + bytes(40)
    f = decode_frame(st)
    assert f.oui == bytes.fromhex("0080e1") and f.name == "STP_AUTH_SET_NMK.REQ"


@pytest.mark.parametrize(("offset", "value", "field"), [(14, 0x05, "mmv"), (18, 0x77, "oui"), (16, 0x68, "mmtype")])
def test_bit_errors_give_typed_errors(offset, value, field):
    good = {"mmv": encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ())),
            "oui": encode_frame(make_frame(DST, SRC, m.VS_SW_VER_REQ())),
            "mmtype": encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ()))}[field]
    bad = bytearray(good)
    bad[offset] = value
    with pytest.raises(DecodeError) as info:
        decode_frame(bytes(bad))
    assert info.value.field == field


def test_unknown_vendor_type_is_kept_raw():
    wire = bytes.fromhex("ffffffffffff020000000001" "88e1" "00f0a1" "00b052") + b"payload" + bytes(30)
    f = decode_frame(wire)
    assert isinstance(f.message, RawMessage) and f.name == "VS_0xA1F0.REQ"
    assert encode_frame(f) == wire


def test_truncated_message_says_what_is_missing_and_reencodes():
    full = encode_frame(make_frame(DST, SRC, m.CM_ATTEN_CHAR_IND(num_sounds=10, num_groups=58, aag=bytes(58))))
    cut = full[:70]
    f = decode_frame(cut)
    # 70 bytes = 19 header + 51: everything up to NUM_SOUNDS; NumGroups and the groups are missing
    assert f.truncated and "num_groups" in f.truncated and "aag" in f.truncated
    assert f.message.num_sounds == 10 and f.message.num_groups is None and f.message.aag is None
    assert encode_frame(f) == cut
    mid = decode_frame(full[:100])  # cut inside the groups: the groups that are there are kept
    assert mid.message.num_groups == 58 and len(mid.message.aag) == 100 - 19 - 52
    assert encode_frame(mid) == full[:100]


def test_too_short_and_wrong_ethertype():
    with pytest.raises(DecodeError) as info:
        decode_frame(b"\x00" * 10)
    assert info.value.field == "length"
    with pytest.raises(DecodeError) as info:
        decode_frame(b"\x00" * 12 + b"\x08\x00" + bytes(46))
    assert info.value.field == "ethertype"


def test_mmv2_messages_use_the_av2_layout():
    v2 = by_name("CM_NW_STATS_CNF_V2")
    assert v2 is not None and v2.default_mmv == 2
    frame = make_frame(DST, SRC, v2.cls(stations=[(b"\x02" * 6, 1200, 980)]))
    wire = encode_frame(frame)
    assert wire[14] == 2 and wire[19] == 1  # MMV 2, one station (count filled in from the list)
    back = decode_frame(wire)
    assert type(back.message).__name__ == "CM_NW_STATS_CNF_V2"
    assert (back.message.stations[0].avg_phy_rate_tx, back.message.stations[0].avg_phy_rate_rx) == (1200, 980)
    v1 = decode_frame(encode_frame(make_frame(DST, SRC, m.CM_NW_STATS_CNF(stations=[(b"\x02" * 6, 100, 90)]))))
    assert v1.mmv == 1 and v1.message.stations[0].avg_phy_rate_rx == 90


# ----------------------------------------------------------------------------- VLAN tags at any depth


@pytest.mark.parametrize("tags", [
    [(0x88A8, 100), (0x8100, 0x2005)],  # 802.1ad S-tag + C-tag
    [(0x8100, 7), (0x8100, 0xE00B)],  # double 802.1Q
    [(0x9100, 1), (0x88A8, 2), (0x8100, 3)],  # three deep, legacy QinQ outside
])
def test_stacked_vlan_tags_decode_and_reencode_exactly(tags):
    wire = encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ(run_id=b"\x05" * 8), vlan=tags))
    tagbytes = b"".join(t.to_bytes(2, "big") + c.to_bytes(2, "big") for t, c in tags)
    assert wire[12:12 + 4 * len(tags)] == tagbytes and wire[12 + 4 * len(tags):14 + 4 * len(tags)] == b"\x88\xe1"
    back = decode_frame(wire)
    assert [tuple(t) for t in back.vlan_tags] == tags
    assert back.vlan_id == tags[0][1] & 0xFFF and back.vlan_ids == tuple(c & 0xFFF for _, c in tags)
    assert back.vlan_pcp == tags[0][1] >> 13 and back.vlan == tags[0][1]
    assert back.message.run_id == b"\x05" * 8
    assert encode_frame(back) == wire
    h = decode_header(wire)
    assert h.vlan_tags == back.vlan_tags and h.body_offset == 14 + 4 * len(tags) + 5


def test_qinq_vendor_frame_keeps_its_oui():
    wire = encode_frame(make_frame(DST, SRC, m.VS_SW_VER_REQ(cookie=3), vlan=[(0x88A8, 10), (0x8100, 20)]))
    back = decode_frame(wire)
    assert back.oui == bytes.fromhex("00b052") and back.message.cookie == 3 and back.vlan_ids == (10, 20)


def test_frame_cut_inside_a_vlan_tag():
    with pytest.raises(DecodeError) as info:
        decode_frame(bytes(12) + b"\x81\x00\x00")
    assert info.value.field == "vlan"


@pytest.mark.parametrize("mmv", [3, 4, 8, 0x11, 0x20, 0x80, 0xFF])
def test_mmv_outside_0_1_2_is_always_an_mmv_error(mmv):
    base = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ())))
    base[14] = mmv
    for fmi in (b"\x00\x00", b"\x20\x00", b"\x10\x11", b"\x00\x10"):
        base[17:19] = fmi
        for decoder in (decode_frame, decode_header):
            with pytest.raises(DecodeError) as info:
                decoder(bytes(base))
            assert info.value.field == "mmv" and info.value.offset == 14


def test_60_byte_frame_with_fragment_fmi_is_decoded_whole():
    """A CM_SLAC_PARM.REQ whose FMI reads 20 00 (bit errors) is not a fragment: it is 60 bytes."""
    wire = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))))))
    wire[17:19] = b"\x20\x00"
    f = decode_frame(bytes(wire))
    assert not f.is_fragment and f.name == "CM_SLAC_PARM.REQ" and f.message.run_id == bytes(range(8))
    assert f.fmi == 0x2000 and "fills its frame" in f.fmi_anomaly
    assert encode_frame(f) == bytes(wire)
    last = bytearray(wire)
    last[17:19] = b"\x11\x00"  # "last of two" on a 60-byte frame
    g = decode_frame(bytes(last))
    assert not g.is_fragment and "60-byte" in g.fmi_anomaly and g.message.run_id == bytes(range(8))
    bad = bytearray(wire)
    bad[17:19] = b"\x13\x00"  # fragment 4 of 2
    assert "impossible" in decode_frame(bytes(bad)).fmi_anomaly


def test_a_full_frame_with_fragment_fmi_is_a_fragment():
    big = m.VS_RD_MEM_CNF(length=1490, data=bytes(1490))
    wire = bytearray(encode_frame(make_frame(DST, SRC, big, mmv=1)))
    wire[17:19] = b"\x10\x05"  # first of two, FMSN 5
    f = decode_frame(bytes(wire))
    assert f.is_fragment and isinstance(f.message, RawMessage) and f.fmi_anomaly is None
    assert f.oui == bytes.fromhex("00b052")
    assert encode_frame(f) == bytes(wire)


def test_hp10_uses_the_shared_ethernet_reader():
    from plcstack.codec.hp10 import decode_hp10, encode_hp10

    wire = bytes.fromhex("ffffffffffff020000000001" "88a80064" "81000005" "887b" "01" "0700") + bytes(40)
    f = decode_hp10(wire)
    assert f.vlan_tags[0].tpid == 0x88A8 and f.vlan_id == 100 and f.entries[0].metype == 7
    assert encode_hp10(f) == wire


# ----------------------------------------------------------------------------- fast path = general path


def test_fast_path_and_general_path_agree_on_every_capture_frame(capture_files):
    from plcstack.codec import frame as F
    from plcstack.pcapio import open_capture

    fast = 0
    for path in capture_files:
        with open_capture(path) as reader:
            for _i, _t, buf, off, length, _lt in reader:
                raw = bytes(buf[off:off + length])
                try:
                    general = F._decode_general(raw, 0, len(raw))
                except DecodeError:
                    continue
                assert decode_frame(raw) == general
                assert decode_frame(buf, off, off + length) == general  # offsets into a chunk, not a copy
                fast += F._FAST.get(raw[12:18]) is not None
    assert fast > 2000  # the common frames take the generated decoders


def test_every_declared_message_takes_the_fast_path(monkeypatch):
    from plcstack.codec import frame as F
    from plcstack.codec.registry import all_definitions

    built = [(d, encode_frame(make_frame(DST, SRC, d.cls()))) for d in all_definitions()]
    expected = {d.layout.name: F._decode_general(raw, 0, len(raw)) for d, raw in built}

    def refuse(*_a: object) -> None:
        raise AssertionError("general path")

    monkeypatch.setattr(F, "_decode_general", refuse)
    for d, raw in built:
        if 0x8000 <= d.mmtype < 0xA000:
            continue  # manufacturer range: always the general path
        assert decode_frame(raw) == expected[d.layout.name], d.name


def test_decode_errors_carry_the_header_fields_read_before_the_fault():
    """A report on a corrupted frame still shows its addresses, tags, MMV and MMTYPE (DecodeError.header)."""
    tags = [(0x88A8, 100), (0x8100, 0x2005)]
    slac = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ(), vlan=tags)))
    slac[22] = 0x08  # MMV behind two tags
    with pytest.raises(DecodeError) as info:
        decode_header(bytes(slac))
    h = info.value.header
    assert (h.dst, h.src, h.ethertype, h.mmv, h.mmtype, h.fmi, h.oui) == (
        bytes.fromhex(DST.replace(":", "")), bytes.fromhex(SRC.replace(":", "")), 0x88E1, 8, 0x6064, None, None)
    assert [(t.tpid, t.tci) for t in h.vlan_tags] == tags
    vs = bytearray(encode_frame(make_frame(DST, SRC, m.VS_SW_VER_REQ(), mmv=1)))
    vs[19:22] = b"\x00\xb0\x12"  # the OUI after FMI
    with pytest.raises(DecodeError) as info:
        decode_frame(bytes(vs))
    h = info.value.header
    assert (info.value.field, h.mmv, h.mmtype, h.fmi, h.oui) == ("oui", 1, 0xA000, 0, b"\x00\xb0\x12")
    with pytest.raises(DecodeError) as info:
        decode_frame(bytes(slac[:20]))  # cut inside the second VLAN tag
    assert info.value.field == "vlan" and [(t.tpid, t.tci) for t in info.value.header.vlan_tags] == tags[:1]
    undefined = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ())))
    undefined[15:17] = b"\xfc\x7f"  # 0x7FFC: no such public MMTYPE
    with pytest.raises(DecodeError) as info:
        decode_frame(bytes(undefined))
    assert info.value.field == "mmtype" and info.value.header.mmtype == 0x7FFC and info.value.header.fmi == 0


@pytest.mark.parametrize("octet3", [0x01, 0x0F, 0x12, 0x3F])
def test_a_fragment_number_beyond_the_fragment_count_is_flagged(octet3):
    """FMI FN_MI > NF_MI (also with NF_MI = 0: 'fragment 2 of 1') is impossible: decoded whole, flagged."""
    wire = bytearray(encode_frame(make_frame(DST, SRC, m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))))))
    wire[17] = octet3
    for decoded in (decode_frame(bytes(wire)), decode_header(bytes(wire))):
        assert decoded.fmi_anomaly is not None and "impossible" in decoded.fmi_anomaly
        assert not decoded.is_fragment
    assert decode_frame(bytes(wire)).message.run_id == bytes(range(8))
