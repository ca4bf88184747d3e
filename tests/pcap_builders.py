"""Hand-built pcap / pcapng captures for the reader, writer and capture-decoder tests.

Everything here writes the formats byte by byte (draft-ietf-opsawg-pcap / -pcapng), independently of
:mod:`plcstack.pcapio`, so the reader is checked against the specification, not against its own writer.
"""

from __future__ import annotations

import io
import random
import struct
from typing import Any

import pytest

from plcstack.pcapio import CaptureFormatError, CaptureReader

Rec = tuple[int, float, bytes, int]

def read_all(source: Any, **kwargs: Any) -> list[Rec]:
    with CaptureReader(source, **kwargs) as reader:
        return [(i, ts, bytes(buf[off : off + n]), lt) for i, ts, buf, off, n, lt in reader]


def outcome(data: bytes, **kwargs: Any) -> tuple[list[Rec], str | None, bool]:
    """All records read from ``data`` plus the error message (if any) and the truncated flag."""
    recs: list[Rec] = []
    try:
        with CaptureReader(io.BytesIO(data), **kwargs) as reader:
            for i, ts, buf, off, n, lt in reader:
                assert 0 <= off and off + n <= len(buf)
                recs.append((i, ts, bytes(buf[off : off + n]), lt))
            return recs, None, reader.truncated
    except CaptureFormatError as exc:
        return recs, str(exc), True


def pcap_bytes(
    records: list[tuple[int, int, bytes]],
    *,
    endian: str = "<",
    magic: int = 0xA1B2C3D4,
    linktype: int = 1,
    snaplen: int = 65535,
    orig_lens: list[int] | None = None,
) -> bytes:
    """Classic pcap from (seconds, fraction, frame) triples; the 'modified' magic gets 24-byte headers.
    ``linktype`` is the whole 32-bit field (FCS bits included); ``orig_lens`` the wire lengths."""
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for k, (sec, frac, frame) in enumerate(records):
        orig = orig_lens[k] if orig_lens is not None else len(frame)
        out.append(struct.pack(endian + "IIII", sec, frac, len(frame), orig))
        if magic == 0xA1B2CD34:
            out.append(struct.pack(endian + "IHBx", 3, 0x88E1, 0))
        out.append(frame)
    return b"".join(out)


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def ng_block(e: str, btype: int, body: bytes) -> bytes:
    body = _pad(body)
    n = len(body) + 12
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def ng_opt(e: str, code: int, value: bytes) -> bytes:
    return struct.pack(e + "HH", code, len(value)) + _pad(value)


def ng_shb(e: str, opts: bytes = b"") -> bytes:
    body = struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    if opts:
        opts += ng_opt(e, 0, b"")
    return ng_block(e, 0x0A0D0D0A, body + opts)


def ng_idb(
    e: str,
    linktype: int,
    snaplen: int = 0,
    tsresol: int | None = None,
    tsoffset: int | None = None,
    fcslen: int | None = None,
) -> bytes:
    opts = ng_opt(e, 2, b"eth0")  # if_name, ignored
    if tsresol is not None:
        opts += ng_opt(e, 9, bytes([tsresol]))
    if tsoffset is not None:
        opts += ng_opt(e, 14, struct.pack(e + "q", tsoffset))
    if fcslen is not None:
        opts += ng_opt(e, 13, bytes([fcslen]))
    opts += ng_opt(e, 0, b"")
    return ng_block(e, 1, struct.pack(e + "HHI", linktype, 0, snaplen) + opts)


def ng_epb(
    e: str,
    iface: int,
    ts: int,
    frame: bytes,
    comment: bytes = b"",
    orig_len: int | None = None,
    flags: int | None = None,
) -> bytes:
    orig = len(frame) + 4 if orig_len is None else orig_len
    body = struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame), orig) + _pad(frame)
    opts = b""
    if comment:
        opts += ng_opt(e, 1, comment)
    if flags is not None:
        opts += ng_opt(e, 2, struct.pack(e + "I", flags))
    if opts:
        body += opts + ng_opt(e, 0, b"")
    return ng_block(e, 6, body)


def ng_spb(e: str, frame: bytes, orig_len: int | None = None) -> bytes:
    return ng_block(e, 3, struct.pack(e + "I", len(frame) if orig_len is None else orig_len) + frame)


