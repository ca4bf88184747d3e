#!/usr/bin/env python3
"""Decode one capture with every decoder in one run, on one core; print frames/s, ratios and targets.

    python tools/compare_decoders.py [CAPTURE] [--frames 1000000] [--cpu 0] [--scapy-frames 20000]
                                     [--encode-frames 200000] [--json OUT.json]

Without CAPTURE the benchmark capture is tiled from the real captures (``tools/make_bench_capture.py``,
``--frames`` records, corrupted frames included) or, without ``../shared``, generated from the
synthetic mix.  Every figure is measured in this run on the same file, the process (and the tools
it starts) pinned to one CPU; the fast rows are the best of ``--repeat`` runs, the slow
third-party tools run once:

* pcap record iteration (``plcstack.pcapio``, nothing decoded): the speed of the file;
* plcstack per-frame API (``decode_frame`` on every record, errors caught), the batch path
  (column-wise, every field), ``plcstack decode --stats`` and ``--parquet`` (in-process, so no
  interpreter start-up), header-only (``read_headers``), encode of decoded frames (``encode_frame``
  on the first ``--encode-frames`` frames, decoded beforehand);
* scapy's contrib HomePlug layers (first ``--scapy-frames`` records: it is slow), dpkt for pcap and
  Ethernet with the HomePlug header and the fields of the most frequent message types decoded by
  hand (``struct``), ``tshark -V`` and ``tshark -T fields`` (output discarded).

It prints where the batch path's time goes (file reading and record scan, header shapes,
grouping, column decoding, Arrow tables, Parquet writing) and each target with its ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
SHARED_CAPTURES = TOOLS.parent.parent / "shared" / "captures"
TSHARK_FIELDS = ["frame.number", "frame.time_epoch", "eth.src", "eth.dst", "vlan.id", "homeplug_av.mmhdr.mmver",
                 "homeplug_av.mmhdr.mmtype", "homeplug_av.mmhdr.fmi", "homeplug_av.vendor.oui",
                 "homeplug_av.gp.cm_slac_parm.runid", "homeplug_av.gp.cm_atten_char.aag", "homeplug_av.nw_info.nid"]
# (what, ratio to, minimum): the targets of the batch path
TARGETS = [("plcstack decode --stats", "tshark -V", 25.0), ("plcstack decode --stats", "pcap iteration", 0.5),
           ("plcstack decode --parquet", "tshark -V", 25.0), ("plcstack decode --parquet", "pcap iteration", 0.5),
           ("plcstack header-only", "pcap iteration", 0.7), ("plcstack encode of decoded frames", "pcap iteration", 0.25)]


class Row:
    def __init__(self, name: str, frames: int, seconds: float, note: str = "") -> None:
        self.name, self.frames, self.seconds, self.note = name, frames, seconds, note

    @property
    def rate(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else float("inf")


REPEAT = 1  # best of this many runs for the plcstack rows and pcap iteration (--repeat)


def timed(name: str, fn: Callable[[], Any], frames: Callable[[Any], int], note: str = "",
          repeat: int | None = None) -> tuple[Row, Any]:
    """Run ``fn`` (the best of ``repeat`` runs: on a shared machine the others only add noise)."""
    best, out = float("inf"), None
    for _ in range(repeat or REPEAT):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return Row(name, frames(out), best, note), out


# ----------------------------------------------------------------------------- the decoders


def pcap_iteration(path: Path) -> int:
    from plcstack.pcapio import open_capture

    with open_capture(path) as reader:
        return sum(1 for _ in reader)


def per_frame_api(path: Path) -> tuple[int, int]:
    from plcstack.codec import DecodeError, decode_frame
    from plcstack.pcapio import open_capture

    ok = bad = 0
    with open_capture(path) as reader:
        for _i, _t, buf, off, n, _lt in reader:
            try:
                decode_frame(buf, off, off + n)
                ok += 1
            except DecodeError:  # corrupted MMV/OUI/MMTYPE, non-HomePlug frames: counted, not fatal
                bad += 1
    return ok, bad


def cli(argv: list[str]) -> str:
    from plcstack.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    if code != 0:
        raise RuntimeError(f"plcstack {' '.join(argv)} exited {code}")
    return out.getvalue()


def decoded_frames(path: Path, limit: int) -> tuple[list[Any], list[bytes]]:
    from plcstack.codec import DecodeError, decode_frame
    from plcstack.pcapio import open_capture

    frames, wires = [], []
    with open_capture(path) as reader:
        for _i, _t, buf, off, n, _lt in reader:
            if len(frames) >= limit:
                break
            try:
                frames.append(decode_frame(buf, off, off + n))
            except DecodeError:
                continue
            wires.append(bytes(buf[off:off + n]))
    return frames, wires


def encode_row(path: Path, limit: int) -> Row:
    from plcstack.codec import encode_frame

    frames, wires = decoded_frames(path, limit)
    row, encoded = timed("plcstack encode of decoded frames", lambda: [encode_frame(f) for f in frames], len)
    row.note = "identical bytes" if encoded == wires else "BYTES DIFFER"
    return row


def scapy_decode(path: Path, limit: int) -> int:
    from scapy.contrib import homeplugav, homepluggp  # noqa: F401 - registers the layers
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapReader

    count = 0
    with PcapReader(str(path)) as reader:
        for pkt in reader:
            Ether(bytes(pkt))  # full dissection through the contrib layers
            count += 1
            if count >= limit:
                break
    return count


# Hand-written field decoders for the most frequent types (struct formats after the MME header and
# OUI), as a script author would write them from the specification and open-plc-utils structs.
_HAND: dict[int, tuple[str, tuple[str, ...]]] = {
    0x6064: ("<BB8s", ("application_type", "security_type", "run_id")),
    0x6065: ("<6sBBB6sBB8s", ("msound_target", "num_sounds", "time_out", "resp_type", "forwarding_sta",
                              "application_type", "security_type", "run_id")),
    0x606A: ("<BBBBB6s8s", ("application_type", "security_type", "num_sounds", "time_out", "resp_type",
                            "forwarding_sta", "run_id")),
    0x6076: ("<BB17sB8s8s16s", ("application_type", "security_type", "sender_id", "cnt", "run_id", "rsvd", "rnd")),
    0x6086: ("<6sBB", ("pev_mac", "num_groups", "rsvd")),
    0x606E: ("<BB6s8s17s17sBB", ("application_type", "security_type", "source_address", "run_id", "source_id",
                                 "resp_id", "num_sounds", "num_groups")),
    0x6008: ("<B4s4sBHBB7sB", ("key_type", "my_nonce", "your_nonce", "pid", "prn", "pmn", "cco_capability", "nid",
                               "new_eks")),
    0x6009: ("<B4s4sBHBB", ("result", "my_nonce", "your_nonce", "pid", "prn", "pmn", "cco_capability")),
    0x600C: ("<BB7s4sBHB", ("request_type", "requested_key_type", "nid", "my_nonce", "pid", "prn", "pmn")),
    0x600D: ("<BB4s4s7sBBHB", ("result", "requested_key_type", "my_nonce", "your_nonce", "nid", "eks", "pid", "prn",
                               "pmn")),
    0xA000: ("<I", ("cookie",)),
    0xA001: ("<BBB254sIII", ("mstatus", "device_class", "version_length", "version", "ident", "stepping", "cookie")),
    0xA068: ("<IB", ("cookie", "report_type")),
    0xA069: ("<HIBH", ("mstatus", "cookie", "report_type", "length")),
    0xA0B0: ("<IBHHI", ("reserved", "num_op_data", "mod_op", "mod_op_data_len", "mod_op_rsvd")),
    0xA070: ("<B3s6sBB", ("sub_version", "rsvd", "mac", "tmslot", "coupling")),
    0xA071: ("<BBHH6sBBBBH4s", ("sub_version", "rsvd", "length", "rsvd2", "mac", "tmslot", "coupling", "num_tms",
                                "rsvd3", "num_active_carriers", "rsvd4")),
}


def dpkt_by_hand(path: Path) -> tuple[int, int]:
    """dpkt for pcap and Ethernet (VLAN tags included); the HomePlug header and fields by hand."""
    import dpkt

    structs = {t: (struct.Struct(fmt), names) for t, (fmt, names) in _HAND.items()}
    frames = full = 0
    with open(path, "rb") as fh:
        for _ts, buf in dpkt.pcap.Reader(fh):
            frames += 1
            try:
                eth = dpkt.ethernet.Ethernet(buf)
            except (dpkt.UnpackError, dpkt.NeedData):
                continue
            if eth.type != 0x88E1:
                continue
            data = eth.data if isinstance(eth.data, bytes) else bytes(eth.data)
            if len(data) < 3:
                continue
            mmv, mmtype = data[0], data[1] | data[2] << 8
            p = 3
            if mmv in (1, 2):
                p = 5
            elif mmv != 0:
                continue  # bad MMV
            if 0xA000 <= mmtype < 0xC000:
                p += 3  # OUI
            hand = structs.get(mmtype)
            if hand is not None and len(data) >= p + hand[0].size:
                dict(zip(hand[1], hand[0].unpack_from(data, p), strict=True))
                full += 1
    return frames, full


def tshark(path: Path, args: list[str]) -> int:
    subprocess.run(["tshark", "-n", "-r", str(path), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return pcap_iteration(path)


# ----------------------------------------------------------------------------- report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def load() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def main() -> int:  # noqa: C901 - one run of every decoder, in order
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture", nargs="?")
    ap.add_argument("--frames", type=int, default=1_000_000, help="records of the generated capture")
    ap.add_argument("--cpu", type=int, default=0, help="pin to this CPU (-1: do not pin)")
    ap.add_argument("--scapy-frames", type=int, default=20_000)
    ap.add_argument("--encode-frames", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for pcap iteration and plcstack")
    ap.add_argument("--skip", default="", help="comma-separated decoders to skip: scapy,dpkt,tshark")
    ap.add_argument("--json", metavar="OUT", help="also write the rows as JSON")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    global REPEAT
    REPEAT = max(1, args.repeat)
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})  # the tools started below inherit it

    tmp = tempfile.TemporaryDirectory()
    if args.capture:
        path = Path(args.capture)
        origin = "given"
    else:
        path = Path(tmp.name) / "bench.pcap"
        sys.path.insert(0, str(TOOLS))
        import make_bench_capture

        if make_bench_capture.capture_files([SHARED_CAPTURES]):
            make_bench_capture.write_bench_capture(path, args.frames, [SHARED_CAPTURES])
            origin = f"tiled from {SHARED_CAPTURES} (make_bench_capture.py)"
        else:
            from plcstack.pcapio import write_pcap
            from plcstack.samples import realistic_mix

            write_pcap(path, realistic_mix(args.frames, seed=1))
            origin = "synthetic mix (no real captures found)"
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"# capture: {path.name} ({origin}), {path.stat().st_size:,} bytes; pinned to CPU {args.cpu}; "
          f"load before: {load()}")

    from plcstack.capture.chunks import batch_stats, read_headers

    rows: list[Row] = []
    total = pcap_iteration(path)  # warm the page cache
    rows.append(timed("pcap iteration", lambda: pcap_iteration(path), int)[0])
    row, (ok, bad) = timed("plcstack per-frame API", lambda: per_frame_api(path), lambda r: r[0] + r[1])
    row.note = f"{bad} frames rejected with DecodeError"
    rows.append(row)

    class Timings:
        def __init__(self) -> None:
            self.read = self.headers = self.grouping = self.decode = 0.0

    runs: list[tuple[float, Timings]] = []

    def batch_run() -> Any:
        clock, t = Timings(), time.perf_counter()
        out = batch_stats(path, timings=clock)
        runs.append((time.perf_counter() - t, clock))
        return out

    row, stats = timed("plcstack batch (every field)", batch_run, lambda s: s.packets)
    clock = min(runs, key=lambda r: r[0])[1]  # the stage times of the best run
    row.note = f"{stats.errors} decode errors, {stats.truncated} truncated"
    rows.append(row)
    rows.append(timed("plcstack decode --stats", lambda: cli(["decode", str(path), "--stats", "--no-progress"]),
                      lambda _: total)[0])
    out_dir = Path(tmp.name) / "parquet"
    have_arrow = True
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        have_arrow = False
        print("# pyarrow missing (pip install 'plcstack[arrow]'): --parquet skipped", file=sys.stderr)
    export_summary = None
    if have_arrow:
        from plcstack.capture.export import export

        def parquet() -> str:
            shutil.rmtree(out_dir, ignore_errors=True)
            return cli(["decode", str(path), "--parquet", str(out_dir), "--no-progress"])

        rows.append(timed("plcstack decode --parquet", parquet, lambda _: total)[0])
        shutil.rmtree(out_dir, ignore_errors=True)
        export_summary = export(path, out_dir)  # once more, for the time per stage
    rows.append(timed("plcstack header-only", lambda: read_headers(path), lambda t: len(t) + t.other_frames)[0])
    rows.append(encode_row(path, args.encode_frames))
    if "scapy" not in skip:
        try:
            rows.append(timed("scapy contrib homeplugav/gp", lambda: scapy_decode(path, args.scapy_frames), int,
                              f"first {args.scapy_frames} records", repeat=1)[0])
        except ImportError as exc:
            print(f"# scapy unavailable: {exc}", file=sys.stderr)
    if "dpkt" not in skip:
        try:
            row, (n, full) = timed("dpkt + fields by hand", lambda: dpkt_by_hand(path), lambda r: r[0], repeat=1)
            row.note = f"{full / max(n, 1):.0%} of frames with every field of their type"
            rows.append(row)
        except ImportError:
            print("# dpkt missing (pip install dpkt, in the test extra): skipped", file=sys.stderr)
    if "tshark" not in skip and shutil.which("tshark"):
        rows.append(timed("tshark -V", lambda: tshark(path, ["-V"]), int, repeat=1)[0])
        fields = [a for f in TSHARK_FIELDS for a in ("-e", f)]
        rows.append(timed("tshark -T fields", lambda: tshark(path, ["-T", "fields", *fields]), int,
                          f"{len(TSHARK_FIELDS)} fields", repeat=1)[0])

    by_name = {r.name: r for r in rows}
    base = by_name["pcap iteration"].rate
    ref = by_name.get("tshark -V")
    print(f"\n{'decoder':38} {'frames':>9} {'seconds':>8} {'frames/s':>11} {'x iteration':>11} {'x tshark -V':>11}")
    for r in rows:
        vs_t = f"{r.rate / ref.rate:10.1f}x" if ref else "          -"
        print(f"{r.name:38} {r.frames:9d} {r.seconds:8.3f} {r.rate:11,.0f} {r.rate / base:10.2f}x {vs_t}"
              + (f"  {r.note}" if r.note else ""))
    print(f"\nbatch path, seconds per stage: file reading + record scan {clock.read:.3f}, header shapes "
          f"{clock.headers:.3f}, grouping {clock.grouping:.3f}, column decoding {clock.decode:.3f}, "
          f"rest (statistics) {by_name['plcstack batch (every field)'].seconds - clock.read - clock.headers - clock.grouping - clock.decode:.3f}")
    if export_summary is not None:
        t = export_summary.timings
        print(f"--parquet, seconds per stage: file reading + record scan {t.read:.3f}, header shapes {t.headers:.3f}, "
              f"grouping {t.grouping:.3f}, column decoding {t.decode:.3f}, Arrow tables {t.tables:.3f}, "
              f"Parquet writing {t.write:.3f} ({len(export_summary.rows)} files)")
    print("\ntargets (same run, one core):")
    for what, against, minimum in TARGETS:
        if what in by_name and against in by_name:
            ratio = by_name[what].rate / by_name[against].rate
            verdict = "met" if ratio >= minimum else "NOT met"
            print(f"  {what:34} >= {minimum:5.2f}x {against:15} {ratio:8.2f}x  {verdict}")
    print(f"# load after: {load()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"capture": str(path), "machine": machine(), "rows": [
            {"name": r.name, "frames": r.frames, "seconds": r.seconds, "rate": r.rate, "note": r.note} for r in rows]},
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
