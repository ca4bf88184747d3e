"""Helpers shared by the emulator tests (imported as ``emu_helpers``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plcstack.codec import LOCAL_MAC, Frame, decode_frame, encode
from plcstack.emu import Modem, ModemConfig, Port, PowerLine, Timers

HOST = bytes.fromhex("020000000001")
HOST_B = bytes.fromhex("020000000002")
MAC_A = bytes.fromhex("00B05200000A")
MAC_B = bytes.fromhex("00B05200000B")
MAC_C = bytes.fromhex("00B05200000C")
#: Timers for tests where timing is not the subject: short resets, no restart after a key change.
FAST = Timers(reset_s=0.2, set_key_s=0.0)
CAPTURES = Path(__file__).resolve().parents[3] / "shared" / "captures"


def cfg(mac: bytes, **kw: Any) -> ModemConfig:
    """A modem configuration with :data:`FAST` timers (unless ``timers`` is given)."""
    kw.setdefault("timers", FAST)
    return ModemConfig(mac=mac, **kw)


def capture(name: str) -> Path:
    """A file of the shared third-party captures; skips the test with a reason when it is absent."""
    hits = sorted(CAPTURES.glob(f"*/{name}"))
    if not hits:
        pytest.skip(f"shared capture {name} not found under {CAPTURES} (a clone of the project on its own)")
    return hits[0]


def req(message: Any, dst: bytes = LOCAL_MAC, src: bytes = HOST, **kw: Any) -> bytes:
    return encode(dst, src, message, **kw)


def ask(modem: Modem, frame: bytes, t: float = 1.0) -> list[Frame]:
    """Host-side request to a lone modem; the decoded host-side replies."""
    outputs, _ = modem.receive(Port.HOST, frame, t)
    return [decode_frame(f) for p, f in outputs if p is Port.HOST]


def raw_replies(modem: Modem, frame: bytes, t: float = 1.0) -> list[bytes]:
    outputs, _ = modem.receive(Port.HOST, frame, t)
    return [f for p, f in outputs if p is Port.HOST]


def host_frames(pl: PowerLine, mac: bytes) -> list[Frame]:
    return [decode_frame(f) for _, f in pl.take_host(mac)]
