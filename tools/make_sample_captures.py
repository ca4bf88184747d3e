#!/usr/bin/env python3
"""Regenerate the small sample captures in captures/ with our own encoder (deterministic)."""

from __future__ import annotations

import random
from pathlib import Path

from plcstack.codec import make_frame
from plcstack.codec import messages as m
from plcstack.codec.fragment import fragment
from plcstack.keys.derive import nid_from_nmk, nmk_from_password
from plcstack.pcapio import write_pcap
from plcstack.samples import qca_polling, slac_session

OUT = Path(__file__).resolve().parent.parent / "captures"


def main() -> None:
    rng = random.Random(2026)
    OUT.mkdir(exist_ok=True)
    pev_host, evse_host = bytes.fromhex("02504556000a"), bytes.fromhex("024556534501")
    pev_modem, evse_modem = bytes.fromhex("00b052aa0001"), bytes.fromhex("00b052bb0002")
    nmk = nmk_from_password("HomePlugAV0123")
    frames = slac_session(rng, pev_host, evse_host, pev_modem, evse_modem, nmk)
    frames += qca_polling(rng, evse_host, evse_modem, [pev_modem], nid_from_nmk(nmk))
    big = make_frame("00:b0:52:00:00:01", evse_host, m.VS_RD_MEM_CNF(length=3200, data=bytes(range(256)) * 12
                                                                       + bytes(128)), mmv=1)
    frames += fragment(big, fmsn=0x21)
    t0 = 1_764_000_000.0
    n = write_pcap(OUT / "demo-slac-and-polling.pcap", [(t0 + 0.02 * i, f) for i, f in enumerate(frames)])
    print(f"wrote {n} frames to {OUT / 'demo-slac-and-polling.pcap'}")


if __name__ == "__main__":
    main()
