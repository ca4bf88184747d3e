"""Captures read in chunks and decoded column-wise: the batch path behind ``decode --stats`` and the exports.

:func:`read_chunks` turns a pcap/pcapng file or stream into :class:`RecordChunk` objects: one
buffer and the frame number, time (integer nanoseconds), offset and length of every Ethernet
record in it, as NumPy arrays.  Memory is bounded by the chunk size plus the largest record,
whatever the file size.  Classic little-endian pcap files are scanned by a tight loop that
collects record offsets only (the other record fields are read column-wise afterwards); every
other input goes through :class:`plcstack.pcapio.CaptureReader`.

:func:`iter_decoded_chunks` runs :class:`plcstack.codec.batch.BatchDecoder` over the chunks and
handles what must be seen frame by frame, in frame order: fragments (reassembly) and HomePlug
1.0 frames.  :func:`batch_stats` gives the same :class:`~plcstack.capture.CaptureStats` as
iterating :class:`~plcstack.capture.CaptureDecoder`, at the speed of the file.
"""

from __future__ import annotations

import io
import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from plcstack.codec.batch import ERROR, OK, OTHER, BatchDecoder, DecodedChunk, HeaderColumns
from plcstack.codec.columnar import byte_windows
from plcstack.codec.errors import DecodeError
from plcstack.codec.fragment import PushResult, Reassembler
from plcstack.codec.frame import Frame, Header
from plcstack.codec.hp10 import HP10Frame, decode_hp10
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0
from plcstack.pcapio import LINKTYPE_ETHERNET, MAX_RECORD_SIZE, CaptureFormatError, PcapWriter, open_capture

I64 = np.int64
#: Reassembler answers that make a frame a fragment (not a message of its own), as the capture decoder has them.
FRAGMENT_RESULTS = frozenset({PushResult.FRAGMENT, PushResult.COMPLETE, PushResult.ORPHAN, PushResult.DROPPED})
CHUNK_BYTES = 16 << 20  # large enough that per-layout work is spread over ~80,000 frames
Source = str | os.PathLike[str] | BinaryIO
Progress = Callable[[int, int | None], None]  # (bytes read, total bytes or None)


@dataclass
class RecordChunk:
    """The Ethernet records of one stretch of a capture."""

    buf: bytes
    index: np.ndarray  # 1-based frame number (every record of the file counts)
    time_ns: np.ndarray
    offset: np.ndarray  # frame i is buf[offset[i]:offset[i] + length[i]]
    length: np.ndarray
    packets: int  # records in this stretch, Ethernet or not
    bytes_read: int  # of the source so far
    size: int | None  # of the source, None for pipes

    def __len__(self) -> int:
        return int(self.offset.size)


# ----------------------------------------------------------------------------- reading


