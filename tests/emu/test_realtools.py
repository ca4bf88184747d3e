"""open-plc-utils tools against ``plcstack emulate`` (netns + veth; root and Debian plc-utils needed).

Each assertion names the exact text the tool prints for the emulated modem.
"""

from __future__ import annotations

import time

import pytest
from netns_helpers import bench, emulator, modem_block, need_tools, wait_for

from plcstack.emu.profiles import PROFILES

pytestmark = [pytest.mark.netns, pytest.mark.realtools]

MAC_A, MAC_B = "00:B0:52:00:00:0A", "00:B0:52:00:00:0B"
FW7420 = "MAC-QCA7420-1.4.0.20-00-20171027-CS"
NMK_0123 = "B59319D7E8157BA001B018669CCEE30D"


def two_modems(b) -> str:
    return ("[network]\nseed = 1\n[link]\ntx_rate_mbps = 120\nrx_rate_mbps = 110\n"
            + modem_block("a", MAC_A.lower(), b.modem_if(0), chip="QCA7420", device_password="DeviceA-Password")
            + modem_block("b", MAC_B.lower(), b.modem_if(1), chip="QCA7420", device_password="DeviceB-Password"))


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    """Two QCA7420 modems in one AVLN, hosts h0 and h1 (read-only tests share it)."""
    need_tools("plctool")
    with bench(2) as b, emulator(b, two_modems(b), tmp_path_factory.mktemp("emu")):
        wait_for(b, 0, ("plctool", "-i", b.hosts[0], "-m"), "STATIONS = 1")
        yield b


def test_plctool_r_names_chip_and_firmware(net):
    h = net.hosts[0]
    out = net.run(0, "plctool", "-i", h, "-r").stdout
    assert f"{h} {MAC_A} QCA7420 {FW7420}" in out
    out = net.run(0, "plctool", "-i", h, "-r", "all").stdout  # broadcast: the remote modem answers too
    assert f"{h} {MAC_A} QCA7420 {FW7420}" in out and f"{h} {MAC_B} QCA7420 {FW7420}" in out


def test_plctool_m_shows_the_avln(net):
    out = net.run(0, "plctool", "-i", net.hosts[0], "-m").stdout
    for line in ("Found 1 Network(s)", "network->NID = B0:F2:E6:95:66:6B:03", "network->TEI = 2",
                 "network->ROLE = 0x00 (STA)", f"network->CCO_DA = {MAC_B}", "network->CCO_TEI = 1",
                 "network->STATIONS = 1", f"station->MAC = {MAC_B}", "station->TEI = 1",
                 "station->AvgPHYDR_TX = 120 mbps Primary", "station->AvgPHYDR_RX = 110 mbps Primary"):
        assert line in out, out


def test_int6k_and_amptool(net):
    need_tools("int6k", "amptool")
    h = net.hosts[0]
    assert f"{h} {MAC_A} QCA7420 {FW7420}" in net.run(0, "int6k", "-i", h, "-r").stdout
    assert f"{h} {MAC_A} QCA7420 {FW7420}" in net.run(0, "amptool", "-i", h, "-r").stdout
    out = net.run(0, "int6k", "-i", h, "-m").stdout  # MMV 0 layout: one-byte rates, no coupling
    assert "network->ROLE = 0x00 (STA)" in out and "station->AvgPHYDR_TX = 120 mbps\n" in out, out
    out = net.run(0, "amptool", "-i", h, "-m").stdout
    assert f"station->MAC = {MAC_B}" in out, out


def test_plcstat_topology_queries_the_remote_station(net):
    need_tools("plcstat")
    out = net.run(0, "plcstat", "-i", net.hosts[0], "-t").stdout
    lines = out.splitlines()
    assert any(line.startswith(f" LOC STA 002 {MAC_A}") and line.endswith(f"n/a n/a QCA7420 {FW7420}")
               for line in lines), out
    assert any(line.startswith(f" REM CCO 001 {MAC_B}") and line.endswith(f"120 110 QCA7420 {FW7420}")
               for line in lines), out


def test_plcrate(net):
    need_tools("plcrate")
    out = net.run(0, "plcrate", "-i", net.hosts[0]).stdout
    assert f"{MAC_A} {MAC_B} TX 120 mbps Primary" in out and f"{MAC_A} {MAC_B} RX 110 mbps Primary" in out, out


def test_plcstat_link_statistics(net):
    need_tools("plcstat")
    out = net.run(0, "plcstat", "-i", net.hosts[0], "-d", "2", "-s", "0", "-p", MAC_B).stdout
    assert "    TX " in out and "    RX " in out and "PBs PASS" in out, out


