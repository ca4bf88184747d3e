"""Modems on the in-process power line: AVLNs, CCo election, association, NEK, bridging, SLAC."""

from __future__ import annotations

from emu_helpers import HOST, HOST_B, MAC_A, MAC_B, MAC_C, host_frames, req

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import ConstantLinkModel, LinkQuality, ModemConfig, PowerLine, Role
from plcstack.emu import events as ev
from plcstack.emu.link import SLAC_GROUPS, default_attenuation
from plcstack.keys.derive import dak_from_password, nid_from_nmk, nmk_from_password

NMK_0123 = nmk_from_password("HomePlugAV0123")


def roles(pl: PowerLine) -> dict[bytes, Role]:
    return {mac: m.role for mac, m in pl.modems.items()}


def test_same_nid_forms_one_avln_with_the_highest_mac_as_cco(network):
    assert roles(network) == {MAC_A: Role.STATION, MAC_B: Role.STATION, MAC_C: Role.CCO}
    neks = {m.nek for m in network.modems.values()}
    assert len(neks) == 1 and None not in neks
    teis = sorted(m.tei for m in network.modems.values())
    assert teis == [1, 2, 3]
    for m in network.modems.values():
        assert sorted(p.mac for p in m.members()) == sorted(x for x in (MAC_A, MAC_B, MAC_C) if x != m.mac)
        assert m.cco_mac == MAC_C


def test_cco_capability_beats_mac():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A, cco_capability=2))
    pl.add(ModemConfig(mac=MAC_C))
    pl.run_for(2.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_C: Role.STATION}


def test_cco_always_and_never():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A, cco="always"))
    pl.add(ModemConfig(mac=MAC_B, cco="never"))
    pl.add(ModemConfig(mac=MAC_C))
    pl.run_for(3.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_B: Role.STATION, MAC_C: Role.STATION}
    alone = PowerLine()
    alone.add(ModemConfig(mac=MAC_B, cco="never"))
    alone.run_for(3.0)
    assert roles(alone) == {MAC_B: Role.UNASSOCIATED}


def test_different_nmk_means_different_networks_and_no_data_between_them():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B, password="HomePlugAV0123"))
    pl.run_for(2.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_B: Role.CCO}
    assert pl[MAC_A].members() == [] and pl[MAC_A].nek != pl[MAC_B].nek
    ip = BROADCAST_MAC + HOST + b"\x08\x00" + bytes(46)
    pl.send_from_host(MAC_A, ip)
    pl.run_for(0.1)
    assert host_frames(pl, MAC_B) == []
    # and the modem-level view: plctool -m on B shows its own network only
    (r,) = [decode_frame(f) for f in pl.request(MAC_B, req(messages.VS_NW_INFO_REQ(), mmv=1, src=HOST_B))]
    assert r.message.networks[0].nid == nid_from_nmk(NMK_0123) and r.message.networks[0].num_stations == 0


def test_ethernet_is_bridged_between_hosts_of_one_avln(network):
    payload = b"\x08\x00" + b"hello, power line".ljust(46, b".")
    network.send_from_host(MAC_A, BROADCAST_MAC + HOST + payload)  # ARP-like broadcast teaches the bridges
    network.run_for(0.05)
    assert [f for _, f in network.take_host(MAC_B)] == [BROADCAST_MAC + HOST + payload]
    network.take_host(MAC_C)
    network.send_from_host(MAC_B, HOST + HOST_B + payload)  # the reply goes unicast to A only
    network.run_for(0.05)
    assert [f for _, f in network.take_host(MAC_A)] == [HOST + HOST_B + payload]
    assert network.take_host(MAC_C) == []
    # VS_NW_INFO now shows the bridged address behind each station
    network.run_for(0.5)
    (r,) = [decode_frame(f) for f in network.request(MAC_C, req(messages.VS_NW_INFO_REQ(), mmv=1, src=HOST_B))]
    bda = {s.mac: s.bda for s in r.message.networks[0].stations}
    assert bda[MAC_A] == HOST and bda[MAC_B] == HOST_B


def test_remote_devices_answer_through_the_power_line(network):
    replies = [decode_frame(f) for f in network.request(MAC_A, req(messages.VS_SW_VER_REQ(), dst=BROADCAST_MAC))]
    assert sorted(r.src for r in replies) == [MAC_A, MAC_B, MAC_C]
    (r,) = [decode_frame(f) for f in network.request(MAC_A, req(messages.VS_SW_VER_REQ(cookie=3), dst=MAC_C))]
    assert (r.src, r.dst, r.message.cookie) == (MAC_C, HOST, 3)  # what plcstat -t does per station


