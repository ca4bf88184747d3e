"""``plcstack decode``: decode, filter, summarise and verify captures of HomePlug traffic."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from types import FrameType
from typing import Any, TextIO

EPILOG = """\
inputs:
  plcstack decode capture.pcapng                      one line per HomePlug frame (like tshark)
  plcstack decode a.pcap b.pcapng.gz                  several files, gzip recognised by its magic
  tcpdump -i eth0 -U -w - ether proto 0x88e1 | plcstack decode - -l
                                                      a pipe: each frame as soon as it is complete
  plcstack decode -i eth0                             live capture (root); Ctrl-C prints the summary
  plcstack decode -i eth0 -w slac.pcap                ... and save every HomePlug frame captured
  plcstack decode big.pcapng --type SLAC -w slac.pcap extract the frames shown into a new capture
  Ethernet, 802.1Q/QinQ, Linux cooked (SLL, SLL2, `tcpdump -i any`) and FCS-carrying captures work.

views:
  plcstack decode capture.pcapng -t ad                time as tshark -t: r (relative to the first
                                                      packet), a, ad, d (delta), dd, e, u, ud
  plcstack decode capture.pcapng --json | jq .name    one JSON object per frame (JSON Lines)
  plcstack decode big.pcap --stats                    decode every field, print counts per type
  plcstack decode capture.pcap --verify               re-encode every frame, report byte mismatches

filters:
  plcstack decode capture.pcapng --type SLAC          categories SLAC CC CP NN CM MS VS QCA ST HP10
  plcstack decode capture.pcapng --type CM_SLAC_PARM,GET_SW.CNF,0xA038
  plcstack decode capture.pcapng --src 00:b0:52:00:00:01
  plcstack decode capture.pcapng --filter 'nid == 0x026bcba5354e08 and result != 0'
  plcstack decode capture.pcapng -Y 'stations.mac == 02:00:00:00:00:01 or error'

--type takes our names (CM_SLAC_PARM.REQ or CM_SLAC_PARM_REQ; a base name selects every variant),
Wireshark's (GET_SW.CNF, NW_INFO) and open-plc-utils' (CM_SLAC_PARAM) spellings, categories, and
MMTYPE numbers (0x6065 exactly; a base such as 0x6064 selects every variant). --filter is a small
display-filter language: == != < > <= >= contains, and/or/not, parentheses; fields by name
(nid, result, stations.mac, src, dst, mmtype, name, vlan, len, error ...); hex, decimal, MAC,
"string" literals. Frames that filters hide are counted as filtered.

JSON object per frame (docs/capture.md): frame (number in the file, counting every packet), time
(exact epoch seconds as a string), time_ns (integer), time_relative, kind (message, fragment,
error, hp10), len, src, dst (null when the capture does not record it), vlan (null or a list of
{id, pcp, dei}), mmv, mmtype, name, oui, fmi, fields, error (null or text, with error_field and
error_offset); plus trailing, truncated, cut, fcs, fragment, reassembled when they apply.
With --json, the summary of --stats goes to standard output alone; with --verify and frames
it goes to standard error, never into the frame stream (or to --summary FILE).

