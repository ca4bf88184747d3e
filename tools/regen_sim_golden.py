"""Regenerate the simulator's golden summaries in tests/data/sim-golden/.

    python tools/regen_sim_golden.py

Changing these files is a deliberate, reviewed act: the diff shows what a model or advice change
does to the predictions (tests/sim/test_golden.py compares against them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "sim-golden"
CASES = {"one-bridge": 3.0, "two-bridges": 3.0}  # site -> simulated hours (seed 0, with the advice plan)


def golden_summary(name: str, hours: float) -> dict[str, Any]:
    """``summary.json`` of a site as `plcstack simulate` writes it, minus what depends on the machine."""
    from plcstack.sim import advice, summary
    from plcstack.sim.engine import simulate
    from plcstack.sim.site import load_site

    site = load_site(ROOT / "sites" / f"{name}.toml")
    base = simulate(site, hours=hours, seed=0, clock=None)
    plan = advice.plan(site, base, hours, 0)
    data = summary.summary(base, plan.advice, plan.info)
    data["source"] = f"sites/{name}.toml"
    data["plan"].pop("wall_s", None)
    return json.loads(json.dumps(data, default=float))


def main() -> int:
    sys.path.insert(0, str(ROOT))
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, hours in CASES.items():
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(golden_summary(name, hours), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
