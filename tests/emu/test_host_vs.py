"""The Qualcomm vendor replies (plcstack.emu.host_vs): layouts and sizes of real QCA firmware."""

from __future__ import annotations

import struct

import pytest
from emu_helpers import HOST, MAC_A, MAC_B, ask, cfg, raw_replies, req

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, definition_of, encode, messages
from plcstack.emu import Modem, Port, PowerLine, Role, Timers
from plcstack.emu.profiles import PROFILES
from plcstack.keys.derive import nmk_from_password

NMK_0123 = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")


@pytest.mark.parametrize("chip", sorted(PROFILES))
def test_sw_ver_is_the_real_297_byte_frame(chip):
    p = PROFILES[chip]
    m = Modem(cfg(MAC_A, chip=chip))
    m.start(0.0)
    (raw,) = raw_replies(m, req(messages.VS_SW_VER_REQ(cookie=0x12345678)))
    assert len(raw) == 297  # every real QCA7000/7005/7420 VS_SW_VER.CNF in the pyPLC captures
    r = decode_frame(raw)
    c = r.message
    assert r.name == "VS_SW_VER.CNF" and r.mmv == 0 and r.dst == HOST and r.src == MAC_A
    assert (c.mstatus, c.device_class, c.ident) == (0, p.device_class, p.ident)
    assert c.cookie == (0x12345678 if p.sw_ver_cookie is None else p.sw_ver_cookie)
    text = p.firmware.encode()
    assert c.version_length == len(text) + 1 and c.version.startswith(text + b"\0" + p.version_pad)
    assert set(c.version[len(text) + 1 + len(p.version_pad):]) == {0}
    assert r.trailing == bytes.fromhex("3f00000000000000")  # the 8 bytes after COOKIE
    # open-plc-utils chipset(): STRAP/IDENT at MVERSION[254], i.e. frame offset 14+3+3+3+254
    assert struct.unpack_from("<I", raw, 14 + 6 + 3 + 254)[0] == p.ident


@pytest.mark.parametrize("dst", [LOCAL_MAC, MAC_A, BROADCAST_MAC])
def test_answers_local_own_and_broadcast_addresses(modem, dst):
    (r,) = ask(modem, req(messages.VS_SW_VER_REQ(cookie=7), dst=dst))
    assert r.name == "VS_SW_VER.CNF"


def test_every_reply_is_at_least_60_bytes_and_mirrors_the_request_mmv(modem):
    for msg, mmv in [(messages.VS_RS_DEV_REQ(), 0), (messages.VS_NW_INFO_REQ(), 1), (messages.VS_NW_INFO_REQ(), 0),
                     (messages.VS_PL_LINK_STATUS_REQ(), 0), (messages.MS_PB_ENC_REQ(pb_action=3), 0),
                     (messages.VS_ENET_SETTINGS_REQ(), 0), (messages.VS_GET_NVM_REQ(), 0)]:
        outputs, _ = modem.receive(Port.HOST, req(msg, mmv=mmv), 1.0)
        (frame,) = [f for p, f in outputs if p is Port.HOST]
        r = decode_frame(frame)
        assert len(frame) >= 60 and r.mmv == mmv and r.mmtype == (definition_of(msg).mmtype | 1)
        modem.poll(5.0)  # let a reset finish


def test_nw_info_lone_cco_both_layouts(modem):
    (r1,) = ask(modem, req(messages.VS_NW_INFO_REQ(), mmv=1))
    assert r1.name == "VS_NW_INFO.CNF" and r1.mmv == 1 and r1.fmi == 0
    (net,) = r1.message.networks
    assert (net.nid, net.tei, net.role, net.cco_mac, net.num_stations) == (modem.nid, 1, 2, MAC_A, 0)
    (r0,) = ask(modem, req(messages.VS_NW_INFO_REQ(), mmv=0))
    assert type(r0.message).__name__ == "VS_NW_INFO_CNF_V0" and r0.message.networks[0].nid == modem.nid


def test_nw_info_before_any_network_reports_none():
    m = Modem(cfg(MAC_A))
    m.start(0.0)
    (r,) = ask(m, req(messages.VS_NW_INFO_REQ(), mmv=1), t=0.1)
    assert r.message.num_avlns == 0 and r.message.data_len == 2  # as a real unassociated QCA7420 (60 bytes)


