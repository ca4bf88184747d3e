"""Untrusted input: mutated and random frames never break the machines, and their state stays bounded."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slac_helpers import EVSE_HOST, EVSE_MODEM, PEV_HOST, evse_waiting, pev_after_key

from plcstack.codec import encode, messages
from plcstack.slac.evse import MAX_SESSIONS

SEEDS = [
    encode(b"\xff" * 6, PEV_HOST, messages.CM_SLAC_PARM_REQ(run_id=bytes(8))),
    encode(PEV_HOST, EVSE_HOST, messages.CM_SLAC_PARM_CNF(msound_target=b"\xff" * 6, num_sounds=10, time_out=6,
                                                          resp_type=1, forwarding_sta=PEV_HOST, run_id=bytes(8))),
    encode(b"\xff" * 6, PEV_HOST, messages.CM_START_ATTEN_CHAR_IND(num_sounds=10, time_out=6, run_id=bytes(8))),
    encode(EVSE_HOST, EVSE_MODEM, messages.CM_ATTEN_PROFILE_IND(pev_mac=PEV_HOST, num_groups=58, aag=bytes(58))),
    encode(PEV_HOST, EVSE_HOST, messages.CM_ATTEN_CHAR_IND(source_address=PEV_HOST, run_id=bytes(8), num_sounds=10,
                                                           num_groups=58, aag=bytes(58))),
    encode(EVSE_HOST, PEV_HOST, messages.CM_SLAC_MATCH_REQ(pev_mac=PEV_HOST, evse_mac=EVSE_HOST, run_id=bytes(8))),
    encode(PEV_HOST, EVSE_HOST, messages.CM_VALIDATE_CNF(result=1)),
    encode(PEV_HOST, EVSE_HOST, messages.CM_AMP_MAP_REQ(amlen=4, amdata=b"\x11\x11")),
]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    base = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, len(base) - 1))
        base[i] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(base)))
    return bytes(base[:cut]) if draw(st.booleans()) else bytes(base)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames(), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_machines_survive_any_frames(batch: list[bytes], seed: int) -> None:
    rnd = random.Random(seed)
    evse, pev = evse_waiting(), pev_after_key()
    t = 0.0
    for frame in batch:
        t += rnd.random() * 0.3
        for m in (evse, pev):
            m.receive(frame, t)
            if (d := m.next_deadline()) is not None and d <= t:
                m.handle_timeout(t)
            m.frames_to_send()
            m.events()
    assert len(evse.sessions) <= MAX_SESSIONS


def test_a_flood_of_parm_requests_keeps_the_session_table_bounded() -> None:
    evse = evse_waiting()
    for i in range(500):
        src = bytes([2, 0, 0, 0, i >> 8, i & 0xFF])
        evse.receive(encode(b"\xff" * 6, src, messages.CM_SLAC_PARM_REQ(run_id=i.to_bytes(8, "big"))), 0.001 * i)
    assert len(evse.sessions) == MAX_SESSIONS and len(evse.frames_to_send()) == 500
