"""The modem's two ports (plcstack.emu.modem): requests vs. bridging, SLAC indications, drops, fuzzing."""

from __future__ import annotations

import random

import pytest
from emu_helpers import HOST, HOST_B, MAC_A, MAC_B, ask, cfg, req
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, encode_frame, make_frame, messages
from plcstack.emu import ConstantLinkModel, LinkQuality, Modem, Port, PowerLine
from plcstack.emu.events import Dropped
from plcstack.emu.link import SLAC_GROUPS
from plcstack.emu.modem import TIMER_HANDLERS
from plcstack.emu.state import TimerName

NMK_0123 = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")
PROFILE = tuple(range(10, 10 + SLAC_GROUPS))


def test_every_timer_has_a_handler_in_the_table():
    assert set(TIMER_HANDLERS) == set(TimerName)


def test_ignores_requests_for_other_devices_and_non_requests(modem):
    assert ask(modem, req(messages.VS_SW_VER_REQ(), dst=MAC_B)) == []
    assert ask(modem, req(messages.VS_RS_DEV_CNF(mstatus=0))) == []
    assert ask(modem, req(messages.VS_HOST_ACTION_RSP(mstatus=0))) == []  # the plctool -L stray frame


@pytest.mark.parametrize("cut", [18, 20, 25, 40])
def test_truncated_requests_get_no_reply(modem, cut):
    frame = req(messages.VS_SET_KEY_REQ(eks=1, nmk=NMK_0123, peks=0x0F))[:cut]
    outputs, events = modem.receive(Port.HOST, frame, 1.0)
    assert outputs == [] and modem.nmk != NMK_0123
    assert events and isinstance(events[0], Dropped) and events[0].reason


def test_every_drop_says_why(modem):
    _, events = modem.receive(Port.HOST, LOCAL_MAC + HOST + b"\x88\xe1\x07" + bytes(43), 1.0)  # MMV 7
    _, more = modem.receive(Port.HOST, LOCAL_MAC[:3], 1.0)
    reasons = [e.reason for e in events + more]
    assert reasons[0].startswith("malformed") and reasons[1] == "runt frame"
    assert modem.stats["dropped"] == 2


def slac_pair(link: ConstantLinkModel | None = None, chip: str = "QCA7000", spread: float = 0.0) -> PowerLine:
    pl = PowerLine(link=link)
    pl.add(cfg(MAC_A, chip=chip, password="HomePlugAV0123", cco="always", sound_spread_db=spread))  # EVSE side
    pl.add(cfg(MAC_B, chip="QCA7000", cco="never"))  # PEV side
    pl.run_for(1.5)
    for mac, host in ((MAC_A, HOST), (MAC_B, HOST_B)):  # both modems learn their hosts
        pl.send_from_host(mac, req(messages.VS_SW_VER_REQ(), src=host))
    pl.run_for(0.01)
    pl.take_host(MAC_A)
    pl.take_host(MAC_B)
    return pl


def sound(vlan: int | None = None) -> bytes:
    msg = messages.CM_MNBC_SOUND_IND(sender_id=b"\xaa" * 17, cnt=9, run_id=HOST_B + b"\x00\x01")
    return encode_frame(make_frame(BROADCAST_MAC, HOST_B, msg, vlan=vlan))


def test_slac_messages_cross_networks_and_sounds_yield_broadcast_atten_profiles():
    link = ConstantLinkModel()
    link.set_pair(MAC_A, MAC_B, LinkQuality(10.0, 10.0, PROFILE, True))
    pl = slac_pair(link)
    run_id = HOST_B + b"\x00\x01"
    parm = encode(BROADCAST_MAC, HOST_B, messages.CM_SLAC_PARM_REQ(run_id=run_id))
    pl.send_from_host(MAC_B, parm)
    pl.run_for(0.01)
    assert [f for _, f in pl.take_host(MAC_A)] == [parm]
    s = sound()
    assert len(s) == 71
    pl.send_from_host(MAC_B, s)
    pl.run_for(0.01)
    got = [f for _, f in pl.take_host(MAC_A)]
    assert got[0] == s and [len(f) for f in got[1:]] == [85, 94]  # QCA7000: CM_ATTEN_PROFILE.IND + VS 0xA14E
    p = decode_frame(got[1])
    assert p.name == "CM_ATTEN_PROFILE.IND" and p.mmv == 1 and p.dst == BROADCAST_MAC and p.src == MAC_A
    assert (p.message.pev_mac, p.message.num_groups, p.message.aag) == (HOST_B, SLAC_GROUPS, bytes(PROFILE))
    v = decode_frame(got[2])
    assert (v.name, v.mmv, v.dst, v.message.num_groups, v.message.carriers_per_group, v.message.aag) == (
        "VS_ATTENUATION_CHARACTERISTICS.IND", 0, BROADCAST_MAC, 58, 16, bytes(PROFILE))
    # a unicast SLAC reply crosses back to the PEV host only
    cnf = encode(HOST_B, HOST, messages.CM_SLAC_PARM_CNF(msound_target=BROADCAST_MAC, num_sounds=10, time_out=6,
                                                         resp_type=1, forwarding_sta=HOST_B, run_id=run_id))
    pl.send_from_host(MAC_A, cnf)
    pl.run_for(0.01)
    assert [f for _, f in pl.take_host(MAC_B)] == [cnf]
    assert pl.take_host(MAC_A) == []


