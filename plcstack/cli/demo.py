"""``plcstack demo``: the main jobs on bundled defaults (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO_CAPTURE = REPO / "captures" / "demo-slac-and-polling.pcap"
DEMO_SITE = REPO / "sites" / "demo.toml"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "demo", help="run the main jobs on the bundled sample capture and site",
        description="Decode and verify the bundled sample capture (a SLAC session, QCA polling and a "
                    "fragmented MME), audit the keys it discloses, and simulate the bundled demo site.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  plcstack demo --out demo-output\n")
    p.add_argument("--out", default="demo-output", help="directory for the results (default: demo-output)")
    p.set_defaults(func=run)


def _step(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def run(args: argparse.Namespace) -> int:
    from plcstack.capture import CaptureDecoder, record_json, summary_line

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _step(f"decode {DEMO_CAPTURE.name}")
    decoder = CaptureDecoder(DEMO_CAPTURE, verify=True)
    with open(out / "decode.jsonl", "w") as jf:
        for rec in decoder:
            print(summary_line(rec))
            jf.write(json.dumps(record_json(rec)) + "\n")
    stats = decoder.stats.as_dict()
    (out / "decode-summary.json").write_text(json.dumps(stats, indent=2))
    print(f"{stats['homeplug_frames']} frames, {stats['decode_errors']} errors, "
          f"{stats['verify_mismatches']} re-encode mismatches, {stats['reassembled']} reassembled")
    status = 0 if stats["verify_mismatches"] == 0 and stats["decode_errors"] == 0 else 1

    from plcstack.cli import main as cli_main

    if importlib.util.find_spec("plcstack.cli.keys") is not None:
        _step("keys audit (NIDs and clear-text keys the capture discloses)")
        status |= cli_main(["keys", "audit", str(DEMO_CAPTURE)])
    if importlib.util.find_spec("plcstack.cli.simulate") is not None and DEMO_SITE.exists():
        _step(f"simulate {DEMO_SITE.name}")
        status |= cli_main(["simulate", str(DEMO_SITE), "--out", str(out / "simulation")])
    print(f"\nresults in {out}/")
    return status
