"""Fast, streaming, dependency-free pcap / pcapng reader and classic pcap writer.

Reading
-------
::

    with open_capture("trace.pcapng") as reader:
        for index, ts, buf, off, length, linktype in reader:
            frame = buf[off:off + length]        # or memoryview(buf)[off:off + length]

* ``index`` is the 1-based number of the packet record in the file (Wireshark's ``frame.number``),
* ``ts`` the timestamp in seconds (float),
* ``buf`` a ``bytes`` chunk shared by many records: the packet is ``buf[off:off + length]``. The chunk
  is never modified afterwards, so keeping a reference (or a memoryview slice) is safe,
* ``linktype`` the LINKTYPE_* value of the interface the packet was captured on.

Supported: classic pcap in both byte orders with microsecond (``a1b2c3d4``) and nanosecond (``a1b23c4d``)
timestamps, the "modified" (Kuznetzov) pcap variant (``a1b2cd34``), and pcapng with any number of sections
(each with its own byte order) and interfaces (per-interface link type, ``if_tsresol`` -- decimal or
power-of-two -- and ``if_tsoffset``). Enhanced, Simple and the obsolete Packet Blocks yield records; all
other block types (NRB, ISB, DSB, custom, ...) are skipped.

The file is read in chunks of ``chunk_size`` bytes; the partial record at the end of a chunk is carried
into the next one, records larger than a chunk are assembled as needed. Memory use is therefore bounded
by ``chunk_size`` plus the largest record, whatever the file size, and non-seekable sources (pipes,
``sys.stdin.buffer``, sockets) work.

Corrupt data raises :class:`CaptureFormatError` whose message names the absolute byte offset (and the
number of the record, if known). A file cut off in the middle of its last record yields every complete
record first and raises at the end -- or, with ``strict=False``, stops quietly and sets
``reader.truncated = True``.

Writing
-------
:class:`PcapWriter` writes classic little-endian pcap (micro- or nanosecond timestamps);
:func:`write_pcap` is a one-call convenience wrapper.
"""

from __future__ import annotations

import math
import os
import struct
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from decimal import Decimal
from types import TracebackType
from typing import Any, BinaryIO

__all__ = [
    "LINKTYPE_ETHERNET",
    "CaptureFormatError",
    "CaptureReader",
    "PcapWriter",
    "Record",
    "open_capture",
    "write_pcap",
]

LINKTYPE_ETHERNET = 1

#: Records / blocks larger than this are treated as corrupt (guards memory against garbage lengths).
MAX_RECORD_SIZE = 1 << 28

#: (index, timestamp_s, buf, offset, length, linktype)
Record = tuple[int, float, bytes, int, int, int]

_PCAP_MAGIC_US = 0xA1B2C3D4
_PCAP_MAGIC_NS = 0xA1B23C4D
_PCAP_MAGIC_MODIFIED = 0xA1B2CD34  # "Kuznetzov" patched libpcap: 24-byte record headers, microseconds
_PCAPNG_SHB = 0x0A0D0D0A
_PCAPNG_BOM = 0x1A2B3C4D

_BT_IDB = 1
_BT_PB = 2  # obsolete Packet Block
_BT_SPB = 3
_BT_EPB = 6

_OPT_ENDOFOPT = 0
_OPT_IF_TSRESOL = 9
_OPT_IF_TSOFFSET = 14

_READ_STEP_MAX = 1 << 24  # never ask the source for more than this in one read() call


