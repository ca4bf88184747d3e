"""plcstack.keys.parallel: the same hits in-process and on a worker pool; the clock is the caller's."""

from __future__ import annotations

from itertools import count

from plcstack.keys.derive import nid_from_password
from plcstack.keys.parallel import search

NIDS = [nid_from_password("HomePlugAV0123", 1), nid_from_password("HomePlugAV")]
WORDS = [b"w%03d" % i for i in range(40)] + [b"HomePlugAV", b"more"] + [b"x%03d" % i for i in range(40)] + [
    b"HomePlugAV0123"]


def test_in_process_and_pool_agree() -> None:
    ticks = count(10.0, 0.5)
    one = search(NIDS, WORDS, processes=1, chunk_size=16, clock=lambda: next(ticks))
    two = search(NIDS, WORDS, processes=2, chunk_size=16, stop_when_all_found=False)
    assert sorted(r.password for r in one.found) == sorted(r.password for r in two.found) == [
        b"HomePlugAV", b"HomePlugAV0123"]
    assert one.seconds == 0.5 and one.processes == 1  # two clock reads, 0.5 s apart
    assert two.tried == len(WORDS) and two.processes == 2 and two.seconds > 0


def test_stops_when_all_found_and_reports_progress() -> None:
    seen: list[int] = []
    r = search(NIDS[1:], [b"HomePlugAV", *WORDS], processes=1, chunk_size=8, progress=seen.append)
    assert r.tried == 8 and seen == [8] and len(r.found) == 1
    assert search([], WORDS).tried == 0
