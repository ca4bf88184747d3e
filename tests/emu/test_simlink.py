"""The site simulator drives the emulated power line (plcstack.emu.simlink), all in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from emu_helpers import HOST, HOST_B

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, Frame, decode_frame, encode, messages
from plcstack.emu import ConstantLinkModel, LinkModel, LinkQuality, ModemConfig, PowerLine, Role
from plcstack.emu.link import SLAC_GROUPS
from plcstack.emu.simlink import (
    SimLinkModel,
    modem_configs_from_site,
    powerline_from_site,
    slac_attenuation_groups,
)
from plcstack.keys.derive import nid_from_nmk, nmk_from_password
from plcstack.sim.carriers import av_tone_mask, slac_groups
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import Site, is_charging, load_site

SITES = Path(__file__).resolve().parents[2] / "sites"
NIGHT_S = 3 * 3600.0  # 03:00: no charger of the car-park sites charges
EVENING_S = 18 * 3600.0 + 1800.0  # 18:30: C1 (the charger nearest the module at 0 m), C2 and C5 charge
SETTLE_S = 3.0  # emulator seconds for seven modems to form their AVLN


def site(name: str) -> Site:
    return load_site(SITES / f"{name}.toml")


def mac(s: Site, name: str) -> bytes:
    return s.nodes[s.node_index(name)].mac


def nw_info(pl: PowerLine, modem: bytes) -> Frame:
    """A real VS_NW_INFO.REQ (MMV 1) from the host of ``modem``; the decoded CNF."""
    (cnf,) = [decode_frame(f) for f in pl.request(modem, encode(LOCAL_MAC, HOST, messages.VS_NW_INFO_REQ(), mmv=1))]
    assert cnf.name == "VS_NW_INFO.CNF"
    return cnf


def physics_at(s: Site, tod_s: float, seed: int = 0) -> SitePhysics:
    """An independent physics of the site in the charging state of time of day ``tod_s``."""
    ph = SitePhysics(s, seed)
    ph.set_charging(np.array([is_charging(nd.charging, tod_s) for nd in s.nodes]))
    return ph


@pytest.fixture(scope="module")
def start_net() -> PowerLine:
    pl = powerline_from_site(site("module-start"), start_s=NIGHT_S)
    pl.run_for(SETTLE_S)
    return pl


# ------------------------------------------------------------------------------ rates in VS_NW_INFO


def test_module_is_cco_and_every_charger_joins(start_net: PowerLine):
    s = site("module-start")
    assert start_net[mac(s, "M1")].role is Role.CCO  # plc_module: CCo capability 2 beats the chargers' 1
    assert all(start_net[nd.mac].role is Role.STATION for nd in s.chargers)


@pytest.mark.parametrize("name", ["module-start", "module-middle"])
def test_nw_info_rates_are_the_simulated_phy_rates(name: str):
    s = site(name)
    pl = powerline_from_site(s, start_s=NIGHT_S)
    pl.run_for(SETTLE_S)
    ph = physics_at(s, NIGHT_S + pl.now)
    m1 = s.node_index("M1")
    (net,) = nw_info(pl, mac(s, "M1")).message.networks
    assert sorted(st.mac for st in net.stations) == sorted(nd.mac for nd in s.chargers)
    for st in net.stations:
        j = [nd.mac for nd in s.nodes].index(st.mac)
        assert abs(st.avg_tx - ph.link(m1, j).rate_mbps) <= 0.5  # MMV 1 rates are whole Mbit/s
        assert abs(st.avg_rx - ph.link(j, m1).rate_mbps) <= 0.5
        assert st.avg_tx > 0 and st.avg_rx > 0


def _worst_rate(name: str) -> int:
    s = site(name)
    pl = powerline_from_site(s, start_s=NIGHT_S)
    pl.run_for(SETTLE_S)
    (net,) = nw_info(pl, mac(s, "M1")).message.networks
    assert net.num_stations == len(s.chargers)
    return min(min(st.avg_tx, st.avg_rx) for st in net.stations)


def test_module_in_the_middle_raises_the_worst_station_rate():
    start, middle = _worst_rate("module-start"), _worst_rate("module-middle")
    assert middle > start
    assert middle > 2 * start  # 320 m of lossy cable: the far chargers gain a lot (16 -> ~146 Mbit/s)


# ------------------------------------------------------------------------------ SLAC attenuation


def test_slac_sound_yields_the_simulated_attenuation_groups():
    s = site("module-start")
    pl = powerline_from_site(s, start_s=NIGHT_S, sound_spread_db=0.0)
    pl.run_for(SETTLE_S)
    model = pl.link
    assert isinstance(model, SimLinkModel)
    pev_modem = mac(s, "C6")  # the sounding side (as a PEV's modem would)
    for m in pl.modems:
        pl.take_host(m)
    run_id = HOST_B + b"\x00\x07"
    sound = encode(BROADCAST_MAC, HOST_B, messages.CM_MNBC_SOUND_IND(sender_id=b"\xaa" * 17, cnt=9, run_id=run_id))
    pl.send_from_host(pev_modem, sound)
    pl.run_for(0.01)
    gain = np.asarray(model.physics.channel.gain_db, dtype=float)
    mask = av_tone_mask()
    means = {}
    for nd in s.nodes:
        if nd.mac == pev_modem:
            continue
        frames = [decode_frame(f) for _, f in pl.take_host(nd.mac)]
        (prof,) = [f for f in frames if f.name == "CM_ATTEN_PROFILE.IND"]
        assert (prof.src, prof.message.pev_mac, prof.message.num_groups) == (nd.mac, HOST_B, SLAC_GROUPS)
        aag = tuple(prof.message.aag)
        assert aag == model.link(nd.mac, pev_modem, pl.now).attenuation_db
        # independently: -gain(C6 -> receiver) over the tone-mask carriers, grouped, holes filled
        i, j = s.node_index(nd.name), s.node_index("C6")
        att = np.where(mask, -gain[j, i, :1155], np.nan)
        groups = slac_groups(att)
        usable = np.flatnonzero(~np.isnan(groups))
        holes = np.flatnonzero(np.isnan(groups))  # masked bands: copy the nearest usable group
        groups[holes] = [groups[usable[np.argmin(np.abs(usable - k))]] for k in holes]
        assert aag == tuple(int(v) for v in np.clip(np.rint(groups), 0, 255))
        means[nd.name] = float(np.mean(aag))
    # farther from C6 (at 310 m) -> more attenuation; M1 at 0 m hears it worst
    assert means["C5"] < means["C1"] < means["M1"]


def test_attenuation_groups_ignore_masked_carriers():
    mask = av_tone_mask()
    gain = np.where(mask, -30.0, -200.0)  # whatever the masked carriers hold must not matter
    groups = slac_attenuation_groups(gain)
    assert groups.shape == (SLAC_GROUPS,) and np.allclose(groups, 30.0)


# ------------------------------------------------------------------------------ charging


def test_charging_changes_the_reported_rates():
    s = site("module-start")
    rates = {}
    for start in (NIGHT_S, EVENING_S):
        pl = powerline_from_site(s, start_s=start)
        pl.run_for(SETTLE_S)
        (net,) = nw_info(pl, mac(s, "M1")).message.networks
        rates[start] = {st.mac: (st.avg_tx, st.avg_rx) for st in net.stations}
    assert rates[NIGHT_S].keys() == rates[EVENING_S].keys()
    assert rates[NIGHT_S] != rates[EVENING_S]
    c1 = mac(s, "C1")
    assert rates[EVENING_S][c1][0] < rates[NIGHT_S][c1][0]  # C1's charger noise hits its own receiver


def test_rates_follow_the_clock_across_a_charging_window_edge():
    s = site("module-start")
    pl = powerline_from_site(s, start_s=18 * 3600.0 - SETTLE_S - 1.0)  # C1 starts charging at 18:00
    pl.run_for(SETTLE_S)
    c1 = mac(s, "C1")
    before = {st.mac: st.avg_tx for st in nw_info(pl, mac(s, "M1")).message.networks[0].stations}
    pl.run_for(2.0)
    after = {st.mac: st.avg_tx for st in nw_info(pl, mac(s, "M1")).message.networks[0].stations}
    assert after[c1] < before[c1]


def test_link_model_caches_per_charging_state():
    s = site("module-start")
    model = SimLinkModel(s, start_s=NIGHT_S)
    m1, c1 = mac(s, "M1"), mac(s, "C1")
    q = model.link(m1, c1, 0.0)
    assert model.link(m1, c1, 10.0) is q  # same charging state: cached
    assert not model.physics.charging.any()
    q2 = model.link(m1, c1, EVENING_S - NIGHT_S)
    assert q2.tx_rate_mbps < q.tx_rate_mbps and model.physics.charging[s.node_index("C1")]
    assert q2.attenuation_db == q.attenuation_db  # the channel does not depend on charging
    assert model.link(m1, c1, 0.0) == q
    swapped = model.link(c1, m1, 0.0)
    assert (swapped.tx_rate_mbps, swapped.rx_rate_mbps) == (q.rx_rate_mbps, q.tx_rate_mbps)


# ------------------------------------------------------------------------------ networks and fallback


def test_different_passwords_make_different_avlns():
    s = site("module-start").with_node("C6", network_password="a-different-car-park")
    pl = powerline_from_site(s, start_s=NIGHT_S)
    pl.run_for(SETTLE_S)
    nid = nid_from_nmk(nmk_from_password("carpark-2026-key"))
    (net,) = nw_info(pl, mac(s, "M1")).message.networks
    assert net.nid == nid
    assert sorted(st.mac for st in net.stations) == sorted(nd.mac for nd in s.chargers if nd.name != "C6")
    (other,) = nw_info(pl, mac(s, "C6")).message.networks
    assert other.nid == nid_from_nmk(nmk_from_password("a-different-car-park")) != nid
    assert other.num_stations == 0 and pl[mac(s, "C6")].role is Role.CCO


def test_unknown_macs_get_the_fallback_link():
    s = site("module-start")
    model = SimLinkModel(s)
    stranger, m1 = bytes.fromhex("00B0520000EE"), mac(s, "M1")
    d = ConstantLinkModel()
    assert model.link(stranger, m1, 0.0) == d.link(stranger, m1, 0.0)
    assert model.link(m1, stranger, 5.0) == d.link(m1, stranger, 5.0)
    fixed = LinkQuality(7.0, 8.0, (9,) * SLAC_GROUPS, False)
    assert SimLinkModel(s, fallback=fixed).link(m1, stranger, 0.0) == fixed
    assert isinstance(model, LinkModel)
    # a modem outside the site still joins the AVLN through the fallback link
    pl = powerline_from_site(s, start_s=NIGHT_S, extra=[ModemConfig(mac=stranger, password="carpark-2026-key")])
    pl.run_for(SETTLE_S)
    rates = {st.mac: (st.avg_tx, st.avg_rx) for st in nw_info(pl, m1).message.networks[0].stations}
    q = d.link(m1, stranger, 0.0)
    assert rates[stranger] == (q.tx_rate_mbps, q.rx_rate_mbps)


def test_mac_map_renames_modems():
    s = site("module-start")
    mine = bytes.fromhex("00B05200000A")
    model = SimLinkModel(s, mac_map={mine: "M1", mac(s, "C1"): "C1"})
    reference = SimLinkModel(s)
    assert model.link(mine, mac(s, "C1"), 0.0) == reference.link(mac(s, "M1"), mac(s, "C1"), 0.0)
    assert model.link(mac(s, "M1"), mac(s, "C1"), 0.0) == ConstantLinkModel().link(mac(s, "M1"), mac(s, "C1"), 0.0)
    with pytest.raises(ValueError):
        SimLinkModel(s, mac_map={mine: "nope"})


def test_modem_configs_follow_the_site_nodes():
    s = site("module-start").with_node("C1", technology="GP").with_node("C2", technology="AV2")
    cfgs = {c.name: c for c in modem_configs_from_site(s, slac=False)}
    assert [c.name for c in modem_configs_from_site(s)] == [nd.name for nd in s.nodes]
    assert (cfgs["C1"].chip, cfgs["C2"].chip, cfgs["C3"].chip) == ("QCA7000", "QCA7500", "QCA7420")
    assert cfgs["M1"].cco_capability == 2 and cfgs["C3"].cco_capability == 1
    assert all(c.mac == s.nodes[s.node_index(n)].mac and c.nmk == nmk_from_password("carpark-2026-key")
               and not c.slac for n, c in cfgs.items())
    # an AV2 node puts the channel on the AV2 grid; SLAC still uses its first 1155 (AV) carriers
    model = SimLinkModel(s)
    assert model.physics.channel.gain_db.shape[-1] > 1155
    q = model.link(mac(s, "M1"), mac(s, "C2"), 0.0)
    assert len(q.attenuation_db) == SLAC_GROUPS and q.reachable and q.tx_rate_mbps > 0


# ------------------------------------------------------------------------------ one rule book


def _cco_by_node(s: Site, cco_mac_of: dict[str, bytes | None]) -> dict[str, str | None]:
    by_mac = {nd.mac: nd.name for nd in s.nodes}
    return {name: (by_mac.get(mac) if mac else None) for name, mac in cco_mac_of.items()}


def _engine_ccos(s: Site, start_s: float) -> dict[str, str | None]:
    from plcstack.sim.engine import Engine

    eng = Engine(s, hours=0.02, seed=0, start_s=start_s)
    eng.run()
    cco_of = np.asarray(eng.cco_of)
    return {nd.name: (s.nodes[int(cco_of[i])].name if cco_of[i] >= 0 else None) for i, nd in enumerate(s.nodes)}


def _emulator_ccos(s: Site, start_s: float) -> dict[str, str | None]:
    pl = powerline_from_site(s, start_s=start_s)
    pl.run_for(12.0)
    macs: dict[str, bytes | None] = {}
    for nd in s.nodes:
        m = pl[nd.mac]
        macs[nd.name] = m.cco_mac if m.in_avln else None
    return _cco_by_node(s, macs)


@pytest.mark.parametrize("variant", ["as-is", "second-network", "capable-charger"])
def test_simulator_and_emulator_agree_on_cco_and_avln(variant: str):
    """One site through the simulator engine and through emulated modems on simlink: same CCo, same AVLN."""
    s = site("module-start")
    if variant == "second-network":
        s = s.with_node("C6", network_password="a-different-car-park")  # its own AVLN, CCo of itself
    if variant == "capable-charger":
        s = s.with_node("C3", cco_capability=3)  # outranks the module's capability 2
    sim, emu = _engine_ccos(s, NIGHT_S), _emulator_ccos(s, NIGHT_S)
    assert emu == sim
    expected_cco = {"as-is": "M1", "second-network": "M1", "capable-charger": "C3"}[variant]
    assert sim["C1"] == expected_cco
    if variant == "second-network":
        assert sim["C6"] == "C6" == emu["C6"]
