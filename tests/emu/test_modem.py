"""The sans-I/O modem answers host-side management requests the way Qualcomm firmware does."""

from __future__ import annotations

import struct

import pytest
from emu_helpers import HOST, MAC_A, MAC_B, ask, req
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import Modem, ModemConfig, Port, Role
from plcstack.emu.profiles import PIB_SIZE, checksum32
from plcstack.keys.derive import nid_from_nmk, nmk_from_password

NMK_0123 = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")


@pytest.mark.parametrize(("chip", "device_class", "ident"), [
    ("QCA7000", 0x22, 0x001B58DC), ("QCA7420", 0x20, 0x001CFCFC), ("QCA7500", 0x30, 0x001D4C0F)])
def test_sw_ver_encodes_the_chip_like_open_plc_utils_expects(chip, device_class, ident):
    m = Modem(ModemConfig(mac=MAC_A, chip=chip))
    m.start(0.0)
    (r,) = ask(m, req(messages.VS_SW_VER_REQ(cookie=0x12345678)))
    assert r.name == "VS_SW_VER.CNF" and r.mmv == 0 and r.dst == HOST and r.src == MAC_A
    c = r.message
    assert (c.mstatus, c.device_class, c.ident, c.cookie) == (0, device_class, ident, 0x12345678)
    assert c.version.rstrip(b"\0") == f"MAC-{chip}".encode() + c.version.rstrip(b"\0")[11:]
    assert c.version_length == len(c.version.rstrip(b"\0")) + 1
    raw = encode_reply(m, messages.VS_SW_VER_REQ(cookie=1))
    # open-plc-utils chipset(): STRAP/IDENT at MVERSION[254], i.e. frame offset 14+3+3+3+254
    assert struct.unpack_from("<I", raw, 14 + 6 + 3 + 254)[0] == ident


def encode_reply(m: Modem, message) -> bytes:
    outputs, _ = m.receive(Port.HOST, req(message), 1.0)
    return outputs[0].frame


@pytest.mark.parametrize("dst", [LOCAL_MAC, MAC_A, BROADCAST_MAC])
def test_answers_local_own_and_broadcast_addresses(modem, dst):
    (r,) = ask(modem, req(messages.VS_SW_VER_REQ(cookie=7), dst=dst))
    assert r.message.cookie == 7


def test_ignores_requests_for_other_devices_and_non_requests(modem):
    assert ask(modem, req(messages.VS_SW_VER_REQ(), dst=MAC_B)) == []
    assert ask(modem, req(messages.VS_RS_DEV_CNF(mstatus=0))) == []
    assert ask(modem, req(messages.VS_HOST_ACTION_RSP(mstatus=0))) == []  # the plctool -L stray frame


def test_every_reply_is_at_least_60_bytes_and_mirrors_the_request_mmv(modem):
    for msg, mmv in [(messages.VS_RS_DEV_REQ(), 0), (messages.VS_NW_INFO_REQ(), 1), (messages.VS_NW_INFO_REQ(), 0),
                     (messages.VS_PL_LINK_STATUS_REQ(), 0), (messages.MS_PB_ENC_REQ(pb_action=3), 0)]:
        outputs, _ = modem.receive(Port.HOST, req(msg, mmv=mmv), 1.0)
        (frame,) = [f for p, f in outputs if p is Port.HOST]
        r = decode_frame(frame)
        assert len(frame) >= 60 and r.mmv == mmv and r.mmtype == (definition_mmtype(msg) | 1)
        modem.poll(5.0)  # let a reset finish


def definition_mmtype(msg) -> int:
    from plcstack.codec import definition_of

    return definition_of(msg).mmtype


def test_nw_info_lone_cco_both_layouts(modem):
    (r1,) = ask(modem, req(messages.VS_NW_INFO_REQ(), mmv=1))
    assert r1.name == "VS_NW_INFO.CNF" and r1.mmv == 1 and r1.fmi == 0
    (net,) = r1.message.networks
    assert (net.nid, net.tei, net.role, net.cco_mac, net.num_stations) == (modem.nid, 1, 2, MAC_A, 0)
    (r0,) = ask(modem, req(messages.VS_NW_INFO_REQ(), mmv=0))
    assert type(r0.message).__name__ == "VS_NW_INFO_CNF_V0"
    assert r0.message.networks[0].nid == modem.nid


