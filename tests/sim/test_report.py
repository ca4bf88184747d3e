"""``summary.json`` contents and the file adapters (summary, plots, report.html)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plcstack.sim import report
from plcstack.sim.engine import simulate
from plcstack.sim.plots import render_plots
from plcstack.sim.site import load_site
from plcstack.sim.summary import availability, charger_rows, key_metrics, summary, trouble_by_hour

SITES = Path(__file__).resolve().parents[2] / "sites"
PNG = b"\x89PNG\r\n\x1a\n"

# every key summary.json had before the advice became a plan: scripts read them
TOP_KEYS = {"site", "source", "hours", "seed", "grid", "mains_hz", "gateway_policy", "flaps_total", "downtime_s_total",
            "metrics", "nodes", "avlns", "bridging_loops", "advice", "wall_s", "events", "events_truncated"}
NODE_KEYS = {"name", "kind", "mac", "cable", "at_m", "phase", "technology", "bridge", "wifi_rssi_dbm", "avln", "cco",
             "gateway", "phy_rate_mbps", "goodput_tcp_mbps", "avlns_in_range", "flaps", "flap_kinds", "l2_flaps",
             "downtime_s", "availability", "extra_bytes", "extra_of_daily_budget", "broker_ghost_session_s",
             "time_by_gateway_s", "time_by_avln_s"}


@pytest.fixture(scope="module")
def two_bridges():
    return simulate(load_site(SITES / "two-bridges.toml"), hours=2, seed=0)


def test_summary_keeps_every_key_and_adds_availability(two_bridges) -> None:
    data = summary(two_bridges)
    assert TOP_KEYS | {"plan"} <= set(data)
    for n in data["nodes"]:
        assert NODE_KEYS | {"uplink"} <= set(n)
        assert 0.0 <= n["availability"] <= 1.0
        assert n["availability"] == pytest.approx(1.0 - n["downtime_s"] / 7200.0, abs=1e-4)
        assert n["uplink"] in ("wifi", "plc", "wired", "none")
    assert data["flaps_total"] == sum(n["flaps"] for n in data["nodes"]) > 0
    json.dumps(data)  # serialisable as is


def test_key_metrics_and_availability(two_bridges) -> None:
    m = key_metrics(two_bridges)
    assert m["flaps_total"] == two_bridges.flaps_total
    assert m["worst_availability"] == min(n["availability"] for n in summary(two_bridges)["nodes"]
                                          if n["kind"] == "charger")
    assert availability(0.0, 1.0) == 1.0 and availability(7200.0, 1.0) == 0.0 and availability(10.0, 0.0) == 1.0


def test_activity_counts_network_changes_per_hour(two_bridges) -> None:
    act = trouble_by_hour(two_bridges)
    assert len(act) == 2 and sum(act) > 0  # the bridging loop flips Ethernet paths all the time
    quiet = simulate(load_site(SITES / "one-bridge.toml"), hours=2, seed=0)
    assert sum(trouble_by_hour(quiet)) < sum(act)


def test_charger_rows_match_the_nodes(two_bridges) -> None:
    data = summary(two_bridges)
    rows = charger_rows(data)
    assert len(rows) == len(data["nodes"]) and all(len(r) == len(rows[0]) for r in rows)
    assert rows[0][0] == data["nodes"][0]["name"]


def test_plots_are_png_bytes_and_files(two_bridges, tmp_path: Path) -> None:
    advice = [{"rank": 1, "action": "single-bridge", "effect": {"downtime_s_total": [500.0, 0.0],
                                                                 "flaps_total": [500, 0]}}]
    images = render_plots(two_bridges, advice)
    assert set(images) == {"link_rates.png", "membership_timeline.png", "worst_link_snr.png", "plan.png"}
    assert all(png.startswith(PNG) and len(png) > 5000 for png in images.values())
    paths = report.write_images(images, tmp_path / "out")
    assert {p.name for p in paths} == set(images) and all(p.read_bytes().startswith(PNG) for p in paths)
    assert "plan.png" not in render_plots(two_bridges)  # no plan, no plan plot


def test_write_summary_and_report(two_bridges, tmp_path: Path) -> None:
    data = summary(two_bridges)
    path = report.write_summary(data, tmp_path / "o")
    assert json.loads(path.read_text()) == json.loads(json.dumps(data))
    page = report.write_report_html(data, {}, tmp_path / "o")
    assert page.name == "report.html" and "two-bridges" in page.read_text()


def test_summary_and_plots_use_the_runs_end_state() -> None:
    """What-ifs in this process reuse (and move) the base run's physics; the report must not show
    their charging state."""
    import numpy as np

    from plcstack.sim.engine import Engine
    from plcstack.sim.site import charging_at

    site = load_site(SITES / "demo.toml")
    base = simulate(site, hours=1, seed=0)  # ends at 01:00
    Engine(site, hours=1, seed=0, physics=base.physics, start_s=18 * 3600.0).run()  # a what-if at 18:00
    want = np.array(charging_at(site, 3600.0)) & base.physics.is_charger
    assert not np.array_equal(base.physics.charging, want)
    summary(base)
    assert np.array_equal(base.physics.charging, want)
