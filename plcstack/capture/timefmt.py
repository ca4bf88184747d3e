"""Time columns as tshark prints them (``-t r|a|ad|d|dd|e|u|ud``), from integer nanoseconds.

tshark ``-t``: ``r`` seconds since the first packet of the file (default), ``a`` absolute local
time of day, ``ad`` absolute local date and time, ``d`` since the previous captured packet, ``dd``
since the previous displayed packet, ``e`` seconds since the epoch, ``u`` / ``ud`` UTC time of day
/ date and time.  ``digits`` is the precision (6 for microsecond captures, 9 for nanosecond ones,
like tshark's automatic precision).
"""

from __future__ import annotations

import datetime as _dt

from plcstack.capture.records import CapturedFrame

TIME_FORMATS = ("r", "a", "ad", "d", "dd", "e", "u", "ud")


def seconds(ns: int, digits: int = 9) -> str:
    """``ns`` nanoseconds as seconds with ``digits`` decimals, exactly (truncated, not rounded)."""
    if ns < 0:
        return "-" + seconds(-ns, digits)
    whole, frac = divmod(ns, 1_000_000_000)
    if digits <= 0:
        return str(whole)
    if digits >= 9:
        return f"{whole}.{frac:09d}"
    return f"{whole}.{frac // _SCALE[digits]:0{digits}d}"


_SCALE = {d: 10 ** (9 - d) for d in range(1, 9)}


def epoch_string(ns: int) -> str:
    """The exact epoch time, nine decimals (tshark's ``frame.time_epoch`` in ``-T json``)."""
    return seconds(ns, 9)


def _clock(ns: int, utc: bool, date: bool, digits: int) -> str:
    whole, frac = divmod(ns, 1_000_000_000)
    tz = _dt.UTC if utc else None
    t = _dt.datetime.fromtimestamp(whole, tz)
    text = t.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return text + (f".{frac:09d}"[: 1 + min(digits, 9)] if digits > 0 else "")


def format_time(rec: CapturedFrame, fmt: str = "r", digits: int = 6) -> str:
    """The time column of ``rec`` in tshark's ``-t fmt``."""
    if fmt == "r":
        return seconds(rec.rel_ns, digits)
    if fmt == "d":
        return seconds(rec.delta_ns, digits)
    if fmt == "dd":
        return seconds(rec.delta_shown_ns, digits)
    if fmt == "e":
        return seconds(rec.time_ns, digits)
    if fmt in ("a", "ad", "u", "ud"):
        return _clock(rec.time_ns, fmt.startswith("u"), fmt.endswith("d"), digits)
    raise ValueError(f"unknown time format {fmt!r} (one of {', '.join(TIME_FORMATS)})")