def test_plctool_a_attributes(net):
    out = net.run(0, "plctool", "-i", net.hosts[0], "-a").stdout
    # DRAMSIZE 1, as a real QCA7420 reports it (pyPLC 2022-12-20 capture, frame 10)
    assert f"{MAC_A} QCA7420-MAC-QCA7420-1.4.0.20-00-20171027-CS (1mb)" in out, out


def test_plcid_and_pib_identity(net):
    need_tools("plcID")
    h = net.hosts[0]
    assert net.run(0, "plcID", "-i", h, "-M").stdout.strip() == "50:D3:E4:93:3F:85:5B:70:40:78:4D:F8:15:AA:8D:B7"
    assert net.run(0, "plcID", "-i", h, "-A").stdout.strip() == MAC_A
    assert net.run(0, "plcID", "-i", h, "-D").stdout.strip() == "1F:DF:23:68:EB:25:6D:8A:93:16:64:C8:14:05:61:EE"
    out = net.run(0, "plctool", "-i", h, "-I").stdout
    assert "NMK 50:D3:E4:93:3F:85:5B:70:40:78:4D:F8:15:AA:8D:B7 (HomePlugAV)" in out, out
    assert f"MAC {MAC_A}" in out and "NID B0:F2:E6:95:66:6B:03" in out


def test_plcwait_sees_the_device(net):
    need_tools("plcwait")
    out = net.run(0, "plcwait", "-i", net.hosts[0], "-s", "-w", "2").stdout
    assert "Allow 2 seconds for Start" in out and "did not Start" not in out, out


def test_link_status_and_push_button_status(net):
    h = net.hosts[0]
    assert f"{h} {MAC_A} 1" in net.run(0, "plctool", "-i", h, "-L").stdout
    assert f"{h} {MAC_A} Membership Status 1" in net.run(0, "plctool", "-i", h, "-B", "status").stdout


def test_plctool_set_key_changes_the_network_and_reset(tmp_path):
    need_tools("plctool", "plcwait")
    with bench(2) as b, emulator(b, two_modems(b), tmp_path):
        h = b.hosts[0]
        wait_for(b, 0, ("plctool", "-i", h, "-m"), "STATIONS = 1")
        out = b.run(0, "plctool", "-i", h, "-M", "-K", NMK_0123).stdout
        assert f"{h} {MAC_A} Setting ..." in out, out
        out = wait_for(b, 0, ("plctool", "-i", h, "-m"), "network->NID = 02:6B:CB:A5:35:4E:08")
        assert "network->STATIONS = 0" in out and "network->ROLE = 0x02 (CCO)" in out, out
        # push the same NMK to modem B remotely with its DAK (-J): the two modems meet again
        dak = "B161CD003FA4023C5E2302BB2C04E06A"  # hpavkey -D DeviceB-Password
        out = b.run(0, "plctool", "-i", h, "-K", NMK_0123, "-D", dak, "-J", MAC_B).stdout
        assert f"{h} {MAC_A} Setting ..." in out, out
        wait_for(b, 1, ("plctool", "-i", b.hosts[1], "-m"), "network->NID = 02:6B:CB:A5:35:4E:08")
        wait_for(b, 0, ("plctool", "-i", h, "-m"), "STATIONS = 1")
        out = b.run(0, "plctool", "-i", h, "-R").stdout
        assert f"{h} {MAC_A} Resetting ..." in out, out
        t0 = time.monotonic()
        out = b.run(0, "plcwait", "-i", h, "-s", "-w", "10").stdout
        waited = time.monotonic() - t0
        assert "did not Start" not in out, out
        # the QCA7420 profile takes 4 s to come back: plcwait really waits for it (docs/modem-profiles.md)
        assert 3.0 <= waited < 10.0, waited
        print(f"plcwait after plctool -R: {waited:.2f} s")
        out = b.run(0, "plctool", "-i", h, "-T").stdout
        assert f"{h} {MAC_A} Restoring ..." in out, out
        wait_for(b, 0, ("plctool", "-i", h, "-m"), "network->NID = B0:F2:E6:95:66:6B:03")


@pytest.mark.parametrize(("chip", "name"), [("QCA7000", "QCA7000"), ("QCA7005", "QCA7005"), ("AR7420", "QCA7420"),
                                            ("QCA7500", "QCA7500")])
def test_other_chips(tmp_path, chip, name):
    """plctool names each profile's chip from DEVICE_CLASS and IDENT as it names the real one."""
    need_tools("plctool")
    fw = PROFILES[chip].firmware
    with bench(1) as b, emulator(b, modem_block("x", MAC_A.lower(), b.modem_if(0), chip=chip), tmp_path):
        out = b.run(0, "plctool", "-i", b.hosts[0], "-r").stdout  # the first request is answered in time too
        assert f"{b.hosts[0]} {MAC_A} {name} {fw}" in out, out
