"""AVLN formation of emulated modems (plcstack.emu.avln): election, association, NEK, leaving, merging, bridging."""

from __future__ import annotations

from emu_helpers import HOST, HOST_B, MAC_A, MAC_B, MAC_C, cfg, host_frames, req

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import ConstantLinkModel, LinkQuality, PowerLine, Role
from plcstack.emu import events as ev
from plcstack.emu.link import default_attenuation
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
    pl.add(cfg(MAC_A, cco_capability=2))
    pl.add(cfg(MAC_C))
    pl.run_for(3.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_C: Role.STATION}


def test_cco_always_and_never():
    pl = PowerLine()
    pl.add(cfg(MAC_A, cco="always"))
    pl.add(cfg(MAC_B, cco="never"))
    pl.add(cfg(MAC_C))
    pl.run_for(4.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_B: Role.STATION, MAC_C: Role.STATION}
    alone = PowerLine()
    alone.add(cfg(MAC_B, cco="never"))
    alone.run_for(3.0)
    assert roles(alone) == {MAC_B: Role.UNASSOCIATED}


def test_different_nmk_means_different_networks_and_no_data_between_them():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B, password="HomePlugAV0123"))
    pl.run_for(3.0)
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
    pl.add(cfg(MAC_A, chip="QCA7500"))  # AV2: up to ~660 Mbit/s coded (SISO)
    pl.add(cfg(MAC_B, chip="QCA7500"))
    pl.run_for(3.0)
    (a,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (sa,) = a.message.networks[0].stations
    assert (sa.mac, sa.avg_tx, sa.avg_rx) == (MAC_B, 420, 380)
    (b,) = [decode_frame(f) for f in pl.request(MAC_B, req(messages.VS_NW_INFO_REQ(), mmv=0))]
    (sb,) = b.message.networks[0].stations
    assert (sb.mac, sb.avg_tx, sb.avg_rx) == (MAC_A, 255, 255)  # MMV 0 rates are one byte


def test_reported_rates_never_exceed_what_the_phys_carry():
    pl = PowerLine(link=ConstantLinkModel(tx_rate_mbps=420.0, rx_rate_mbps=380.0))
    pl.add(cfg(MAC_A))  # QCA7420: HomePlug AV, 150 Mbit/s coded at most
    pl.add(cfg(MAC_B, chip="QCA7000"))  # Green PHY: HS-ROBO only
    pl.add(cfg(MAC_C))
    pl.run_for(3.0)
    (a,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    rates = {s.mac: (s.avg_tx, s.avg_rx) for s in a.message.networks[0].stations}
    assert rates == {MAC_B: (10, 10), MAC_C: (150, 150)}  # real QCA7000 links report 9-10 Mbit/s


def test_set_key_moves_a_modem_to_another_avln():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B, password="HomePlugAV0123"))
    pl.add(cfg(MAC_C, password="HomePlugAV0123"))
    pl.run_for(3.0)
    assert pl[MAC_A].members() == []
    pl.request(MAC_A, req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F)))
    pl.run_for(3.0)
    assert sorted(p.mac for p in pl[MAC_A].members()) == [MAC_B, MAC_C]
    assert pl[MAC_A].nek == pl[MAC_C].nek


def test_cco_loss_makes_the_stations_elect_a_new_one(network):
    network.remove(MAC_C)
    network.run_for(3.4)  # 18 beacon ticks of 200 ms (the rule book) have not passed yet
    assert network[MAC_A].role is Role.STATION
    network.run_for(3.0)
    assert roles(network) == {MAC_A: Role.STATION, MAC_B: Role.CCO}
    assert [p.mac for p in network[MAC_A].members()] == [MAC_B]


def test_station_that_disappears_is_dropped_by_the_cco(network):
    network.remove(MAC_A)
    network.run_for(4.0)
    assert [p.mac for p in network[MAC_C].members()] == [MAC_B]
    assert any(isinstance(e, ev.StationRemoved) and e.mac == MAC_A for _, e in network.drain_events())


def test_nid_without_the_matching_nmk_fails_authentication():
    pl = PowerLine()
    nid = nid_from_nmk(nmk_from_password("HomePlugAV"))
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B, password="something else entirely", nid=nid))
    pl.run_for(3.0)
    assert pl[MAC_B].role is Role.CCO and pl[MAC_A].nek is None  # B wins the election, A cannot authenticate
    assert pl[MAC_A].members() == [] and pl[MAC_B].members() == []
    assert any(isinstance(e, ev.AuthFailed) for _, e in pl.drain_events())


def test_remote_nmk_provisioning_with_the_dak():
    pl = PowerLine()
    pl.add(cfg(MAC_A, password="HomePlugAV0123"))
    pl.add(cfg(MAC_B, device_password="DeviceB-Password"))
    pl.run_for(3.0)
    good = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x00, rda=MAC_B,
                                       dak=dak_from_password("DeviceB-Password")))
    wrong = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x00, rda=MAC_B, dak=bytes(16)))
    (r,) = [decode_frame(f) for f in pl.request(MAC_A, wrong)]
    assert r.message.mstatus == 0
    pl.run_for(0.1)
    assert pl[MAC_B].nmk != NMK_0123
    pl.request(MAC_A, good)
    pl.run_for(3.0)
    assert pl[MAC_B].nmk == NMK_0123 and [p.mac for p in pl[MAC_A].members()] == [MAC_B]


def test_unreachable_modems_hear_nothing():
    link = ConstantLinkModel()
    link.set_pair(MAC_A, MAC_B, LinkQuality(0.0, 0.0, default_attenuation(), False))
    pl = PowerLine(link=link)
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B))
    pl.run_for(3.0)
    assert roles(pl) == {MAC_A: Role.CCO, MAC_B: Role.CCO}


def test_same_seed_same_run():
    def run() -> list[tuple[bytes, ev.Event]]:
        pl = PowerLine()
        for mac in (MAC_A, MAC_B, MAC_C):
            pl.add(cfg(mac), seed=5)
        pl.run_for(3.0)
        return pl.drain_events()

    assert run() == run()


def test_cco_reset_makes_its_stations_rejoin(network):
    host = bytes.fromhex("020000000009")
    pl = network
    pl.request(MAC_C, encode(LOCAL_MAC, host, messages.VS_RS_DEV_REQ()))
    pl.run_for(8.0)
    members = {mac: sorted(p.mac for p in m.members()) for mac, m in pl.modems.items()}
    assert members == {MAC_A: [MAC_B, MAC_C], MAC_B: [MAC_A, MAC_C], MAC_C: [MAC_A, MAC_B]}
    assert len({m.nek for m in pl.modems.values()}) == 1
