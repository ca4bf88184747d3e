"""plcstack.capture.timefmt: tshark's -t formats from integer nanoseconds, exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from plcstack.capture import CapturedFrame, format_time
from plcstack.capture.timefmt import epoch_string, seconds

T = 1_700_000_000_123_456_789


def rec() -> CapturedFrame:
    return CapturedFrame(3, T, b"", rel_ns=2_000_000_001, delta_ns=999, delta_shown_ns=1_500_000_000)


def test_seconds_are_truncated_not_rounded_and_exact() -> None:
    assert seconds(1_999_999_999, 6) == "1.999999" and seconds(1_999_999_999, 9) == "1.999999999"
    assert seconds(-1_500_000_000, 3) == "-1.500" and seconds(5, 0) == "0"
    assert epoch_string(T) == "1700000000.123456789"
    assert int(epoch_string(T).replace(".", "")) == T


@pytest.mark.parametrize(("fmt", "digits", "expected"), [
    ("r", 6, "2.000000"), ("r", 9, "2.000000001"), ("d", 9, "0.000000999"), ("dd", 3, "1.500"),
    ("e", 9, "1700000000.123456789"),
])
def test_relative_delta_epoch(fmt: str, digits: int, expected: str) -> None:
    assert format_time(rec(), fmt, digits) == expected


def test_absolute_and_utc() -> None:
    assert format_time(rec(), "u", 6) == "22:13:20.123456"
    assert format_time(rec(), "ud", 9) == "2023-11-14 22:13:20.123456789"
    local = dt.datetime.fromtimestamp(T // 10**9)
    assert format_time(rec(), "a", 6) == local.strftime("%H:%M:%S") + ".123456"
    assert format_time(rec(), "ad", 6).startswith(local.strftime("%Y-%m-%d %H:%M:%S"))
    with pytest.raises(ValueError):
        format_time(rec(), "x")
