"""`plcstack emulate --iface` (the default modem), --pcap, SIGTERM, `plcstack replay --iface`, and Ethernet
bridging between two real host namespaces through the emulated power line."""

from __future__ import annotations

import signal
import sys
import time

import pytest
from netns_helpers import bench, emulator, modem_block, need_tools, stop, wait_for

from plcstack.codec import LOCAL_MAC, decode_frame, encode, messages
from plcstack.pcapio import PcapWriter, open_capture

pytestmark = [pytest.mark.netns]


def test_default_modem_pcap_replay_and_clean_shutdown(tmp_path):
    need_tools("plctool")
    pcap = tmp_path / "emu.pcap"
    capture = tmp_path / "req.pcap"
    host = bytes.fromhex("021122334455")
    with PcapWriter(str(capture)) as w:
        w.write(encode(LOCAL_MAC, host, messages.VS_SW_VER_REQ(cookie=9)), 1.0)
        w.write(encode(LOCAL_MAC, host, messages.VS_NW_INFO_REQ(), mmv=1), 1.2)
        w.write(encode(LOCAL_MAC, host, messages.VS_RS_DEV_REQ()), 1.3)
    with bench(1) as b:
        with emulator(b, None, tmp_path, extra=("--iface", b.modem_if(0), "--pcap", str(pcap))) as emu:
            h = b.hosts[0]
            out = wait_for(b, 0, ("plctool", "-i", h, "-r"), "QCA7420")
            assert f"{h} 00:B0:52:EE:00:01 QCA7420 MAC-QCA7420-1.4.0.20-00-20171027-CS" in out
            wait_for(b, 0, ("plctool", "-i", h, "-m"), "network->NID = B0:F2:E6:95:66:6B:03")
            rep = b.run(0, sys.executable, "-m", "plcstack", "replay", str(capture), "--iface", h, "--speed", "2",
                        "--type", "VS_SW_VER,VS_NW_INFO.REQ", "--pcap", str(tmp_path / "back.pcap"))
            assert "sent 2 frame(s), got 2 back: VS_NW_INFO.CNF x1, VS_SW_VER.CNF x1" in rep.stdout, rep.stdout
            emu.proc.send_signal(signal.SIGTERM)
            assert emu.proc.wait(10) == 0
            log = emu.log()
    assert "stopped:" in log and "errors=0" in log, log
    frames = [bytes(buf[o:o + n]) for _, _, buf, o, n, _ in open_capture(str(pcap))]
    names = [decode_frame(f).name for f in frames if f[12:14] == b"\x88\xe1"]
    assert "VS_SW_VER.REQ" in names and "VS_SW_VER.CNF" in names and "VS_NW_INFO.CNF" in names
    back = [decode_frame(bytes(buf[o:o + n])) for _, _, buf, o, n, _ in open_capture(str(tmp_path / "back.pcap"))]
    assert [f.name for f in back if f.src == host] == ["VS_SW_VER.REQ", "VS_NW_INFO.REQ"]


RECV = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
s.bind((sys.argv[1], 0x88B5)); s.settimeout(5)
print(s.recv(2000)[14:40].decode(errors="replace"), flush=True)
"""


def test_ethernet_is_bridged_between_two_hosts(tmp_path):
    need_tools("plctool")
    text = (modem_block("a", "00:b0:52:00:00:0a", "{m0}") + modem_block("b", "00:b0:52:00:00:0b", "{m1}"))
    with bench(2) as b:
        cfg = text.replace("{m0}", b.modem_if(0)).replace("{m1}", b.modem_if(1))
        with emulator(b, cfg, tmp_path):
            wait_for(b, 0, ("plctool", "-i", b.hosts[0], "-m"), "STATIONS = 1")
            rx = b.spawn(1, sys.executable, "-c", RECV, b.hosts[1])
            time.sleep(0.5)
            send = ("import socket,sys; s=socket.socket(socket.AF_PACKET, socket.SOCK_RAW);"
                    "s.bind((sys.argv[1], 0)); s.send(b'\\xff'*6 + b'\\x02\\x00\\x00\\x00\\x00\\x07' + b'\\x88\\xb5'"
                    " + b'across the power line'.ljust(46, b'.'))")
            assert b.run(0, sys.executable, "-c", send, b.hosts[0]).returncode == 0
            rx.wait(10)
            assert "across the power line" in stop(rx)