def test_nw_info_reports_the_link_model_rates():
    link = ConstantLinkModel()
    link.set_pair(MAC_A, MAC_B, LinkQuality(420.0, 380.0, default_attenuation(), True))
    pl = PowerLine(link=link)
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B))
    pl.run_for(2.0)
    (a,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (sa,) = a.message.networks[0].stations
    assert (sa.mac, sa.avg_tx, sa.avg_rx) == (MAC_B, 420, 380)
    (b,) = [decode_frame(f) for f in pl.request(MAC_B, req(messages.VS_NW_INFO_REQ(), mmv=0))]
    (sb,) = b.message.networks[0].stations
    assert (sb.mac, sb.avg_tx, sb.avg_rx) == (MAC_A, 255, 255)  # MMV 0 rates are one byte


def test_set_key_moves_a_modem_to_another_avln():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B, password="HomePlugAV0123"))
    pl.add(ModemConfig(mac=MAC_C, password="HomePlugAV0123"))
    pl.run_for(2.0)
    assert pl[MAC_A].members() == []
    pl.request(MAC_A, req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F)))
    pl.run_for(2.0)
    assert sorted(p.mac for p in pl[MAC_A].members()) == [MAC_B, MAC_C]
    assert pl[MAC_A].nek == pl[MAC_C].nek


def test_cco_loss_makes_the_stations_elect_a_new_one(network):
    network.remove(MAC_C)
    network.run_for(3.0)
    assert roles(network) == {MAC_A: Role.STATION, MAC_B: Role.CCO}
    assert [p.mac for p in network[MAC_A].members()] == [MAC_B]


def test_station_that_disappears_is_dropped_by_the_cco(network):
    network.remove(MAC_A)
    network.run_for(2.0)
    assert [p.mac for p in network[MAC_C].members()] == [MAC_B]
    assert any(isinstance(e, ev.StationRemoved) and e.mac == MAC_A for _, e in network.drain_events())


def test_nid_without_the_matching_nmk_fails_authentication():
    pl = PowerLine()
    nid = nid_from_nmk(nmk_from_password("HomePlugAV"))
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B, password="something else entirely", nid=nid))
    pl.run_for(2.0)
    assert pl[MAC_B].role is Role.CCO and pl[MAC_A].nek is None  # B wins the election, A cannot authenticate
    assert pl[MAC_A].members() == [] and pl[MAC_B].members() == []
    assert any(isinstance(e, ev.AuthFailed) for _, e in pl.drain_events())


def test_remote_nmk_provisioning_with_the_dak():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A, password="HomePlugAV0123"))
    pl.add(ModemConfig(mac=MAC_B, device_password="DeviceB-Password"))
    pl.run_for(2.0)
    good = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x00, rda=MAC_B,
                                       dak=dak_from_password("DeviceB-Password")))
    wrong = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x00, rda=MAC_B, dak=bytes(16)))
    (r,) = [decode_frame(f) for f in pl.request(MAC_A, wrong)]
    assert r.message.mstatus == 0
    pl.run_for(0.1)
    assert pl[MAC_B].nmk != NMK_0123
    pl.request(MAC_A, good)
    pl.run_for(2.0)
    assert pl[MAC_B].nmk == NMK_0123 and [p.mac for p in pl[MAC_A].members()] == [MAC_B]


def _slac_pair(link: ConstantLinkModel | None = None) -> PowerLine:
    pl = PowerLine(link=link)
    pl.add(ModemConfig(mac=MAC_A, chip="QCA7000", password="HomePlugAV0123", cco="always"))  # EVSE side
    pl.add(ModemConfig(mac=MAC_B, chip="QCA7000", cco="never"))  # PEV side
    pl.run_for(1.0)
    return pl


