"""Tone maps from the link (plcstack.emu.tonemap): bits per carrier consistent with the reported rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from emu_helpers import MAC_A, MAC_B, cfg, req

from plcstack.codec import decode_frame, messages
from plcstack.emu import ConstantLinkModel, PowerLine
from plcstack.emu.link import default_attenuation
from plcstack.emu.simlink import powerline_from_site
from plcstack.emu.tonemap import BITS_TO_CODE, ToneMaps, maps_for_rate, robo_maps
from plcstack.sim import phy
from plcstack.sim.site import load_site

SITES = Path(__file__).resolve().parents[2] / "sites"


@pytest.mark.parametrize("rate", [5.0, 40.0, 90.0, 120.0, 149.0])
def test_maps_carry_the_rate_within_one_constellation_step(rate):
    maps = maps_for_rate(rate, default_attenuation(21.0))
    assert maps.carriers == 917 and len(maps.slots[0]) == 917
    # the finest step of threshold loading: one carrier moving up one constellation (<= 2 bits)
    step = 2 * phy.FEC_AV / phy.AV_SYMBOL_S / 1e6
    assert abs(maps.rate_mbps() - rate) <= step


def test_higher_attenuation_means_fewer_bits_at_high_frequency():
    maps = maps_for_rate(80.0, default_attenuation(21.0, rise_db=20.0))
    bits = np.array(maps.slots[0])
    assert bits[:100].mean() > bits[-100:].mean()


def test_codes_pack_two_carriers_per_byte_low_nibble_first():
    maps = ToneMaps(((10, 2, 0),), 3)
    assert maps.codes(0) == bytes((BITS_TO_CODE[10] | BITS_TO_CODE[2] << 4, 0))
    assert robo_maps().codes(0)[:2] == bytes((0x22, 0x22)) and robo_maps().slots == ()


def pair(chip_a: str = "QCA7420", chip_b: str = "QCA7420") -> PowerLine:
    pl = PowerLine(link=ConstantLinkModel(tx_rate_mbps=100.0, rx_rate_mbps=60.0))
    pl.add(cfg(MAC_A, chip=chip_a))
    pl.add(cfg(MAC_B, chip=chip_b))
    pl.run_for(3.0)
    return pl


def tx_map(pl: PowerLine, slot: int = 0, rx: bool = False):
    cls = messages.VS_RX_TONE_MAP_CHAR_REQ_V1 if rx else messages.VS_TONE_MAP_CHAR_REQ_V1
    (r,) = [decode_frame(f) for f in pl.request(MAC_A, req(cls(mac=MAC_B, tmslot=slot, coupling=0), mmv=1))]
    return r


def bits_of(codes: bytes, n: int) -> list[int]:
    inverse = {v: k for k, v in BITS_TO_CODE.items()}
    values = [c for b in codes for c in (b & 0x0F, b >> 4)][:n]
    return [inverse[v] for v in values]


def test_plctone_map_carries_the_rate_nw_info_reports():
    pl = pair()
    (nw,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    (sta,) = nw.message.networks[0].stations
    for rx, rate in ((False, sta.avg_tx), (True, sta.avg_rx)):
        r = tx_map(pl, rx=rx)
        m = r.message
        assert (m.mstatus, m.num_tms, m.num_active_carriers) == (0, 1, 917)
        assert m.mme_len == (22 if rx else 18) + len(m.mod_carriers)  # bytes after MME_LEN, as real frames
        got = float(phy.phy_rate_mbps(np.array(bits_of(m.mod_carriers, 917))))
        assert abs(got - rate) < 3.0, (rx, got, rate)


def test_green_phy_links_are_robo_qpsk_without_slots_like_a_real_qca7420():
    pl = pair(chip_b="QCA7000")
    m = tx_map(pl).message
    # alpi capture frame 1157: QCA7420 -> QCA7000, 917 carriers all QPSK (code 2), NUMTMS 0, MME_LEN 477
    assert (m.mstatus, m.num_tms, m.num_active_carriers, m.mme_len) == (0, 0, 917, 477)
    assert set(m.mod_carriers[:-1]) == {0x22}
    r = tx_map(pl, rx=True).message  # frame 2011: no RX tone map for ROBO, MSTATUS 2, MME_LEN 22
    assert (r.mstatus, r.mme_len, r.num_active_carriers) == (2, 22, 0)


def test_unknown_station_and_mmv0_are_refused():
    pl = pair()
    (r,) = [decode_frame(f) for f in pl.request(MAC_A, req(messages.VS_TONE_MAP_CHAR_REQ_V1(
        mac=bytes(6), tmslot=0, coupling=0), mmv=1))]
    assert r.message.mstatus == 1
    frames = pl.request(MAC_A, req(messages.VS_TONE_MAP_CHAR_REQ(mac=MAC_B, tmslot=0)))
    frames += pl.request(MAC_A, req(messages.VS_RX_TONE_MAP_CHAR_REQ(mac=MAC_B, tmslot=0)))
    assert [len(f) for f in frames] == [1370, 1372]  # the real QCA7420 refusals (alpi frames 1158, 2014)
    assert all(decode_frame(f).message.mstatus == 2 for f in frames)


def test_site_tone_maps_are_the_simulators_bit_loading():
    site = load_site(SITES / "module-start.toml")
    pl = powerline_from_site(site, start_s=3 * 3600.0)
    pl.run_for(3.0)
    m1, c1 = (site.nodes[site.node_index(n)].mac for n in ("M1", "C1"))
    model = pl.link
    maps = model.tone_maps(m1, c1, pl.now)
    i, j = site.node_index("M1"), site.node_index("C1")
    state = model.physics.link(i, j)
    assert len(maps.slots) == len(state.slot_rates_mbps)
    for bits, rate in zip(maps.slots, state.slot_rates_mbps, strict=True):
        assert float(phy.phy_rate_mbps(np.array(bits))) == pytest.approx(rate, abs=0.01)
    (nw,) = [decode_frame(f) for f in pl.request(m1, req(messages.VS_NW_INFO_REQ(), mmv=1))]
    reported = {s.mac: s.avg_tx for s in nw.message.networks[0].stations}[c1]
    assert abs(maps.rate_mbps() - reported) <= 0.5
