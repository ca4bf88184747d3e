"""Every open-plc-utils program the README table marks "works", run against two emulated QCA7420 modems.

The table in README.md ("open-plc-utils programs against the emulator") lists each program with
works / partial / out of scope; this file runs the "works" rows (and pins what the "partial" rows
print).  Commands run in host namespace h0 behind modem A (00:B0:52:00:00:0A); modem B is the
other station of the AVLN.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from netns_helpers import bench, emulator, modem_block, need_tools, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.realtools]

A, B = "00:B0:52:00:00:0A", "00:B0:52:00:00:0B"
FW = "MAC-QCA7420-1.4.0.20-00-20171027-CS"
HOMEPLUGAV_NMK = "50:D3:E4:93:3F:85:5B:70:40:78:4D:F8:15:AA:8D:B7"

#: (command with {h} = host interface, {B} = modem B, {tmp} = a scratch directory; text it must print)
WORKS: list[tuple[str, list[str]]] = [
    ("plctool -i {h} -r", [f"{A} QCA7420 {FW}"]),
    ("plctool -i {h} -r all", [f"{A} QCA7420 {FW}", f"{B} QCA7420 {FW}"]),
    ("plctool -i {h} -r {B}", [f"{B} QCA7420 {FW}"]),
    ("plctool -i {h} -m", ["Found 1 Network(s)", f"network->CCO_DA = {B}", "station->AvgPHYDR_TX = 120 mbps"]),
    ("plctool -i {h} -a", [f"{A} QCA7420-MAC-QCA7420-1.4.0.20-00-20171027-CS (1mb)"]),
    ("plctool -i {h} -L", [f"{A} 1"]),
    ("plctool -i {h} -B status", [f"{A} Membership Status 1"]),
    ("plctool -i {h} -B 4", [f"{A} Device refused request"]),
    ("plctool -i {h} -f", [f"{A} TYPE=0x1520 (M25P16) PAGE=0x0100 (256) BLOCK=0x10000 (65536) SIZE=0x200000"]),
    ("plctool -i {h} -I", ["PIB 0-0 8836 bytes", f"MAC {A}", f"NMK {HOMEPLUGAV_NMK} (HomePlugAV)"]),
    ("plctool -i {h} -p {tmp}/a.pib local && chkpib -v {tmp}/a.pib", [f"MAC {A}", "PIB 0-0 8836 bytes"]),
    ("plcstat -i {h} -m", [f" CCO TEI 001 MAC {B}", "TX 120 RX 110"]),
    ("plcstat -i {h} -t", [f" REM CCO 001 {B}", f"120 110 QCA7420 {FW}"]),
    ("plcstat -i {h} -d 2 -s 0 -p {B}", ["    TX ", "    RX ", "PBs PASS"]),
    ("ampstat -i {h} -t", [f" REM CCO 001 {B}"]),
    ("int6kstat -i {h} -m", [f" CCO TEI 001 MAC {B}"]),
    ("plcrate -i {h}", [f"{A} {B} TX 120 mbps Primary", f"{A} {B} RX 110 mbps Primary"]),
    ("amprate -i {h} local", [f"{A} {B} TX 120 mbps Primary"]),
    ("int6krate -i {h} local", [f"{A} {B} TX 120 mbps"]),
    ("plclist -i {h}", [A]),
    ("amplist -i {h} local", [f"{A} {B}"]),
    ("int6klist -i {h} local", [f"{A} {B}"]),
    ("plcID -i {h} -M", [HOMEPLUGAV_NMK]),
    ("plcID -i {h} -A", [A]),
    ("plcID -i {h} -N", ["plcstack emulated network"]),
    ("ampID -i {h} -M local", [HOMEPLUGAV_NMK]),
    ("int6kid -i {h} -M local", [HOMEPLUGAV_NMK]),
    ("plcwait -i {h} -s -w 2", ["Allow 2 seconds for Start"]),
    ("ampwait -i {h} -s -w 2 local", ["Allow 2 seconds for Start"]),
    ("amptool -i {h} -r", [f"{A} QCA7420 {FW}"]),
    ("amptool -i {h} -m", [f"network->CCO_DA = {B}"]),
    ("amptool -i {h} -a", [f"{A} QCA7420-"]),
    ("int6k -i {h} -r", [f"{A} QCA7420 {FW}"]),
    ("int6k -i {h} -m", ["network->ROLE = 0x00 (STA)", "station->AvgPHYDR_TX = 120 mbps"]),
    ("int6k -i {h} -I", [f"MAC {A}", f"NMK {HOMEPLUGAV_NMK}"]),
    ("int6keth -i {h} local", ["Speed=10 Duplex=Half"]),
    ("plctone -i {h} local {B} | wc -l", ["917"]),
    ("plctone -i {h} local {B} | head -1", ["0000,"]),
    ("amptone -i {h} local {B} | wc -l", ["917"]),
    ("plctone -s -h -i {h} local {B}", [" SNR,", " BPC,"]),
    ("plclog -x -i {h} local", ["<WatchdogReport><Packet><Version>" + FW, "<CheckpointReport>"]),
    ("int6klog -i {h} local", ["<WatchdogReport>"]),
    ("plcrule -i {h} -r local", ["Read Classifier Rules"]),
    ("plcget -i {h} local", [f"{A} Unsupported Property (0x02): Device refused request"]),
]

#: Rows marked "partial" in the README: what they print against the emulator (as against a real QCA7420).
PARTIAL: list[tuple[str, list[str]]] = [
    ("int6ktone -i {h} local {B}", ["No Tone Maps Available"]),  # QCA7420 refuses the MMV 0 request
    ("plctool -i {h} -n {tmp}/fw.nvm local", ["Module ID not found (0x14)"]),  # no firmware image to read
]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    need_tools("plctool", "plcstat", "int6k", "amptool", "plctone", "chkpib")
    tmp = tmp_path_factory.mktemp("programs")
    with bench(2) as b:
        cfg = ("[timers]\nreset_s = 1.0\nset_key_s = 0.5\n"
               + modem_block("a", A.lower(), b.modem_if(0)) + modem_block("b", B.lower(), b.modem_if(1)))
        with emulator(b, cfg, tmp):
            wait_for(b, 0, ("plctool", "-i", b.hosts[0], "-m"), "STATIONS = 1", timeout=20)
            yield b, tmp


def run(b, tmp, cmd: str) -> str:
    cmd = cmd.format(h=b.hosts[0], B=B, tmp=tmp)
    return b.run(0, "bash", "-c", cmd, timeout=30).stdout


@pytest.mark.parametrize(("cmd", "needles"), WORKS + PARTIAL, ids=[c for c, _ in WORKS + PARTIAL])
def test_program_prints_what_it_prints_for_a_real_modem(net, cmd, needles):
    b, tmp = net
    if shutil.which(cmd.split()[0]) is None:
        pytest.skip(f"needs {cmd.split()[0]}")
    out = run(b, tmp, cmd)
    for needle in needles:
        assert needle in out, out


def test_hpav_monitors_the_frames(net):
    b, tmp = net
    need_tools("hpav", "stdbuf")
    out = run(b, tmp, "(stdbuf -oL hpav -i {h} & p=$!; sleep 0.5; plctool -i {h} -r >/dev/null; sleep 0.5; "
                      "kill $p) 2>&1")
    assert re.search(r"VS_SW_VER|A001|a001", out, re.I), out


def test_plctool_P_writes_a_pib_that_modpib_changed_within_seconds(tmp_path):
    need_tools("plctool", "modpib")
    with bench(1) as b:
        cfg = "[timers]\nreset_s = 2.0\n" + modem_block("a", A.lower(), b.modem_if(0))
        with emulator(b, cfg, tmp_path):
            h = b.hosts[0]
            wait_for(b, 0, ("plctool", "-i", h, "-r"), "QCA7420")
            assert "CCo Auto" in b.run(0, "plctool", "-i", h, "-I").stdout
            pib = str(tmp_path / "a.pib")
            b.run(0, "plctool", "-i", h, "-p", pib, "local")
            assert b.run(0, "modpib", "-C", "2", pib).returncode == 0  # CCo always
            t0 = time.monotonic()
            out = b.run(0, "plctool", "-i", h, "-P", pib, "local", timeout=30).stdout
            took = time.monotonic() - t0
            assert "Start Module Write Session" in out and "Close Session" in out and "refused" not in out, out
            assert took < 15.0  # plctool sleeps 5 s after its reset, then polls VS_SW_VER
            assert "CCo Always" in b.run(0, "plctool", "-i", h, "-I").stdout


def test_plctool_P_of_a_broken_file_is_refused_at_once(tmp_path):
    need_tools("plctool")
    with bench(1) as b, emulator(b, modem_block("a", A.lower(), b.modem_if(0)), tmp_path):
        h = b.hosts[0]
        wait_for(b, 0, ("plctool", "-i", h, "-r"), "QCA7420")
        pib = str(tmp_path / "a.pib")
        b.run(0, "plctool", "-i", h, "-p", pib, "local")
        data = bytearray(open(pib, "rb").read())
        data[-100] ^= 0xFF  # the image checksum in its header no longer matches: plctool refuses to send it
        open(pib, "wb").write(bytes(data))
        t0 = time.monotonic()
        out = b.run(0, "plctool", "-i", h, "-P", pib, "local", timeout=30).stdout
        assert time.monotonic() - t0 < 5.0 and "checksum" in out.lower(), out
