"""The plan search (plcstack.sim.advice._Search) on scripted what-if results: screening in short
windows can misjudge a candidate, and the full-length tries must still find it."""

from __future__ import annotations

from typing import Any

from plcstack.sim import advice
from plcstack.sim.advice_rules import Candidate


def _metrics(downtime: float, flaps: int = 0) -> dict[str, Any]:
    return {"downtime_s_total": downtime, "flaps_total": flaps, "worst_plc_rate_mbps": 100.0,
            "mean_plc_rate_mbps": 100.0, "chargers_without_route": 0, "worst_availability": 1.0}


def _candidate(cid: str, effort: int = 1) -> Candidate:
    return Candidate(cid, cid, cid, "rule", f"do {cid}", "why", apply=lambda s: s, effort=effort)


class _ScriptedWhatIfs:
    """What a full-length run of each plan gives (by its last step)."""

    def __init__(self, full: dict[str, float]) -> None:
        self.full, self.calls = full, []

    def run(self, stage: str, variants: list[tuple[tuple[str, ...], str, Any]], windows: Any) -> list[dict[str, Any]]:
        self.calls.append((stage, [v[0] for v in variants]))
        return [_metrics(self.full[keys[-1]]) for keys, _, _ in variants]


def _search(full: dict[str, float]) -> advice._Search:
    return advice._Search(site=None, base_nodes={}, w=_ScriptedWhatIfs(full), hours=24.0,  # type: ignore[arg-type]
                          screen_h=1.0, max_actions=10)


def test_full_length_tries_find_what_the_screening_misjudged():
    search = _search({"a": 9000.0, "b": 4000.0, "c": 9900.0})
    # screened: a looked best, b looked bad (the short window caught it at its worst), c middling
    search.first_round = [(_candidate("a"), _metrics(100.0)), (_candidate("b"), _metrics(5000.0)),
                          (_candidate("c"), _metrics(300.0))]
    step = search.direct([], _metrics(10000.0))
    assert step is not None
    chosen, before, after = step
    assert chosen.cid == "b" and before["downtime_s_total"] == 10000.0 and after["downtime_s_total"] == 4000.0
    assert search.w.calls == [("confirm", [("a",), ("c",), ("b",)])]  # the three best-screened, full length
    assert {"a", "c"} <= search.rejected and "b" not in search.rejected


def test_full_length_tries_accept_only_a_material_improvement():
    search = _search({"a": 9950.0, "b": 9990.0})
    search.first_round = [(_candidate("a"), _metrics(100.0)), (_candidate("b"), _metrics(200.0))]
    assert search.direct([], _metrics(10000.0)) is None
    assert {"a", "b"} <= search.rejected
    assert search.direct([], _metrics(10000.0)) is None  # nothing left to try: no further runs
    assert len(search.w.calls) == 1