Exit status: 0; 1 when --verify found a mismatch; 2 for an unusable input (missing, not a
capture, cut short: everything before the cut is decoded and summarised first) or a bad option.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "decode", help="decode pcap/pcapng captures (or a live interface) of HomePlug traffic",
        description="Decode every HomePlug AV / 1.0 management frame of pcap or pcapng captures, standard "
                    "input or a live interface (streaming, constant memory).", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("capture", nargs="*", help="pcap or pcapng files, plain or gzip ('-' for standard input)")
    p.add_argument("-r", "--read", action="append", default=[], metavar="FILE", help="a capture to read "
                   "(as tshark -r; may be repeated)")
    p.add_argument("-i", "--interface", metavar="IFACE", help="capture live on IFACE (AF_PACKET, needs root)")
    p.add_argument("-w", "--write", metavar="FILE", help="also save to a pcap file (nanosecond times): with -i "
                   "every HomePlug frame captured, as tshark -w; with files the frames shown (as Ethernet)")
    p.add_argument("--json", action="store_true", help="one JSON object per HomePlug frame (JSON Lines)")
    p.add_argument("--type", metavar="TYPES", help="only these types (comma-separated names, categories, "
                   "MMTYPE numbers)")
    p.add_argument("--src", metavar="MAC", help="only frames from this MAC")
    p.add_argument("--dst", metavar="MAC", help="only frames to this MAC")
    p.add_argument("-Y", "--filter", metavar="EXPR", help="display filter on fields, e.g. 'result != 0'")
    p.add_argument("-V", dest="tree", action="store_true", help="every field: names, value names, units, "
                   "byte offsets (with --json: a \"tree\" of field views per frame)")
    p.add_argument("-x", dest="hex", action="store_true", help="hex dump with the field each byte belongs to")
    p.add_argument("-t", dest="time_format", default="r", choices=("r", "a", "ad", "d", "dd", "e", "u", "ud"),
                   help="time column: relative to the first packet (default), absolute, delta ... (as tshark)")
    p.add_argument("-c", "--count", type=int, metavar="N", help="stop after N shown frames")
    p.add_argument("-l", "--line-buffered", action="store_true", help="flush the output after every frame")
    p.add_argument("--stats", action="store_true", help="decode every field but print only a summary")
    p.add_argument("--verify", action="store_true", help="re-encode every decoded frame and report mismatches")
    p.add_argument("--summary", metavar="FILE", help="also write the summary as JSON to FILE")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    p.add_argument("--parquet", metavar="DIR", help="write DIR/frames.parquet (one row per HomePlug frame) and one "
                   "DIR/<MESSAGE>.parquet per message type (every field; needs pip install 'plcstack[arrow]')")
    p.add_argument("--csv", metavar="DIR", help="the same tables as CSV files in DIR (bytes as hex, arrays as JSON)")
    from plcstack.capture.export import COMPRESSIONS

    p.add_argument("--compression", choices=COMPRESSIONS, default=None,
                   help="Parquet compression (default snappy, which every reader has; lz4 writes faster and "
                   "smaller files, zstd the smallest)")
    p.set_defaults(func=run)


def _batch_path(args: argparse.Namespace, files: list[str]) -> bool:
    """--parquet/--csv, and --stats on one plain Ethernet capture without filters, run column-wise
    (plcstack.capture.export); everything else, and any file that is not plain Ethernet (cooked
    captures, FCS, other link types: the batch path does not read them), goes frame by frame.  A cut
    file takes either path: both summarise everything before the cut, then name it."""
    if args.interface or len(files) != 1 or args.write:
        return False
    if args.parquet or args.csv:
        return True
    filters = args.type or args.src or args.dst or args.filter
    return bool(args.stats and not args.verify and not filters and files[0] != "-" and _plain_ethernet(files[0]))


def _plain_ethernet(path: str) -> bool:
    from plcstack.pcapio import LINKTYPE_ETHERNET, CaptureFormatError, CaptureReader

    try:
        with CaptureReader(path) as reader:
            if reader.compression is not None:
                return False
            if reader.format == "pcap":  # one link type for the whole file: its header says it all
                return bool(reader.linktype == LINKTYPE_ETHERNET and not reader.fcs_len)
            for _i, _t, _b, _o, _n, linktype in reader:  # pcapng: every interface
                if linktype != LINKTYPE_ETHERNET:
                    return False
            return not reader.fcs_len
    except (OSError, CaptureFormatError):
        return False


def _fail(message: str) -> int:
    print(f"plcstack decode: {message}", file=sys.stderr)
    return 2


