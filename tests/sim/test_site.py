"""Site files: parsing, strict errors, charging windows, round trips."""

from __future__ import annotations

import pytest
from sim_sites import SITES, minimal

from plcstack.sim.site import (
    SiteError,
    is_charging,
    load_site,
    parse_clock_windows,
    set_path,
    site_from_dict,
    site_to_dict,
)


def test_every_example_site_loads() -> None:
    files = sorted(SITES.glob("*.toml"))
    assert len(files) >= 9
    for f in files:
        site = load_site(f)
        assert site.nodes and site.cables


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["charger"][0].update(colour="red"), "unknown key"),
    (lambda d: d["charger"][0].update(cable="nope"), r"is not a \[\[cable\]\]"),
    (lambda d: d["charger"][0].update(at_m=150), "outside cable"),
    (lambda d: d["charger"][0].update(phase="L4"), "phase must be one of"),
    (lambda d: d["charger"][0].pop("network_password"), "network_password"),
    (lambda d: d["charger"][0].update(bridge=True), "needs wifi_rssi_dbm"),
    (lambda d: d["charger"][0].update(charging=["25:00-26:00"]), "bad charging window"),
    (lambda d: d["site"].update(grid="XY"), "grid must be"),
    (lambda d: d["charger"][1].update(name="A"), "duplicate node names"),
    (lambda d: d["charger"][0].update(wifi_rssi_dbm=-5), "plausible RSSI"),
])
def test_site_errors_name_the_problem(mutate, message: str) -> None:
    data = minimal()
    mutate(data)
    with pytest.raises(SiteError, match=message):
        site_from_dict(data)


def test_it_grid_wants_conductor_pairs() -> None:
    data = minimal(grid="IT")
    for c in data["charger"]:
        c["phase"] = "L3-L1"
    site = site_from_dict(data)
    assert {n.phase for n in site.nodes} == {"L1-L3"}
    data["charger"][0]["phase"] = "L1"
    with pytest.raises(SiteError, match="conductor pair"):
        site_from_dict(data)


def test_charging_windows_wrap_midnight() -> None:
    w = parse_clock_windows(["22:00-02:00", "07:30-08:00"], "t")
    assert is_charging(w, 23 * 3600) and is_charging(w, 1 * 3600) and is_charging(w, 86400 + 7.75 * 3600)
    assert not is_charging(w, 3 * 3600) and not is_charging(w, 8 * 3600)


def test_site_dict_roundtrip_and_set_path() -> None:
    site = load_site(SITES / "demo.toml")
    again = site_from_dict(site_to_dict(site), name=site.name)
    assert again.nodes == site.nodes and again.params == site.params and again.series == site.series
    data = site_to_dict(site)
    set_path(data, "charger.C5.bridge", False)
    set_path(data, "site.cross_phase_loss_db", 20.0)
    set_path(data, "plc_module.M1.at_m", 30)
    changed = site_from_dict(data)
    assert not changed.nodes[changed.node_index("C5")].bridge
    assert changed.params.cross_phase_loss_db == 20.0
    assert changed.nodes[changed.node_index("M1")].at_m == 30
    with pytest.raises(SiteError):
        set_path(data, "charger.NOPE.bridge", True)


def test_an_unknown_cable_type_is_a_site_error_naming_the_table() -> None:
    data = {"cable": [{"name": "f", "type": "Cu-300mm2", "length_m": 50}],
            "charger": [{"name": "C", "cable": "f", "at_m": 50, "network_password": "k"}]}
    with pytest.raises(SiteError, match=r"\[\[cable\]\] #1: unknown cable type 'Cu-300mm2'.*Cu-70mm2"):
        site_from_dict(data)
