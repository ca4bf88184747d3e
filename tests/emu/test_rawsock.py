"""IP between two host namespaces through two emulated modems of one AVLN, on default veth settings.

No ``ethtool -K`` anywhere: the hosts hand their frames to the kernel with partial checksums and
TCP segmentation left to the "NIC"; the emulator's AF_PACKET adapter must complete them
(:mod:`plcstack.emu.offload`).  Covered: UDP, a 300 kB TCP transfer both ways, and the SDP pattern
of ISO 15118-2 (UDP to the IPv6 link-local all-nodes multicast group ff02::1 port 15118, answered
unicast link-local).
"""

from __future__ import annotations

import sys

import pytest
from netns_helpers import bench, emulator, modem_block, need_tools, sh, wait_for

pytestmark = [pytest.mark.netns]

FAST = "[timers]\nreset_s = 0.2\n"

UDP_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.77.0.2", 5005)); s.settimeout(8)
data, peer = s.recvfrom(2000); s.sendto(data.upper(), peer); print("GOT", data.decode(), flush=True)
"""
UDP_CLIENT = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for _ in range(4):
    s.sendto(b"hello over the power line", ("10.77.0.2", 5005))
    try:
        print("REPLY", s.recv(2000).decode(), flush=True); break
    except TimeoutError:
        pass
"""
TCP_SERVER = """
import hashlib, socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("10.77.0.2", 5006))
s.listen(1); s.settimeout(10); c, _ = s.accept(); c.settimeout(10); buf = b""
while len(buf) < 300000:
    chunk = c.recv(65536)
    if not chunk: break
    buf += chunk
c.sendall(hashlib.sha256(buf).hexdigest().encode() + bytes(200000)); c.close(); print("TCP", len(buf), flush=True)
"""
TCP_CLIENT = """
import hashlib, socket
data = bytes(range(256)) * 1172
c = socket.create_connection(("10.77.0.2", 5006), timeout=10); c.sendall(data[:300000]); buf = b""
while True:
    chunk = c.recv(65536)
    if not chunk: break
    buf += chunk
print("MATCH" if buf[:64].decode() == hashlib.sha256(data[:300000]).hexdigest() and len(buf) == 200064 else "BAD",
      len(buf), flush=True)
"""
SDP_SERVER = """
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 15118)); idx = socket.if_nametoindex(sys.argv[1])
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, "ff02::1")
             + struct.pack("@I", idx))
s.settimeout(8); data, peer = s.recvfrom(2000); s.sendto(b"SECC-ANSWER " + data, peer)
print("SDP", data.hex(), peer[0], flush=True)
"""
SDP_CLIENT = """
import socket, sys
idx = socket.if_nametoindex(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(2)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
req = bytes.fromhex("01fe9000000000021000")  # V2GTP header + SECC discovery request (security, TCP)
for _ in range(4):
    s.sendto(req, ("ff02::1", 15118, 0, idx))
    try:
        data, peer = s.recvfrom(2000); print("ANSWER", data[:12].decode(), peer[0], flush=True); break
    except TimeoutError:
        pass
"""


def _addresses(b) -> None:
    for i, (v4, v6) in enumerate((("10.77.0.1/24", "fe80::1/64"), ("10.77.0.2/24", "fe80::2/64"))):
        sh("ip", "-n", b.ns(i), "addr", "add", v4, "dev", b.hosts[i])
        sh("ip", "-n", b.ns(i), "-6", "addr", "add", v6, "dev", b.hosts[i], "nodad")


#: ``ethtool -k`` without ethtool: SIOCETHTOOL with ETHTOOL_GTXCSUM (0x16) and ETHTOOL_GTSO (0x1e)
OFFLOADS = """
import array, fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for cmd in (0x16, 0x1E):
    buf = array.array("B", struct.pack("II", cmd, 0))
    ifr = struct.pack("16sP", sys.argv[1].encode(), buf.buffer_info()[0])
    fcntl.ioctl(s, 0x8946, ifr)
    print(cmd, struct.unpack("II", buf.tobytes())[1])
"""


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    need_tools("plctool")
    with bench(2) as b:
        cfg = (FAST + modem_block("a", "00:b0:52:00:00:0a", b.modem_if(0))
               + modem_block("b", "00:b0:52:00:00:0b", b.modem_if(1)))
        with emulator(b, cfg, tmp_path_factory.mktemp("ip")) as emu:
            wait_for(b, 0, ("plctool", "-i", b.hosts[0], "-m"), "STATIONS = 1", timeout=20)
            _addresses(b)
            yield b, emu


def test_default_veth_offloads_are_on(line):
    """The other tests mean something only with the default veth offloads (TX checksum, TSO) on."""
    b, _ = line
    out = b.run(0, sys.executable, "-c", OFFLOADS, b.hosts[0]).stdout
    assert out.split() == ["22", "1", "30", "1"], out


def test_udp_between_hosts(line):
    b, _ = line
    srv = b.spawn(1, sys.executable, "-c", UDP_SERVER)
    out = b.run(0, sys.executable, "-c", UDP_CLIENT, timeout=15).stdout
    srv.wait(10)
    assert "REPLY HELLO OVER THE POWER LINE" in out, out


def test_tcp_bulk_both_ways(line):
    b, _ = line
    srv = b.spawn(1, sys.executable, "-c", TCP_SERVER)
    import time

    time.sleep(0.3)
    out = b.run(0, sys.executable, "-c", TCP_CLIENT, timeout=30).stdout
    srv.wait(10)
    assert "MATCH 200064" in out, out


def test_ipv6_link_local_multicast_sdp(line):
    b, emu = line
    srv = b.spawn(1, sys.executable, "-c", SDP_SERVER, b.hosts[1])
    import time

    time.sleep(0.3)
    out = b.run(0, sys.executable, "-c", SDP_CLIENT, b.hosts[0], timeout=15).stdout
    srv.wait(10)
    assert "ANSWER SECC-ANSWER" in out and "fe80::2" in out, out