@pytest.mark.parametrize(("chip", "names"), [
    ("QCA7420", ["VS_ATTENUATION_CHARACTERISTICS.IND", "CM_ATTEN_PROFILE.IND"]),
    ("AR7420", ["VS_ATTENUATION_CHARACTERISTICS.IND"]),
    ("QCA7500", ["CM_ATTEN_PROFILE.IND"]),
])
def test_each_chip_sends_its_own_slac_indications(chip, names):
    pl = slac_pair(chip=chip)
    pl.send_from_host(MAC_B, sound())
    pl.run_for(0.01)
    assert [decode_frame(f).name for _, f in pl.take_host(MAC_A)][1:] == names


def test_a_vlan_tagged_sound_still_yields_a_profile():
    pl = slac_pair()
    pl.send_from_host(MAC_B, sound(vlan=0x2005))
    pl.run_for(0.01)
    names = [decode_frame(f).name for _, f in pl.take_host(MAC_A)]
    assert names == ["CM_MNBC_SOUND.IND", "CM_ATTEN_PROFILE.IND", "VS_ATTENUATION_CHARACTERISTICS.IND"]


def test_default_profile_is_smooth_and_rises_with_frequency():
    pl = slac_pair(spread=0.0)
    pl.send_from_host(MAC_B, sound())
    pl.run_for(0.01)
    aag = decode_frame(pl.take_host(MAC_A)[1][1]).message.aag
    assert all(b >= a for a, b in zip(aag, aag[1:], strict=False))  # never falls (no sawtooth)
    assert aag[-1] - aag[0] >= 6 and abs(sum(aag) / len(aag) - 21) < 1.5


def test_sounds_differ_a_little_from_each_other_with_a_seeded_spread():
    pl = slac_pair(spread=1.0)
    profiles = []
    for _ in range(5):
        pl.send_from_host(MAC_B, sound())
        pl.run_for(0.02)
        profiles.append(decode_frame(pl.take_host(MAC_A)[1][1]).message.aag)
    assert len(set(profiles)) > 1
    assert all(max(abs(a - b) for a, b in zip(p, profiles[0], strict=True)) <= 6 for p in profiles)


def test_data_to_a_modem_outside_an_avln_is_dropped_with_a_reason():
    m = Modem(cfg(MAC_A, cco="never"))
    m.start(0.0)
    _, events = m.receive(Port.HOST, BROADCAST_MAC + HOST + b"\x08\x06" + bytes(46), 0.5)
    assert [e.reason for e in events] == ["not in an AVLN: nothing to bridge to"]


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=200), st.sampled_from([LOCAL_MAC, MAC_A, BROADCAST_MAC]))
def test_garbage_never_crashes_and_malformed_gets_no_reply(body, dst):
    m = Modem(cfg(MAC_A), rng=random.Random(3))
    m.start(0.0)
    frame = dst + HOST + b"\x88\xe1" + body
    outputs, _ = m.receive(Port.HOST, frame, 1.0)
    for port, out in outputs:
        if port is Port.HOST:  # a reply only for a well-formed request
            r = decode_frame(out)
            f = decode_frame(frame)
            assert f.truncated is None and r.mmtype in (f.mmtype | 1, f.mmtype | 2)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=120))
def test_plc_port_garbage_is_ignored(body):
    m = Modem(cfg(MAC_A), rng=random.Random(3))
    m.start(0.0)
    outputs, _ = m.receive(Port.PLC, body, 1.0)
    assert outputs == []
