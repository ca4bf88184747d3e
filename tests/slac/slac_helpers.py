"""Small helpers of the SLAC tests: MACs, a fake local modem, frame builders from the codec declarations."""

from __future__ import annotations

import random
from typing import Any

from plcstack.codec import LOCAL_MAC, decode_frame, encode, messages
from plcstack.emu import ModemConfig, PowerLine
from plcstack.keys.protocol import SLAC_NONCE
from plcstack.slac import EvseConfig, EvseMachine, PevConfig, PevMachine
from plcstack.slac.core import SlacMachine
from plcstack.slac.inproc import SlacBench

EVSE_MODEM, PEV_MODEM = bytes.fromhex("00B05200E501"), bytes.fromhex("00B05200E701")
EVSE_HOST, PEV_HOST = bytes.fromhex("02000000E5AA"), bytes.fromhex("02000000E7AA")
OTHER_EVSE = bytes.fromhex("02000000E5BB")


def sent(machine: SlacMachine) -> list[Any]:
    """Decoded frames the machine wants to send (drained)."""
    return [decode_frame(f) for f in machine.frames_to_send()]


def names(frames: list[Any]) -> list[str]:
    return [f.name for f in frames]


def set_key_cnf(dst: bytes, result: int = 1) -> bytes:
    return encode(dst, PEV_MODEM, messages.CM_SET_KEY_CNF(result=result, my_nonce=b"\x11\x22\x33\x44",
                                                         your_nonce=SLAC_NONCE, pid=4, prn=0, pmn=0xFF,
                                                         cco_capability=0))


def sw_ver_cnf(dst: bytes) -> bytes:
    """The local modem's answer to the host's VS_SW_VER.REQ poll (it is back after a key change)."""
    v = b"MAC-QCA7000-1.1.0.727-02-20130826-FINAL"
    return encode(dst, PEV_MODEM, messages.VS_SW_VER_CNF(mstatus=0, device_class=0x22, version_length=len(v) + 1,
                                                        version=v.ljust(254, b"\0"), ident=0x001B58DC, stepping=0,
                                                        cookie=0))


def parm_cnf(src: bytes, dst: bytes, run_id: bytes, num_sounds: int = 10, time_out: int = 6) -> bytes:
    return encode(dst, src, messages.CM_SLAC_PARM_CNF(
        msound_target=b"\xff" * 6, num_sounds=num_sounds, time_out=time_out, resp_type=1, forwarding_sta=dst,
        application_type=0, security_type=0, run_id=run_id))


def atten_char_ind(src: bytes, ev_mac: bytes, run_id: bytes, level_db: int, sounds: int = 10) -> bytes:
    return encode(ev_mac, src, messages.CM_ATTEN_CHAR_IND(
        application_type=0, security_type=0, source_address=ev_mac, run_id=run_id, source_id=bytes(17),
        resp_id=bytes(17), num_sounds=sounds, num_groups=58, aag=bytes([level_db]) * 58))


def match_cnf(src: bytes, ev_mac: bytes, run_id: bytes, nmk: bytes, nid: bytes) -> bytes:
    return encode(ev_mac, src, messages.CM_SLAC_MATCH_CNF(
        application_type=0, security_type=0, mvf_length=0x56, pev_id=bytes(17), pev_mac=ev_mac, evse_id=bytes(17),
        evse_mac=src, run_id=run_id, rsvd=bytes(8), nid=nid, rsvd2=0, nmk=nmk))


def pev_after_key(timers: Any = None, **kw: Any) -> PevMachine:
    """A PEV that set its private key and sent its first CM_SLAC_PARM.REQ at t = 0."""
    pev = PevMachine(PevConfig(mac=PEV_HOST, timers=timers, **kw), rng=random.Random(1))
    pev.start(0.0)
    (req,) = sent(pev)
    assert req.name == "CM_SET_KEY.REQ" and req.dst == LOCAL_MAC
    pev.receive(set_key_cnf(PEV_HOST), 0.0)
    (poll,) = sent(pev)
    assert poll.name == "VS_SW_VER.REQ" and poll.dst == LOCAL_MAC
    pev.receive(sw_ver_cnf(PEV_HOST), 0.0)
    return pev


def evse_waiting(timers: Any = None, **kw: Any) -> EvseMachine:
    """An EVSE whose modem confirmed the session key at t = 0."""
    evse = EvseMachine(EvseConfig(mac=EVSE_HOST, timers=timers, **kw), rng=random.Random(2))
    evse.start(0.0)
    (req,) = sent(evse)
    assert req.name == "CM_SET_KEY.REQ"
    evse.receive(set_key_cnf(EVSE_HOST), 0.0)
    (poll,) = sent(evse)
    assert poll.name == "VS_SW_VER.REQ"
    evse.receive(sw_ver_cnf(EVSE_HOST), 0.0)
    return evse


def two_modem_line(attenuation_db: float = 21.0, seed: int = 1) -> PowerLine:
    from plcstack.emu.link import ConstantLinkModel, default_attenuation

    pl = PowerLine(link=ConstantLinkModel(attenuation_db=default_attenuation(attenuation_db)))
    pl.add(ModemConfig(mac=EVSE_MODEM, chip="QCA7000"), seed=seed)
    pl.add(ModemConfig(mac=PEV_MODEM, chip="QCA7000", cco="never"), seed=seed + 1)
    return pl


def bench_pair(pl: PowerLine | None = None, evse_kw: dict[str, Any] | None = None,
               pev_kw: dict[str, Any] | None = None, seed: int = 3) -> tuple[SlacBench, EvseMachine, PevMachine]:
    pl = pl or two_modem_line()
    rng = random.Random(seed)
    bench = SlacBench(pl)
    evse = EvseMachine(EvseConfig(mac=EVSE_HOST, **(evse_kw or {})), rng=rng)
    pev = PevMachine(PevConfig(mac=PEV_HOST, **(pev_kw or {})), rng=rng)
    bench.attach(evse, EVSE_MODEM, start_at=0.0)
    bench.attach(pev, PEV_MODEM, start_at=0.3)
    return bench, evse, pev
