"""The README's Python API example is ``examples/sim_api.py``, and it runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sim_api.py"


def test_readme_shows_the_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Python API"):]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    assert block.group(1).strip() == EXAMPLE.read_text(encoding="utf-8").strip()


def test_example_runs_and_prints_summary_plan_and_sweep() -> None:
    run = subprocess.run([sys.executable, str(EXAMPLE)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert re.search(r"^flaps \d+ downtime s [\d.]+$", out, re.M)
    assert re.search(r"^C2 +plc +via C\d", out, re.M)
    assert re.search(r"^1 Make C\d .*the only Wi-Fi-to-PLC bridge", out, re.M)
    assert "C5 bridges: True" in out and "C5 bridges: False" in out
    assert re.search(r"^C1 at 80 m: [\d.]+ Mbit/s$", out, re.M)
