#!/usr/bin/env python3
"""Per-frame decode speed of ``plcstack.codec.decode_frame`` on frames tiled from real captures.

    taskset -c 0 .venv/bin/python tools/codec_speed.py [CAPTURE_DIR ...] [--frames 1000000] [--repeat 3]

Every Ethernet record of every capture under the given directories (default: the shared third-party
captures beside the repository, as ``tests/conftest.py`` finds them)
that carries HomePlug AV (ethertype 0x88E1 behind any VLAN tags; corrupted frames included) is
collected in file order and tiled to ``--frames`` byte strings in memory; the loop decodes each
with ``decode_frame`` (a ``DecodeError`` counts as decoded: the frame was looked at). Prints frames/s
per CPU second of this process (best of ``--repeat``; CPU time, because on a shared machine wall-clock
time also counts the other jobs) and the cost of one 60-byte CM_SLAC_PARM.REQ. With ``PYTHONPATH`` pointing at
another checkout the same script measures that version (only ``decode_frame`` is used).
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "captures"


def real_frames(dirs: list[Path]) -> list[bytes]:
    from plcstack.pcapio import open_capture

    out: list[bytes] = []
    for d in dirs:
        for path in sorted(p for p in d.rglob("*") if p.suffix in (".pcap", ".pcapng")):
            with open_capture(path) as reader:
                for _i, _t, buf, off, length, linktype in reader:
                    raw = bytes(buf[off:off + length])
                    p = 12
                    while raw[p:p + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
                        p += 4
                    if linktype == 1 and raw[p:p + 2] == b"\x88\xe1":
                        out.append(raw)
    return out


def tiled(frames: list[bytes], n: int) -> list[bytes]:
    reps = -(-n // len(frames))
    return (frames * reps)[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    dirs = args.dirs or [DEFAULT_DIR]
    if not all(d.is_dir() for d in dirs):
        print(f"capture directory not found: {dirs}", file=sys.stderr)
        return 2

    from plcstack.codec import DecodeError, decode_frame

    base = real_frames(dirs)
    if not base:
        print("no HomePlug AV frames found", file=sys.stderr)
        return 2
    frames = tiled(base, args.frames)

    def loop() -> int:
        bad = 0
        for raw in frames:
            try:
                decode_frame(raw)
            except DecodeError:
                bad += 1
        return bad

    # CPU time of this process: on a shared machine wall-clock time measures the neighbours too
    best = float("inf")
    bad = 0
    for _ in range(args.repeat):
        t = time.process_time()
        bad = loop()
        best = min(best, time.process_time() - t)
    slac = bytes.fromhex("ffffffffffffdc0ea111670888e101646000000000dc0ea1116708").ljust(60, b"\0")
    per = min(timeit.repeat(lambda: decode_frame(slac), number=100_000, repeat=5,
                            timer=time.process_time)) / 100_000
    print(f"{len(base)} real HomePlug AV frames tiled to {len(frames)} ({bad} decode errors per pass)")
    print(f"decode_frame: {len(frames) / best:,.0f} frames per CPU second (best of {args.repeat})")
    print(f"60-byte CM_SLAC_PARM.REQ: {per * 1e6:.2f} us per decode_frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