def test_nw_info_before_any_network_reports_none():
    m = Modem(ModemConfig(mac=MAC_A))
    m.start(0.0)
    (r,) = ask(m, req(messages.VS_NW_INFO_REQ(), mmv=1), t=0.1)
    assert r.message.num_avlns == 0


def test_vs_set_key_changes_nmk_and_nid(modem):
    (r,) = ask(modem, req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F)))
    assert r.message.mstatus == 0
    assert modem.nmk == NMK_0123 and modem.nid == bytes.fromhex("026BCBA5354E08")
    assert modem.role is Role.UNASSOCIATED
    modem.poll(3.0)
    (r,) = ask(modem, req(messages.VS_NW_INFO_REQ(), mmv=1), t=3.0)
    assert r.message.networks[0].nid == bytes.fromhex("026BCBA5354E08")


def test_vs_set_key_rejects_bad_eks_and_peks(modem):
    assert ask(modem, req(messages.VS_SET_KEY_REQ(eks=9, nmk=NMK_0123, peks=0x0F)))[0].message.mstatus == 0x10
    assert ask(modem, req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x05)))[0].message.mstatus == 0x11
    assert modem.nmk == nmk_from_password("HomePlugAV")


@pytest.mark.parametrize(("setting", "expected"), [(1, 1), (0, 0)])
def test_cm_set_key_result_polarity_is_a_setting(setting, expected):
    m = Modem(ModemConfig(mac=MAC_A, set_key_success_result=setting))
    m.start(0.0)
    nid = nid_from_nmk(NMK_0123)
    msg = messages.CM_SET_KEY_REQ(key_type=1, my_nonce=b"\xaa" * 4, your_nonce=bytes(4), pid=4, prn=0x1234, pmn=0,
                                  cco_capability=0, nid=nid, new_eks=1, new_key=NMK_0123)
    outputs, events = m.receive(Port.HOST, req(msg), 1.0)
    (frame,) = [f for _, f in outputs]
    assert len(frame) == 60  # pyslac reads exactly 60 bytes
    r = decode_frame(frame)
    assert r.name == "CM_SET_KEY.CNF" and r.mmv == 1
    assert (r.message.result, r.message.your_nonce, r.message.pid, r.message.prn) == (expected, b"\xaa" * 4, 4, 0x1234)
    assert m.nmk == NMK_0123 and m.nid == nid
    assert any(type(e).__name__ == "KeyChanged" for e in events)


def test_cm_set_key_uses_the_requested_nid_even_if_it_is_not_nid_of_nmk(modem):
    odd = bytes.fromhex("0102030405060F")
    msg = messages.CM_SET_KEY_REQ(key_type=1, my_nonce=bytes(4), your_nonce=bytes(4), pid=4, prn=0, pmn=0,
                                  cco_capability=0, nid=odd, new_eks=1, new_key=NMK_0123)
    (r,) = ask(modem, req(msg, mmv=1))
    assert r.message.result == 1 and modem.nid == odd


def test_reset_answers_then_is_silent_then_restarts(modem):
    (r,) = ask(modem, req(messages.VS_RS_DEV_REQ()), t=1.0)
    assert r.message.mstatus == 0 and modem.role is Role.RESETTING
    assert ask(modem, req(messages.VS_SW_VER_REQ()), t=1.2) == []
    modem.poll(1.0 + modem.config.timers.reset_s)
    assert modem.role is Role.UNASSOCIATED
    assert len(ask(modem, req(messages.VS_SW_VER_REQ()), t=2.0)) == 1


def test_factory_defaults_restore_the_homeplugav_key(modem):
    ask(modem, req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F)))
    (r,) = ask(modem, req(messages.VS_FAC_DEFAULTS_REQ()), t=2.0)
    assert r.message.mstatus == 0
    assert modem.nmk == nmk_from_password("HomePlugAV") and modem.nid == bytes.fromhex("B0F2E695666B03")


def test_link_stats_status_codes(modem):
    def stats(**kw):
        base = {"mcontrol": 0, "direction": 2, "lid": 0, "peer": MAC_B}
        base.update(kw)
        return ask(modem, req(messages.VS_LNK_STATS_REQ(**base)))[0].message

    assert stats().mstatus == 0x20  # unknown peer
    assert stats(mcontrol=3).mstatus == 0x01
    assert stats(direction=5).mstatus == 0x02
    assert stats(lid=0x42).mstatus == 0x10
    s = stats(lid=0xFC, direction=0)
    assert s.mstatus == 0 and s.tx_mpdu_acked == 0 and s.rx_mpdu_acked is None


