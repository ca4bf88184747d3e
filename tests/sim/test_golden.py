"""``summary.json`` of two small sites, pinned.  A difference is either a bug or a deliberate model
or advice change; in the latter case regenerate with ``python tools/regen_sim_golden.py`` and let the
reviewers see the diff of tests/data/sim-golden/."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "sim-golden"


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("regen_sim_golden", ROOT / "tools" / "regen_sim_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON documents differ (floats to 1e-9 relative: the same maths, another CPU)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only on one side" for k in sorted(set(a) ^ set(b))]
        return out + [d for k in sorted(set(a) & set(b)) for d in _diff(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items, golden {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{path}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        ok = isinstance(a, int | float) and isinstance(b, int | float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return [] if ok else [f"{path}: {a!r}, golden {b!r}"]
    return [] if a == b else [f"{path}: {a!r}, golden {b!r}"]


@pytest.mark.parametrize("name", ["one-bridge", "two-bridges"])
def test_summary_matches_the_golden_file(name: str) -> None:
    tool = _tool()
    golden = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    got = tool.golden_summary(name, tool.CASES[name])
    diffs = _diff(got, golden)
    assert not diffs, f"{len(diffs)} differences from tests/data/sim-golden/{name}.json:\n" + "\n".join(diffs[:40])


def test_golden_files_hold_a_plan_and_the_per_charger_table() -> None:
    two = json.loads((GOLDEN / "two-bridges.json").read_text(encoding="utf-8"))
    assert two["advice"] and two["advice"][0]["action"] == "single-bridge"
    assert all("availability" in n for n in two["nodes"])
