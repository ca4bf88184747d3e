"""Network-namespace plumbing of the SLAC interoperability tests (on top of tests/emu/netns_helpers)."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

from netns_helpers import REPO, modem_block, sh

EVSE_MODEM, PEV_MODEM = "00:b0:52:00:e5:01", "00:b0:52:00:e7:01"
PLCSTACK = (sys.executable, "-m", "plcstack")
ENV = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))

UDP6_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("fe80::2", 15999, 0, socket.if_nametoindex(sys.argv[1])))
s.settimeout(10); data, peer = s.recvfrom(2000); s.sendto(data.upper(), peer); print("ECHO", peer[0], flush=True)
"""
UDP6_CLIENT = """
import socket, sys
idx = socket.if_nametoindex(sys.argv[1]); s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(1)
s.bind(("fe80::1", 0, 0, idx))
for _ in range(6):
    s.sendto(b"link-local over the power line", ("fe80::2", 15999, 0, idx))
    try:
        data, peer = s.recvfrom(2000); print("REPLY", data.decode(), peer[0], flush=True); break
    except TimeoutError:
        pass
"""


def slac_network(b: Any, extra: str = "", seed: int = 7) -> str:
    """Two QCA7000-like Green PHY modems: the EVSE's behind host 0, the EV's behind host 1."""
    return (f"[network]\nseed = {seed}\n[link]\nattenuation_db = 21\n"
            + modem_block("evse-modem", EVSE_MODEM, b.modem_if(0), chip="QCA7000", cco="always",
                          password="HomePlugAV0123")
            + modem_block("pev-modem", PEV_MODEM, b.modem_if(1), chip="QCA7000", cco="never")
            + extra)


def ours(b: Any, i: int, role: str, *args: str) -> Any:
    """Start ``plcstack slac evse|pev --json`` in host namespace ``i``."""
    return b.spawn(i, *PLCSTACK, "slac", role, "-i", b.hosts[i], "--json", *args, env=ENV)


def report(out: str) -> dict[str, Any]:
    """The JSON report of ``plcstack slac ... --json`` (the last JSON line of the output)."""
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise AssertionError("no JSON report in:\n" + out[-3000:])


def stations(b: Any, i: int) -> tuple[str, list[str]]:
    """(NID, the two or more station MACs: the local modem first) that ``plctool -m`` prints on host ``i``."""
    out = b.run(i, "plctool", "-i", b.hosts[i], "-m").stdout
    nid = re.search(r"network->NID = ([0-9A-F:]{20})", out, re.I)
    own = re.findall(r"source address = ([0-9A-F:]{17})", out, re.I)
    macs = re.findall(r"station->MAC = ([0-9A-F:]{17})", out, re.I)
    return (nid.group(1).replace(":", "").lower() if nid else ""), [m.lower() for m in own[:1] + macs]


def one_avln(b: Any, nid: str | None = None) -> str:
    """``plctool -m`` on each host shows one network with two stations: its own modem and the other."""
    nid0, st0 = stations(b, 0)
    nid1, st1 = stations(b, 1)
    assert nid0 and nid0 == nid1, (nid0, nid1)
    assert st0 == [EVSE_MODEM, PEV_MODEM] and st1 == [PEV_MODEM, EVSE_MODEM], (st0, st1)
    if nid is not None:
        assert nid0 == nid.lower(), (nid0, nid)
    return nid0


def ipv6_crosses(b: Any) -> str:
    for i, addr in ((0, "fe80::1/64"), (1, "fe80::2/64")):
        sh("ip", "-n", b.ns(i), "-6", "addr", "add", addr, "dev", b.hosts[i], "nodad", check=False)
    srv = b.spawn(1, sys.executable, "-c", UDP6_ECHO, b.hosts[1])
    import time

    time.sleep(0.3)
    out = b.run(0, sys.executable, "-c", UDP6_CLIENT, b.hosts[0], timeout=15).stdout
    srv.wait(10)
    assert "REPLY LINK-LOCAL OVER THE POWER LINE fe80::2" in out, out
    return out
