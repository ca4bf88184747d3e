"""``[link] site = ...`` in an emulator network file: the simulator drives the emulated power line."""

from __future__ import annotations

from pathlib import Path

import pytest

from plcstack.emu.config import ConfigError, load_network, network_from_dict
from plcstack.emu.simlink import SimLinkModel
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import is_charging, load_site

REPO = Path(__file__).resolve().parents[2]


def test_example_carpark_uses_the_simulated_links() -> None:
    net = load_network(REPO / "examples/emu/carpark.toml")
    assert isinstance(net.link, SimLinkModel)
    site = load_site(REPO / "sites/module-middle.toml")
    phys = SitePhysics(site, 0)
    start = 18 * 3600
    phys.set_charging([is_charging(n.charging, start) for n in site.nodes])
    module = bytes.fromhex("00b052001001")
    c6 = bytes.fromhex("00b052001016")
    q = net.link.link(module, c6, 0.0)
    assert q.tx_rate_mbps == pytest.approx(phys.link(site.node_index("M1"), site.node_index("C6")).rate_mbps)
    assert q.rx_rate_mbps == pytest.approx(phys.link(site.node_index("C6"), site.node_index("M1")).rate_mbps)
    assert q.reachable and len(q.attenuation_db) == 58


def test_site_link_errors_are_config_errors(tmp_path: Path) -> None:
    modem = [{"mac": "00:b0:52:00:00:01", "node": "M1"}]
    with pytest.raises(ConfigError, match="only start and seed"):
        network_from_dict({"link": {"site": str(REPO / "sites/module-middle.toml"), "tx_rate_mbps": 3},
                           "modem": modem})
    with pytest.raises(ConfigError, match="no node named"):
        network_from_dict({"link": {"site": str(REPO / "sites/module-middle.toml")},
                           "modem": [{"mac": "00:b0:52:00:00:01", "node": "Z9"}]})
    with pytest.raises(ConfigError):
        network_from_dict({"link": {"site": str(tmp_path / "missing.toml")}, "modem": modem})
