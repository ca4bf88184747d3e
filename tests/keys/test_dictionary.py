"""plcstack.keys.dictionary: the pure search core (hot loop, bookkeeping)."""

from __future__ import annotations

from plcstack.keys.derive import nid_from_password, nid_without_level, nmk_from_password
from plcstack.keys.dictionary import NidSearch, Recovered, as_candidates, chunked, nid_cores_of

NID_L1 = nid_from_password("HomePlugAV0123", 1)  # 026BCBA5354E18, published (docs/keys.md)


def test_hot_loop_matches_the_derivation() -> None:
    words = [b"nope", b"HomePlugAV0123", b"HomePlugAV"]
    hits = nid_cores_of(words, frozenset({nid_without_level(NID_L1)}))
    assert hits == [(b"HomePlugAV0123", nid_without_level(NID_L1))]
    assert NID_L1.hex().upper() == "026BCBA5354E18"


def test_search_state() -> None:
    state = NidSearch([NID_L1, nid_from_password("HomePlugAV")])
    assert len(state.targets) == 2 and not state.done
    state.check([b"HomePlugAV0123", b"x"])
    state.check([b"HomePlugAV0123"])  # found again: counted as tried, recorded once
    assert state.result.tried == 3 and not state.done
    (found,) = state.result.found
    assert found.nid == NID_L1 and found.security_level == 1 and found.nmk == nmk_from_password("HomePlugAV0123")
    assert "HomePlugAV0123" not in repr(found) and "redacted" in repr(found)
    state.check(list(as_candidates(["HomePlugAV"])))
    assert state.done and [r.password for r in state.result.found] == [b"HomePlugAV0123", b"HomePlugAV"]


def test_rates_and_chunks() -> None:
    state = NidSearch([])
    assert state.done and state.result.rate == 0.0
    state.result.tried, state.result.seconds, state.result.processes = 300, 2.0, 3
    assert state.result.rate == 150.0 and state.result.rate_per_process == 50.0
    assert [len(c) for c in chunked(iter([b"a"] * 7), 3)] == [3, 3, 1]
    assert list(as_candidates(["café", b"\xff"])) == ["café".encode(), b"\xff"]
    assert isinstance(Recovered(NID_L1, b"p", 1), Recovered)
