"""Fault injection: loss, delay, jitter, corruption, reordering, lost sounds, dropped types, slow modems."""

from __future__ import annotations

import random

import pytest
from emu_helpers import HOST, HOST_B, MAC_A, MAC_B, req

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import ModemConfig, PowerLine, Role, Timers
from plcstack.emu import envelope as env
from plcstack.emu.config import ConfigError, network_from_dict
from plcstack.emu.events import Dropped
from plcstack.emu.faults import Fault, FaultError, FaultInjector

RUN_ID = HOST_B + b"\x00\x01"
SOUND = encode(BROADCAST_MAC, HOST_B, messages.CM_MNBC_SOUND_IND(sender_id=bytes(17), cnt=9, run_id=RUN_ID))
PARM = encode(BROADCAST_MAC, HOST_B, messages.CM_SLAC_PARM_REQ(run_id=RUN_ID))
MATCH_CNF = encode(HOST_B, HOST, messages.CM_SLAC_MATCH_CNF(
    mvf_length=0x56, pev_id=bytes(17), pev_mac=HOST_B, evse_id=bytes(17), evse_mac=HOST, run_id=RUN_ID,
    rsvd=bytes(8), nid=bytes(7), rsvd2=0, nmk=bytes(16)))


def envelope(frame: bytes) -> bytes:
    return env.pack(env.Kind.SLAC, MAC_A, env.BROADCAST, frame)


def run(fault: Fault, frames: list[bytes], seed: int = 1) -> tuple[FaultInjector, list]:
    inj = FaultInjector([fault], random.Random(seed))
    return inj, [inj.apply(MAC_A, MAC_B, 1.0, f, envelope(f), env.HEADER_LEN) for f in frames]


def test_loss_is_seeded_and_near_its_probability():
    _, first = run(Fault(loss=0.3), [PARM] * 2000)
    _, again = run(Fault(loss=0.3), [PARM] * 2000)
    assert [v.dropped for v in first] == [v.dropped for v in again]  # same seed, same frames lost
    lost = sum(v.dropped is not None for v in first)
    assert 520 <= lost <= 680  # 600 expected; 3.6 sigma either side
    assert {v.dropped for v in first} == {None, "fault: frame lost"}


def test_sound_loss_only_hits_sounds():
    inj, out = run(Fault(sound_loss=1.0), [PARM, SOUND, MATCH_CNF, SOUND])
    assert [v.dropped for v in out] == [None, "fault: SLAC sound lost", None, "fault: SLAC sound lost"]
    assert inj.dropped == {"fault: SLAC sound lost": 2}


def test_drop_by_type_with_a_count():
    _, out = run(Fault(drop=("CM_SLAC_MATCH.CNF",), drop_count=1), [MATCH_CNF, PARM, MATCH_CNF])
    assert [v.dropped is not None for v in out] == [True, False, False]
    _, out = run(Fault(drop=("CM_SLAC_PARM",)), [PARM, MATCH_CNF, PARM])  # base name: every variant
    assert [v.dropped is not None for v in out] == [True, False, True]


def test_delay_and_jitter():
    _, out = run(Fault(delay_s=0.005, jitter_s=0.004), [PARM] * 200)
    delays = [v.deliveries[0].delay_s for v in out]
    assert all(0.005 <= d <= 0.009 for d in delays) and max(delays) - min(delays) > 0.003


def test_reorder_holds_some_frames_back():
    inj, out = run(Fault(reorder=0.5, reorder_s=0.03), [PARM] * 400)
    held = [v.deliveries[0].delay_s for v in out if v.deliveries[0].delay_s > 0]
    assert 150 <= len(held) <= 250 and set(held) == {0.03} and inj.reordered == len(held)


def test_corruption_flips_bits_of_the_frame_only():
    inj, out = run(Fault(corrupt=1.0, corrupt_bits=3), [SOUND] * 50)
    for v in out:
        payload = v.deliveries[0].payload
        assert payload[:env.HEADER_LEN] == envelope(SOUND)[:env.HEADER_LEN]
        diff = sum(bin(a ^ b).count("1") for a, b in zip(payload[env.HEADER_LEN:], SOUND, strict=True))
        assert diff == 3
    assert inj.corrupted == 50


