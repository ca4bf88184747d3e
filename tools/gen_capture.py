#!/usr/bin/env python3
"""Write a pcap of a realistic HomePlug traffic mix (default: 200,000 frames) for benchmarks."""

from __future__ import annotations

import argparse

from plcstack.pcapio import write_pcap
from plcstack.samples import realistic_mix


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", help="output .pcap path")
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = write_pcap(args.out, realistic_mix(args.frames, args.seed))
    print(f"wrote {n} frames to {args.out}")


if __name__ == "__main__":
    main()
