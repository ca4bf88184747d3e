"""HomePlug AV / Green PHY and manufacturer replies to host messages (plcstack.emu.host)."""

from __future__ import annotations

import pytest
from emu_helpers import HOST, HOST_B, MAC_A, MAC_B, MAC_C, ask, cfg, raw_replies, req

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import Modem, Port, PowerLine
from plcstack.emu.host import HOST_REPLIES, answered
from plcstack.keys.derive import nid_from_nmk

NMK_0123 = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")


def set_key_req(nid: bytes, nmk: bytes = NMK_0123) -> messages.CM_SET_KEY_REQ:
    return messages.CM_SET_KEY_REQ(key_type=1, my_nonce=b"\xaa" * 4, your_nonce=bytes(4), pid=4, prn=0x1234, pmn=0,
                                   cco_capability=0, nid=nid, new_eks=1, new_key=nmk)


def test_the_table_is_keyed_by_message_class():
    assert all(isinstance(k, type) for k in HOST_REPLIES)
    names = answered()
    for name in ("CM_SET_KEY.REQ", "CM_GET_KEY.REQ", "CM_NW_INFO.REQ", "CC_DISCOVER_LIST.REQ", "CM_BRG_INFO.REQ",
                 "MS_PB_ENC.REQ", "VS_SW_VER.REQ", "VS_TONE_MAP_CHAR.REQ", "VS_MODULE_OPERATION.REQ"):
        assert name in names


@pytest.mark.parametrize(("setting", "expected"), [(1, 1), (0, 0)])
def test_cm_set_key_result_polarity_is_a_setting(setting, expected):
    m = Modem(cfg(MAC_A, set_key_success_result=setting))
    m.start(0.0)
    nid = nid_from_nmk(NMK_0123)
    outputs, events = m.receive(Port.HOST, req(set_key_req(nid)), 1.0)
    (frame,) = [f for _, f in outputs]
    assert len(frame) == 60  # pyslac reads exactly 60 bytes
    r = decode_frame(frame)
    assert r.name == "CM_SET_KEY.CNF" and r.mmv == 1
    assert (r.message.result, r.message.your_nonce, r.message.pid, r.message.prn, r.message.pmn) == (
        expected, b"\xaa" * 4, 4, 0x1234, 0xFF)
    assert m.nmk == NMK_0123 and m.nid == nid
    assert any(type(e).__name__ == "KeyChanged" for e in events)


def test_cm_set_key_to_broadcast_is_taken_by_the_local_modem_only(network):
    """pyPLC sends CM_SET_KEY.REQ to ff:ff:ff:ff:ff:ff (pyPLC captures): only its own modem answers."""
    nid = nid_from_nmk(NMK_0123)
    replies = [decode_frame(f) for f in network.request(MAC_A, req(set_key_req(nid), dst=BROADCAST_MAC), 0.2)]
    assert [(r.name, r.src) for r in replies] == [("CM_SET_KEY.CNF", MAC_A)]
    assert network[MAC_A].nmk == NMK_0123 and network[MAC_B].nmk != NMK_0123


def test_cm_set_key_uses_the_requested_nid_even_if_it_is_not_nid_of_nmk(modem):
    odd = bytes.fromhex("0102030405060F")
    (r,) = ask(modem, req(set_key_req(odd), mmv=1))
    assert r.message.result == 1 and modem.nid == odd


def get_key_req(nid: bytes) -> messages.CM_GET_KEY_REQ:
    return messages.CM_GET_KEY_REQ(request_type=0, requested_key_type=1, nid=nid, my_nonce=b"\xaa" * 4, pid=4, prn=0,
                                   pmn=0)


