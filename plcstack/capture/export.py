"""Columnar export of captures: Parquet or CSV files, Arrow tables, pandas DataFrames.

``plcstack decode CAPTURE --parquet DIR`` writes ``DIR/frames.parquet`` and one
``DIR/<NAME>.parquet`` per message layout (columns: :mod:`plcstack.capture.tables`); ``--csv DIR``
writes the same tables as CSV (byte strings as hex, arrays as JSON).  The capture is read, decoded
and written chunk by chunk, so memory stays bounded whatever its size.  In Python::

    from plcstack.capture import to_tables, to_pandas
    tables = to_tables("capture.pcapng")      # {"frames": pyarrow.Table, "CM_SLAC_PARM.REQ": ..., ...}
    frames = to_pandas("capture.pcapng")["frames"]

pyarrow (and pandas for :func:`to_pandas`) come with ``pip install 'plcstack[arrow]'``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from plcstack.capture.chunks import CHUNK_BYTES, Progress, Source, add_stats, iter_decoded_chunks
from plcstack.capture.tables import EXTRA, MissingExtra, chunk_tables, frames_schema, require_pyarrow, strings

if TYPE_CHECKING:
    import pyarrow as pa

FLUSH_ROWS = 1 << 16  # small tables are buffered into row groups of at least this many rows ...
FLUSH_BYTES = 16 << 20  # ... or this many bytes
PENDING_BYTES = 48 << 20  # all buffered tables together: above this the largest are written out
COMPRESSION = "snappy"  # the codec every Parquet reader has; lz4 is faster and smaller here
COMPRESSIONS = ("snappy", "lz4", "zstd", "gzip", "none")


@dataclass
class ExportTimings:
    """Seconds spent per stage (read = file reading and record scan)."""

    read: float = 0.0
    headers: float = 0.0
    grouping: float = 0.0
    decode: float = 0.0
    tables: float = 0.0
    write: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in vars(self).items()}


@dataclass
class ExportSummary:
    out_dir: Path | None
    format: str
    frames: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    stats: Any = None  # CaptureStats of the same run
    error: Exception | None = None  # the capture was cut or corrupt here: everything before it is written
    timings: ExportTimings = field(default_factory=ExportTimings)
    elapsed_s: float = 0.0


class _Sink:
    """Writes the tables of one name to one file, in row groups of a bounded size."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema, compression: str = COMPRESSION) -> None:
        self.path, self.fmt, self.schema, self.compression = path, fmt, schema, compression
        self.pending: list[pa.Table] = []
        self.rows = self.bytes = 0
        self.writer: Any = None

    def add(self, table: pa.Table) -> None:
        self.pending.append(table)
        self.rows += table.num_rows
        self.bytes += table.nbytes
        if self.rows >= FLUSH_ROWS or self.bytes >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pa = require_pyarrow()
        table = pa.concat_tables(self.pending) if len(self.pending) > 1 else self.pending[0]
        self.pending, self.rows, self.bytes = [], 0, 0
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            if self.writer is None:
                plain = [f.name for f in self.schema if not _binary_like(f.type)]
                # dictionaries and statistics only where they pay: not on byte strings
                self.writer = pq.ParquetWriter(self.path, self.schema, compression=self.compression, use_dictionary=[
                    f.name for f in self.schema if require_pyarrow().types.is_dictionary(f.type)],
                    write_statistics=plain)
            self.writer.write_table(table)
        else:
            import pyarrow.csv as pcsv

            text = csv_ready(table)
            if self.writer is None:
                self.writer = pcsv.CSVWriter(self.path, text.schema)
            self.writer.write_table(text)

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


def _binary_like(t: Any) -> bool:
    pa = require_pyarrow()
    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
                or pa.types.is_list(t))


def _hex(arr: pa.Array) -> pa.Array:
    """Binary (fixed or variable) -> lower-case hex strings, vectorised."""
    pa = require_pyarrow()
    arr = arr.cast(pa.binary()) if pa.types.is_fixed_size_binary(arr.type) else arr
    if pa.types.is_large_binary(arr.type):
        arr = arr.cast(pa.binary())
    if arr.offset:
        arr = pa.concat_arrays([arr])
    bitmap, offsets, data = arr.buffers()
    off = np.frombuffer(offsets, dtype=np.int32)[:len(arr) + 1]
    raw = np.frombuffer(data, dtype=np.uint8)[off[0]:off[-1]] if data is not None else np.zeros(0, np.uint8)
    digits = np.empty((raw.size, 2), dtype=np.uint8)
    digits[:, 0] = np.frombuffer(b"0123456789abcdef", np.uint8)[raw >> 4]
    digits[:, 1] = np.frombuffer(b"0123456789abcdef", np.uint8)[raw & 15]
    return pa.Array.from_buffers(pa.string(), len(arr), [bitmap, pa.py_buffer(((off - off[0]) * 2).astype(np.int32)),
                                                         pa.py_buffer(digits)], arr.null_count)