def test_slac_messages_cross_networks_and_sounds_yield_atten_profiles():
    link = ConstantLinkModel()
    profile = tuple(range(10, 10 + SLAC_GROUPS))
    link.set_pair(MAC_A, MAC_B, LinkQuality(10.0, 10.0, profile, True))
    pl = _slac_pair(link)
    evse, pev = HOST, HOST_B
    pl.send_from_host(MAC_A, req(messages.VS_SW_VER_REQ(), src=evse))  # both modems learn their hosts
    pl.send_from_host(MAC_B, req(messages.VS_SW_VER_REQ(), src=pev))
    pl.run_for(0.01)
    pl.take_host(MAC_A)
    pl.take_host(MAC_B)
    run_id = pev + b"\x00\x01"
    parm = encode(BROADCAST_MAC, pev, messages.CM_SLAC_PARM_REQ(run_id=run_id))
    pl.send_from_host(MAC_B, parm)
    pl.run_for(0.01)
    assert [f for _, f in pl.take_host(MAC_A)] == [parm]
    sound = encode(BROADCAST_MAC, pev, messages.CM_MNBC_SOUND_IND(sender_id=b"\xaa" * 17, cnt=9, run_id=run_id))
    assert len(sound) == 71
    pl.send_from_host(MAC_B, sound)
    pl.run_for(0.01)
    got = [f for _, f in pl.take_host(MAC_A)]
    assert got[0] == sound and len(got) == 2
    assert len(got[1]) == 85
    p = decode_frame(got[1])
    assert p.name == "CM_ATTEN_PROFILE.IND" and p.mmv == 1 and p.dst == evse and p.src == MAC_A
    assert (p.message.pev_mac, p.message.num_groups, p.message.aag) == (pev, SLAC_GROUPS, bytes(profile))
    # a unicast SLAC reply crosses back to the PEV host only
    cnf = encode(pev, evse, messages.CM_SLAC_PARM_CNF(msound_target=BROADCAST_MAC, num_sounds=10, time_out=6,
                                                      resp_type=1, forwarding_sta=pev, run_id=run_id))
    pl.send_from_host(MAC_A, cnf)
    pl.run_for(0.01)
    assert [f for _, f in pl.take_host(MAC_B)] == [cnf]
    assert pl.take_host(MAC_A) == []


def test_unreachable_modems_hear_nothing():
    link = ConstantLinkModel()
    link.set_pair(MAC_A, MAC_B, LinkQuality(0.0, 0.0, default_attenuation(), False))
    pl = PowerLine(link=link)
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B))
    pl.run_for(2.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_B: Role.CCO}


def test_pev_rekey_after_match_joins_the_evse_network():
    pl = _slac_pair()
    nmk = pl[MAC_A].nmk
    msg = messages.CM_SET_KEY_REQ(key_type=1, my_nonce=bytes(4), your_nonce=bytes(4), pid=4, prn=0, pmn=0,
                                  cco_capability=0, nid=pl[MAC_A].nid, new_eks=1, new_key=nmk)
    (cnf,) = [decode_frame(f) for f in pl.request(MAC_B, encode(LOCAL_MAC, HOST_B, msg))]
    assert cnf.message.result == 1
    pl.run_for(1.0)
    assert pl[MAC_B].role is Role.STATION and pl[MAC_B].cco_mac == MAC_A


def test_same_seed_same_run():
    def run() -> list[tuple[bytes, ev.Event]]:
        pl = PowerLine()
        for mac in (MAC_A, MAC_B, MAC_C):
            pl.add(ModemConfig(mac=mac), seed=5)
        pl.run_for(2.0)
        return pl.drain_events()

    assert run() == run()


def test_push_button_pairing_shares_the_nmk():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A))
    pl.add(ModemConfig(mac=MAC_B))
    pl.add(ModemConfig(mac=MAC_C, password="a network of its own"))
    pl.run_for(2.0)
    assert [p.mac for p in pl[MAC_A].members()] == [MAC_B] and pl[MAC_C].members() == []
    for mac in (MAC_C, MAC_A):  # buttons pressed on C, then on A (which has a member: A's NMK wins)
        (r,) = [decode_frame(f) for f in pl.request(mac, req(messages.MS_PB_ENC_REQ(pb_action=1)))]
        assert r.message.mstatus == 0
        pl.run_for(0.5)
    pl.run_for(2.0)
    assert pl[MAC_C].nmk == pl[MAC_A].nmk
    assert sorted(p.mac for p in pl[MAC_A].members()) == [MAC_B, MAC_C]
    assert any(isinstance(e, ev.KeyChanged) and e.via == "push button" for _, e in pl.drain_events())


def test_cco_reset_makes_its_stations_rejoin(network):
    host = bytes.fromhex("020000000009")
    pl = network
    pl.request(MAC_C, encode(LOCAL_MAC, host, messages.VS_RS_DEV_REQ()))
    pl.run_for(4.0)
    members = {mac: sorted(p.mac for p in m.members()) for mac, m in pl.modems.items()}
    assert members == {MAC_A: [MAC_B, MAC_C], MAC_B: [MAC_A, MAC_C], MAC_C: [MAC_A, MAC_B]}
    assert len({m.nek for m in pl.modems.values()}) == 1
