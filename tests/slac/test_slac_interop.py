"""Our SLAC hosts against real third-party peers, through emulated modems on veth pairs.

Topology (tests/emu/netns_helpers): EVSE host h0 -- veth -- modem "evse-modem" (QCA7000) ~~ emulated
power line ~~ modem "pev-modem" (QCA7000) -- veth -- EV host h1.  Each pairing must reach
CM_SLAC_MATCH; afterwards ``plctool -m`` on both hosts shows one AVLN with both modems, and an IPv6
link-local UDP exchange crosses from h0 to h1 (default veth offloads; the emulator completes the
checksums).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from netns_helpers import REPO, bench, emulator, need_tools, openplc_evse_ini, openplc_pev_ini, stop
from slac_netns import ipv6_crosses, one_avln, ours, report, slac_network

from plcstack.codec import DecodeError, decode_frame
from plcstack.pcapio import CaptureReader
from plcstack.slac.session import analyse_capture

pytestmark = [pytest.mark.netns, pytest.mark.realtools]

PEV_INI = openplc_pev_ini(charge_time_s=30)
EVSE_INI = openplc_evse_ini(charge_time_s=30)


def wait_any(procs, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(p.poll() is None for p in procs):
        time.sleep(0.1)


def test_our_evse_and_our_pev(tmp_path: Path) -> None:
    need_tools("plctool")
    with bench(2) as b, emulator(b, slac_network(b), tmp_path):
        evse = ours(b, 0, "evse", "--evse-id", "DE*PLC*E1")
        time.sleep(0.3)
        pev = ours(b, 1, "pev", "--pev-id", "WVWZZZ1JZXW000001")
        pev.wait(30)
        evse.wait(30)
        e, p = report(stop(evse)), report(stop(pev))
        assert evse.returncode == 0 and pev.returncode == 0
        assert e["result"] == p["result"] == "matched" and e["nid"] == p["nid"]
        assert p["peer"] == e["mac"] and e["peer"] == p["mac"]
        one_avln(b, e["nid"])
        ipv6_crosses(b)
    print(f"time to match, our PEV vs our EVSE: {p['time_to_match_s']:.3f} s (PEV), joined at {p['joined_at_s']:.3f} s")


def link_counts(pcap: Path, link: str) -> Counter[str]:
    """Message names of the frames recorded on one interface (``link``: its name) of the emulator's pcapng."""
    reader = CaptureReader(pcap)
    names: Counter[str] = Counter()
    for pkt in reader.packets():
        if reader.interfaces[pkt.interface].name == link:
            try:
                names[decode_frame(pkt.data).name] += 1
            except DecodeError:
                continue
    reader.close()
    return names


def test_our_evse_and_open_plc_utils_pev(tmp_path: Path) -> None:
    need_tools("plctool", "pev")
    (tmp_path / "pev.ini").write_text(PEV_INI)
    pcap = tmp_path / "emu.pcapng"
    with bench(2) as b, emulator(b, slac_network(b), tmp_path, extra=("--pcap", str(pcap))):
        evse = ours(b, 0, "evse")
        time.sleep(0.3)
        pev = b.spawn(1, "pev", "-i", b.hosts[1], "-p", str(tmp_path / "pev.ini"), "-d")
        evse.wait(30)
        e = report(stop(evse))
        assert evse.returncode == 0 and e["result"] == "matched", e
        one_avln(b, e["nid"])  # within the pev's 30 s "charge time" on our NMK
        ipv6_crosses(b)
        pev_out = stop(pev)
    assert "pev_cm_slac_match: <-- CM_SLAC_MATCH.CNF" in pev_out, pev_out[-3000:]
    assert e["attenuation"][0]["num_sounds"] == 10
    print(f"time to match, open-plc-utils pev vs our EVSE: {e['time_to_match_s']:.3f} s (EVSE side)")
    # the emulator's recording: each frame between the hosts is on both host links (two pcapng
    # interfaces); the capture analysis counts it once, and the pev's own repetitions as repetitions
    sent = link_counts(pcap, b.modem_if(1))  # what the EV host sent and got, as its link saw it
    (s,) = analyse_capture(pcap)
    assert s["result"] == "matched" and s["copies_skipped"] > 0
    assert s["sounds"]["sent"] == sent["CM_MNBC_SOUND.IND"] == s["sounds"]["expected"] == 10, s["sounds"]
    assert s["retries"] == {"CM_SLAC_PARM.REQ": sent["CM_SLAC_PARM.REQ"] - 1, "CM_ATTEN_CHAR.IND": 0,
                            "CM_SLAC_MATCH.REQ": sent["CM_SLAC_MATCH.REQ"] - 1}, s["retries"]
    starts = next(st for st in s["steps"] if st["step"] == "CM_START_ATTEN_CHAR")
    assert starts["count"] == sent["CM_START_ATTEN_CHAR.IND"] >= 1


def test_our_pev_and_open_plc_utils_evse(tmp_path: Path) -> None:
    need_tools("plctool", "evse")
    (tmp_path / "evse.ini").write_text(EVSE_INI)
    with bench(2) as b, emulator(b, slac_network(b), tmp_path):
        evse = b.spawn(0, "evse", "-i", b.hosts[0], "-p", str(tmp_path / "evse.ini"), "-d", "-l")
        time.sleep(0.5)
        pev = ours(b, 1, "pev")
        pev.wait(30)
        p = report(stop(pev))
        assert pev.returncode == 0 and p["result"] == "matched", p
        assert p["nid"] == "026bcba5354e08"  # the evse.ini network identifier, handed over in CM_SLAC_MATCH.CNF
        one_avln(b, p["nid"])
        ipv6_crosses(b)
        evse_out = stop(evse)
    assert "evse_cm_slac_match: --> CM_SLAC_MATCH.CNF" in evse_out, evse_out[-3000:]
    print(f"time to match, our PEV vs open-plc-utils evse: {p['time_to_match_s']:.3f} s")


def test_our_pev_and_pyslac_evse(tmp_path: Path) -> None:
    need_tools("plctool")
    if importlib.util.find_spec("pyslac") is None:
        pytest.skip("needs pyslac (pip install pyslac 'marshmallow<4')")
    driver = str(REPO / "tools" / "emu_pyslac_evse.py")
    with bench(2) as b, emulator(b, slac_network(b), tmp_path):
        evse = b.spawn(0, sys.executable, driver, "--iface", b.hosts[0], "--timeout", "25", cwd=str(tmp_path))
        time.sleep(1.5)  # pyslac's CM_SET_KEY and its (patched) 0.5 s settle time
        pev = ours(b, 1, "pev")
        pev.wait(30)
        p = report(stop(pev))
        wait_any([evse], 10)
        evse_out = stop(evse)
        assert pev.returncode == 0 and p["result"] == "matched", (p, evse_out[-2000:])
        assert f"MATCHED NID={p['nid'].upper()}" in evse_out, evse_out[-3000:]
        one_avln(b, p["nid"])
        ipv6_crosses(b)
    print(f"time to match, our PEV vs pyslac EVSE: {p['time_to_match_s']:.3f} s")