def ng_pb(e: str, iface: int, ts: int, frame: bytes) -> bytes:
    body = struct.pack(e + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
    return ng_block(e, 2, body + frame)


def frame_of(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


T0 = 1_700_000_000


def sample_pcapng() -> tuple[bytes, list[Rec]]:
    """Two sections (little then big endian), several interfaces with different resolutions, every
    packet block type, and blocks that must be skipped. Returns the file and the expected records."""
    f = [frame_of(60 + 7 * i, i) for i in range(12)]
    le, be = "<", ">"
    sec1 = [
        ng_shb(le, ng_opt(le, 4, b"plcstack test")),
        ng_idb(le, 1, snaplen=64),  # default resolution 10^-6, snaplen applies to SPBs
        ng_idb(le, 147, tsresol=9),  # nanoseconds
        ng_idb(le, 105, tsresol=0x80 | 10, tsoffset=100),  # 2^-10 s plus a 100 s offset
        ng_epb(le, 0, T0 * 1_000_000 + 123_456, f[0]),
        ng_block(
            le, 4, struct.pack(le + "HH", 1, 8) + b"\x0a\x00\x00\x01host" + struct.pack(le + "HH", 0, 0)
        ),
        ng_epb(le, 1, T0 * 1_000_000_000 + 987_654_321, f[1], comment=b"hello"),
        ng_epb(le, 2, T0 * 1024 + 512, f[2]),
        ng_spb(le, f[3][:64], orig_len=len(f[3])),  # truncated to the snaplen of interface 0
        ng_block(le, 5, struct.pack(le + "IIIHHQ", 0, 0, 0, 4, 8, 5) + struct.pack(le + "HH", 0, 0)),  # ISB
        ng_block(le, 0x00000BAD, struct.pack(le + "I", 32473) + b"custom data"),  # custom block
        ng_pb(le, 1, T0 * 1_000_000_000 + 5, f[4]),
        ng_block(le, 0x0A, struct.pack(le + "II", 0x544C534B, 4) + b"keys"),  # DSB
        ng_spb(le, f[5][:20]),
    ]
    sec2 = [
        ng_shb(be),
        ng_idb(be, 1, tsresol=3),  # milliseconds
        ng_idb(be, 1),
        ng_epb(be, 1, (T0 + 1) * 1_000_000 + 1, f[6]),
        ng_pb(be, 0, (T0 + 2) * 1000 + 250, f[7]),
        ng_block(be, 0x40000BAD, struct.pack(be + "I", 1) + b"x"),
        ng_epb(be, 0, (T0 + 3) * 1000, f[8]),
        ng_spb(be, f[9]),
        ng_epb(be, 1, 0, b""),  # empty packet
    ]
    data = b"".join(sec1 + sec2)
    expected: list[Rec] = [
        (1, T0 + 0.123456, f[0], 1),
        (2, T0 + 0.987654321, f[1], 147),
        (3, T0 + 100.5, f[2], 105),
        (4, 0.0, f[3][:64], 1),
        (5, T0 + 5e-9, f[4], 147),
        (6, 0.0, f[5][:20], 1),
        (7, T0 + 1.000001, f[6], 1),
        (8, T0 + 2.25, f[7], 1),
        (9, T0 + 3.0, f[8], 1),
        (10, 0.0, f[9], 1),
        (11, 0.0, b"", 1),
    ]
    return data, expected


def sample_pcap(n: int = 6) -> tuple[bytes, list[tuple[int, int, bytes]]]:
    recs = [(T0 + i, i * 1000 + 7, frame_of(60 + 11 * i, 100 + i)) for i in range(n)]
    return pcap_bytes(recs), recs


def assert_records(got: list[Rec], expected: list[Rec]) -> None:
    assert len(got) == len(expected)
    for g, x in zip(got, expected, strict=True):
        assert g[0] == x[0]
        assert g[1] == pytest.approx(x[1], abs=1e-6), g[0]
        assert g[2] == x[2], g[0]
        assert g[3] == x[3], g[0]


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: not seekable, no fileno, and short reads of random size."""

    def __init__(self, data: bytes, seed: int = 0, max_read: int = 97) -> None:
        self._src = io.BytesIO(data)
        self._rnd = random.Random(seed)
        self._max = max_read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return self._src.read()
        return self._src.read(min(n, self._rnd.randint(1, self._max)))




def sll_packet(eth_frame: bytes, pkttype: int = 0, hatype: int = 1) -> bytes:
    """Linux cooked v1 (LINKTYPE 113) form of an Ethernet frame: the destination MAC is lost."""
    src, rest = eth_frame[6:12], eth_frame[12:]
    return struct.pack("!HHH8s", pkttype, hatype, 6, src + b"\0\0") + rest


def sll2_packet(eth_frame: bytes, pkttype: int = 0, ifindex: int = 3) -> bytes:
    """Linux cooked v2 (LINKTYPE 276): protocol first, then ifindex, ARPHRD type, packet type, address."""
    src, proto, payload = eth_frame[6:12], eth_frame[12:14], eth_frame[14:]
    return proto + b"\0\0" + struct.pack("!IHBB8s", ifindex, 1, pkttype, 6, src + b"\0\0") + payload


def with_fcs(eth_frame: bytes) -> bytes:
    """The frame followed by its Ethernet FCS (CRC-32, least significant byte first)."""
    import zlib

    return eth_frame + zlib.crc32(eth_frame).to_bytes(4, "little")