def test_window_and_scope():
    f = Fault(modem=MAC_B, loss=1.0, start_s=5.0, end_s=6.0)
    assert not f.covers(MAC_A, MAC_B, 4.9) and f.covers(MAC_A, MAC_B, 5.0) and f.covers(MAC_B, MAC_A, 5.5)
    assert not f.covers(MAC_A, MAC_B, 6.0)
    one_way = Fault(a=MAC_A, b=MAC_B, one_way=True)
    assert one_way.covers(MAC_A, MAC_B, 0) and not one_way.covers(MAC_B, MAC_A, 0)


@pytest.mark.parametrize(("kw", "needle"), [({"loss": 1.5}, "probability"), ({"a": MAC_A}, "both a and b"),
                                            ({"delay_s": -1}, ">= 0"),
                                            ({"drop": ("CM_SLAC_MACH.CNF",)}, "did you mean")])
def test_bad_faults_are_typed_errors(kw, needle):
    with pytest.raises(FaultError, match=needle):
        Fault(**kw)


def network(faults: list[dict], pev_chip: str = "QCA7000", **timers: float) -> dict:
    return {"network": {"seed": 4}, "timers": {"reset_s": 0.2, **timers},
            "modem": [{"name": "evse", "mac": MAC_A.hex(":"), "chip": "QCA7000", "cco": "always",
                       "password": "HomePlugAV0123"},
                      {"name": "pev", "mac": MAC_B.hex(":"), "chip": pev_chip, "cco": "never"}],
            "fault": faults}


def test_toml_keys_reach_the_injector_and_the_modem_timers():
    net = network_from_dict(network([{"modem": "pev", "loss": 0.25, "delay_ms": 3, "jitter_ms": 2,
                                      "set_key_s": 4, "reset_s": 6},
                                     {"a": "evse", "b": "00:b0:52:00:00:0b", "direction": "a->b",
                                      "drop": "CM_SLAC_MATCH.CNF", "drop_count": 2, "sound_loss": 0.5,
                                      "corrupt": 0.1, "corrupt_bits": 2, "reorder": 0.2, "reorder_ms": 10,
                                      "start_s": 1, "end_s": 9}]))
    pev_fault, link_fault = net.faults
    assert (pev_fault.modem, pev_fault.loss, pev_fault.delay_s, pev_fault.jitter_s) == (MAC_B, 0.25, 0.003, 0.002)
    assert (link_fault.a, link_fault.b, link_fault.one_way, link_fault.drop, link_fault.drop_count) == (
        MAC_A, MAC_B, True, ("CM_SLAC_MATCH.CNF",), 2)
    assert (link_fault.reorder_s, link_fault.start_s, link_fault.end_s) == (0.01, 1.0, 9.0)
    timers = {s.config.name: s.config.timers for s in net.modems}
    assert (timers["pev"].set_key_s, timers["pev"].reset_s, timers["evse"].reset_s) == (4.0, 6.0, 0.2)


@pytest.mark.parametrize(("fault", "needle"), [
    ({"modem": "nobody"}, "neither a modem name nor a MAC"), ({"modem": "00:11:22:33:44:55"}, "no modem"),
    ({"loss": 2}, "probability"), ({"colour": "red"}, "unknown keys"), ({"set_key_s": 3}, "need modem"),
    ({"modem": "pev", "direction": "a->b"}, "direction needs a and b"),
])
def test_bad_fault_tables_name_the_entry(fault, needle):
    with pytest.raises(ConfigError) as info:
        network_from_dict(network([fault]), "net.toml")
    assert needle in str(info.value) and "net.toml" in str(info.value)


def slac_line(faults: list[dict], pev_chip: str = "QCA7000", **timers: float) -> PowerLine:
    pl = network_from_dict(network(faults, pev_chip, **timers)).powerline()
    pl.run_for(3.0)
    for mac, host in ((MAC_A, HOST), (MAC_B, HOST_B)):  # both modems learn their hosts
        pl.send_from_host(mac, req(messages.VS_SW_VER_REQ(), src=host))
    pl.run_for(0.05)
    pl.take_host(MAC_A)
    pl.take_host(MAC_B)
    return pl