def _json_ready(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def csv_ready(table: pa.Table) -> pa.Table:
    """Columns CSV can hold: byte strings as hex, arrays as JSON text, dictionaries as text."""
    pa = require_pyarrow()
    cols, fields = [], []
    for f, col in zip(table.schema, table.columns, strict=True):
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        t = f.type
        if pa.types.is_dictionary(t):
            arr = arr.cast(t.value_type)
        elif pa.types.is_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_large_binary(t):
            arr = _hex(arr)
        elif pa.types.is_list(t) or pa.types.is_struct(t):
            arr = strings([None if v is None else json.dumps(_json_ready(v)) for v in arr.to_pylist()])
        cols.append(arr)
        fields.append(pa.field(f.name, arr.type))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def _file_name(table: str, fmt: str) -> str:
    return f"{table}.{fmt}"


def export(source: Source, out_dir: str | os.PathLike[str], fmt: str = "parquet", *,
           chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None,
           compression: str = COMPRESSION) -> ExportSummary:
    """Decode a capture and write ``frames`` plus one file per message layout into ``out_dir``
    (Parquet ``compression``: one of :data:`COMPRESSIONS`)."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown export format {fmt!r}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown Parquet compression {compression!r} (one of {', '.join(COMPRESSIONS)})")
    require_pyarrow()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out, fmt)
    sinks: dict[str, _Sink] = {}
    from plcstack.pcapio import CaptureFormatError

    try:
        for tables in _chunk_tables(source, summary, chunk_bytes, progress):
            t = time.perf_counter()
            for name, table in tables.items():
                sink = sinks.get(name)
                if sink is None:
                    sink = sinks[name] = _Sink(out / _file_name(name, fmt), fmt, table.schema, compression)
                sink.add(table)
            pending = sum(s.bytes for s in sinks.values())
            for sink in sorted(sinks.values(), key=lambda s: -s.bytes):
                if pending <= PENDING_BYTES // 2:
                    break
                pending -= sink.bytes
                sink.flush()
            summary.timings.write += time.perf_counter() - t
    except CaptureFormatError as exc:  # a cut or corrupt capture: keep the tables of everything before it
        summary.error = exc
    finally:
        t = time.perf_counter()
        if "frames" not in sinks:  # an empty capture still gets its (empty) frames file
            sinks["frames"] = _Sink(out / _file_name("frames", fmt), fmt, frames_schema(), compression)
            sinks["frames"].add(frames_schema().empty_table())
            summary.rows.setdefault("frames", 0)
        for sink in sinks.values():
            sink.close()
        summary.timings.write += time.perf_counter() - t
    summary.elapsed_s = time.perf_counter() - summary.elapsed_s
    return summary


def _chunk_tables(source: Source, summary: ExportSummary, chunk_bytes: int,
                  progress: Progress | None) -> Any:
    from plcstack.capture import CaptureStats

    summary.stats = CaptureStats()
    if hasattr(summary.stats, "files"):
        summary.stats.files = 1
    summary.elapsed_s = time.perf_counter()
    timings = summary.timings
    results = iter_decoded_chunks(source, chunk_bytes=chunk_bytes, progress=progress, timings=timings)
    for result in results:
        add_stats(summary.stats, result)
        t = time.perf_counter()
        tables = chunk_tables(result)
        timings.tables += time.perf_counter() - t
        summary.frames += tables["frames"].num_rows
        for name, table in tables.items():
            summary.rows[name] = summary.rows.get(name, 0) + table.num_rows
        yield tables
    summary.stats.elapsed_s = time.perf_counter() - summary.elapsed_s


def to_tables(source: Source, *, chunk_bytes: int = CHUNK_BYTES) -> dict[str, pa.Table]:
    """The whole capture as Arrow tables: ``frames`` and one per message layout (in memory)."""
    pa = require_pyarrow()
    parts: dict[str, list[Any]] = {}
    summary = ExportSummary(None, "arrow")
    for tables in _chunk_tables(source, summary, chunk_bytes, None):
        for name, table in tables.items():
            parts.setdefault(name, []).append(table)
    if "frames" not in parts:  # an empty capture still has its (empty) frames table
        parts["frames"] = [frames_schema().empty_table()]
    return {name: pa.concat_tables(ts) for name, ts in parts.items()}


def to_pandas(source: Source, *, chunk_bytes: int = CHUNK_BYTES) -> dict[str, Any]:
    """:func:`to_tables` as pandas DataFrames."""
    try:
        import pandas  # noqa: F401 - only to fail early with a clear message
    except ImportError as exc:
        raise MissingExtra(f"to_pandas needs pandas: pip install 'plcstack[{EXTRA}]'") from exc
    return {name: table.to_pandas() for name, table in to_tables(source, chunk_bytes=chunk_bytes).items()}


# ----------------------------------------------------------------------------- command line


def _progress_bar(size: int | None, enabled: bool) -> tuple[Any, Progress | None]:
    if not enabled or not size or not sys.stderr.isatty():
        return None, None
    try:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
    except ImportError:
        return None, None
    bar = Progress(TextColumn("decoding"), BarColumn(), TransferSpeedColumn(), TimeRemainingColumn(), transient=True)
    task = bar.add_task("decode", total=size)
    bar.start()
    return bar, lambda done, total: bar.update(task, completed=done)


def _print_stats(stats: dict[str, Any]) -> None:
    """The ``--stats`` text of the per-frame path (its printer, whichever signature it has)."""
    import inspect

    from plcstack.cli import decode

    printer: Any = decode._print_stats

    if "out" in inspect.signature(printer).parameters:
        printer(stats, verify=False, out=sys.stdout)
    else:
        printer(stats, verify=False)


def _source_and_size(capture: str) -> tuple[Source, int | None]:
    if capture == "-":
        return sys.stdin.buffer, None
    return capture, os.path.getsize(capture)


def run_cli(args: Any) -> int:
    """``plcstack decode`` with ``--parquet DIR``, ``--csv DIR`` or ``--stats`` (batch path)."""
    from plcstack.pcapio import CaptureFormatError

    bar = None
    exporting = bool(getattr(args, "parquet", None) or getattr(args, "csv", None))
    if exporting and (args.type or args.verify or (args.parquet and args.csv)):
        print("plcstack decode: --parquet/--csv write every frame of one capture: use one of them, without "
              "--type or --verify", file=sys.stderr)
        return 2
    try:
        source, size = _source_and_size(args.capture)
        bar, progress = _progress_bar(size, not getattr(args, "no_progress", False))
        fmt, out_dir = ("parquet", args.parquet) if getattr(args, "parquet", None) else ("csv", getattr(args, "csv", None))
        cut: Exception | None = None
        if out_dir:
            summary = export(source, out_dir, fmt, progress=progress,
                             compression=getattr(args, "compression", None) or COMPRESSION)
            stats, cut = summary.stats, summary.error
            done = (f"# wrote {summary.frames} HomePlug frames and {len(summary.rows) - 1} message tables to "
                    f"{out_dir}/ ({fmt})")
        else:
            stats, cut = _stats_until_error(source, progress)
            done = ""
    except MissingExtra as exc:
        print(f"plcstack decode: {exc}", file=sys.stderr)
        return 2
    except (CaptureFormatError, OSError, ValueError) as exc:
        print(f"plcstack decode: {args.capture}: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.stop()
    if args.stats:
        if args.json:
            print(json.dumps({"summary": stats.as_dict()}))
        else:
            _print_stats(stats.as_dict())
    if done:
        print(done, file=sys.stderr)
    if cut is not None:  # everything before the cut was decoded and summarised
        print(f"plcstack decode: {args.capture}: {cut}", file=sys.stderr)
        return 2
    return 0


def _stats_until_error(source: Source, progress: Progress | None) -> tuple[Any, Exception | None]:
    """:func:`~plcstack.capture.chunks.batch_stats`, keeping the counts made before a cut or corrupt record;
    returns (stats, the format error or None)."""
    from plcstack.capture import CaptureStats
    from plcstack.pcapio import CaptureFormatError

    stats = CaptureStats(files=1)
    start = time.perf_counter()
    cut: Exception | None = None
    try:
        for result in iter_decoded_chunks(source, progress=progress):
            add_stats(stats, result)
    except CaptureFormatError as exc:
        cut = exc
    stats.elapsed_s = time.perf_counter() - start
    return stats, cut
