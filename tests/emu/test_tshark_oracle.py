"""Wireshark's homeplug-av dissector as an oracle: every frame the emulated modems send (host side and
power-line management) decodes without malformed or warning items."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from emu_helpers import FAST, capture

from plcstack.emu import ModemConfig, PowerLine
from plcstack.emu.recorder import PcapRecorder
from plcstack.emu.replay import read_frames

pytestmark = [pytest.mark.realtools]

A, B = bytes.fromhex("00b05200000a"), bytes.fromhex("00b05200000b")
PEV_HOST = bytes.fromhex("025045560001")
SHIM = (bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b"))


def test_tshark_finds_nothing_malformed(tmp_path):
    if shutil.which("tshark") is None:
        pytest.skip("needs tshark")
    requests, slac = capture("openplc-requests.pcap"), capture("slac-openplc.pcap")
    out = tmp_path / "emu.pcap"
    rec = PcapRecorder(str(out))
    pl = PowerLine(recorder=rec, record_plc=True)
    pl.add(ModemConfig(mac=A, timers=FAST))
    pl.add(ModemConfig(mac=B, chip="QCA7000", timers=FAST))
    pl.run_for(2.0)
    t = 2.0
    for _, f in read_frames(str(requests)):
        pl.send_from_host(A, f, t)
        t += 1.0
    for _, f in read_frames(str(slac)):
        if f[6:12] not in SHIM:  # the capture's own shim answers are not requests
            pl.send_from_host(B if f[6:12] == PEV_HOST else A, f, t)
            t += 0.02
    pl.run_until(t + 1.0)
    rec.close()
    total = subprocess.run(["tshark", "-r", str(out)], capture_output=True, text=True, check=True).stdout
    bad = subprocess.run(["tshark", "-r", str(out), "-Y", "_ws.malformed || _ws.expert.severity >= warning"],
                         capture_output=True, text=True, check=True).stdout
    assert len(total.splitlines()) > 150
    assert bad == "", bad
    for name in ("GET_SW.CNF", "NW_INFO.CNF", "SET_KEY.CNF", "LNK_STATS.CNF", "OP_ATTR.CNF", "CM_ATTEN_PROFILE.IND",
                 "CM_SET_KEY.CNF", "CC_ASSOC.CNF", "CM_ENCRYPTED_PAYLOAD.IND", "CC_SET_TEI_MAP.IND"):
        assert name in total, name