def read_chunks(source: Source, *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[RecordChunk]:
    """Chunks of a capture; a file cut inside its last record yields everything before the cut,
    then raises :class:`~plcstack.pcapio.CaptureFormatError` naming the offset."""
    if isinstance(source, (str, bytes, os.PathLike)):
        with open(source, "rb") as fh:
            head = fh.read(24)
        if len(head) == 24 and head[:4] in _FAST_MAGIC and struct.unpack_from("<I", head, 20)[0] == LINKTYPE_ETHERNET:
            yield from _scan_pcap(source, _FAST_MAGIC[head[:4]], chunk_bytes)
            return
    yield from _generic_chunks(source, chunk_bytes)


def _pcap_header(nano: bool) -> bytes:
    """The 24-byte header pcapio writes: classic little-endian Ethernet pcap, micro- or nanoseconds."""
    out = io.BytesIO()
    PcapWriter(out, nano=nano).close()
    return out.getvalue()[:24]


# the files the fast scanner reads: magic (4 bytes) of each resolution; link type must be plain Ethernet
_FAST_MAGIC = {_pcap_header(False)[:4]: False, _pcap_header(True)[:4]: True}
_REC = np.dtype([("sec", "<u4"), ("frac", "<u4"), ("incl", "<u4"), ("orig", "<u4")])


def _scan_pcap(path: str | os.PathLike[str], nanosecond: bool, chunk_bytes: int) -> Iterator[RecordChunk]:
    """Classic little-endian Ethernet pcap: collect record offsets, read the headers column-wise."""
    u32 = struct.Struct("<I").unpack_from
    length_at = struct.Struct("<8xI").unpack_from  # captured length, at byte 8 of a record header
    size = os.path.getsize(path)
    scale = 1 if nanosecond else 1000
    with open(path, "rb", buffering=0) as fh:
        fh.read(24)
        base = 24  # file offset of buf[0]
        done = 24
        index = 0
        tail = b""
        while True:
            data = fh.read(chunk_bytes)
            done += len(data)
            buf = tail + data if tail else data
            end = len(buf)
            starts: list[int] = []
            app = starts.append
            pos = 0
            try:
                while True:  # hot loop: one unpack per record, no bounds test (struct stops at the end)
                    incl, = length_at(buf, pos)
                    app(pos)
                    pos += 16 + incl
            except struct.error:
                pass
            if pos > end:  # the last record continues in the next read
                pos = starts.pop()
            if starts:
                at = np.array(starts, dtype=I64)
                hdr = byte_windows(np.frombuffer(buf, dtype=np.uint8), 16)[at].view(_REC)
                incl = hdr["incl"].astype(I64)
                if incl.max() > MAX_RECORD_SIZE:
                    bad = int(np.argmax(incl > MAX_RECORD_SIZE))
                    raise CaptureFormatError(f"implausible captured length {int(incl[bad])}: corrupt file",
                                             base + int(at[bad]), index + bad + 1)
                n = at.size
                yield RecordChunk(buf, np.arange(index + 1, index + n + 1, dtype=I64),
                                  hdr["sec"].astype(I64) * 1_000_000_000 + hdr["frac"].astype(I64) * scale,
                                  at + 16, incl, n, done, size)
                index += n
            tail = buf[pos:]
            base += pos
            if not data:
                if tail:
                    need = (16 + u32(tail, 8)[0]) if len(tail) >= 16 else None
                    what = f"{need}-byte record" if need is not None else "record header"
                    raise CaptureFormatError(f"truncated capture: {what} but only {len(tail)} bytes left in "
                                             "the file", base, index + 1)
                return
            if len(tail) >= 16:
                need = 16 + u32(tail, 8)[0]
                if need > MAX_RECORD_SIZE:
                    raise CaptureFormatError(f"implausible captured length {need - 16}: corrupt file", base,
                                             index + 1)
                if need > chunk_bytes:  # a record larger than a chunk: read the rest of it at once
                    more = fh.read(need - len(tail))
                    done += len(more)
                    tail += more


def _generic_chunks(source: Source, chunk_bytes: int) -> Iterator[RecordChunk]:
    """Any format pcapio reads: records gathered per reader buffer."""
    with open_capture(source, chunk_size=chunk_bytes) as reader:
        cur: bytes | None = None
        index: list[int] = []
        ts: list[int] = []
        offs: list[int] = []
        lens: list[int] = []
        packets = 0

        def flush() -> RecordChunk:
            return RecordChunk(cur or b"", np.array(index, dtype=I64), np.array(ts, dtype=I64),
                               np.array(offs, dtype=I64), np.array(lens, dtype=I64), packets, reader.bytes_read,
                               reader.size)

        for i, t, buf, off, length, linktype in _records(reader):
            if buf is not cur:
                if cur is not None:
                    yield flush()
                cur, index, ts, offs, lens, packets = buf, [], [], [], [], 0
            packets += 1
            if linktype != LINKTYPE_ETHERNET:
                continue
            index.append(i)
            ts.append(t)
            offs.append(off)
            lens.append(length)
        if cur is not None:
            yield flush()


def _records(reader: Any) -> Iterator[tuple[int, int, bytes, int, int, int]]:
    """(number, time_ns, buf, offset, length without FCS, linktype) of every record."""
    packets = getattr(reader, "packets", None)
    if packets is None:  # a reader without exact timestamps
        for i, t, buf, off, length, linktype in reader:
            yield i, round(t * 1e9), buf, off, length, linktype
        return
    for rec in packets():
        length = rec.length
        if rec.fcs_len and rec.orig_len == length:  # a whole frame with its FCS: the FCS is not MME data
            length -= rec.fcs_len
        yield rec.number, rec.time_ns, rec.buf, rec.offset, length, rec.linktype


# ----------------------------------------------------------------------------- decoding


@dataclass
class ChunkResult:
    """A decoded chunk and what the capture layer adds: HomePlug 1.0 frames, fragments, reassembly."""

    records: RecordChunk
    decoded: DecodedChunk
    homeplug: np.ndarray  # rows that are HomePlug frames (AV or 1.0), ascending
    hp10: dict[int, HP10Frame | DecodeError] = field(default_factory=dict)
    fragments: dict[int, str] = field(default_factory=dict)  # row -> the reassembler's answer (PushResult value)
    reassembled: dict[int, Frame] = field(default_factory=dict)  # row completing a message -> message
    incomplete: list[Any] = field(default_factory=list)  # reassemblies given up (codec Incomplete reports)

    @property
    def headers(self) -> HeaderColumns:
        return self.decoded.headers


class ChunkDecoder:
    """Decodes record chunks in order (reassembly state carries over from chunk to chunk)."""

    def __init__(self, reassemble: bool = True, headers_only: bool = False, timings: Any = None) -> None:
        self.batch = BatchDecoder(timings=timings)
        self.reassembler = Reassembler() if reassemble else None
        self.headers_only = headers_only

    def decode(self, chunk: RecordChunk) -> ChunkResult:
        buf = chunk.buf
        if self.headers_only:
            h = self.batch.headers(buf, chunk.offset, chunk.length)
            decoded = DecodedChunk(h, [], [], {})
        else:
            decoded = self.batch.decode(buf, chunk.offset, chunk.length)
            h = decoded.headers
        hp10_rows = np.flatnonzero((h.status == OTHER) & (h.ethertype == ETHERTYPE_HOMEPLUG_1_0)
                                   & (chunk.length >= 14))
        av = (h.status != OTHER) & (chunk.length >= 14)
        homeplug = av.copy()
        homeplug[hp10_rows] = True
        result = ChunkResult(chunk, decoded, np.flatnonzero(homeplug))
        for row in hp10_rows.tolist():
            off = int(chunk.offset[row])
            try:
                result.hp10[row] = decode_hp10(buf[off:off + int(chunk.length[row])])
            except DecodeError as exc:
                result.hp10[row] = exc.with_traceback(None)
        if self.reassembler is not None:
            for row in sorted(h.single):
                if av[row]:
                    self._fragment(result, row)
        return result

    def _fragment(self, result: ChunkResult, row: int) -> None:
        """Offer a frame whose header has a non-zero FMI to the reassembler, as the capture decoder does."""
        chunk, header = result.records, result.headers.single.get(row)
        assert self.reassembler is not None
        if not isinstance(header, Header) or not header.mmv or not header.fmi:
            return
        off, length = int(chunk.offset[row]), int(chunk.length[row])
        push, whole = self.reassembler.push(chunk.buf[off:off + length], int(chunk.time_ns[row]) / 1e9,
                                            index=int(chunk.index[row]))
        result.incomplete += self.reassembler.pop_incomplete()
        if push in FRAGMENT_RESULTS:
            result.fragments[row] = push.value
            if whole is not None:
                result.reassembled[row] = whole

    def finish(self) -> list[Any]:
        """End of the capture: reassemblies still waiting are incomplete."""
        if self.reassembler is None:
            return []
        self.reassembler.finish()
        return self.reassembler.pop_incomplete()


_NONE = np.zeros(0, dtype=I64)
_EMPTY = RecordChunk(b"", _NONE, _NONE, _NONE, _NONE, 0, 0, None)


def iter_decoded_chunks(source: Source, *, chunk_bytes: int = CHUNK_BYTES, headers_only: bool = False,
                        progress: Progress | None = None, timings: Any = None) -> Iterator[ChunkResult]:
    """Decoded chunks in file order.  ``timings``: an object whose float attributes ``read``,
    ``headers``, ``grouping`` and ``decode`` get the seconds spent in each stage."""
    decoder = ChunkDecoder(headers_only=headers_only, timings=timings)
    chunks = read_chunks(source, chunk_bytes=chunk_bytes)
    while True:
        t = time.perf_counter()
        chunk = next(chunks, None)
        if timings is not None:
            timings.read += time.perf_counter() - t
        if chunk is None:
            last = decoder.finish()
            if last:  # reported by a last, empty result
                yield ChunkResult(_EMPTY, DecodedChunk(decoder.batch.headers(b"", _NONE, _NONE), [], [], {}),
                                  _NONE, incomplete=last)
            return
        yield decoder.decode(chunk)
        if progress is not None:
            progress(chunk.bytes_read, chunk.size)


# ----------------------------------------------------------------------------- statistics


def counted_as(result: ChunkResult, row: int) -> str:
    """``by_type`` key of a frame decoded one by one (its name, ``(fragment)`` or ``(decode error)``),
    as the per-frame capture decoder counts it."""
    one = result.decoded.single.get(row)
    if row in result.fragments:  # the reassembler's verdict, as in plcstack.capture.decoder
        return "(fragment)"
    if isinstance(one, DecodeError) or one is None:
        return "(decode error)"
    return one.name


def add_stats(stats: Any, result: ChunkResult) -> None:
    """Add one decoded chunk to a :class:`~plcstack.capture.CaptureStats`."""
    chunk, h = result.records, result.headers
    stats.packets += chunk.packets
    homeplug = int(result.homeplug.size)
    stats.homeplug += homeplug
    stats.non_homeplug += chunk.packets - homeplug
    by_type = stats.by_type
    rows = result.homeplug
    if result.decoded.single:
        rows = rows[~np.isin(rows, np.fromiter(result.decoded.single, dtype=I64))]
    shaped = h.shape[rows]
    counts = np.bincount(shaped[shaped >= 0], minlength=len(h.shapes))
    for shape, n in zip(h.shapes, counts.tolist(), strict=True):
        if n and shape.status == OK and shape.frame_error is None:
            by_type[str(shape.name)] += n
        elif n and shape.status != OTHER:
            by_type["(decode error)"] += n
            stats.errors += n
    for hp in result.hp10.values():
        if isinstance(hp, DecodeError):
            stats.errors += 1
            by_type["(decode error)"] += 1
        else:
            by_type[hp.name] += 1
    for row, one in result.decoded.single.items():
        if h.status[row] == OTHER or chunk.length[row] < 14:
            continue
        if row in result.fragments:
            stats.fragments += 1
        key = counted_as(result, row)
        by_type[str(key)] += 1
        if key == "(decode error)":
            stats.errors += 1
        elif isinstance(one, Frame) and one.truncated and key != "(fragment)":
            stats.truncated += 1
    stats.reassembled += len(result.reassembled)
    if result.incomplete and hasattr(stats, "incomplete"):
        stats.incomplete += len(result.incomplete)
        room = 1000 - len(stats.incomplete_details)
        stats.incomplete_details += [rep.to_json() for rep in result.incomplete[:max(room, 0)]]


def batch_stats(source: Source, *, chunk_bytes: int = CHUNK_BYTES, progress: Progress | None = None,
                timings: Any = None) -> Any:
    """Decode every field of every frame (column-wise) and count like ``plcstack decode --stats``."""
    from plcstack.capture import CaptureStats

    stats = CaptureStats(files=1)
    start = time.perf_counter()
    for result in iter_decoded_chunks(source, chunk_bytes=chunk_bytes, progress=progress, timings=timings):
        add_stats(stats, result)
    stats.elapsed_s = time.perf_counter() - start
    return stats


@dataclass
class HeaderTable:
    """Column-wise headers of the HomePlug AV frames of a capture (header-only decoding)."""

    index: np.ndarray  # 1-based frame number in the file
    time_ns: np.ndarray
    length: np.ndarray
    vlan: np.ndarray  # TCI of the outermost tag, -1: untagged
    mmv: np.ndarray
    mmtype: np.ndarray
    fmi: np.ndarray  # -1 for MMV 0 and errors
    oui: np.ndarray  # 24-bit int, -1 when absent
    errors: dict[int, DecodeError]  # table row -> what decode_header rejected
    other_frames: int  # records that are not HomePlug AV

    def __len__(self) -> int:
        return int(self.index.size)

    def error_of(self, row: int) -> DecodeError | None:
        return self.errors.get(row)


def read_headers(source: Source, *, chunk_bytes: int = CHUNK_BYTES) -> HeaderTable:
    """Decode the Ethernet + MME header of every HomePlug AV frame of a capture (no MMENTRY work)."""
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("index", "time_ns", "length", "vlan", "mmv", "mmtype",
                                                          "fmi", "oui")}
    errors: dict[int, DecodeError] = {}
    other = rows = 0
    decoder = BatchDecoder()
    for chunk in read_chunks(source, chunk_bytes=chunk_bytes):
        h = decoder.headers(chunk.buf, chunk.offset, chunk.length)
        keep = np.flatnonzero((h.status != OTHER) & (chunk.length >= 14))
        other += chunk.packets - keep.size
        for name, col in (("index", chunk.index), ("time_ns", chunk.time_ns), ("length", chunk.length),
                          ("vlan", h.vlan), ("mmv", h.mmv), ("mmtype", h.mmtype), ("fmi", h.fmi), ("oui", h.oui)):
            cols[name].append(col[keep])
        for k in np.flatnonzero(h.status[keep] == ERROR).tolist():
            err = h.error_of(int(keep[k]))
            if err is not None:
                errors[rows + k] = err
        rows += keep.size

    def cat(k: str) -> np.ndarray:
        return np.concatenate(cols[k]) if cols[k] else np.zeros(0, dtype=I64)

    return HeaderTable(cat("index"), cat("time_ns"), cat("length"), cat("vlan"), cat("mmv"), cat("mmtype"),
                       cat("fmi"), cat("oui"), errors, other)
