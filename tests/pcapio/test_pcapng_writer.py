"""pcapng writer (plcstack.pcapio.pcapng_writer): named interfaces, interface ids per packet, directions."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from pcap_builders import T0, frame_of, ng_epb

from plcstack.pcapio import INBOUND, OUTBOUND, CaptureReader, PcapngWriter


def _written(**kw: object) -> tuple[bytes, list[bytes]]:
    out = io.BytesIO()
    frames = [frame_of(60 + 7 * i, i) for i in range(4)]
    with PcapngWriter(out) as w:
        a = w.add_interface("m0", "host link of modem A")
        w.write(frames[0], time_ns=T0 * 10**9 + 1, interface=a, direction=INBOUND)
        b = w.add_interface("m1")  # added between packets: its IDB precedes the packets that use it
        w.write(frames[1], Decimal(T0) + Decimal("0.000000002"), interface=b, direction=OUTBOUND)
        w.write(frames[2], T0 + 0.5, interface=a, comment="a comment")
        w.write(frames[3], time_ns=T0 * 10**9 + 3, interface=b, orig_len=500)
    return out.getvalue(), frames


def test_packets_keep_their_interface_and_exact_time():
    data, frames = _written()
    with CaptureReader(io.BytesIO(data)) as r:
        got = list(r.packets())
        names = [(i.name, i.description) for i in r.interfaces]
    assert names == [("m0", "host link of modem A"), ("m1", None)]
    assert [p.interface for p in got] == [0, 1, 0, 1]
    assert [p.data for p in got] == frames
    assert [p.time_ns for p in got] == [T0 * 10**9 + 1, T0 * 10**9 + 2, T0 * 10**9 + 500_000_000, T0 * 10**9 + 3]
    assert got[3].orig_len == 500 and got[0].orig_len == len(frames[0])


def test_packet_block_is_the_one_the_draft_describes():
    """The EPB of a packet with a direction, byte for byte as the test builders write it from the draft."""
    out = io.BytesIO()
    frame = frame_of(61, 9)
    with PcapngWriter(out) as w:
        w.add_interface("m0")
        w.add_interface("m1")
        w.write(frame, time_ns=T0 * 10**9 + 7, interface=1, direction=OUTBOUND)
    assert out.getvalue().endswith(ng_epb("<", 1, T0 * 10**9 + 7, frame, orig_len=len(frame), flags=OUTBOUND))


def test_unknown_interface_is_refused():
    w = PcapngWriter(io.BytesIO())
    w.add_interface("m0")
    with pytest.raises(ValueError, match="interface 1"):
        w.write(b"\0" * 60, 1.0, interface=1)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_reads_interfaces_and_directions(tmp_path: Path):
    data, _ = _written()
    path = tmp_path / "two.pcapng"
    path.write_bytes(data)
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.interface_id",
                          "-e", "frame.interface_name", "-e", "frame.interface_description",
                          "-e", "frame.packet_flags_direction", "-e", "frame.time_epoch"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[:3] for r in rows] == [["0", "m0", "host link of modem A"], ["1", "m1", ""], ["0", "m0",
                                     "host link of modem A"], ["1", "m1", ""]]
    assert [int(r[3], 0) for r in rows[:2]] == [1, 2]  # inbound, outbound (tshark prints 0x00000001 or 1)
    assert rows[1][4].startswith(f"{T0}.000000002")
