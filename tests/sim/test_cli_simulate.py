"""``plcstack simulate`` and ``plcstack sweep`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from plcstack.cli import main

SITES = Path(__file__).resolve().parents[2] / "sites"


def test_simulate_writes_summary_report_and_plots(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["simulate", str(SITES / "two-bridges.toml"), "--hours", "3", "--out", str(out)]) == 0
    data = json.loads((out / "summary.json").read_text())
    for key in ("flaps_total", "downtime_s_total", "nodes", "advice", "plan", "bridging_loops"):
        assert key in data
    assert data["flaps_total"] > 0
    node = data["nodes"][0]
    for key in ("name", "avln", "gateway", "uplink", "phy_rate_mbps", "flaps", "downtime_s", "availability"):
        assert key in node
    assert all(n["avln"] is None or len(n["avln"]) == 14 for n in data["nodes"])  # NID, 7 octets hex
    assert data["advice"] and data["advice"][0]["action"] == "single-bridge"
    assert data["plan"]["confirm_runs"] >= 1 and data["plan"]["screen_runs"] >= 1
    for png in ("link_rates.png", "membership_timeline.png", "worst_link_snr.png", "plan.png"):
        assert (out / png).stat().st_size > 5000
    page = (out / "report.html").read_text()
    assert data["advice"][0]["instruction"] in page
    text = capsys.readouterr().out
    assert "flaps_total" in text and "Plan" in text and "report.html" in text


def test_simulate_json_no_advice_and_the_same_plan_on_one_worker(tmp_path: Path, capsys) -> None:
    assert main(["simulate", str(SITES / "one-bridge.toml"), "--hours", "1", "--out", str(tmp_path),
                 "--json", "--no-advice", "--no-plots"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["flaps_total"] == 0 and data["hours"] == 1 and data["advice"] == []
    assert (tmp_path / "report.html").exists() and not (tmp_path / "link_rates.png").exists()
    plans = []
    for workers in ("1", "2"):
        assert main(["simulate", str(SITES / "demo.toml"), "--hours", "2", "--out", str(tmp_path / workers),
                     "--json", "--no-plots", "--workers", workers, "--screen-hours", "0.5"]) == 0
        plans.append([a["text"] for a in json.loads(capsys.readouterr().out)["advice"]])
    assert plans[0] and plans[0] == plans[1]


def test_simulate_errors_are_messages(tmp_path: Path, capsys) -> None:
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
    assert main(["simulate", str(tmp_path / "missing.toml")]) == 2
    assert main(["simulate", str(SITES / "one-bridge.toml"), "--hours", "0"]) == 2
    assert "--hours" in capsys.readouterr().err
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert main(["simulate", str(SITES / "one-bridge.toml"), "--hours", "0.2", "--no-advice", "--no-plots",
                 "--out", str(blocked / "out")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_sweep_local_pool(tmp_path: Path, capsys) -> None:
    assert main(["sweep", str(SITES / "two-bridges.toml"), "--vary", "charger.C5.bridge=true,false",
                 "--hours", "2", "--runs", "2", "--workers", "2", "--json", "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["rows"]) == 4 and len(data["aggregate"]) == 2
    by = {r["charger.C5.bridge"]: r for r in data["aggregate"]}
    assert by[True]["flaps_total"] > by[False]["flaps_total"]
    assert (tmp_path / "sweep.png").exists() and (tmp_path / "sweep.csv").exists()


def test_sweep_matches_simulate_for_the_same_file(tmp_path: Path, capsys) -> None:
    assert main(["sweep", str(SITES / "demo.toml"), "--vary", "site.gateway_policy=hysteresis", "--hours", "1",
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert main(["simulate", str(SITES / "demo.toml"), "--hours", "1", "--json", "--no-advice", "--no-plots",
                 "--out", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert row["flaps_total"] == data["flaps_total"] and row["downtime_s_total"] == data["downtime_s_total"]


def test_sweep_rejects_bad_keys(capsys) -> None:
    assert main(["sweep", str(SITES / "one-bridge.toml"), "--vary", "charger.NOPE.bridge=true"]) == 2
    assert "NOPE" in capsys.readouterr().err


def test_help_teaches(capsys) -> None:
    try:
        main(["simulate", "--help"])
    except SystemExit:
        pass
    text = capsys.readouterr().out
    for word in ("report.html", "--workers", "--dask", "screen", "availability"):
        assert word in text
