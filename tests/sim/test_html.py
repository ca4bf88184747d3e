"""``report.html``: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from plcstack.sim import advice
from plcstack.sim.engine import simulate
from plcstack.sim.html import render_html
from plcstack.sim.plots import render_plots
from plcstack.sim.site import load_site
from plcstack.sim.summary import summary

SITES = Path(__file__).resolve().parents[2] / "sites"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    site = load_site(SITES / "two-bridges.toml")
    base = simulate(site, hours=2, seed=0)
    plan = advice.plan(site, base, 2, 0)
    data = summary(base, plan.advice, plan.info)
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(render_html(data, render_plots(base, plan.advice)), encoding="utf-8")
    return out, data


def test_page_is_self_contained(report_page) -> None:
    path, data = report_page
    page = path.read_text()
    assert data["advice"], "the two-bridges site must get a plan"
    assert "<script" not in page.lower()
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs)
    assert not re.search(r"url\(\s*['\"]?(?!data:)", page)  # no external CSS resources
    assert 'name="viewport"' in page and "@media" in page
    for a in data["advice"]:
        assert a["instruction"] in page
    for n in data["nodes"]:
        assert f"<td>{n['name']}</td>" in page


def test_text_is_escaped() -> None:
    data = summary(simulate(load_site(SITES / "one-bridge.toml"), hours=0.5, seed=0))
    data["site"] = "<b>x</b>&"
    data["advice"] = [{"rank": 1, "action": "x", "text": "Do <this> & that. Why: y.", "instruction": "Do <this> & that",
                       "effect": {"flaps_total": [3, 0]}}]
    page = render_html(data, {})
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;&amp;" in page
    assert "Do &lt;this&gt; &amp; that" in page


def _chromium(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="plcstack-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", *args, url],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.realtools
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (tools/install-debian-deps.sh installs it)")
def test_chromium_renders_the_plan_on_a_phone(report_page, tmp_path: Path) -> None:
    path, data = report_page
    url = path.resolve().as_uri()
    shot = tmp_path / "phone.png"
    run = _chromium(["--window-size=390,844", f"--screenshot={shot}"], url)
    assert shot.exists(), run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (844, 390)
    assert float(np.var(pixels[..., :3])) > 1e-3  # not a blank page
    dom = _chromium(["--dump-dom"], url)
    assert dom.returncode == 0
    text = re.sub(r"<[^>]+>", "", dom.stdout)
    for a in data["advice"]:
        assert a["instruction"].replace("&", "&amp;") in text
    assert "Chargers and modules" in text and "Plan" in text
