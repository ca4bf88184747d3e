"""plcstack.pcapio.writer: classic pcap output, read back by the reader."""

from __future__ import annotations

import io
import struct
import time
from decimal import Decimal
from pathlib import Path

import pytest
from pcap_builders import T0, assert_records, frame_of, read_all

from plcstack.pcapio import LINKTYPE_ETHERNET, CaptureReader, PcapWriter, open_capture, write_pcap


def test_round_trip_path(tmp_path: Path) -> None:
    path = tmp_path / "rt.pcap"
    frames = [(T0 + i * 0.001234 + 0.5e-6 * (i % 3), frame_of(60 + i % 70, i)) for i in range(500)]
    assert write_pcap(path, frames) == 500
    with open_capture(path) as reader:
        assert reader.format == "pcap"
        assert reader.linktype == LINKTYPE_ETHERNET
        assert reader.size == path.stat().st_size
        recs = [(i, ts, bytes(buf[o : o + n]), lt) for i, ts, buf, o, n, lt in reader]
        assert reader.bytes_read == reader.size
        assert not reader.truncated
    assert_records(recs, [(k + 1, ts, fr, 1) for k, (ts, fr) in enumerate(frames)])


def test_round_trip_stream_and_options() -> None:
    out = io.BytesIO()
    with PcapWriter(out, linktype=147, snaplen=100, nano=True) as w:
        w.write(b"a" * 150, Decimal("1700000000.123456789"))  # type: ignore[arg-type]  # exact with Decimal
        w.write(b"b" * 10, T0 + 0.9999999999)  # rounds up into the next second
        w.write(bytearray(b"c" * 5), 12.5)
        before = time.time()
        w.write(b"now")
    assert not out.closed
    data = out.getvalue()
    assert struct.unpack_from("<I", data)[0] == 0xA1B23C4D
    assert struct.unpack_from("<IIII", data, 24) == (T0, 123456789, 100, 150)  # snaplen: incl 100, orig 150
    assert struct.unpack_from("<II", data, 24 + 16 + 100) == (T0 + 1, 0)
    recs = read_all(io.BytesIO(data))
    assert [r[2] for r in recs] == [b"a" * 100, b"b" * 10, b"c" * 5, b"now"]
    assert {r[3] for r in recs} == {147}
    assert recs[0][1] == pytest.approx(T0 + 0.123456789, abs=1e-6)
    assert recs[2][1] == 12.5
    assert before - 1e-6 <= recs[3][1] <= time.time() + 1e-6


def test_writer_rejects_out_of_range_timestamps() -> None:
    w = PcapWriter(io.BytesIO())
    with pytest.raises(ValueError):
        w.write(b"x", -1.0)
    with pytest.raises(ValueError):
        w.write(b"x", 2.0**33)
    w.close()
    w.close()  # idempotent


def test_close_and_context_manager(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    write_pcap(path, [(1.0, b"x" * 60), (2.0, b"y" * 60)])
    reader = open_capture(str(path))
    it = iter(reader)
    assert next(it)[0] == 1
    assert iter(reader) is it  # single pass
    reader.close()
    assert list(reader) == []
    assert reader._file is None
    with open(path, "rb") as fh:
        with CaptureReader(fh) as r2:
            assert len(list(r2)) == 2
        assert not fh.closed


