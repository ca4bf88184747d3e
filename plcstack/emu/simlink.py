"""The site simulator as the emulator's power line: :class:`SimLinkModel` and site -> modems helpers.

:class:`SimLinkModel` answers the emulator's :class:`~plcstack.emu.link.LinkModel` questions from
:class:`plcstack.sim.physics.SitePhysics`, so emulated modems see the link qualities the simulator
predicts for a site file:

* rates (``VS_NW_INFO``): the coded PHY rate of the simulator's tone maps, mean over the tone-map
  slots, in Mbit/s -- ``tx_rate_mbps`` from the asking modem to the peer, ``rx_rate_mbps`` back;
* attenuation (SLAC ``CM_ATTEN_PROFILE.IND``): the channel attenuation from the peer to the asking
  modem in dB, coupling loss of both ends and any cross-phase loss included, averaged in dB over the
  default AV tone-mask carriers of each of the 58 SLAC groups (:func:`plcstack.sim.carriers.slac_groups`);
* reachability: the mini-ROBO beacon margin is >= 0 dB in *both* directions (as the simulator's
  engine decides whether a station hears its CCo).

The charging state -- which chargers' power electronics add noise -- follows each charger's
``charging`` windows at the simulated time of day ``start_s + t_s`` (``t_s`` is the emulator's
clock in seconds, ``start_s`` the time of day in seconds at which the emulation starts), so an
emulation started at 17:59 sees rates drop when a charger starts at 18:00.  Slow fading and
Wi-Fi, which the simulator's engine adds on top of the physics, are not applied here: the link
model is deterministic for a given site, ``seed`` and time.

::

    from plcstack.emu.simlink import powerline_from_site
    from plcstack.sim.site import load_site
    pl = powerline_from_site(load_site("sites/module-start.toml"), start_s=18 * 3600)
    pl.run_for(3.0)          # the site's AVLNs form; VS_NW_INFO shows the simulated PHY rates
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import fields

import numpy as np

from plcstack.emu.link import SLAC_GROUPS, ConstantLinkModel, LinkModel, LinkQuality
from plcstack.emu.modem import ModemConfig
from plcstack.emu.powerline import PowerLine
from plcstack.emu.tonemap import ToneMaps
from plcstack.keys.derive import nmk_from_password
from plcstack.sim import phy
from plcstack.sim.carriers import AV_CARRIERS, av_tone_mask, slac_groups
from plcstack.sim.physics import SitePhysics
from plcstack.sim.site import DAY_S, Node, Site, charging_at, charging_edges

#: Emulated chip per site node technology: HomePlug AV -> QCA7420, AV2 -> QCA7500, Green PHY -> QCA7000.
CHIP_BY_TECHNOLOGY: dict[str, str] = {"AV": "QCA7420", "AV2": "QCA7500", "GP": "QCA7000"}
#: CCo capability range of the emulator's election (and of the 1-byte CC_ASSOC / CM_UNASSOCIATED_STA field).
CCO_CAPABILITY_RANGE = (0, 3)


def slac_attenuation_groups(gain_db: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """SLAC attenuation groups (dB) from per-carrier channel gains (dB) on the AV grid.

    ``gain_db`` has shape (..., >= 1155) with the 1155 AV carriers first (the AV2 grid starts with
    them).  Attenuation = -gain; carriers outside ``mask`` (default: the AV default tone mask, 917
    carriers) are ignored; a group with no carrier inside the mask takes the value of the nearest group
    that has one.  Returns float dB, shape (..., 58), not rounded.
    """
    mask = av_tone_mask() if mask is None else np.asarray(mask, bool)
    att = -np.asarray(gain_db, dtype=float)[..., :AV_CARRIERS]
    att = np.where(mask, att, np.nan)
    groups = slac_groups(att)
    # a group with no usable carrier (above 27.9 MHz in the default mask) copies the nearest usable
    # group, as a smooth attenuation profile would, instead of jumping to the band mean
    usable = np.flatnonzero(~np.isnan(groups.reshape(-1, groups.shape[-1])).all(axis=0))
    if usable.size:
        for k in np.flatnonzero(np.isnan(groups.reshape(-1, groups.shape[-1])).any(axis=0)):
            nearest = usable[np.argmin(np.abs(usable - k))]
            groups[..., k] = np.where(np.isnan(groups[..., k]), groups[..., nearest], groups[..., k])
    return groups


def _quantise(groups_db: np.ndarray) -> tuple[int, ...]:
    """Round to whole dB and clip to the 0..255 range of a CM_ATTEN_PROFILE.IND AAG byte."""
    clean = np.nan_to_num(np.asarray(groups_db, dtype=float), nan=255.0, posinf=255.0, neginf=0.0)
    return tuple(int(v) for v in np.clip(np.rint(clean), 0, 255))


class SimLinkModel:
    """A :class:`~plcstack.emu.link.LinkModel` backed by the site simulator's physics.

    Parameters
    ----------
    site:
        The site (:func:`plcstack.sim.site.load_site`).
    seed:
        Seed of the :class:`~plcstack.sim.physics.SitePhysics` realisation (noise offsets, charger
        impulse phases); ignored when ``physics`` is given.
    physics:
        An existing physics of ``site`` to drive (its charging state is changed by :meth:`link`).
    mac_map:
        Emulator modem MAC (6 bytes) -> site node name.  Default: every node's own ``.mac``.
    start_s:
        Simulated time of day (seconds since midnight) at emulator time 0; the charging state at
        emulator time ``t_s`` is the one at ``start_s + t_s``.
    fallback:
        What a pair involving a MAC outside ``mac_map`` (or a modem asking about itself) gets: a
        fixed :class:`~plcstack.emu.link.LinkQuality` or another link model.  Default:
        :class:`~plcstack.emu.link.ConstantLinkModel` ``()`` (120/110 Mbit/s, 21 dB, reachable).

    :meth:`link` returns rates in Mbit/s, the 58 SLAC attenuation groups in whole dB (0..255) of
    the channel from the peer to the asking modem (coupling included), and reachability from the
    beacon margin (dB) in both directions.
    """

    def __init__(self, site: Site, seed: int = 0, physics: SitePhysics | None = None,
                 mac_map: Mapping[bytes, str] | None = None, start_s: float = 0.0,
                 fallback: LinkModel | LinkQuality | None = None) -> None:
        self.site = site
        self.physics = physics if physics is not None else SitePhysics(site, seed)
        if self.physics.n != len(site.nodes):
            raise ValueError(f"physics has {self.physics.n} nodes, the site {len(site.nodes)}")
        self.start_s = float(start_s)
        self.fallback: LinkModel | LinkQuality = fallback if fallback is not None else ConstantLinkModel()
        if mac_map is None:
            mac_map = {nd.mac: nd.name for nd in site.nodes}
        self.index: dict[bytes, int] = {}
        for mac, name in mac_map.items():
            if len(mac) != 6:
                raise ValueError(f"mac_map key {mac!r} is not a 6-byte MAC")
            self.index[bytes(mac)] = site.node_index(name)  # SiteError (a ValueError) for unknown names
        # static part: SLAC groups of every ordered pair, [rx, tx] = channel tx -> rx
        gain = np.asarray(self.physics.channel.gain_db)
        self.attenuation_groups_db: np.ndarray = slac_attenuation_groups(np.swapaxes(gain, 0, 1))  # (N, N, 58)
        assert self.attenuation_groups_db.shape[-1] == SLAC_GROUPS
        self._atten = [[_quantise(self.attenuation_groups_db[i, j]) for j in range(self.physics.n)]
                       for i in range(self.physics.n)]
        # time-dependent part: charging state, constant between consecutive window edges
        self._edges = sorted({0.0, DAY_S, *charging_edges(site)})
        self._valid = (np.inf, -np.inf)  # simulated-time interval [lo, hi) where ``_want`` holds
        self._want = np.zeros(self.physics.n, bool)
        self._applied: np.ndarray | None = None  # the physics' charging array our cache was built for
        self._cache: dict[tuple[int, int], LinkQuality] = {}

    # ------------------------------------------------------------------ state

    def charging_at(self, t_s: float) -> np.ndarray:
        """Which nodes charge at emulator time ``t_s`` (seconds), bool array in site node order."""
        return np.array(charging_at(self.site, self.start_s + t_s), dtype=bool) & self.physics.is_charger

    def update(self, t_s: float) -> None:
        """Put the physics in the charging state of emulator time ``t_s`` (s).

        The state is constant between consecutive charging-window edges, so a call inside the
        current interval costs one comparison.
        """
        t = self.start_s + t_s
        lo, hi = self._valid
        ph = self.physics
        if not lo <= t < hi:
            tod = t % DAY_S
            k = min(bisect.bisect_right(self._edges, tod) - 1, len(self._edges) - 2)
            base = t - tod
            self._valid = (base + self._edges[k], base + self._edges[k + 1])
            self._want = self.charging_at(t_s)
            if not np.array_equal(self._want, ph.charging):
                ph.set_charging(self._want)
        elif ph.charging is not self._applied and not np.array_equal(self._want, ph.charging):
            ph.set_charging(self._want)  # a shared physics was moved by someone else
        if ph.charging is not self._applied:  # SitePhysics.set_charging replaces the array on change
            self._cache.clear()
            self._applied = ph.charging

    # ------------------------------------------------------------------ LinkModel

    def link(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> LinkQuality:
        """Link quality between two emulated modems at emulator time ``t_s`` (seconds), seen from ``src_mac``."""
        i, j = self.index.get(src_mac), self.index.get(dst_mac)
        if i is None or j is None or i == j:
            fb = self.fallback
            return fb if isinstance(fb, LinkQuality) else fb.link(src_mac, dst_mac, t_s)
        self.update(t_s)
        q = self._cache.get((i, j))
        if q is None:
            q = self._quality(i, j)
            self._cache[(i, j)] = q
        return q

    def _quality(self, i: int, j: int) -> LinkQuality:
        ph = self.physics
        tx = ph.link(i, j).rate_mbps
        rx = ph.link(j, i).rate_mbps
        margins = ph.margins(np.array([i, j]), np.array([j, i]))
        reachable = bool(np.all(margins >= 0.0))
        return LinkQuality(float(tx), float(rx), self._atten[i][j], reachable)

    def tone_maps(self, src_mac: bytes, dst_mac: bytes, t_s: float) -> ToneMaps | None:
        """Bits per carrier of the link ``src_mac`` -> ``dst_mac`` in every tone-map slot, from the simulator's
        per-carrier SNR with the simulator's bit loading (the maps its rates come from); ROBO-only for Green PHY.

        None for a pair outside the site (the modem then derives maps from the rate)."""
        i, j = self.index.get(src_mac), self.index.get(dst_mac)
        if i is None or j is None or i == j:
            return None
        self.update(t_s)
        ph = self.physics
        tech = ph.link_tech(i, j)
        if tech == "GP":
            return ToneMaps((), int(av_tone_mask().sum()), robo=True)
        p = self.site.params
        sel, max_bits = (ph.av2_sel, 12) if tech == "AV2" else (ph.av_sel, 10)
        snr = np.asarray(ph.snr_db(i, j))[:, sel]  # (slots, usable carriers), as the rates are computed
        bits = phy.bit_loading(snr, ber=p.target_ber, margin_db=p.margin_db, max_bits=max_bits)
        return ToneMaps(tuple(tuple(int(b) for b in row) for row in bits), int(sel.sum()))

    def attenuation_db(self, src_mac: bytes, dst_mac: bytes) -> tuple[int, ...]:
        """The 58 SLAC groups (whole dB) ``src_mac`` reports for sounds from ``dst_mac`` (time-independent)."""
        i, j = self.index.get(src_mac), self.index.get(dst_mac)
        if i is None or j is None or i == j:
            return self.link(src_mac, dst_mac, 0.0).attenuation_db
        return self._atten[i][j]



# ---------------------------------------------------------------------------------- site -> modems

_CONFIG_FIELDS = {f.name for f in fields(ModemConfig)}


def modem_config_for_node(node: Node, **overrides: object) -> ModemConfig:
    """The emulated modem of one site node.

    MAC = the node's MAC; NMK from its ``network_password`` (same password -> same NMK -> same NID ->
    one AVLN); chip by technology (:data:`CHIP_BY_TECHNOLOGY`); CCo capability = the node's, clipped
    to 0..3; name = the node's name.  ``overrides`` are :class:`ModemConfig` fields (``timers``,
    ``slac``, ``cco``, ...) applied on top.
    """
    bad = set(overrides) - _CONFIG_FIELDS
    if bad:
        raise TypeError(f"unknown ModemConfig field(s) {sorted(bad)}")
    lo, hi = CCO_CAPABILITY_RANGE
    kwargs: dict[str, object] = {
        "mac": node.mac,
        "chip": CHIP_BY_TECHNOLOGY.get(node.technology, "QCA7420"),
        "password": node.network_password,
        "nmk": nmk_from_password(node.network_password),
        "cco_capability": max(lo, min(hi, int(node.cco_capability))),
        "name": node.name,
    }
    kwargs.update(overrides)
    return ModemConfig(**kwargs)  # type: ignore[arg-type]


def modem_configs_from_site(site: Site, **overrides: object) -> list[ModemConfig]:
    """One :class:`ModemConfig` per site node, in site order (see :func:`modem_config_for_node`)."""
    return [modem_config_for_node(nd, **overrides) for nd in site.nodes]


def powerline_from_site(site: Site, seed: int = 0, start_s: float = 0.0, *, latency_s: float = 0.0005,
                        physics: SitePhysics | None = None, extra: Iterable[ModemConfig] = (),
                        **overrides: object) -> PowerLine:
    """An in-process :class:`PowerLine` whose link model is the site's physics, every node plugged in.

    ``seed`` seeds the physics; ``start_s`` is the simulated time of day (s) at emulator time 0;
    ``latency_s`` the power-line delivery delay (s); ``extra`` more modems (not part of the site: they
    get :class:`SimLinkModel`'s fallback link); ``overrides`` go to every site modem's config.
    All modems are powered on at emulator time 0; call ``run_for`` to let the AVLNs form.
    """
    link = SimLinkModel(site, seed=seed, physics=physics, start_s=start_s)
    pl = PowerLine(link=link, latency_s=latency_s)
    for cfg in modem_configs_from_site(site, **overrides):
        pl.add(cfg)
    for cfg in extra:
        pl.add(cfg)
    return pl


__all__ = [
    "CHIP_BY_TECHNOLOGY", "SimLinkModel", "modem_config_for_node", "modem_configs_from_site",
    "powerline_from_site", "slac_attenuation_groups",
]