def test_a_station_without_host_reports_bridged_address_ff():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B))  # no host ever talks to B
    pl.run_for(3.0)
    (r,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (sta,) = r.message.networks[0].stations
    assert sta.mac == MAC_B and sta.bda == BROADCAST_MAC


def test_directional_rates_agree_at_both_ends():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B))
    pl.run_for(3.0)
    (a,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (b,) = [decode_frame(f) for f in pl.request(MAC_B, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (sa,), (sb,) = a.message.networks[0].stations, b.message.networks[0].stations
    assert (sa.avg_tx, sa.avg_rx) == (120, 110) and (sb.avg_tx, sb.avg_rx) == (110, 120)  # A->B 120, B->A 110


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


def test_reset_answers_then_is_silent_then_restarts(modem):
    (r,) = ask(modem, req(messages.VS_RS_DEV_REQ()), t=1.0)
    assert r.message.mstatus == 0 and modem.role is Role.RESETTING
    assert ask(modem, req(messages.VS_SW_VER_REQ()), t=1.1) == []
    modem.poll(1.0 + modem.reset_s)
    assert modem.role is Role.UNASSOCIATED
    assert len(ask(modem, req(messages.VS_SW_VER_REQ()), t=2.0)) == 1


def test_default_reset_takes_seconds():
    m = Modem(cfg(MAC_A, timers=Timers()))  # the chip profile's timing
    m.start(0.0)
    ask(m, req(messages.VS_RS_DEV_REQ()), t=1.0)
    assert m.reset_s >= 2.0 and ask(m, req(messages.VS_SW_VER_REQ()), t=1.0 + m.reset_s - 0.1) == []


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


def test_op_attributes_report_is_the_attributes2_struct_in_a_1053_byte_frame(modem):
    (raw,) = raw_replies(modem, req(messages.VS_OP_ATTRIBUTES_REQ(cookie=99, report_type=0)))
    assert len(raw) == 1053  # real QCA7420 frames (pyPLC captures)
    m = decode_frame(raw).message
    assert (m.mstatus, m.cookie, m.length) == (0, 99, 118)
    family, dtype = m.report[:16].rstrip(b"\0"), m.report[16:32].rstrip(b"\0")
    major, minor, comp, sust, build = struct.unpack_from("<5I", m.report, 32)
    assert (family, dtype, major, minor, comp, build, sust) == (b"QCA7420", b"MAC", 1, 4, 0, 20, 0)
    assert m.report[52:60] == b"20171027"


@pytest.mark.parametrize(("chip", "nvm_type"), [("QCA7000", 0x1420), ("QCA7420", 0x1520), ("QCA7500", 0x1620)])
def test_get_nvm_names_a_flash_open_plc_utils_knows(chip, nvm_type):
    m = Modem(cfg(MAC_A, chip=chip))
    m.start(0.0)
    (r,) = ask(m, req(messages.VS_GET_NVM_REQ()))
    # ram/nvram.c: 0x1420 M25P80, 0x1520 M25P16, 0x1620 M25P32 (type 0x17 is "unknown")
    assert (r.message.mstatus, r.message.nvm_type, r.message.page_size) == (0, nvm_type, 256)


def test_link_status_and_enet_settings(modem):
    (r,) = ask(modem, req(messages.VS_PL_LINK_STATUS_REQ()))
    assert (r.message.mstatus, r.message.link_status) == (0, 0)
    (raw,) = raw_replies(modem, req(messages.VS_ENET_SETTINGS_REQ()))
    assert raw[17:25] == bytes.fromhex("00b052" "000000" "0103")  # as real QCA7420 frames (MSTATUS 0, 00 00 01 03)


def test_frame_loopback_confirms_and_returns_the_frame(modem):
    inner = BROADCAST_MAC + HOST + b"\x08\x00" + b"devolo Network Service ".ljust(46, b".")
    frames = raw_replies(modem, req(messages.VS_FR_LBK_REQ(duration=1, length=len(inner), packet=inner)))
    assert len(frames) == 2
    cnf = decode_frame(frames[0])
    assert (cnf.name, cnf.message.mstatus, cnf.message.length) == ("VS_FR_LBK.CNF", 0, len(inner))
    assert frames[1] == inner


def test_unknown_vendor_types_are_dropped_with_a_reason(modem):
    frame = bytearray(req(messages.VS_SW_VER_REQ()))
    frame[17:20] = b"\x00\x11\x22"
    outputs, events = modem.receive(Port.HOST, bytes(frame), 1.0)
    assert outputs == [] and "malformed" in events[0].reason
    outputs, events = modem.receive(Port.HOST, encode(LOCAL_MAC, HOST, messages.VS_SNIFFER_REQ()), 1.0)
    assert outputs == [] and events[0].reason == "VS_SNIFFER.REQ not supported"
