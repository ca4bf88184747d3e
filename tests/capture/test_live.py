"""plcstack.capture.live and ``plcstack decode -i``: live capture on a veth pair in network namespaces.

The emulator (``plcstack emulate``) answers open-plc-utils ``plctool`` on one end; frames are also
injected there with an AF_PACKET socket (802.1Q and QinQ tagged, and a non-HomePlug frame the
kernel filter must drop).  Ctrl-C (SIGINT) ends the capture and the summary is printed.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "emu"))
from netns_helpers import REPO, bench, emulator, need_tools  # noqa: E402

from plcstack.capture import CaptureDecoder, record_json  # noqa: E402
from plcstack.capture.live import _BPF_JEQ_K, _BPF_LDH_ABS, _BPF_RET_K, MAX_TAGS, _filter_program  # noqa: E402


def _program(ethertypes: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    import ctypes

    n, addr = struct.unpack("HL", _filter_program(ethertypes))
    raw = ctypes.string_at(addr, n * 8)
    return [struct.unpack_from("=HBBI", raw, 8 * i) for i in range(n)]


def _run_bpf(prog: list[tuple[int, int, int, int]], frame: bytes) -> int:
    """A tiny interpreter of the opcodes the program uses, to check its jumps."""
    pc, a = 0, 0
    while True:
        code, jt, jf, k = prog[pc]
        if code == _BPF_LDH_ABS:
            if k + 2 > len(frame):
                return 0
            a = int.from_bytes(frame[k:k + 2], "big")
            pc += 1
        elif code == _BPF_JEQ_K:
            pc += 1 + (jt if a == k else jf)
        elif code == _BPF_RET_K:
            return k
        else:
            raise AssertionError(code)


def test_kernel_filter_keeps_homeplug_behind_up_to_two_tags() -> None:
    prog = _program((0x88E1, 0x887B))
    macs = bytes(12)
    for head, kept in ((b"\x88\xe1", True), (b"\x88\x7b", True), (b"\x08\x00", False),
                       (b"\x81\x00\x00\x05\x88\xe1", True), (b"\x88\xa8\x00\x05\x81\x00\x00\x06\x88\xe1", True),
                       (b"\x81\x00\x00\x05\x08\x00", False), (b"\x88\xa8\x00\x05\x81\x00\x00\x06\x86\xdd", False)):
        assert (_run_bpf(prog, macs + head + bytes(50)) > 0) is kept, head.hex()


def test_kernel_filter_looks_through_every_tag_the_codec_reads() -> None:
    """QinQ of QinQ, 0x9100 tags: up to MAX_TAGS tags in the frame (the kernel strips one more)."""
    prog = _program((0x88E1, 0x887B))
    tpids = (0x88A8, 0x8100, 0x9100, 0x8100, 0x88A8, 0x8100, 0x9100, 0x8100)
    assert len(tpids) == MAX_TAGS
    for depth in range(MAX_TAGS + 1):
        tags = b"".join(struct.pack("!HH", tpid, k + 1) for k, tpid in enumerate(tpids[:depth]))
        for et, kept in ((b"\x88\xe1", True), (b"\x88\x7b", True), (b"\x86\xdd", False)):
            assert (_run_bpf(prog, bytes(12) + tags + et + bytes(50)) > 0) is kept, (depth, et.hex())
    too_deep = b"".join(struct.pack("!HH", 0x8100, k) for k in range(MAX_TAGS + 1))
    assert _run_bpf(prog, bytes(12) + too_deep + b"\x88\xe1" + bytes(50)) == 0


@pytest.mark.netns
@pytest.mark.realtools
def test_live_capture_with_the_emulator(tmp_path: Path) -> None:
    need_tools("plctool")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with bench(1) as b, emulator(b, None, tmp_path, extra=("--iface", b.modem_if(0))):
        host = b.hosts[0]
        err_path = tmp_path / "decode.err"
        saved = tmp_path / "live.pcap"
        with open(err_path, "w") as err:
            dec = subprocess.Popen(["ip", "netns", "exec", b.ns(0), sys.executable, "-m", "plcstack", "decode", "-i",
                                    host, "--json", "-l", "-w", str(saved)], stdout=subprocess.PIPE, stderr=err,
                                   text=True, env=env)
        try:
            deadline = time.monotonic() + 20
            while "capturing on" not in err_path.read_text():
                assert dec.poll() is None and time.monotonic() < deadline, err_path.read_text()
                time.sleep(0.05)
            out = b.run(0, "plctool", "-i", host, "-r").stdout
            assert "QCA7420" in out or "Request Version" in out, out
            inject = ("import socket\n"
                      "from plcstack.codec import encode, messages as m\n"
                      f"s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('{b.modem_if(0)}', 0))\n"
                      "w = lambda **kw: encode('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:07', "
                      "m.CM_SLAC_PARM_REQ(run_id=bytes(range(8))), **kw)\n"
                      "s.send(w(vlan=0xA005))\n"
                      "s.send(w(vlan=[(0x88A8, 10), (0x8100, 0x200B)]))\n"
                      "s.send(w(vlan=[(0x88A8, 1), (0x8100, 2), (0x9100, 3), (0x8100, 0x2004)]))\n"
                      "s.send(bytes(6) + bytes.fromhex('020000000007') + b'\\x08\\x00' + bytes(46))\n")
            subprocess.run(["ip", "netns", "exec", b.emu_ns, sys.executable, "-c", inject], check=True, env=env,
                           timeout=30)
            time.sleep(1.0)
        finally:
            dec.send_signal(signal.SIGINT)
            stdout, _ = dec.communicate(timeout=20)
        errtext = err_path.read_text()
        assert dec.returncode == 0, errtext
        objs = [json.loads(line) for line in stdout.splitlines()]
        names = [o["name"] for o in objs]
        assert "VS_SW_VER.REQ" in names and "VS_SW_VER.CNF" in names  # sent by the host and received
        slac = [o for o in objs if o["name"] == "CM_SLAC_PARM.REQ"]
        assert [o["vlan"] for o in slac] == [[{"tpid": 0x8100, "id": 5, "pcp": 5, "dei": 0}],
                                            [{"tpid": 0x88A8, "id": 10, "pcp": 0, "dei": 0},
                                             {"tpid": 0x8100, "id": 11, "pcp": 1, "dei": 0}],
                                            [{"tpid": 0x88A8, "id": 1, "pcp": 0, "dei": 0},
                                             {"tpid": 0x8100, "id": 2, "pcp": 0, "dei": 0},
                                             {"tpid": 0x9100, "id": 3, "pcp": 0, "dei": 0},
                                             {"tpid": 0x8100, "id": 4, "pcp": 1, "dei": 0}]]
        assert all(o["error"] is None for o in objs)
        assert f"# {len(objs)} HomePlug frames" in errtext  # Ctrl-C printed the summary
        again = [record_json(r) for r in CaptureDecoder(saved)]  # -w saved every frame, times to the ns
        assert [(o["time_ns"], o["name"], o["vlan"]) for o in again] == [(o["time_ns"], o["name"], o["vlan"])
                                                                          for o in objs]
