"""``plcstack decode``: decode, filter, summarise and verify pcap/pcapng captures."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

EPILOG = """\
examples:
  plcstack decode capture.pcapng                      one line per HomePlug frame (like tshark)
  plcstack decode capture.pcapng --json | jq .name    one JSON object per frame (JSON Lines)
  plcstack decode capture.pcapng --type CM_SLAC_MATCH --json
  plcstack decode capture.pcapng --type 0xA038,VS_SW_VER.CNF
  plcstack decode big.pcap --stats                    decode every field, print counts per type
  plcstack decode capture.pcap --verify               re-encode every frame and report byte mismatches

JSON object per frame: frame (1-based number in the file, counting all packets), time, src, dst,
mmv, mmtype (int), name (e.g. CM_SLAC_PARM.REQ), oui (hex or null), fmi (or null), fields (bytes
as hex, MACs as aa:bb:cc:dd:ee:ff), error (null or text); plus trailing (bytes after the layout),
truncated (what is missing), fragment / reassembled for fragmented MMEs when present.
Non-HomePlug frames are skipped and counted. Malformed frames are reported with their number and
decoding goes on. Exit status: 0, or 1 when --verify found a mismatch.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "decode", help="decode a pcap/pcapng capture of HomePlug traffic",
        description="Decode every HomePlug AV management frame of a pcap or pcapng capture (streaming, "
                    "constant memory).", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("capture", help="pcap or pcapng file ('-' for standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object per HomePlug frame (JSON Lines)")
    p.add_argument("--type", metavar="NAME|0xHEX", help="only these types (comma-separated; a name without "
                   ".REQ/.CNF matches every variant)")
    p.add_argument("--stats", action="store_true", help="decode every field but print only a summary")
    p.add_argument("--verify", action="store_true", help="re-encode every decoded frame and report mismatches")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.add_argument("--parquet", metavar="DIR", help="write DIR/frames.parquet (one row per HomePlug frame) and one "
                   "DIR/<MESSAGE>.parquet per message type (every field; needs pip install 'plcstack[arrow]')")
    p.add_argument("--csv", metavar="DIR", help="the same tables as CSV files in DIR (bytes as hex, arrays as JSON)")
    p.set_defaults(func=run)


def _progress(decoder: Any, enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    progress = Progress(TextColumn("decoding"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                        transient=True)
    return progress


def run(args: argparse.Namespace) -> int:
    if args.parquet or args.csv or (args.stats and not args.verify and not args.type):
        from plcstack.capture.export import run_cli  # column-wise batch path, chunk by chunk

        return run_cli(args)
    from plcstack.capture import CaptureDecoder, frame_to_json, summary_line
    from plcstack.pcapio import CaptureFormatError

    source: Any = sys.stdin.buffer if args.capture == "-" else args.capture
    decoder = CaptureDecoder(source, types=args.type, verify=args.verify)
    size = os.path.getsize(args.capture) if args.capture != "-" else 0
    show_bar = (not args.no_progress and sys.stderr.isatty() and size > 4 << 20)
    out = sys.stdout
    write = out.write
    t0: float | None = None
    progress = _progress(decoder, show_bar)
    task = None
    try:
        if progress is not None:
            progress.start()
            task = progress.add_task("decode", total=size)
        for n, rec in enumerate(decoder):
            if progress is not None and n % 4096 == 0 and decoder.reader is not None:
                progress.update(task, completed=decoder.reader.bytes_read)
            if args.stats:
                continue
            if args.json:
                write(json.dumps(frame_to_json(rec)) + "\n")
            else:
                if t0 is None:
                    t0 = rec.time
                write(summary_line(rec, t0) + "\n")
    except CaptureFormatError as exc:
        print(f"plcstack decode: {args.capture}: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"plcstack decode: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.stop()
    stats = decoder.stats.as_dict()
    if args.verify:
        stats["mismatch_frames"] = decoder.mismatch_details[:100]
    if args.stats or args.verify:
        if args.json:
            write(json.dumps({"summary": stats}) + "\n")
        else:
            _print_stats(stats, verify=args.verify)
    elif not args.json:
        print(f"# {stats['homeplug_frames']} HomePlug frames, {stats['non_homeplug_skipped']} other frames "
              f"skipped, {stats['decode_errors']} decode errors", file=sys.stderr)
    return 1 if args.verify and decoder.stats.mismatches else 0


def _print_stats(stats: dict[str, Any], verify: bool) -> None:
    print(f"packets: {stats['packets']}  HomePlug frames: {stats['homeplug_frames']}  "
          f"other (skipped): {stats['non_homeplug_skipped']}")
    print(f"decode errors: {stats['decode_errors']}  truncated: {stats['truncated']}  "
          f"fragments: {stats['fragments']}  reassembled: {stats['reassembled']}")
    if verify:
        print(f"verify: {stats['verify_mismatches']} re-encode mismatches")
    rate = stats["frames_per_s"]
    print(f"elapsed: {stats['elapsed_s']:.3f} s" + (f"  ({rate:,} frames/s)" if rate else ""))
    width = max((len(k) for k in stats["by_type"]), default=10)
    for name, count in sorted(stats["by_type"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {name:{width}}  {count:8d}")
