"""Every HomePlug frame of every shared capture decodes and re-encodes to the identical bytes."""

from __future__ import annotations

from scapy.utils import rdpcap

from plcstack.codec import DecodeError, decode_frame, encode_frame


def test_every_capture_frame_roundtrips(capture_files):
    total = 0
    for path in capture_files:
        for index, pkt in enumerate(rdpcap(str(path)), start=1):
            data = bytes(pkt)
            if data[12:14] != b"\x88\xe1":
                continue
            try:
                frame = decode_frame(data)
            except DecodeError as exc:  # pragma: no cover - a failure message, not a path
                raise AssertionError(f"{path.name} frame {index}: {exc}") from exc
            assert encode_frame(frame) == data, f"{path.name} frame {index} ({frame.name})"
            assert frame.truncated is None, f"{path.name} frame {index}: {frame.truncated}"
            total += 1
    assert total > 2000
