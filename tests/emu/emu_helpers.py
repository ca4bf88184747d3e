"""Helpers shared by the emulator tests (imported as ``emu_helpers``)."""

from __future__ import annotations

from typing import Any

from plcstack.codec import LOCAL_MAC, Frame, decode_frame, encode
from plcstack.emu import Modem, Port, PowerLine

HOST = bytes.fromhex("020000000001")
HOST_B = bytes.fromhex("020000000002")
MAC_A = bytes.fromhex("00B05200000A")
MAC_B = bytes.fromhex("00B05200000B")
MAC_C = bytes.fromhex("00B05200000C")


def req(message: Any, dst: bytes = LOCAL_MAC, src: bytes = HOST, **kw: Any) -> bytes:
    return encode(dst, src, message, **kw)


def ask(modem: Modem, frame: bytes, t: float = 1.0) -> list[Frame]:
    """Host-side request to a lone modem; the decoded host-side replies."""
    outputs, _ = modem.receive(Port.HOST, frame, t)
    return [decode_frame(f) for p, f in outputs if p is Port.HOST]


def host_frames(pl: PowerLine, mac: bytes) -> list[Frame]:
    return [decode_frame(f) for _, f in pl.take_host(mac)]