def test_op_attributes_report_is_the_attributes2_struct(modem):
    (r,) = ask(modem, req(messages.VS_OP_ATTRIBUTES_REQ(cookie=99, report_type=0)))
    m = r.message
    assert (m.mstatus, m.cookie, m.length) == (0, 99, len(m.report))
    family, dtype = m.report[:16].rstrip(b"\0"), m.report[16:32].rstrip(b"\0")
    major, minor, comp, sust, build = struct.unpack_from("<5I", m.report, 32)
    assert (family, dtype, major, minor, comp, build, sust) == (b"QCA7420", b"MAC", 1, 4, 0, 20, 0)
    assert m.report[52:60] == b"20171027"


def test_module_operation_reads_a_checksummed_parameter_chain(modem):
    msg = messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0, mod_op_data_len=18, module_id=0x7002,
                                           module_sub_id=0, length=1400, offset=0)
    (r,) = ask(modem, req(msg))
    m = r.message
    assert m.mstatus == 0 and m.length == len(m.data) == 96 + PIB_SIZE
    head, pib = m.data[:96], m.data[96:]
    major, minor = struct.unpack_from("<HH", head)
    image_len, image_sum = struct.unpack_from("<II", head, 16)
    nxt, prev, image_type = struct.unpack_from("<III", head, 28)
    assert (major, minor, image_len, nxt, prev, image_type) == (1, 1, PIB_SIZE, 0xFFFFFFFF, 0xFFFFFFFF, 0x0F)
    assert checksum32(head) == 0  # header checksum cancels out, as pibchain2() checks
    assert image_sum == checksum32(pib)
    assert (pib[12:18], pib[100:116], pib[248:255]) == (MAC_A, modem.nmk, modem.nid)
    assert pib[18:34] == modem.dak


def test_rd_mod_returns_the_bare_pib(modem):
    (r,) = ask(modem, req(messages.VS_RD_MOD_REQ(module_id=2, length=1024, offset=0)))
    assert r.message.mstatus == 0 and r.message.data[12:18] == MAC_A
    assert r.message.checksum == checksum32(r.message.data)


def test_push_button_status_and_leave(modem):
    (r,) = ask(modem, req(messages.MS_PB_ENC_REQ(pb_action=3)))
    assert r.name == "MS_PB_ENC.CNF" and r.oui is None and r.message.avln_status == 0
    old = modem.nmk
    ask(modem, req(messages.MS_PB_ENC_REQ(pb_action=2)))
    assert modem.nmk != old


def test_get_nvm_and_link_status(modem):
    (r,) = ask(modem, req(messages.VS_GET_NVM_REQ()))
    assert r.message.memory_size == 0x00200000
    (r,) = ask(modem, req(messages.VS_PL_LINK_STATUS_REQ()))
    assert (r.message.mstatus, r.message.link_status) == (0, 0)


@pytest.mark.parametrize("cut", [18, 20, 25, 40])
def test_truncated_requests_get_no_reply(modem, cut):
    frame = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F))[:cut]
    outputs, events = modem.receive(Port.HOST, frame, 1.0)
    assert outputs == [] and modem.nmk != NMK_0123
    assert events and type(events[0]).__name__ == "Dropped"


def test_wrong_oui_and_unknown_types_get_no_reply(modem):
    frame = bytearray(req(messages.VS_SW_VER_REQ()))
    frame[17:20] = b"\x00\x11\x22"
    assert ask(modem, bytes(frame)) == []
    assert ask(modem, encode(LOCAL_MAC, HOST, messages.VS_GET_PROPERTY_REQ())) == []


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.sampled_from([LOCAL_MAC, MAC_A, BROADCAST_MAC]))
def test_garbage_never_crashes_and_malformed_gets_no_reply(body, dst):
    m = Modem(ModemConfig(mac=MAC_A), seed=3)
    m.start(0.0)
    frame = dst + HOST + b"\x88\xe1" + body
    outputs, _ = m.receive(Port.HOST, frame, 1.0)
    for port, out in outputs:
        if port is Port.HOST:  # a reply only for a well-formed request
            r = decode_frame(out)
            f = decode_frame(frame)
            assert f.truncated is None and r.mmtype == f.mmtype | 1


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=120))
def test_plc_port_garbage_is_ignored(body):
    m = Modem(ModemConfig(mac=MAC_A), seed=3)
    m.start(0.0)
    outputs, _ = m.receive(Port.PLC, body, 1.0)
    assert outputs == []
