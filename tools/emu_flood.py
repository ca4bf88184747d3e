#!/usr/bin/env python3
"""Flood an (emulated) modem with valid and malformed HomePlug AV frames at a fixed rate.

    ip netns exec HOST_NS .venv/bin/python tools/emu_flood.py --iface h0 --rate 10000 --duration 10

Frames come from two source MACs so the replies can be told apart: valid requests from
``02:00:00:00:00:01`` (plus a few random sources, to stress address learning) and malformed ones from
``02:ba:d0:00:00:01``.  Malformed = truncated requests, unknown OUIs, unknown MMV, unknown MMTYPEs,
random bytes.  Prints one JSON object: frames sent per class, the achieved rate, and the replies
received per destination class (a correct modem never answers the malformed source).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, encode, messages  # noqa: E402
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV  # noqa: E402

HPAV = ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big")

GOOD = bytes.fromhex("020000000001")
BAD = bytes.fromhex("02bad0000001")
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def valid_frames(rng: random.Random) -> list[bytes]:
    out = [
        encode(LOCAL_MAC, GOOD, messages.VS_SW_VER_REQ(cookie=1)),
        encode(LOCAL_MAC, GOOD, messages.VS_NW_INFO_REQ(), mmv=1),
        encode(LOCAL_MAC, GOOD, messages.VS_NW_INFO_REQ(), mmv=0),
        encode(BROADCAST_MAC, GOOD, messages.VS_SW_VER_REQ(cookie=2)),
        encode(LOCAL_MAC, GOOD, messages.VS_OP_ATTRIBUTES_REQ(cookie=3)),
        encode(LOCAL_MAC, GOOD, messages.VS_PL_LINK_STATUS_REQ()),
        encode(LOCAL_MAC, GOOD, messages.VS_GET_NVM_REQ()),
        encode(LOCAL_MAC, GOOD, messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0, mod_op_data_len=18,
                                                                  module_id=0x7002, length=1400)),
        BROADCAST_MAC + GOOD + b"\x08\x00" + bytes(46),  # bridged data
    ]
    for _ in range(8):  # random sources: address-learning tables must stay bounded
        src = bytes([0x02]) + rng.randbytes(5)
        out.append(encode(LOCAL_MAC, src, messages.VS_SW_VER_REQ(cookie=4)))
    return out


def malformed_frames(rng: random.Random) -> list[bytes]:
    sw = encode(LOCAL_MAC, BAD, messages.VS_SW_VER_REQ(cookie=1))
    setkey = encode(LOCAL_MAC, BAD, messages.VS_SET_KEY_REQ(eks=1, nmk=bytes(16), peks=0x0F))
    out = [sw[:16], sw[:18], sw[:20], setkey[:30], setkey[:40]]
    bad_oui = bytearray(sw)
    bad_oui[17:20] = b"\x12\x34\x56"
    out.append(bytes(bad_oui))
    bad_mmv = bytearray(sw)
    bad_mmv[14] = 7
    out.append(bytes(bad_mmv))
    bad_type = bytearray(sw)
    bad_type[15:17] = (0xC123).to_bytes(2, "little")
    out.append(bytes(bad_type))
    for n in (14, 15, 17, 60, 300):
        out.append(LOCAL_MAC + BAD + HPAV + rng.randbytes(n - 14 if n > 14 else 0))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--rate", type=float, default=10000.0, help="frames per second")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds")
    ap.add_argument("--malformed-share", type=float, default=0.5, help="fraction of malformed frames")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    good, bad = valid_frames(rng), malformed_frames(rng)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    s.bind((args.iface, ETH_P_ALL))
    s.setblocking(False)
    sent = {"valid": 0, "malformed": 0, "send_errors": 0}
    got = {"to_valid": 0, "to_malformed": 0, "other": 0}

    def drain() -> None:
        while True:
            try:
                data, addr = s.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            if addr[2] == PACKET_OUTGOING or data[12:14] != HPAV:
                continue
            if data[0:6] == BAD:
                got["to_malformed"] += 1
            elif data[0:6] == GOOD or data[0] == 0x02:
                got["to_valid"] += 1
            else:
                got["other"] += 1

    tick = 0.005
    per_tick = args.rate * tick
    start = time.monotonic()
    budget = 0.0
    n = 0
    while True:
        now = time.monotonic()
        elapsed = now - start
        if elapsed >= args.duration:
            break
        budget = args.rate * elapsed - n
        while budget >= 1:
            if rng.random() < args.malformed_share:
                frame, cls = bad[n % len(bad)], "malformed"
            else:
                frame, cls = good[n % len(good)], "valid"
            try:
                s.send(frame)
                sent[cls] += 1
            except OSError:
                sent["send_errors"] += 1
            n += 1
            budget -= 1
        drain()
        time.sleep(max(0.0, tick - (time.monotonic() - now)) if per_tick < 1e9 else 0)
    elapsed = time.monotonic() - start
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        drain()
        time.sleep(0.01)
    s.close()
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "rate": round(n / elapsed, 1), "replies": got}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
