"""plcstack.keys.rng: integers from any byte source, exactly uniform, and no hidden source."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from plcstack.keys import random_bytes
from plcstack.keys.rng import random_nibble, random_nonzero, random_u16, system_random_bytes


def counter_source() -> tuple[list[int], object]:
    calls: list[int] = []

    def source(n: int) -> bytes:
        calls.append(n)
        return bytes(range(len(calls), len(calls) + n))

    return calls, source


def test_integers_come_from_the_bytes() -> None:
    assert random_u16(lambda n: b"\x34\x12") == 0x1234
    assert random_nibble(lambda n: b"\xab") == 0x0B
    # every byte value maps to one nibble, 16 values each: uniform when the bytes are
    assert Counter(random_nibble(lambda n, b=b: bytes((b,))) for b in range(256)) == {v: 16 for v in range(16)}


def test_nonzero_draws_again() -> None:
    draws = iter([bytes(4), bytes(4), b"\x00\x00\x00\x01"])
    assert random_nonzero(lambda n: next(draws), 4) == b"\x00\x00\x00\x01"


def test_short_source_is_an_error() -> None:
    with pytest.raises(ValueError, match="returned 1 bytes"):
        random_u16(lambda n: b"\x01")


def test_default_adapter_and_seeded_source() -> None:
    assert random_bytes is system_random_bytes and len(random_bytes(16)) == 16
    assert random_u16(random.Random(5).randbytes) == random_u16(random.Random(5).randbytes)
