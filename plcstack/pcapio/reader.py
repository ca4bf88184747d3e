"""Streaming pcap / pcapng reader (see :mod:`plcstack.pcapio` for the overview).

Formats: classic pcap (draft-ietf-opsawg-pcap) in both byte orders, micro- and nanosecond magic,
the "modified" (Kuznetzov) variant with 24-byte record headers; pcapng (draft-ietf-opsawg-pcapng)
with any number of sections and interfaces.  FCS information: the pcap link-type field's ``P`` bit
(``0x04000000``) with the FCS length in 16-bit words in bits 28-31 (libpcap ``LT_FCS_LENGTH``);
pcapng ``if_fcslen`` (option 13) and the per-packet ``epb_flags`` FCS length (bits 5-8, octets).
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any, BinaryIO, NamedTuple

from plcstack.pcapio.streams import GZIP_DATA_ERRORS, GZIP_MAGIC, open_gzip, probe_size, read_function

#: Records / blocks larger than this are treated as corrupt (guards memory against garbage lengths).
MAX_RECORD_SIZE = 1 << 28

#: What plain iteration yields: (index, timestamp_s, buf, offset, captured_length, linktype).
RecordTuple = tuple[int, float, bytes, int, int, int]

_PCAP_MAGIC_US = 0xA1B2C3D4
_PCAP_MAGIC_NS = 0xA1B23C4D
_PCAP_MAGIC_MODIFIED = 0xA1B2CD34  # "Kuznetzov" patched libpcap: 24-byte record headers, microseconds
_PCAP_FCS_PRESENT = 0x04000000  # libpcap LT_FCS_LENGTH_PRESENT

_OPT_ENDOFOPT = 0
_OPT_IF_TSRESOL = 9
_OPT_IF_FCSLEN = 13
_OPT_IF_TSOFFSET = 14
_OPT_EPB_FLAGS = 2

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
        self.reason = message
        self.offset = offset
        self.index = index
        self.source: str | None = None  # the capture's name, when a caller knows it


class PacketRecord(NamedTuple):
    """One packet record with everything the file says about it (:meth:`CaptureReader.packets`).

    ``time_ns`` is the exact timestamp in integer nanoseconds since the epoch (resolutions finer
    than 1 ns, or powers of two, are rounded down to the nanosecond); ``length`` the captured
    length, ``orig_len`` the length on the wire (larger when the snaplen cut the packet);
    ``fcs_len`` the bytes of frame check sequence at the end of the original frame (0: none or
    unknown); ``interface`` the pcapng interface id (0 for pcap).
    """

    number: int  # 1-based record number in the file (Wireshark's frame.number)
    time_ns: int
    buf: bytes
    offset: int
    length: int
    orig_len: int
    linktype: int
    fcs_len: int
    interface: int

    @property
    def data(self) -> bytes:
        return self.buf[self.offset : self.offset + self.length]

    @property
    def time(self) -> float:
        return self.time_ns / 1e9


class _Interface(NamedTuple):
    linktype: int
    divisor: float  # ticks per second, for the float timestamp
    tsoffset_s: float
    snaplen: int
    ns_mul: int  # time_ns = ticks * ns_mul // ns_div + tsoffset_ns
    ns_div: int
    tsoffset_ns: int
    fcs_len: int
    digits: int  # decimal digits of the resolution (6 for microseconds)


def _resolution(code: int) -> tuple[float, int, int, int]:
    """pcapng ``if_tsresol`` -> (ticks per second, ns multiplier, ns divisor, decimal digits)."""
    if code & 0x80:
        exp = code & 0x7F
        return float(2**exp), 10**9, 2**exp, math.ceil(exp * math.log10(2))
    if code <= 9:
        return float(10**code), 10 ** (9 - code), 1, code
    return float(10**code), 1, 10 ** (code - 9), code


class CaptureReader:
    """Streaming reader for pcap and pcapng captures (plain or gzip-compressed).

    ``source`` is a path or a binary file-like object with ``read()`` (it need not be seekable; short
    reads are fine, an empty read or None means end of data). A stream is not closed by :meth:`close`
    unless the reader opened it. The constructor reads the first chunk and parses the file header, so
    ``format`` is known -- and a non-capture rejected -- right away. Iteration is single-pass: either
    iterate the reader (fast :data:`RecordTuple`) or :meth:`packets` (:class:`PacketRecord`).

    Attributes: ``format`` ("pcap"/"pcapng"), ``compression`` (None or "gzip"), ``size`` (bytes from
    the start position to the end of the source, None for pipes), ``bytes_read`` (capture bytes read
    so far), ``position`` (bytes consumed from the source: differs from ``bytes_read`` for gzip),
    ``truncated`` (the data ended inside a record), ``linktype``/``snaplen``/``fcs_len`` (pcap file
    header; for pcapng those of the first interface, once its IDB has been read), ``time_digits``
    (decimal digits of the finest timestamp resolution seen), ``nanosecond`` and ``version`` (pcap).

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
    fcs_len: int
    time_digits: int
    compression: str | None

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
        self.fcs_len = 0
        self.time_digits = 6
        self.compression = None
        self._gen: Generator[Any, None, None] | None = None
        self._eof = False
        self._cut_gzip = False
        self._gzip: Any = None
        self._replayed: Any = None
        if isinstance(source, (str, bytes, os.PathLike)):
            self._file: BinaryIO | None = open(source, "rb", buffering=0)  # noqa: SIM115
            self._owned = True
            self.name = os.fsdecode(source)
        else:
            self._file = source
            self._owned = False
            self.name = str(getattr(source, "name", "<stream>"))
        try:
            self.size = probe_size(self._file)
            self._read = read_function(self._file)
            buf = self._fill(b"", 24)
            if buf[:2] == GZIP_MAGIC:
                self._gzip, self._replayed = open_gzip(buf, self._file)
                self.compression = "gzip"
                self._read = self._gzip.read1
                self._eof = False
                self.bytes_read = 0
                buf = self._fill(b"", 24)
            self._start(buf)
        except BaseException:
            self.close()
            raise

    # -- source handling -------------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Bytes consumed from the source (compressed bytes for gzip), for progress reporting."""
        return self._replayed.consumed if self._replayed is not None else self.bytes_read

    def _fill(self, tail: bytes, need: int) -> bytes:
        """Return ``tail`` + newly read data: one read of what is available, and more reads until the
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
            try:
                data = read(want)
            except EOFError:  # gzip: the compressed stream ends before its end-of-stream marker
                self._cut_gzip = True
                data = b""
            except GZIP_DATA_ERRORS as exc:
                raise CaptureFormatError(f"corrupt gzip data: {exc}", self.position) from None
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
            what = "empty file" if not buf else f"only {len(buf)} bytes"
            if self.compression:
                what = f"the gzip data decompresses to {len(buf)} bytes"
            raise CaptureFormatError(f"not a pcap/pcapng file: {what}", 0)
        self._first = buf
        if buf[:4] == b"\n\r\r\n":
            self.format = "pcapng"
            self._pcap_params: tuple[str, int, float, int] | None = None
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
        self.fcs_len = 2 * (network >> 28) if network & _PCAP_FCS_PRESENT else 0
        self.nanosecond = magic == _PCAP_MAGIC_NS
        self.time_digits = 9 if self.nanosecond else 6
        hdrlen = 24 if magic == _PCAP_MAGIC_MODIFIED else 16
        self._pcap_params = (endian, hdrlen, 1e9 if self.nanosecond else 1e6, 1 if self.nanosecond else 1000)

    # -- iteration -------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[RecordTuple]:
        """Single pass: ``(index, ts, buf, off, len, linktype)`` tuples, the fastest way through a file."""
        return self._generator(False)

    def packets(self) -> Iterator[PacketRecord]:
        """Single pass: :class:`PacketRecord` per packet (exact time, original length, FCS length)."""
        return self._generator(True)

    def _generator(self, detail: bool) -> Generator[Any, None, None]:
        if self._gen is None:
            first, self._first = self._first, b""
            if self._pcap_params is None:
                self._gen = self._iter_pcapng(first, detail)
            else:
                self._gen = self._iter_pcap(first, *self._pcap_params, detail)
        return self._gen

    def _end_of_data(self, offset: int, index: int, tail: int, need: int | None) -> None:
        """The source is exhausted: complain about a record or gzip stream cut short (strict)."""
        if not tail and not self._cut_gzip:
            return
        self.truncated = True
        if not self.strict:
            return
        if tail:
            what = f"{need}-byte record" if need is not None else "record header"
            raise CaptureFormatError(
                f"truncated capture: {what} but only {tail} bytes left in the file", offset, index
            )
        raise CaptureFormatError("truncated gzip file: the compressed data ends early", offset, index)

    def _iter_pcap(
        self, buf: bytes, endian: str, hdrlen: int, div: float, ns_mul: int, detail: bool
    ) -> Generator[Any, None, None]:
        unpack = struct.Struct(endian + "IIII").unpack_from
        linktype = self.linktype or 0
        fcs = self.fcs_len
        max_rec = self.max_record_size
        fill = self._fill
        pos = 24
        base = 0  # absolute offset of buf[0] in the (decompressed) capture
        index = 0
        while True:
            end = len(buf)
            lim = end - hdrlen
            need = hdrlen
            # Hot loop: keep it minimal (local variables only, one unpack per record).
            while pos <= lim:
                sec, frac, incl, orig = unpack(buf, pos)
                start = pos + hdrlen
                nxt = start + incl
                if nxt > end:
                    need = hdrlen + incl
                    break
                index += 1
                if detail:
                    yield PacketRecord(
                        index, sec * 1_000_000_000 + frac * ns_mul, buf, start, incl, orig, linktype, fcs, 0
                    )
                else:
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
                self._end_of_data(base, index + 1, len(tail), need if len(tail) >= hdrlen else None)
                return

    def _iter_pcapng(self, buf: bytes, detail: bool) -> Generator[Any, None, None]:
        fill = self._fill
        max_rec = self.max_record_size
        pos = 0
        base = 0
        index = 0
        endian = "<"
        hdr = struct.Struct("<II").unpack_from  # the file starts with a SHB, which sets the byte order
        epb = struct.Struct("<IIIII").unpack_from
        u32 = struct.Struct("<I").unpack_from
        # Float timestamps: hi * 2**32 is exact, so (hi * 2**32 + lo) is rounded once, exactly like
        # float((hi << 32) | lo); exact ones are integer nanoseconds (``detail``).
        ifaces: list[_Interface] = []
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
                    iface, hi, lo, cap, orig = epb(buf, pos + 8)
                    if cap > blen - 32:
                        raise CaptureFormatError(
                            f"corrupt EPB: captured length {cap} exceeds block length {blen}",
                            base + pos,
                            index + 1,
                        )
                    try:
                        lt, div, toff, _, mul, dv, toff_ns, fcs, _ = ifaces[iface]
                    except IndexError:
                        raise CaptureFormatError(
                            f"EPB for undefined interface {iface}", base + pos, index + 1
                        ) from None
                    index += 1
                    if detail:
                        opts = pos + 28 + ((cap + 3) & ~3)
                        if opts < nxt - 4:
                            fcs = _epb_fcs_len(buf, opts, nxt - 4, endian, fcs)
                        t_ns = ((hi << 32) | lo) * mul // dv + toff_ns
                        yield PacketRecord(index, t_ns, buf, pos + 28, cap, orig, lt, fcs, iface)
                    else:
                        yield index, (hi * 4294967296.0 + lo) / div + toff, buf, pos + 28, cap, lt
                elif btype == 1:  # Interface Description Block
                    ifaces.append(self._parse_idb(buf, pos, blen, endian, base, index))
                    if self.linktype is None:
                        self.linktype, self.snaplen, self.fcs_len = (
                            ifaces[0].linktype, ifaces[0].snaplen, ifaces[0].fcs_len)
                    self.time_digits = max(self.time_digits, ifaces[-1].digits)
                elif btype == 3:  # Simple Packet Block: no timestamp
                    if blen < 16:
                        raise CaptureFormatError(f"corrupt SPB: block length {blen}", base + pos, index + 1)
                    if not ifaces:
                        raise CaptureFormatError("SPB without interface 0", base + pos, index + 1)
                    itf = ifaces[0]
                    orig = u32(buf, pos + 8)[0]
                    cap = min(orig, blen - 16)
                    if itf.snaplen:
                        cap = min(cap, itf.snaplen)
                    index += 1
                    if detail:
                        yield PacketRecord(index, 0, buf, pos + 12, cap, orig, itf.linktype, itf.fcs_len, 0)
                    else:
                        yield index, 0.0, buf, pos + 12, cap, itf.linktype
                elif btype == 2:  # (obsolete) Packet Block
                    if blen < 32:
                        raise CaptureFormatError(
                            f"corrupt Packet Block: length {blen}", base + pos, index + 1
                        )
                    iface = struct.unpack_from(endian + "H", buf, pos + 8)[0]
                    _, hi, lo, cap, orig = epb(buf, pos + 8)
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
                    itf = ifaces[iface]
                    index += 1
                    if detail:
                        t_ns = ((hi << 32) | lo) * itf.ns_mul // itf.ns_div + itf.tsoffset_ns
                        yield PacketRecord(index, t_ns, buf, pos + 28, cap, orig, itf.linktype, itf.fcs_len,
                                           iface)
                    else:
                        yield (index, (hi * 4294967296.0 + lo) / itf.divisor + itf.tsoffset_s, buf,
                               pos + 28, cap, itf.linktype)
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
                self._end_of_data(base, index + 1, len(tail), need if len(tail) >= 12 else None)
                return

    @staticmethod
    def _parse_idb(buf: bytes, pos: int, blen: int, endian: str, base: int, index: int) -> _Interface:
        if blen < 20:
            raise CaptureFormatError(
                f"corrupt Interface Description Block: length {blen}", base + pos, index + 1
            )
        linktype, _, snaplen = struct.unpack_from(endian + "HHI", buf, pos + 8)
        div, ns_mul, ns_div, digits = _resolution(6)
        tsoffset = 0
        fcs = 0
        for code, value, olen in _options(buf, pos + 16, pos + blen - 4, endian):
            if code == _OPT_IF_TSRESOL and olen >= 1:
                div, ns_mul, ns_div, digits = _resolution(buf[value])
            elif code == _OPT_IF_TSOFFSET and olen >= 8:
                tsoffset = struct.unpack_from(endian + "q", buf, value)[0]
            elif code == _OPT_IF_FCSLEN and olen >= 1:
                fcs = _fcs_bytes(buf[value])
        return _Interface(linktype, div, float(tsoffset), snaplen, ns_mul, ns_div, tsoffset * 10**9, fcs, digits)

    # -- lifetime --------------------------------------------------------------------------------------

    def close(self) -> None:
        gen, self._gen = self._gen, None
        if gen is not None:
            gen.close()
        self._gen = _empty()
        self._first = b""
        gz, self._gzip = self._gzip, None
        if gz is not None:
            gz.close()
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


def _options(buf: bytes, p: int, stop: int, endian: str) -> Iterator[tuple[int, int, int]]:
    """(code, value offset, value length) of a pcapng option list; a malformed list ends quietly."""
    opt = struct.Struct(endian + "HH").unpack_from
    while p + 4 <= stop:
        code, olen = opt(buf, p)
        if code == _OPT_ENDOFOPT:
            return
        value = p + 4
        p = value + ((olen + 3) & ~3)
        if value + olen > stop:  # malformed option list: ignore the rest, like lenient readers do
            return
        yield code, value, olen


def _fcs_bytes(value: int) -> int:
    """``if_fcslen`` in bytes. The pcapng drafts say bits, Wireshark writes and reads bytes: both
    spellings of the real FCS sizes (2 or 4 bytes, 16 or 32 bits) are accepted."""
    if value in (16, 32):
        return value // 8
    return value if value in (2, 4) else 0


def _epb_fcs_len(buf: bytes, p: int, stop: int, endian: str, default: int) -> int:
    for code, value, olen in _options(buf, p, stop, endian):
        if code == _OPT_EPB_FLAGS and olen >= 4:
            fcs = (struct.unpack_from(endian + "I", buf, value)[0] >> 5) & 0x0F
            return fcs or default
    return default


def _empty() -> Generator[Any, None, None]:
    yield from ()


def open_capture(path: str | os.PathLike[str] | BinaryIO, **kwargs: Any) -> CaptureReader:
    """Open a pcap or pcapng capture (path or binary stream, gzip or not); keyword arguments go to
    :class:`CaptureReader`."""
    return CaptureReader(path, **kwargs)
