#!/usr/bin/env python3
"""Decode the same capture with plcstack, scapy's contrib HomePlug layers and tshark; print frames/s.

    python tools/compare_decoders.py [CAPTURE] [--frames 200000] [--scapy-frames 20000]

Without CAPTURE a realistic 200,000-frame mix is generated (tools/gen_capture.py).  scapy is
slow (~1,600 frames/s), so it decodes the first --scapy-frames records of the same file and its
rate is computed on those.  tshark runs `tshark -r FILE -V` (full dissection, output discarded).
Every figure is measured in this run; wall-clock time on one core.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(fn) -> tuple[float, int]:
    t = time.perf_counter()
    n = fn()
    return time.perf_counter() - t, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture", nargs="?")
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--scapy-frames", type=int, default=20_000)
    args = ap.parse_args()

    from plcstack.capture import count_decoded
    from plcstack.codec import decode_frame, encode_frame
    from plcstack.codec.batch import read_headers
    from plcstack.pcapio import open_capture, write_pcap
    from plcstack.samples import realistic_mix

    tmp = tempfile.TemporaryDirectory()
    path = Path(args.capture) if args.capture else Path(tmp.name) / "mix.pcap"
    if not args.capture:
        write_pcap(path, realistic_mix(args.frames, seed=1))
    rows: list[tuple[str, int, float]] = []

    def iterate() -> int:
        return sum(1 for _ in open_capture(path))

    dt, n = _time(iterate)
    rows.append(("pcap record iteration (plcstack.pcapio)", n, dt))
    dt, n = _time(lambda: len(read_headers(path)))
    rows.append(("plcstack header-only decode", n, dt))
    dt, n = _time(lambda: count_decoded(path))
    rows.append(("plcstack full decode (every field)", n, dt))
    frames = [decode_frame(buf, off, off + ln) for _, _, buf, off, ln, _ in open_capture(path)]
    dt, n = _time(lambda: len([encode_frame(f) for f in frames]))
    rows.append(("plcstack encode", n, dt))

    def scapy_decode() -> int:
        from scapy.contrib import homeplugav, homepluggp  # noqa: F401 - registers the layers
        from scapy.layers.l2 import Ether
        from scapy.utils import PcapReader

        count = 0
        with PcapReader(str(path)) as reader:
            for pkt in reader:
                Ether(bytes(pkt))  # full dissection through the contrib layers
                count += 1
                if count >= args.scapy_frames:
                    break
        return count

    try:
        dt, n = _time(scapy_decode)
        rows.append((f"scapy contrib homeplugav/gp (first {n} frames)", n, dt))
    except ImportError as exc:  # pragma: no cover - scapy is a dependency
        print(f"scapy unavailable: {exc}", file=sys.stderr)

    if shutil.which("tshark"):
        def tshark() -> int:
            subprocess.run(["tshark", "-r", str(path), "-V"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            return sum(1 for _ in open_capture(path))

        dt, n = _time(tshark)
        rows.append(("tshark -V (full dissection)", n, dt))
    else:
        print("tshark not installed: skipped", file=sys.stderr)

    full = next(r for r in rows if r[0].startswith("plcstack full"))
    full_rate = full[1] / full[2]
    print(f"capture: {path.name}, {rows[0][1]} frames")
    print(f"{'decoder':48} {'frames':>8} {'seconds':>9} {'frames/s':>12} {'plcstack full / this':>22}")
    for name, n, dt in rows:
        rate = n / dt
        print(f"{name:48} {n:8d} {dt:9.3f} {rate:12,.0f} {full_rate / rate:21.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
