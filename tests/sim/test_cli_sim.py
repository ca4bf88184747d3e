"""``plcstack simulate`` and ``plcstack sweep`` end to end (local pool and Dask)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plcstack.cli import main

SITES = Path(__file__).resolve().parents[2] / "sites"


def test_simulate_writes_summary_and_plots(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["simulate", str(SITES / "two-bridges.toml"), "--hours", "3", "--out", str(out)]) == 0
    data = json.loads((out / "summary.json").read_text())
    for key in ("flaps_total", "downtime_s_total", "nodes", "advice", "bridging_loops"):
        assert key in data
    assert data["flaps_total"] > 0
    node = data["nodes"][0]
    for key in ("name", "avln", "gateway", "phy_rate_mbps", "flaps", "downtime_s"):
        assert key in node
    assert all(n["avln"] is None or len(n["avln"]) == 14 for n in data["nodes"])  # NID, 7 octets hex
    assert data["advice"]
    for png in ("link_rates.png", "membership_timeline.png", "worst_link_snr.png"):
        assert (out / png).stat().st_size > 5000
    text = capsys.readouterr().out
    assert "flaps_total" in text


def test_simulate_json_and_bad_site(tmp_path: Path, capsys) -> None:
    assert main(["simulate", str(SITES / "one-bridge.toml"), "--hours", "1", "--out", str(tmp_path),
                 "--json", "--no-advice", "--no-plots"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["flaps_total"] == 0 and data["hours"] == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[site]\ngrid = "TN"\n[[cable]]\nname = "a"\ntype = "Cu-10mm2"\nlength_m = 10\n'
                   '[[charger]]\nname = "C"\ncable = "b"\nat_m = 1\nnetwork_password = "x"\n')
    assert main(["simulate", str(bad)]) == 2
    assert "is not a [[cable]]" in capsys.readouterr().err
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[site]\n[[cable]]\nname = "a"\ntype = "Cu-7mm2"\nlength_m = 10\n'
                       '[[charger]]\nname = "C"\ncable = "a"\nat_m = 1\nnetwork_password = "x"\n')
    assert main(["simulate", str(unknown), "--no-advice", "--no-plots", "--out", str(tmp_path)]) == 2
    assert "Cu-7mm2" in capsys.readouterr().err


def test_sweep_local_pool(tmp_path: Path, capsys) -> None:
    assert main(["sweep", str(SITES / "two-bridges.toml"), "--vary", "charger.C5.bridge=true,false",
                 "--hours", "2", "--runs", "2", "--workers", "2", "--json", "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 4 and len(data["aggregate"]) == 2
    by = {r["charger.C5.bridge"]: r for r in data["aggregate"]}
    assert by[True]["flaps_total"] > by[False]["flaps_total"]
    assert (tmp_path / "sweep.png").exists() and (tmp_path / "sweep.csv").exists()


def test_sweep_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    from plcstack.sim import sweep

    data = __import__("tomllib").loads((SITES / "one-bridge.toml").read_text())
    jobs = sweep.build_jobs(data, [sweep.parse_vary("site.cross_phase_loss_db=0,25")], runs=1, hours=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        rows = sweep.run_dask(jobs, cl)
    local = sweep.run_local(jobs, workers=1)
    strip = [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]
    assert strip == [{k: v for k, v in r.items() if k != "wall_s"} for r in local]


def test_sweep_rejects_bad_keys(capsys) -> None:
    assert main(["sweep", str(SITES / "one-bridge.toml"), "--vary", "charger.NOPE.bridge=true"]) == 2
    assert "NOPE" in capsys.readouterr().err
