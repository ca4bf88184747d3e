#!/usr/bin/env python3
"""Measure the key manager: hpavkey agreement, dictionary speed, ABB capture decryption.

    .venv/bin/python tools/keys_measure.py [--passwords 2000] [--candidates 20000]

Prints one line per measurement (the numbers quoted in the issue report).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plcstack.keys.derive import (  # noqa: E402
    dak_from_password,
    format_key,
    nid_from_nmk,
    nid_from_password,
    nmk_from_password,
)
from plcstack.keys.parallel import search  # noqa: E402

# a third-party capture outside the repository (its key frames are in tests/data/vectors)
ABB = Path(__file__).resolve().parents[2] / "shared" / "captures" / "third-party" / "iso15118-simulator-rs__ABB-Normal.pcapng"


def random_passwords(n: int, rng: random.Random) -> list[bytes]:
    out = [b"", b"a", b" ", b"x" * 64, b"-HomePlugAV", "café".encode()]
    while len(out) < n:
        kind = rng.randrange(3)
        length = rng.choice([0, 1, 11, 12, 13, 63, 64, 65, rng.randrange(0, 100)])
        if kind == 0:
            pw = bytes(rng.randrange(1, 256) for _ in range(length))
        elif kind == 1:
            pw = bytes(rng.randrange(0x20, 0x7F) for _ in range(length))
        else:
            pw = "".join(chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0xA0, 0x3000)]))
                         for _ in range(length)).encode()
        out.append(pw)
    return out


def hpavkey_agreement(n: int) -> None:
    exe = shutil.which("hpavkey")
    if exe is None:
        print("hpavkey: not installed, skipped")
        return
    pws = random_passwords(n, random.Random(1))
    agree = total = 0
    for i in range(0, len(pws), 200):
        batch = pws[i:i + 200]
        nmks = [nmk_from_password(p) for p in batch]
        ours = {
            "-M": [format_key(k) for k in nmks],
            "-D": [format_key(dak_from_password(p)) for p in batch],
            "-N -L 0": [format_key(nid_from_nmk(k, 0)) for k in nmks],
            "-N -L 1": [format_key(nid_from_nmk(k, 1)) for k in nmks],
        }
        for flags, expected in ours.items():
            got = subprocess.run([exe, *flags.split(), "--", *batch], capture_output=True, check=True).stdout.split()
            agree += sum(g.decode() == e for g, e in zip(got, expected, strict=True))
            total += len(expected)
    print(f"hpavkey agreement: {agree}/{total} values ({n} passwords x NMK, DAK, NID L0, NID L1)")


def dictionary_speed(n: int) -> None:
    words = [b"candidate-%06d" % i for i in range(n)]
    target = [nid_from_password("not in the list")]
    for procs in sorted({1, os.cpu_count() or 1}):
        r = search(target, words, processes=procs, stop_when_all_found=False)
        print(f"dictionary: {r.tried} candidates, {procs} process(es): {r.rate:,.0f} passwords/s "
              f"({r.rate_per_process:,.0f}/s per process, {r.seconds:.2f} s)")


def abb() -> None:
    if not ABB.exists():
        print(f"ABB capture: skipped, needs ../shared/captures ({ABB})")
        return
    from plcstack.keys.scan import scan_capture

    t = time.perf_counter()
    result = scan_capture(ABB)
    for p in result.payloads:
        print(f"ABB frame {p.frame}: {p.inner.name if p.inner else 'NOT decrypted'} via {p.key_source or p.error}")
    print(f"ABB capture scanned and decrypted in {time.perf_counter() - t:.3f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passwords", type=int, default=2000)
    ap.add_argument("--candidates", type=int, default=20000)
    args = ap.parse_args()
    hpavkey_agreement(args.passwords)
    dictionary_speed(args.candidates)
    abb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