def test_cm_get_key_local_grant_and_remote_refusal_like_real_modems(network):
    """pyPLC's CM_GET_KEY.REQ to broadcast: its own modem gives the NMK, the others refuse (425-byte CNFs)."""
    a = network[MAC_A]
    frames = network.request(MAC_A, req(get_key_req(a.nid), dst=BROADCAST_MAC), 0.2)
    by_src = {decode_frame(f).src: (len(f), decode_frame(f).message) for f in frames}
    assert set(by_src) == {MAC_A, MAC_B, MAC_C}
    size, mine = by_src[MAC_A]
    assert size == 425 and (mine.result, mine.pmn, mine.key[:16], mine.your_nonce) == (0, 0xFF, a.nmk, b"\xaa" * 4)
    for mac in (MAC_B, MAC_C):
        size, other = by_src[mac]
        assert size == 425 and (other.result, other.eks, set(other.key)) == (1, 0, {0})


def test_cm_nw_info_and_discover_list_at_the_local_address(network):
    c = network[MAC_C]
    (r,) = [decode_frame(f) for f in network.request(MAC_C, req(messages.CM_NW_INFO_REQ(), dst=LOCAL_MAC))]
    (net,) = r.message.networks
    assert (r.name, net.nid, net.tei, net.station_role, net.cco_mac) == ("CM_NW_INFO.CNF", c.nid, 1, 2, MAC_C)
    (r,) = [decode_frame(f) for f in network.request(MAC_A, req(messages.CC_DISCOVER_LIST_REQ(), dst=LOCAL_MAC))]
    assert r.name == "CC_DISCOVER_LIST.CNF"
    stations = {s.mac: s for s in r.message.stations}
    assert set(stations) == {MAC_B, MAC_C} and stations[MAC_C].status_capability & 0x20  # C is the CCo
    assert all(1 <= s.signal_level <= 15 for s in stations.values())


def test_cm_brg_info_to_the_modem_mac_lists_its_host(network):
    (r,) = [decode_frame(f) for f in network.request(MAC_A, req(messages.CM_BRG_INFO_REQ(), dst=MAC_A))]
    m = r.message
    assert (r.name, m.bsf, m.btei, m.nbda, [b.mac for b in m.bda]) == ("CM_BRG_INFO.CNF", 1, network[MAC_A].tei, 1,
                                                                      [HOST])
    (r,) = [decode_frame(f) for f in network.request(MAC_A, req(messages.CM_BRG_INFO_REQ(), dst=MAC_B))]
    assert (r.src, r.message.bsf) == (MAC_B, 0)  # B has no host behind it


def test_push_button_status_leave_and_unknown_action(modem):
    (r,) = ask(modem, req(messages.MS_PB_ENC_REQ(pb_action=3)))
    assert r.name == "MS_PB_ENC.CNF" and r.oui is None and (r.message.mstatus, r.message.avln_status) == (0, 0)
    (r,) = ask(modem, req(messages.MS_PB_ENC_REQ(pb_action=4)))  # plctool -B 4: refused at once
    assert r.message.mstatus == 1
    old = modem.nmk
    ask(modem, req(messages.MS_PB_ENC_REQ(pb_action=2)))
    assert modem.nmk != old


def test_key_changes_are_only_taken_from_the_local_host():
    pl = PowerLine()
    for mac in (MAC_A, MAC_B):
        pl.add(cfg(mac))
    pl.run_for(3.0)
    before = pl[MAC_B].nmk
    frames = pl.request(MAC_A, encode(MAC_B, HOST_B, set_key_req(nid_from_nmk(NMK_0123))), 0.2)
    assert frames == [] and pl[MAC_B].nmk == before
    assert any(e.reason == "CM_SET_KEY.REQ not supported from the power line" for _, e in pl.drain_events()
               if type(e).__name__ == "Dropped")


def test_replies_are_padded_and_mirror_the_mmv(modem):
    for msg in (messages.CM_NW_INFO_REQ(), messages.CC_DISCOVER_LIST_REQ(), messages.CM_BRG_INFO_REQ()):
        (raw,) = raw_replies(modem, req(msg))
        assert len(raw) >= 60 and decode_frame(raw).mmv == 1
