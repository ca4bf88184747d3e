"""The crosstalk bench on small sites: charging points, the physics' margins, wrong matches vs threshold."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from plcstack.cli import main
from plcstack.emu.link import ConstantLinkModel
from plcstack.sim.site import load_site, site_from_dict
from plcstack.slac.crosstalk import (
    BenchParams,
    CrosstalkError,
    JitterLink,
    charging_points,
    crosstalk,
    format_crosstalk,
)

SITES = Path(__file__).resolve().parents[2] / "sites"


def two_feeds(phases: tuple[str, str] = ("L1", "L1")) -> dict:
    return {"site": {"grid": "TN"},
            "cable": [{"name": f"feed-{i}", "type": "Cu-10mm2", "length_m": 15} for i in (1, 2)],
            "charger": [{"name": f"C{i}", "cable": f"feed-{i}", "at_m": 10, "phase": phases[i - 1],
                         "network_password": f"c{i}", "technology": "GP"} for i in (1, 2)],
            "plc_module": [{"name": f"EV{i}", "cable": f"feed-{i}", "at_m": 15, "phase": phases[i - 1],
                            "network_password": f"e{i}", "technology": "GP"} for i in (1, 2)]}


def test_evs_are_plugged_into_the_nearest_charger_on_their_cable() -> None:
    site, points = charging_points(site_from_dict(two_feeds()))
    assert [(p.ev.name, p.charger.name) for p in points] == [("EV1", "C1"), ("EV2", "C2")]
    assert len({p.ev_host for p in points} | {p.evse_host for p in points}) == 4
    gen, gpoints = charging_points(site_from_dict(two_feeds()), ev_per_charger=True)
    assert [p.ev.name for p in gpoints] == ["EV-C1", "EV-C2"] and len(gen.nodes) == 4  # site EVs replaced


def test_sites_without_evs_or_with_stray_evs_are_refused() -> None:
    d = two_feeds()
    d.pop("plc_module")
    with pytest.raises(CrosstalkError, match="--ev-per-charger"):
        charging_points(site_from_dict(d))
    d = two_feeds()
    d["cable"].append({"name": "lonely", "type": "Cu-10mm2", "length_m": 5})
    d["plc_module"][1]["cable"] = "lonely"
    d["plc_module"][1]["at_m"] = 5
    with pytest.raises(CrosstalkError, match="no charger"):
        charging_points(site_from_dict(d))


def test_jitter_keeps_reachability_and_spreads_the_groups_by_about_sigma() -> None:
    link = JitterLink(ConstantLinkModel(attenuation_db=tuple([30] * 58)), 1.0, random.Random(1))
    a, b = bytes(6), bytes([1] * 6)
    samples = [link.link(a, b, 0.0).attenuation_db for _ in range(200)]
    flat = [v - 30 for s in samples for v in s]
    mean = sum(flat) / len(flat)
    sd = (sum((v - mean) ** 2 for v in flat) / len(flat)) ** 0.5
    assert abs(mean) < 0.1 and 0.8 < sd < 1.4 and link.link(a, b, 0.0).reachable


def test_the_garage_sites_load_as_simulator_sites() -> None:
    for name in ("garage-row", "garage-single-phase", "garage-busway"):
        site = load_site(SITES / f"{name}.toml")
        assert site.chargers and all(c.technology == "GP" for c in site.chargers)


def test_same_phase_neighbours_below_the_threshold_take_evs_whose_charger_is_late() -> None:
    site = site_from_dict(two_feeds(), name="two")
    rep = crosstalk(site, BenchParams(runs=3, thresholds_db=(15.0, 40.0), evse_delay_s=1.5, ev_spread_s=0.5))
    m1 = rep["static_margins"][0]
    assert m1["own_db"] < 15 and m1["best_other_db"] > 18 and m1["margin_db"] > 10  # own cable vs the board path
    strict, loose = rep["thresholds"]
    assert strict["threshold_db"] == 15 and strict["wrong_matches"] == 0 and strict["own_matches"] == 6
    assert loose["wrong_matches"] > 0  # the neighbour (~21 dB) is acceptable at 40 dB while the own charger is late
    text = format_crosstalk(rep)
    assert "wrong pairs" in text and "EV1" in text


def test_chargers_ready_first_means_no_wrong_match_even_at_40_db() -> None:
    rep = crosstalk(site_from_dict(two_feeds(), name="two"),
                    BenchParams(runs=2, thresholds_db=(40.0,), evse_delay_s=0.0))
    (row,) = rep["thresholds"]
    assert row["own_matches"] == 4 and row["wrong_matches"] == 0 and row["unmatched"] == 0


def test_cross_phase_loss_moves_the_neighbour_further_away() -> None:
    params = BenchParams(runs=1, thresholds_db=(40.0,), evse_delay_s=0.0)
    cross = crosstalk(site_from_dict(two_feeds(("L1", "L2")), name="x"), params)
    same = crosstalk(site_from_dict(two_feeds(), name="s"), params)
    assert cross["static_margins"][0]["best_other_db"] > same["static_margins"][0]["best_other_db"] + 5


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slac", "crosstalk", str(SITES / "garage-busway.toml"), "--ev-per-charger", "--runs", "1",
                 "--threshold-db", "40", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["chargers"] == 6 and rep["thresholds"][0]["sessions"] == 6
    assert main(["slac", "crosstalk", str(SITES / "garage-busway.toml")]) == 2  # no EVs without the flag
    assert main(["slac", "crosstalk", str(tmp_path / "nope.toml")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["slac", "crosstalk", str(SITES / "garage-row.toml"), "--threshold-db", "x"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--ev-per-charger" in err and "Traceback" not in err
