"""pcapng writer: one section, named interfaces, nanosecond timestamps, packet directions.

Block layouts from draft-ietf-opsawg-pcapng: Section Header Block (type 0x0A0D0D0A, ``shb_userappl``),
Interface Description Block (type 1: link type, snaplen, ``if_name``, ``if_description``,
``if_tsresol`` = 9, nanoseconds), Enhanced Packet Block (type 6: interface id, 64-bit timestamp,
captured and original length, ``epb_flags`` direction bits 0-1 -- 1 inbound, 2 outbound -- and
``opt_comment``).  Little endian.  A capture of several observation points (the host links of
emulated modems, a power line) keeps each packet's interface, so tools tell copies of one frame seen
at two points apart (tshark ``frame.interface_id`` / ``frame.interface_name``,
:attr:`plcstack.pcapio.PacketRecord.interface`).
"""

from __future__ import annotations

import os
import struct
from decimal import Decimal
from typing import BinaryIO

from plcstack.pcapio.linktypes import LINKTYPE_ETHERNET
from plcstack.pcapio.writer import OutputFile, split_timestamp

#: ``epb_flags`` direction values (bits 0-1).
INBOUND = 1
OUTBOUND = 2

_SHB, _IDB, _EPB = 0x0A0D0D0A, 1, 6
_OPT_COMMENT, _OPT_SHB_USERAPPL = 1, 4
_OPT_IF_NAME, _OPT_IF_DESCRIPTION, _OPT_IF_TSRESOL = 2, 3, 9
_OPT_EPB_FLAGS = 2


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def _block(btype: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", btype, length) + body + struct.pack("<I", length)


def _options(opts: list[bytes]) -> bytes:
    return b"".join(opts) + struct.pack("<HH", 0, 0) if opts else b""


class PcapngWriter(OutputFile):
    """Writes a pcapng file: :meth:`add_interface` for every observation point, then :meth:`write`.

    ``dest`` is a path (created/truncated, closed by :meth:`close`) or a binary stream (flushed, not
    closed).  Interfaces may be added at any time (an IDB precedes the packets that use it).
    ``flush_each`` flushes after every packet, so a reader sees the file grow as it is written.
    """

    def __init__(self, dest: str | os.PathLike[str] | BinaryIO, *, flush_each: bool = False,
                 application: str = "plcstack") -> None:
        super().__init__(dest, flush_each)
        self.interfaces: list[tuple[str, str | None]] = []  # (name, description) by interface id
        self._snaplen: list[int] = []
        body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _options([_option(_OPT_SHB_USERAPPL, application.encode())])
        assert self._file is not None
        self._file.write(_block(_SHB, body))

    def add_interface(self, name: str, description: str | None = None, *, linktype: int = LINKTYPE_ETHERNET,
                      snaplen: int = 65535) -> int:
        """Describe one more interface; returns its id (0, 1, ...) for :meth:`write`."""
        assert self._file is not None, "writer closed"
        opts = [_option(_OPT_IF_NAME, name.encode())]
        if description:
            opts.append(_option(_OPT_IF_DESCRIPTION, description.encode()))
        opts.append(_option(_OPT_IF_TSRESOL, b"\x09"))
        self._file.write(_block(_IDB, struct.pack("<HHI", linktype, 0, snaplen) + _options(opts)))
        self.interfaces.append((name, description))
        self._snaplen.append(snaplen)
        return len(self.interfaces) - 1

    def write(self, frame: bytes | bytearray | memoryview, timestamp_s: float | Decimal | None = None, *,
              time_ns: int | None = None, interface: int = 0, orig_len: int | None = None,
              direction: int | None = None, comment: str | None = None) -> None:
        """Append one packet seen on ``interface``; times as :meth:`plcstack.pcapio.PcapWriter.write`;
        ``direction``: :data:`INBOUND`, :data:`OUTBOUND` or None (not recorded)."""
        assert self._file is not None, "writer closed"
        if not 0 <= interface < len(self.interfaces):
            raise ValueError(f"interface {interface} not added (have {len(self.interfaces)})")
        sec, frac = split_timestamp(timestamp_s, time_ns, 1_000_000_000)
        ticks = sec * 1_000_000_000 + frac
        if not 0 <= ticks < 1 << 64:
            raise ValueError(f"timestamp {timestamp_s if time_ns is None else time_ns!r} out of range for pcapng")
        orig = len(frame) if orig_len is None else max(orig_len, len(frame))
        frame = bytes(frame[: self._snaplen[interface]])
        opts = []
        if direction is not None:
            opts.append(_option(_OPT_EPB_FLAGS, struct.pack("<I", direction & 3)))
        if comment:
            opts.append(_option(_OPT_COMMENT, comment.encode()))
        body = (struct.pack("<IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), orig) + frame
                + b"\0" * (-len(frame) % 4) + _options(opts))
        self._file.write(_block(_EPB, body))
        self.count += 1
        if self.flush_each:
            self._file.flush()