def _progress(enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    except ImportError:
        return None
    return Progress(TextColumn("decoding"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                    transient=True)


def _writer(path: str, live: bool) -> Any:
    """The pcap of ``-w`` (OSError when it cannot be created)."""
    from plcstack.pcapio import PcapWriter

    return PcapWriter(path, nano=True, flush_each=live)


def _sources(args: argparse.Namespace) -> list[Any] | int:
    files = [*args.read, *args.capture]
    if args.interface:
        if files:
            return _fail("give either capture files or -i IFACE, not both")
        from plcstack.capture.live import LiveCapture, LiveCaptureError, SavedCapture

        try:
            live = LiveCapture(args.interface)
        except LiveCaptureError as exc:
            return _fail(str(exc))
        if not args.write:
            return [live]
        try:
            return [SavedCapture(live, _writer(args.write, live=True))]
        except OSError as exc:
            live.close()
            return _fail(f"cannot write {args.write}: {exc.strerror or exc}")
    if not files:
        return _fail("no capture given (a file, '-' for standard input, or -i IFACE)")
    if files.count("-") > 1:
        return _fail("standard input ('-') can be read only once")
    if args.write and any(os.path.abspath(f) == os.path.abspath(args.write) for f in files if f != "-"):
        return _fail(f"-w {args.write} would overwrite an input")
    return files


def run(args: argparse.Namespace) -> int:
    files = [*args.read, *args.capture]
    if (args.parquet or args.csv) and (args.interface or len(files) != 1 or args.write):
        return _fail("--parquet/--csv write the tables of one capture file (not with -i or -w)")
    if getattr(args, "compression", None) and not args.parquet:
        return _fail("--compression applies to --parquet")
    if _batch_path(args, files):
        from plcstack.capture.export import run_cli  # column-wise batch path, chunk by chunk

        args.capture = files[0]
        return run_cli(args)
    from plcstack.capture import (
        INPUT_ERRORS,
        CaptureDecoder,
        DisplayFilterError,
        TypeFilterError,
        input_error_text,
        record_json,
        summary_line,
    )
    from plcstack.capture.tree import tree_json
    from plcstack.codec.mac import parse_mac

    sources = _sources(args)
    if isinstance(sources, int):
        return sources
    try:
        for mac in (args.src, args.dst):
            if mac is not None:
                parse_mac(mac)
        decoder = CaptureDecoder(sources, types=args.type, src=args.src, dst=args.dst,
                                 display_filter=args.filter, verify=args.verify)
    except (TypeFilterError, DisplayFilterError) as exc:
        return _fail(str(exc))
    except ValueError as exc:
        return _fail(f"bad MAC address: {exc}")
    live = sources[0] if args.interface else None
    restore = _stop_on_signals(live) if live is not None else None
    if live is not None:
        print(f"# capturing on {args.interface} (HomePlug AV 0x88E1 and HomePlug 1.0 0x887B); Ctrl-C stops",
              file=sys.stderr, flush=True)
    size = _single_file_size(sources)
    progress = _progress(not args.no_progress and sys.stderr.isatty() and size > 4 << 20)
    out = sys.stdout
    shown = 0
    plain = not (args.tree or args.hex)  # the one-line view: no per-frame list building
    saved = None  # -w with files: the frames shown (live captures save in their source)
    if args.write and live is None:
        try:
            saved = _writer(args.write, live=False)
        except OSError as exc:
            return _fail(f"cannot write {args.write}: {exc.strerror or exc}")
    last_file: str | None = None
    failure: str | None = None
    try:
        if progress is not None:
            progress.start()
            task = progress.add_task("decode", total=size)
        for rec in decoder:
            shown += 1
            if saved is not None:
                saved.write(rec.data, time_ns=rec.time_ns, orig_len=rec.orig_len)
            if progress is not None and shown % 4096 == 0 and decoder.reader is not None:
                progress.update(task, completed=getattr(decoder.reader, "position", 0))
            if not args.stats:
                if args.json:
                    obj = record_json(rec)
                    if args.tree:
                        obj["tree"] = tree_json(rec)
                    out.write(json.dumps(obj) + "\n")
                else:
                    if rec.file != last_file:
                        last_file = rec.file
                        out.write(f"# {rec.file}\n")
                    if plain:
                        out.write(summary_line(rec, args.time_format, decoder.time_digits) + "\n")
                    else:
                        out.write(_text_view(rec, args, decoder.time_digits))
                if args.line_buffered:
                    out.flush()
            if args.count is not None and shown >= args.count:
                break
    except BrokenPipeError:  # `plcstack decode x | head`: the reader is gone, so is the summary
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more may reach the closed pipe
        return 0
    except INPUT_ERRORS as exc:
        failure = input_error_text(exc)
    finally:
        if progress is not None:
            progress.stop()
        if live is not None:
            live.close()
        if saved is not None:
            saved.close()
        if restore is not None:
            restore()
    _report(decoder, args, out)
    if failure is not None:
        return _fail(failure)
    return 1 if args.verify and decoder.stats.mismatches else 0


def _text_view(rec: Any, args: argparse.Namespace, digits: int) -> str:
    from plcstack.capture import summary_line
    from plcstack.capture.tree import frame_tree, hex_dump

    lines = [] if args.tree else [summary_line(rec, args.time_format, digits)]
    if args.tree:
        lines += frame_tree(rec, args.time_format, digits)
    if args.hex:
        lines += hex_dump(rec)
    if args.tree or args.hex:
        lines.append("")
    return "\n".join(lines) + "\n"


def _single_file_size(sources: list[Any]) -> int:
    if len(sources) != 1 or not isinstance(sources[0], str) or sources[0] == "-":
        return 0
    try:
        return os.path.getsize(sources[0])
    except OSError:
        return 0


def _stop_on_signals(live: Any) -> Any:
    """Ctrl-C / SIGTERM end a live capture cleanly (the summary is still printed)."""
    def handler(_sig: int, _frame: FrameType | None) -> None:
        live.stop()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for s, h in old.items():
            signal.signal(s, h)

    return restore


def _report(decoder: Any, args: argparse.Namespace, out: TextIO) -> None:
    stats = decoder.stats.as_dict()
    if args.verify:
        stats["mismatch_frames"] = decoder.stats.mismatch_details[:100]
    if args.summary:
        try:
            with open(args.summary, "w") as fh:
                json.dump(stats, fh, indent=2)
        except OSError as exc:
            print(f"plcstack decode: cannot write {args.summary}: {exc.strerror}", file=sys.stderr)
    for warning in decoder.stats.warnings():
        print(f"plcstack decode: warning: {warning}", file=sys.stderr)
    for line in decoder.incomplete_lines[:20]:
        print(f"plcstack decode: {line}", file=sys.stderr)
    if len(decoder.incomplete_lines) > 20:
        print(f"plcstack decode: ... {len(decoder.incomplete_lines) - 20} more incomplete reassemblies "
              "(--stats --json lists them)", file=sys.stderr)
    if args.stats or args.verify:
        if args.json:
            # --stats prints no frames: the summary is standard output's only object. Otherwise it
            # must not enter the frame stream.
            target = out if args.stats else sys.stderr
            target.write(json.dumps({"summary": stats}) + "\n")
        else:
            _print_stats(stats, verify=args.verify, out=out if args.stats else sys.stderr)
    elif decoder.stats.files:
        print(decoder.stats.summary_line(), file=sys.stderr)
    out.flush()


def _print_stats(stats: dict[str, Any], verify: bool, out: TextIO | None = None) -> None:
    out = sys.stdout if out is None else out
    w = out.write
    w(f"packets: {stats['packets']}  HomePlug frames: {stats['homeplug_frames']}  "
      f"other (skipped): {stats['non_homeplug_skipped']}\n")
    if stats["filtered"]:
        w(f"shown: {stats['shown']}  filtered: {stats['filtered']}\n")
    w(f"decode errors: {stats['decode_errors']}  truncated: {stats['truncated']}  "
      f"cut by snaplen: {stats['cut_by_snaplen']}\n")
    w(f"fragments: {stats['fragments']}  reassembled: {stats['reassembled']}  "
      f"incomplete reassemblies: {stats['incomplete_reassemblies']}\n")
    for item in stats["incomplete"][:10]:
        w(f"  incomplete: {item}\n")
    if verify:
        w(f"verify: {stats['verify_mismatches']} re-encode mismatches\n")
        for item in stats.get("mismatch_frames", [])[:10]:
            w(f"  mismatch: frame {item['frame']} {item['name']}\n")
    rate = stats["frames_per_s"]
    w(f"elapsed: {stats['elapsed_s']:.3f} s" + (f"  ({rate:,} frames/s)" if rate else "") + "\n")
    width = max((len(k) for k in stats["by_type"]), default=10)
    for name, count in sorted(stats["by_type"].items(), key=lambda kv: (-kv[1], kv[0])):
        w(f"  {name:{width}}  {count:8d}\n")
