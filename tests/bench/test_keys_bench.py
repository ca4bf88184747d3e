"""Benchmarks of the key manager: `make bench` (pytest --benchmark-enable --benchmark-only).

Without --benchmark-enable each runs once as a plain test (and checks its result).
"""

from __future__ import annotations

from plcstack.keys.derive import nid_from_password, nid_without_level, nmk_from_password
from plcstack.keys.dictionary import nid_cores_of
from plcstack.keys.payload import open_payload, seal
from plcstack.keys.rng import system_random_bytes

NMK = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")


def test_bench_nmk_from_password(benchmark) -> None:  # type: ignore[no-untyped-def]
    assert benchmark(nmk_from_password, "HomePlugAV0123") == NMK


def test_bench_dictionary_inner_loop_100_passwords(benchmark) -> None:  # type: ignore[no-untyped-def]
    """100 candidates through the audit hot loop (NMK + NID each); passwords/s = 100 / mean."""
    words = [b"candidate-%03d" % i for i in range(99)] + [b"HomePlugAV0123"]
    targets = frozenset({nid_without_level(nid_from_password("HomePlugAV0123", 1))})
    hits = benchmark(nid_cores_of, words, targets)
    assert [pw for pw, _ in hits] == [b"HomePlugAV0123"]


def test_bench_seal_open_500_bytes(benchmark) -> None:  # type: ignore[no-untyped-def]
    inner = bytes(range(256)) * 2

    def round_trip() -> bytes:
        return open_payload(seal(inner, NMK, pid=0, prn=1, pmn=1, random_bytes=system_random_bytes), NMK)

    assert benchmark(round_trip) == inner
