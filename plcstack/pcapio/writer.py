"""Classic pcap writer (little endian, version 2.4, micro- or nanosecond timestamps)."""

from __future__ import annotations

import math
import os
import struct
import time
from collections.abc import Iterable
from decimal import Decimal
from types import TracebackType
from typing import BinaryIO, Self

from plcstack.pcapio.linktypes import LINKTYPE_ETHERNET

_PCAP_MAGIC_US = 0xA1B2C3D4
_PCAP_MAGIC_NS = 0xA1B23C4D
_PCAP_FCS_PRESENT = 0x04000000


def split_timestamp(timestamp_s: float | Decimal | None, time_ns: int | None, units: int) -> tuple[int, int]:
    """(seconds, fraction in ``units`` per second) of a record time: ``time_ns`` (exact, cut to the
    unit) or ``timestamp_s`` (rounded to the unit), by default now."""
    if time_ns is not None:
        sec, frac = divmod(time_ns, 1_000_000_000)
        return sec, frac // (1_000_000_000 // units)
    if timestamp_s is None:
        timestamp_s = Decimal(time.time_ns()) / 1_000_000_000
    sec = math.floor(timestamp_s)
    frac = round((timestamp_s - sec) * units)
    if frac >= units:
        sec += 1
        frac -= units
    return sec, frac


class OutputFile:
    """The file a capture writer writes to: a path (created/truncated, closed by :meth:`close`) or a
    binary stream (flushed, not closed); a context manager that closes it."""

    def __init__(self, dest: str | os.PathLike[str] | BinaryIO, flush_each: bool) -> None:
        if isinstance(dest, (str, bytes, os.PathLike)):
            self._file: BinaryIO | None = open(dest, "wb")  # noqa: SIM115
            self._owned = True
        else:
            self._file = dest
            self._owned = False
        self.flush_each = flush_each
        self.count = 0

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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PcapWriter(OutputFile):
    """Writes classic pcap (little endian, version 2.4) with micro- or nanosecond timestamps.

    ``dest`` is a path (created/truncated, closed by :meth:`close`) or a binary stream (flushed but not
    closed). Frames longer than ``snaplen`` are truncated, keeping the original length in the header.
    ``fcs_len`` (bytes, even) records in the link-type field that every frame ends with an FCS.
    ``flush_each`` flushes after every record (a reader on the other end of a pipe sees it at once).
    """

    def __init__(
        self,
        dest: str | os.PathLike[str] | BinaryIO,
        *,
        linktype: int = LINKTYPE_ETHERNET,
        snaplen: int = 65535,
        nano: bool = False,
        fcs_len: int | None = None,
        flush_each: bool = False,
    ) -> None:
        super().__init__(dest, flush_each)
        self.linktype = linktype
        self.snaplen = snaplen
        self.nano = nano
        self._units = 1_000_000_000 if nano else 1_000_000
        self._rec = struct.Struct("<IIII").pack
        assert self._file is not None
        self._write = self._file.write
        magic = _PCAP_MAGIC_NS if nano else _PCAP_MAGIC_US
        network = linktype
        if fcs_len is not None:
            if fcs_len < 0 or fcs_len % 2 or fcs_len > 30:
                raise ValueError("fcs_len must be an even number of bytes, 0..30")
            network |= _PCAP_FCS_PRESENT | (fcs_len // 2) << 28
        self._write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, network))

    def write(
        self,
        frame: bytes | bytearray | memoryview,
        timestamp_s: float | Decimal | None = None,
        *,
        time_ns: int | None = None,
        orig_len: int | None = None,
    ) -> None:
        """Append one record. The time is ``time_ns`` (exact integer nanoseconds) or ``timestamp_s``
        (a float carries ~0.24 us of precision for present-day dates; a ``Decimal`` is exact), by
        default ``time.time_ns()``. ``orig_len`` is the length on the wire when ``frame`` was cut."""
        sec, frac = split_timestamp(timestamp_s, time_ns, self._units)
        if not 0 <= sec <= 0xFFFFFFFF:
            raise ValueError(f"timestamp {timestamp_s if time_ns is None else time_ns!r} out of range for pcap")
        orig = len(frame) if orig_len is None else max(orig_len, len(frame))
        if len(frame) > self.snaplen:
            frame = frame[: self.snaplen]
        write = self._write
        write(self._rec(sec, frac, len(frame), orig))
        write(frame)
        self.count += 1
        if self.flush_each:
            self.flush()

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