class CaptureFormatError(Exception):
    """The data is not a pcap/pcapng capture or is corrupt; ``offset``/``index`` locate the problem."""

    def __init__(self, message: str, offset: int | None = None, index: int | None = None) -> None:
        where = []
        if index is not None:
            where.append(f"record #{index}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.offset = offset
        self.index = index


class CaptureReader:
    """Streaming reader for pcap and pcapng captures; see the module docstring.

    ``source`` is a path or a binary file-like object with ``read()`` (it need not be seekable; short
    reads are fine, an empty read or None means end of data). A stream is not closed by :meth:`close`
    unless the reader opened it. The constructor reads the first chunk and parses the file header, so
    ``format`` is known -- and a non-capture rejected -- right away. Iteration is single-pass.

    Attributes: ``format`` ("pcap"/"pcapng"), ``size`` (bytes from the start position to the end of the
    source, None for pipes), ``bytes_read`` (bytes read from the source so far, updated per chunk),
    ``truncated`` (the data ended inside a record), ``linktype``/``snaplen`` (pcap file header; for
    pcapng those of the first interface, once its IDB has been read), ``nanosecond`` and ``version``
    (pcap only).

    ``strict=False`` turns only the "file ends inside a record" error into a quiet stop; corrupt
    data in the middle of the file still raises. Records/blocks claiming more than ``max_record_size``
    bytes are rejected as corrupt without trying to buffer them.
    """

    format: str
    size: int | None
    bytes_read: int
    truncated: bool
    linktype: int | None
    snaplen: int | None

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        chunk_size: int = 1 << 20,
        strict: bool = True,
        max_record_size: int = MAX_RECORD_SIZE,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.chunk_size = chunk_size
        self.strict = strict
        self.max_record_size = max_record_size
        self.truncated = False
        self.bytes_read = 0
        self.size = None
        self.linktype = None
        self.snaplen = None
        self._gen: Generator[Record, None, None] | None = None
        self._eof = False
        if isinstance(source, (str, bytes, os.PathLike)):
            self._file: BinaryIO | None = open(source, "rb", buffering=0)  # noqa: SIM115
            self._owned = True
            self.name = os.fsdecode(source)
        else:
            self._file = source
            self._owned = False
            self.name = str(getattr(source, "name", "<stream>"))
        try:
            self.size = self._probe_size(self._file)
            self._read: Callable[[int], bytes | None] = self._file.read
            buf = self._fill(b"", 24)
            self._start(buf)
        except BaseException:
            self.close()
            raise

    # -- source handling -------------------------------------------------------------------------------

    @staticmethod
    def _probe_size(f: BinaryIO) -> int | None:
        """Bytes from the current position to the end of ``f``, or None if unknown (pipes...)."""
        try:
            try:
                st = os.fstat(f.fileno())
            except (AttributeError, OSError, ValueError):
                st = None
            if st is not None and not (st.st_mode & 0o170000 == 0o100000):  # not a regular file
                return None
            if not f.seekable():
                return None
            here = f.tell()
            end = f.seek(0, os.SEEK_END)
            f.seek(here)
            return max(end - here, 0)
        except (AttributeError, OSError, ValueError):
            return None

    def _fill(self, tail: bytes, need: int) -> bytes:
        """Return ``tail`` + newly read data: at least one ``chunk_size`` read, and more reads until the
        result holds ``need`` bytes or the source is exhausted (then ``self._eof`` is set)."""
        if self._eof:
            return tail
        read = self._read
        parts = [tail] if tail else []
        have = len(tail)
        first = True
        while first or have < need:
            want = self.chunk_size if first else min(max(self.chunk_size, need - have), _READ_STEP_MAX)
            first = False
            data = read(want)
            if not data:
                self._eof = True
                break
            parts.append(data)
            have += len(data)
            self.bytes_read += len(data)
        if len(parts) == 1:
            return bytes(parts[0])
        return b"".join(parts)

    def _start(self, buf: bytes) -> None:
        """Parse the file header in the first chunk; sets ``format`` & co. and arms ``__iter__``."""
        if len(buf) < 4:
            raise CaptureFormatError(f"not a pcap/pcapng file: only {len(buf)} bytes", 0)
        self._first = buf
        if buf[:4] == b"\n\r\r\n":
            self.format = "pcapng"
            self._pcap_params: tuple[str, int, float] | None = None
            return
        magic = int.from_bytes(buf[:4], "little")
        endian = "<"
        if magic not in (_PCAP_MAGIC_US, _PCAP_MAGIC_NS, _PCAP_MAGIC_MODIFIED):
            magic = int.from_bytes(buf[:4], "big")
            endian = ">"
            if magic not in (_PCAP_MAGIC_US, _PCAP_MAGIC_NS, _PCAP_MAGIC_MODIFIED):
                raise CaptureFormatError(f"not a pcap/pcapng file: bad magic 0x{buf[:4].hex()}", 0)
        if len(buf) < 24:
            raise CaptureFormatError(f"truncated pcap file header: {len(buf)} of 24 bytes", 0)
        self.format = "pcap"
        _, vmaj, vmin, _, _, snaplen, network = struct.unpack_from(endian + "IHHiIII", buf, 0)
        self.version = (vmaj, vmin)
        self.snaplen = snaplen
        self.linktype = network & 0xFFFF  # the upper bits carry FCS information
        self.nanosecond = magic == _PCAP_MAGIC_NS
        hdrlen = 24 if magic == _PCAP_MAGIC_MODIFIED else 16
        self._pcap_params = (endian, hdrlen, 1e9 if self.nanosecond else 1e6)

    # -- iteration -------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Record]:
        """Single pass: every call returns the same generator of ``(index, ts, buf, off, len, linktype)``."""
        if self._gen is None:
            first, self._first = self._first, b""
            if self._pcap_params is None:
                self._gen = self._iter_pcapng(first)
            else:
                self._gen = self._iter_pcap(first, *self._pcap_params)
        return self._gen

    def _truncated_at(self, offset: int, index: int, have: int, need: int | None) -> None:
        """End of data inside a record: raise (strict) or flag the reader as truncated."""
        self.truncated = True
        if self.strict:
            what = f"{need}-byte record" if need is not None else "record header"
            raise CaptureFormatError(
                f"truncated capture: {what} but only {have} bytes left in the file", offset, index
            )

    def _iter_pcap(self, buf: bytes, endian: str, hdrlen: int, div: float) -> Generator[Record, None, None]:
        unpack = struct.Struct(endian + "IIII").unpack_from
        linktype = self.linktype
        max_rec = self.max_record_size
        fill = self._fill
        pos = 24
        base = 0  # absolute file offset of buf[0]
        index = 0
        while True:
            end = len(buf)
            lim = end - hdrlen
            need = hdrlen
            # Hot loop: keep it minimal (local variables only, one unpack per record).
            while pos <= lim:
                sec, frac, incl, _ = unpack(buf, pos)
                start = pos + hdrlen
                nxt = start + incl
                if nxt > end:
                    need = hdrlen + incl
                    break
                index += 1
                yield index, sec + frac / div, buf, start, incl, linktype
                pos = nxt
            if need > max_rec:
                raise CaptureFormatError(
                    f"implausible captured length {need - hdrlen} (> {max_rec} bytes): corrupt file",
                    base + pos,
                    index + 1,
                )
            tail = buf[pos:]
            base += pos
            pos = 0
            buf = fill(tail, need)
            if len(buf) == len(tail):  # nothing more to read
                if tail:
                    self._truncated_at(base, index + 1, len(tail), need if len(tail) >= hdrlen else None)
                return

    def _iter_pcapng(self, buf: bytes) -> Generator[Record, None, None]:
        fill = self._fill
        max_rec = self.max_record_size
        pos = 0
        base = 0
        index = 0
        endian = "<"
        hdr = struct.Struct("<II").unpack_from  # the file starts with a SHB, which sets the byte order
        epb = struct.Struct("<IIIII").unpack_from
        u32 = struct.Struct("<I").unpack_from
        # per interface: (linktype, divisor, tsoffset, snaplen). Timestamps are computed in floats:
        # hi * 2**32 is exact, so (hi * 2**32 + lo) is rounded once, exactly like float((hi << 32) | lo).
        ifaces: list[tuple[int, float, float, int]] = []
        while True:
            end = len(buf)
            need = 12
            while pos + 12 <= end:
                btype, blen = hdr(buf, pos)
                if btype == 0x0A0D0D0A:  # Section Header Block: the byte order follows from its BOM
                    bom = buf[pos + 8 : pos + 12]
                    if bom == b"\x4d\x3c\x2b\x1a":
                        endian = "<"
                    elif bom == b"\x1a\x2b\x3c\x4d":
                        endian = ">"
                    else:
                        raise CaptureFormatError(
                            f"bad pcapng byte-order magic 0x{bom.hex()}", base + pos + 8, index + 1
                        )
                    hdr = struct.Struct(endian + "II").unpack_from
                    epb = struct.Struct(endian + "IIIII").unpack_from
                    u32 = struct.Struct(endian + "I").unpack_from
                    ifaces = []
                    btype, blen = hdr(buf, pos)
                nxt = pos + blen
                if blen & 3 or blen < 12 or nxt > end:
                    if blen & 3 or blen < 12 or blen > max_rec:
                        raise CaptureFormatError(
                            f"corrupt pcapng block: type 0x{btype:08x}, bad total length {blen}",
                            base + pos,
                            index + 1,
                        )
                    need = blen
                    break
                if u32(buf, nxt - 4)[0] != blen:
                    raise CaptureFormatError(
                        f"corrupt pcapng block: type 0x{btype:08x}, leading total length {blen} "
                        f"!= trailing {u32(buf, nxt - 4)[0]}",
                        base + pos,
                        index + 1,
                    )
                if btype == 6:  # Enhanced Packet Block (the hot path: constants inlined on purpose)
                    if blen < 32:
                        raise CaptureFormatError(f"corrupt EPB: block length {blen}", base + pos, index + 1)
                    iface, hi, lo, cap, _ = epb(buf, pos + 8)
                    if cap > blen - 32:
                        raise CaptureFormatError(
                            f"corrupt EPB: captured length {cap} exceeds block length {blen}",
                            base + pos,
                            index + 1,
                        )
                    try:
                        lt, div, toff, _ = ifaces[iface]
                    except IndexError:
                        raise CaptureFormatError(
                            f"EPB for undefined interface {iface}", base + pos, index + 1
                        ) from None
                    index += 1
                    yield index, (hi * 4294967296.0 + lo) / div + toff, buf, pos + 28, cap, lt
                elif btype == 1:  # Interface Description Block
                    ifaces.append(self._parse_idb(buf, pos, blen, endian, base, index))
                    if self.linktype is None:
                        self.linktype, self.snaplen = ifaces[0][0], ifaces[0][3]
                elif btype == 3:  # Simple Packet Block
                    if blen < 16:
                        raise CaptureFormatError(f"corrupt SPB: block length {blen}", base + pos, index + 1)
                    if not ifaces:
                        raise CaptureFormatError("SPB without interface 0", base + pos, index + 1)
                    lt, _, _, snap = ifaces[0]
                    cap = min(u32(buf, pos + 8)[0], blen - 16)
                    if snap:
                        cap = min(cap, snap)
                    index += 1
                    yield index, 0.0, buf, pos + 12, cap, lt
                elif btype == 2:  # (obsolete) Packet Block
                    if blen < 32:
                        raise CaptureFormatError(
                            f"corrupt Packet Block: length {blen}", base + pos, index + 1
                        )
                    iface = struct.unpack_from(endian + "H", buf, pos + 8)[0]
                    _, hi, lo, cap, _ = epb(buf, pos + 8)
                    if cap > blen - 32:
                        raise CaptureFormatError(
                            f"corrupt Packet Block: captured length {cap} exceeds block length {blen}",
                            base + pos,
                            index + 1,
                        )
                    if iface >= len(ifaces):
                        raise CaptureFormatError(
                            f"Packet Block for undefined interface {iface}", base + pos, index + 1
                        )
                    lt, div, toff, _ = ifaces[iface]
                    index += 1
                    yield index, (hi * 4294967296.0 + lo) / div + toff, buf, pos + 28, cap, lt
                elif btype == 0x0A0D0D0A and blen < 28:
                    raise CaptureFormatError(
                        f"corrupt Section Header Block: length {blen}", base + pos, index + 1
                    )
                # anything else (SHB body, NRB, ISB, DSB, custom, unknown): skip
                pos = nxt
            tail = buf[pos:]
            base += pos
            pos = 0
            buf = fill(tail, need)
            if len(buf) == len(tail):
                if tail:
                    self._truncated_at(base, index + 1, len(tail), need if len(tail) >= 12 else None)
                return

    @staticmethod
    def _parse_idb(
        buf: bytes, pos: int, blen: int, endian: str, base: int, index: int
    ) -> tuple[int, float, float, int]:
        if blen < 20:
            raise CaptureFormatError(
                f"corrupt Interface Description Block: length {blen}", base + pos, index + 1
            )
        linktype, _, snaplen = struct.unpack_from(endian + "HHI", buf, pos + 8)
        div = 1e6
        tsoffset = 0.0
        p = pos + 16
        stop = pos + blen - 4
        opt = struct.Struct(endian + "HH").unpack_from
        while p + 4 <= stop:
            code, olen = opt(buf, p)
            if code == _OPT_ENDOFOPT:
                break
            value = p + 4
            p = value + ((olen + 3) & ~3)
            if value + olen > stop:  # malformed option list: ignore the rest, like lenient readers do
                break
            if code == _OPT_IF_TSRESOL and olen >= 1:
                res = buf[value]
                div = float(2 ** (res & 0x7F)) if res & 0x80 else float(10**res)
            elif code == _OPT_IF_TSOFFSET and olen >= 8:
                tsoffset = float(struct.unpack_from(endian + "q", buf, value)[0])
        return linktype, div, tsoffset, snaplen

    # -- lifetime --------------------------------------------------------------------------------------

    def close(self) -> None:
        gen, self._gen = self._gen, None
        if gen is not None:
            gen.close()
        self._gen = _empty()
        self._first = b""
        f, self._file = self._file, None
        if f is not None and self._owned:
            f.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<CaptureReader {self.name!r} format={getattr(self, 'format', '?')} read={self.bytes_read}>"


def _empty() -> Generator[Record, None, None]:
    yield from ()


def open_capture(path: str | os.PathLike[str] | BinaryIO, **kwargs: Any) -> CaptureReader:
    """Open a pcap or pcapng capture (path or binary stream); keyword arguments go to CaptureReader."""
    return CaptureReader(path, **kwargs)


class PcapWriter:
    """Writes classic pcap (little endian, version 2.4) with micro- or nanosecond timestamps.

    ``dest`` is a path (created/truncated, closed by :meth:`close`) or a binary stream (flushed but not
    closed). Frames longer than ``snaplen`` are truncated, keeping the original length in the header.
    """

    def __init__(
        self,
        dest: str | os.PathLike[str] | BinaryIO,
        *,
        linktype: int = LINKTYPE_ETHERNET,
        snaplen: int = 65535,
        nano: bool = False,
    ) -> None:
        if isinstance(dest, (str, bytes, os.PathLike)):
            self._file: BinaryIO | None = open(dest, "wb")  # noqa: SIM115
            self._owned = True
        else:
            self._file = dest
            self._owned = False
        self.linktype = linktype
        self.snaplen = snaplen
        self.nano = nano
        self.count = 0
        self._units = 1_000_000_000 if nano else 1_000_000
        self._rec = struct.Struct("<IIII").pack
        self._write = self._file.write
        magic = _PCAP_MAGIC_NS if nano else _PCAP_MAGIC_US
        self._write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(
        self, frame: bytes | bytearray | memoryview, timestamp_s: float | Decimal | None = None
    ) -> None:
        """Append one record; ``timestamp_s`` defaults to ``time.time()``. A float carries ~0.24 us of
        precision for present-day dates; pass a ``Decimal`` for exact nanosecond timestamps."""
        if timestamp_s is None:
            timestamp_s = time.time()
        units = self._units
        sec = math.floor(timestamp_s)
        frac = round((timestamp_s - sec) * units)
        if frac >= units:
            sec += 1
            frac -= units
        if not 0 <= sec <= 0xFFFFFFFF:
            raise ValueError(f"timestamp {timestamp_s!r} out of range for pcap")
        orig = len(frame)
        if orig > self.snaplen:
            frame = frame[: self.snaplen]
        write = self._write
        write(self._rec(sec, frac, len(frame), orig))
        write(frame)
        self.count += 1

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        f, self._file = self._file, None
        if f is None:
            return
        if self._owned:
            f.close()
        else:
            f.flush()

    def __enter__(self) -> PcapWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def write_pcap(
    path: str | os.PathLike[str] | BinaryIO,
    frames: Iterable[tuple[float, bytes]],
    *,
    linktype: int = LINKTYPE_ETHERNET,
    snaplen: int = 65535,
    nano: bool = False,
) -> int:
    """Write ``(timestamp_s, frame)`` pairs to a classic pcap file; returns the number of records."""
    with PcapWriter(path, linktype=linktype, snaplen=snaplen, nano=nano) as w:
        for ts, frame in frames:
            w.write(frame, ts)
        return w.count
