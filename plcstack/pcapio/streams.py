"""Byte sources for the capture reader: files, pipes, stdin and gzip-compressed data.

The reader asks a source for "up to n bytes, whatever is there now" (``read1`` semantics), so a pipe
fed by ``tcpdump -U -w -`` delivers each record as soon as it is written instead of after a full
buffer.  Compression is detected by the gzip magic ``1f 8b`` (RFC 1952 section 2.3.1), not by the
file name, so ``capture.pcap.gz``, ``capture.gz`` and ``zcat``-less pipes all work.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Callable
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"

#: Errors the gzip module raises for damaged compressed data (a cut stream raises EOFError).
GZIP_DATA_ERRORS: tuple[type[BaseException], ...] = (gzip.BadGzipFile, zlib.error)

ReadFn = Callable[[int], "bytes | None"]


def read_function(stream: BinaryIO) -> ReadFn:
    """The call that returns the bytes available now (at most ``n``), without waiting for ``n``.

    Buffered streams (``sys.stdin.buffer``, ``open(path, "rb")``, ``GzipFile``) have ``read1``;
    raw streams (``FileIO``, sockets' ``makefile(buffering=0)``) return short reads from ``read``.
    """
    read1 = getattr(stream, "read1", None)
    if callable(read1) and not isinstance(stream, io.RawIOBase):
        return read1  # type: ignore[no-any-return]
    return stream.read


class ReplayedStream(io.RawIOBase):
    """``prefix`` (bytes already read from ``source``), then the rest of ``source``.

    Used to hand the first chunk back to the gzip decompressor once its magic has been seen.
    ``consumed`` counts the bytes handed out (the compressed position, for progress bars).
    """

    def __init__(self, prefix: bytes, source: BinaryIO) -> None:
        super().__init__()
        self._prefix = prefix
        self._read = read_function(source)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        if self._prefix:
            data, self._prefix = self._prefix[:n], self._prefix[n:]
        else:
            data = self._read(n) or b""
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


def open_gzip(prefix: bytes, source: BinaryIO) -> tuple[gzip.GzipFile, ReplayedStream]:
    """A decompressing stream over ``prefix`` + the rest of ``source`` (multi-member files work)."""
    raw = ReplayedStream(prefix, source)
    return gzip.GzipFile(fileobj=raw, mode="rb"), raw


def probe_size(f: BinaryIO) -> int | None:
    """Bytes from the current position to the end of ``f``, or None if unknown (pipes, terminals)."""
    try:
        try:
            st = os.fstat(f.fileno())
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
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