def test_lost_match_confirmation_never_reaches_the_pev_and_is_reported():
    pl = slac_line([{"a": "evse", "b": "pev", "drop": ["CM_SLAC_MATCH.CNF"], "drop_count": 1}])
    pl.drain_events()
    pl.send_from_host(MAC_A, MATCH_CNF)
    pl.run_for(0.05)
    assert pl.take_host(MAC_B) == []
    drops = [e for mac, e in pl.drain_events() if isinstance(e, Dropped)]
    assert [(e.port, e.reason.split(" (")[0]) for e in drops] == [("plc", "fault: CM_SLAC_MATCH.CNF dropped")]
    pl.send_from_host(MAC_A, MATCH_CNF)  # the retry goes through (drop_count = 1)
    pl.run_for(0.05)
    assert [f for _, f in pl.take_host(MAC_B)] == [MATCH_CNF]


def test_lost_sounds_mean_fewer_atten_profiles():
    pl = slac_line([{"modem": "pev", "sound_loss": 0.5}])
    for _ in range(40):
        pl.send_from_host(MAC_B, SOUND)
        pl.run_for(0.02)
    profiles = [f for _, f in pl.take_host(MAC_A) if decode_frame(f).name == "CM_ATTEN_PROFILE.IND"]
    assert 8 <= len(profiles) <= 32 and len(profiles) != 40


def test_a_total_loss_link_keeps_two_networks_apart():
    pl = network_from_dict(network([{"a": "evse", "b": "pev", "loss": 1.0}])).powerline()
    pl.run_for(3.0)
    assert pl[MAC_A].role is Role.CCO and pl[MAC_B].role is Role.UNASSOCIATED  # "never" CCo: alone, waiting


def test_slow_qca7000_after_set_key_is_silent_then_joins():
    pl = slac_line([{"modem": "pev", "set_key_s": 4.0}])
    nmk = pl[MAC_A].nmk
    msg = messages.CM_SET_KEY_REQ(key_type=1, my_nonce=bytes(4), your_nonce=bytes(4), pid=4, prn=0, pmn=0,
                                  cco_capability=0, nid=pl[MAC_A].nid, new_eks=1, new_key=nmk)
    (cnf,) = [decode_frame(f) for f in pl.request(MAC_B, encode(LOCAL_MAC, HOST_B, msg))]
    assert cnf.message.result == 1 and pl[MAC_B].role is Role.RESETTING
    assert pl.request(MAC_B, req(messages.VS_SW_VER_REQ(), src=HOST_B), wait_s=3.0) == []  # still restarting
    pl.run_for(3.0)
    assert pl[MAC_B].role is Role.STATION and pl[MAC_B].cco_mac == MAC_A


def test_slow_qca7420_after_set_key_answers_its_host_but_stays_off_the_line_then_joins():
    pl = slac_line([{"modem": "pev", "set_key_s": 4.0}], pev_chip="QCA7420")
    nmk = pl[MAC_A].nmk
    msg = messages.CM_SET_KEY_REQ(key_type=1, my_nonce=bytes(4), your_nonce=bytes(4), pid=4, prn=0, pmn=0,
                                  cco_capability=0, nid=pl[MAC_A].nid, new_eks=1, new_key=nmk)
    (cnf,) = [decode_frame(f) for f in pl.request(MAC_B, encode(LOCAL_MAC, HOST_B, msg))]
    assert cnf.message.result == 1 and pl[MAC_B].plc_restarting
    # like a real QCA7420 after CM_SET_KEY: the host still gets answers ...
    assert len(pl.request(MAC_B, req(messages.VS_SW_VER_REQ(), src=HOST_B), wait_s=1.0)) == 1
    # ... but SLAC frames do not cross and the modem is in no AVLN for 4 s
    pl.send_from_host(MAC_B, SOUND)
    pl.run_for(2.0)
    assert pl.take_host(MAC_A) == [] and pl[MAC_B].members() == []
    pl.run_for(2.0)
    assert pl[MAC_B].role is Role.STATION and pl[MAC_B].cco_mac == MAC_A


def test_same_seed_same_losses_on_a_whole_run():
    def lost() -> list[str]:
        pl = slac_line([{"modem": "pev", "loss": 0.3, "jitter_ms": 5}])
        for _ in range(30):
            pl.send_from_host(MAC_B, SOUND)
            pl.run_for(0.02)
        return [e.reason for _, e in pl.drain_events() if isinstance(e, Dropped)]

    first = lost()
    assert first and first == lost()


def test_timers_reject_negative_set_key_time():
    with pytest.raises(ValueError, match="set_key_s"):
        Timers(set_key_s=-1)


def test_plain_powerline_without_faults_is_unchanged():
    pl = PowerLine()
    pl.add(ModemConfig(mac=MAC_A))
    assert pl.faults is None
