#!/usr/bin/env python3
"""Build the benchmark capture by tiling real HomePlug captures (deterministic).

    python tools/make_bench_capture.py OUT.pcap [--frames 1000000] [--captures DIR ...]
                                       [--corrupt-every 2000] [--seed 1] [--with-other]

Every HomePlug frame (ethertype 0x88E1 or 0x887B, also behind 802.1Q tags) of every pcap/pcapng
file under the capture directories (default: ``../shared/captures`` beside the repository) is
taken in file order, and that pool is repeated until ``--frames`` records are written; each tile
keeps the captures' own inter-frame gaps (clipped to 1 us .. 1 s).  Every ``--corrupt-every``-th
frame on average (seeded) gets one bit flipped in its MMV, OUI or MMTYPE byte, as SPI bit errors
do; positions come from :func:`plcstack.codec.decode_header`.  ``--with-other`` keeps the
non-HomePlug packets (IPv6, TCP, V2G) of the captures too.  Same arguments, same file, byte for
byte.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from plcstack.codec import DecodeError, decode_header
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0, ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_QINQ, ETHERTYPE_VLAN
from plcstack.pcapio import LINKTYPE_ETHERNET, PcapWriter, open_capture

DEFAULT_CAPTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "captures"
T0 = 1_700_000_000.0
_TAGS = (ETHERTYPE_VLAN, ETHERTYPE_QINQ)
_HOMEPLUG = (ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_HOMEPLUG_1_0)


def capture_files(dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        out += sorted(p for p in Path(d).rglob("*") if p.suffix in (".pcap", ".pcapng"))
    return out


def _ethertype(frame: bytes) -> int | None:
    p = 12
    while len(frame) >= p + 2:
        et = frame[p] << 8 | frame[p + 1]
        if et not in _TAGS:
            return et
        p += 4
    return None


def frame_pool(files: Sequence[Path], with_other: bool = False) -> list[tuple[float, bytes]]:
    """(gap to the previous frame in seconds, frame bytes) of every selected frame, in file order."""
    pool: list[tuple[float, bytes]] = []
    for path in files:
        last: float | None = None
        with open_capture(path, strict=False) as reader:
            for _i, ts, buf, off, length, linktype in reader:
                if linktype != LINKTYPE_ETHERNET:
                    continue
                frame = bytes(buf[off:off + length])
                if not with_other and _ethertype(frame) not in _HOMEPLUG:
                    continue
                gap = 1e-3 if last is None else min(max(ts - last, 1e-6), 1.0)
                last = ts
                pool.append((gap, frame))
    return pool


def corrupt(frame: bytes, rng: random.Random) -> bytes:
    """Flip one bit of the MMV, MMTYPE or OUI byte (HomePlug AV frames with a valid header only)."""
    try:
        h = decode_header(frame)
    except DecodeError:
        return frame
    mmv_at = h.body_offset - (3 if h.oui is not None else 0) - (5 if h.fmi is not None else 3)
    targets = [mmv_at, mmv_at + 1, mmv_at + 2]
    if h.oui is not None:
        targets += [h.body_offset - 3, h.body_offset - 2, h.body_offset - 1]
    pos = rng.choice(targets)
    out = bytearray(frame)
    out[pos] ^= 1 << rng.randrange(8)
    return bytes(out)


def tiled(pool: Sequence[tuple[float, bytes]], frames: int, corrupt_every: int, seed: int
          ) -> Iterator[tuple[float, bytes]]:
    if not pool:
        raise ValueError("no HomePlug frames in the given captures")
    rng = random.Random(seed)
    # integer microseconds so the timestamps of a 10M-frame file stay exact in the pcap
    t_us = int(T0 * 1e6)
    for i in range(frames):
        gap, frame = pool[i % len(pool)]
        t_us += max(1, round(gap * 1e6))
        if corrupt_every > 0 and rng.randrange(corrupt_every) == 0 and _ethertype(frame) == ETHERTYPE_HOMEPLUG_AV:
            frame = corrupt(frame, rng)
        yield t_us / 1e6, frame


def write_bench_capture(out: str | os.PathLike[str], frames: int, captures: Iterable[str | os.PathLike[str]] = (
        DEFAULT_CAPTURES,), corrupt_every: int = 2000, seed: int = 1, with_other: bool = False) -> int:
    """Write the tiled capture; returns the number of records written."""
    pool = frame_pool(capture_files(captures), with_other)
    with PcapWriter(out, snaplen=262144) as w:
        for ts, frame in tiled(pool, frames, corrupt_every, seed):
            w.write(frame, ts)
        return w.count


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output .pcap path")
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--captures", nargs="+", default=[str(DEFAULT_CAPTURES)], metavar="DIR")
    ap.add_argument("--corrupt-every", type=int, default=2000, help="one corrupted frame per N on average "
                    "(0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--with-other", action="store_true", help="keep non-HomePlug packets too")
    args = ap.parse_args(argv)
    try:
        n = write_bench_capture(args.out, args.frames, args.captures, args.corrupt_every, args.seed,
                                args.with_other)
    except (OSError, ValueError) as exc:
        print(f"make_bench_capture: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {n} frames to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
