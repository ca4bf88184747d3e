"""Site physics: channel, noise, SNR, tone maps and rates for any pair at any charging state.

Composes the model functions (:mod:`.channel`, :mod:`.noise`, :mod:`.noiseclass`, :mod:`.phy`) for
a whole site and keeps the pairwise work cheap:

* the channel gain of every ordered pair is computed once (:func:`.topology.site_channel`);
* the noise at every receiver is the site's noise class (background, narrowband interferers,
  impulsive classes, receiver floor; ``docs/sim-noise.md``) with a per-receiver offset;
* noise changes only when a charger starts or stops charging; a charger's emission reaches a
  receiver through the channel, so each charger has a precomputed *influence* set (receivers where
  it raises the noise by more than ``INFLUENCE_DB``) and only those receivers are recomputed;
* tone maps and rates are computed per ordered pair on demand, vectorised over transmitters into one
  receiver (:meth:`SitePhysics.rates_into`) or over receivers from one transmitter
  (:meth:`SitePhysics.rates_from`), and cached per receiver noise version.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace

import numpy as np

from . import noise, noiseclass, phy
from .carriers import av2_carrier_frequencies_hz, av2_tone_mask, av_tone_mask
from .site import Node, Site
from .topology import SiteChannel, site_channel

N_SLOTS = 6  # tone-map regions per half mains cycle (open-plc-utils PLC_SLOTS 6)
BEACON_SLOT = 0  # beacons sit at a fixed phase of the AC cycle (beacon period = 2 mains cycles)
BEACON_ROBO = "MINI"  # beacons are PB136 mini-ROBO frames (Greenvity HAL)
IMPULSE_EXCESS_DB = 25.0  # charger's mains-synchronous impulses above its stationary emission, in its slot
IMPULSE_DURATION_S = 150e-6  # rectifier commutation: "us up to hundreds of us" (Cortés 2010)
INFLUENCE_DB = 0.3  # a charger "influences" a receiver when it raises its noise by more than this
TECH_RANK = {"GP": 0, "AV": 1, "AV2": 2}
AV2_HIGH_BAND_HZ = 30e6  # AV2's extended band (30-86 MHz) transmits at ``av2_high_band_psd_dbm_hz``


@dataclass(frozen=True)
class LinkState:
    """One ordered link at one charging state."""

    rate_mbps: float  # coded PHY rate, mean over the tone-map slots
    slot_rates_mbps: tuple[float, ...]
    loaded_carriers: int  # carriers with >= 1 bit (mean over slots), for the fading sensitivity
    robo_margin_db: float  # beacon (mini-ROBO) effective SNR minus the decoding threshold


def _stable_seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def charging_emission_dbm_per_hz(freq_hz: np.ndarray, node: Node, margin_db: float, switching_hz: float) -> np.ndarray:
    """Stationary PSD (dBm/Hz) a charging vehicle's on-board charger injects at the charger's terminals.

    Default: the CISPR 32 class B *average* mains-port limit minus ``margin_db`` (a compliant product
    with a design margin; FCC 47 CFR 18.307(b) has the same levels) plus the switching comb, capped at
    the class B quasi-peak limit (:func:`plcstack.sim.noise.charger_emission_dbm_per_hz`).  A node's
    ``noise_dbm_hz`` replaces the broadband part by the 1/f model at that level at 1 MHz.
    """
    if node.noise_dbm_hz is not None:
        return noise.charger_noise_dbm_per_hz(freq_hz, level_dbm_hz_at_1mhz=node.noise_dbm_hz,
                                              switching_hz=switching_hz)
    broadband = noise.cispr32_limit_dbm_per_hz(freq_hz, "B", "AV") - margin_db
    return noise.charger_emission_dbm_per_hz(freq_hz, broadband, switching_hz)


class SitePhysics:
    """All the physics of one site realisation (``seed`` draws the per-node noise offsets, the
    site's narrowband interferers and impulse phases, and each charger's switching frequency).

    The realisation depends on the seed only, not on the site's name: two variants of a site in two
    files (a longer feeder, another cable) compared with one seed hear the same interferers, so what
    differs between their results is what differs between the sites (common random numbers)."""

    def __init__(self, site: Site, seed: int = 0, channel: SiteChannel | None = None) -> None:
        self.site = site
        self.n = len(site.nodes)
        self.tech = [nd.technology for nd in site.nodes]
        self.is_charger = np.array([nd.kind == "charger" for nd in site.nodes])
        rng = np.random.default_rng(_stable_seed("physics", seed))
        self._init_grid(channel)
        self._init_noise(rng)
        self._init_emissions(rng)
        self.charging = np.zeros(self.n, bool)
        self._noise = self.base_lin.copy()  # (N, S, Kw) mW/Hz at the current charging state
        self.noise_version = np.zeros(self.n, np.int64)
        self.noise_epoch = 0  # counts the set_charging calls that changed some receiver's noise
        self._link_cache: dict[tuple[int, int], tuple[int, LinkState]] = {}
        self._margin = np.full((self.n, self.n), np.nan)  # beacon margin i -> j, column-cached
        self._margin_version = np.full(self.n, -1, np.int64)

    # -- set-up -------------------------------------------------------------------------------------
    def _init_grid(self, channel: SiteChannel | None) -> None:
        self.has_av2 = any(t == "AV2" for t in self.tech)
        if self.has_av2:
            f = av2_carrier_frequencies_hz()
            av_mask = np.zeros(f.size, bool)
            av_mask[: av_tone_mask().size] = av_tone_mask()
            av2_mask = av2_tone_mask()
        else:
            f, av_mask = None, av_tone_mask()
            av2_mask = av_mask
        self.channel = channel if channel is not None else site_channel(self.site, freq_hz=f)
        work = av_mask | av2_mask  # carriers we compute at all
        self.freq_hz = self.channel.freq_hz[work]
        self.av_sel = av_mask[work]  # within the working carriers
        self.av2_sel = av2_mask[work]
        self._work = work
        # linear power gains (N, N, Kw) float32, one transmitter row at a time: the O(N^2 K) arrays are
        # the memory of a site (3 of them, ~150 MB each at 200 nodes), so no float64 temporaries of that size
        self.glin = np.empty((self.n, self.n, int(work.sum())), dtype=np.float32)
        for i in range(self.n):
            self.glin[i] = np.power(np.float32(10.0), self.channel.gain_db[i][:, work] / np.float32(10.0))
        # receiver-major copy on the AV carriers, so one receiver's column is contiguous (beacons)
        self._glin_rx_av = np.empty((self.n, self.n, int(self.av_sel.sum())), dtype=np.float32)
        for j in range(self.n):
            self._glin_rx_av[j] = self.glin[:, j][:, self.av_sel]
        p = self.site.params
        psd = np.array([p.gp_tx_psd_dbm_hz if t == "GP" else p.tx_psd_dbm_hz for t in self.tech])
        self.ptx_node_lin = 10.0 ** (psd / 10.0)  # per transmitting node, mW/Hz
        # AV2 above 30 MHz transmits at the lower extended-band PSD (docs/sim-phy.md): a per-carrier factor
        self.av2_psd_factor = np.where(self.freq_hz > AV2_HIGH_BAND_HZ,
                                       10.0 ** ((p.av2_high_band_psd_dbm_hz - p.tx_psd_dbm_hz) / 10.0),
                                       1.0).astype(np.float32)
        self.ptx_lin = 10.0 ** (p.tx_psd_dbm_hz / 10.0)

    @property
    def gain_db(self) -> np.ndarray:
        """(N, N, Kw) channel gains (dB) on the working carriers (a copy; the engine uses ``glin``)."""
        return self.channel.gain_db[:, :, self._work]

    def noise_class(self) -> noiseclass.NoiseClass:
        """The site's noise class with the site file's overrides applied."""
        p = self.site.params
        cls = noiseclass.NOISE_CLASSES[p.noise_class]
        if p.background is not None:
            cls = replace(cls, background=noise.QUIET_BACKGROUND if p.background == "quiet"
                          else noise.NOISY_BACKGROUND)
        return cls

    def _init_noise(self, rng: np.random.Generator) -> None:
        """Per receiver and slot: line noise of the class (+ IT pair excess, + offset) and the floor."""
        p = self.site.params
        cls = self.noise_class()
        line_db = noiseclass.line_noise_dbm_per_hz(self.freq_hz, cls, rng, p.mains_hz, p.narrowband, p.narrowband_db)
        sync_lin = noiseclass.synchronous_slot_noise_lin(self.freq_hz, cls, rng, N_SLOTS, p.mains_hz)
        pair_db = p.it_pair_noise_db if p.grid == "IT" else 0.0
        offsets = rng.normal(0.0, p.noise_spread_db, self.n) if p.noise_spread_db > 0 else np.zeros(self.n)
        scale = 10.0 ** ((offsets + pair_db) / 10.0)  # (N,)
        line = (10.0 ** (line_db / 10.0))[None, :] + sync_lin  # (S, Kw)
        floor = 10.0 ** (p.receiver_floor_dbm_hz / 10.0)
        self.base_lin = scale[:, None, None] * line[None, :, :] + floor  # (N, S, Kw)

    def _init_emissions(self, rng: np.random.Generator) -> None:
        """Each charger's emission while charging, per slot: stationary + mains-synchronous impulses."""
        p = self.site.params
        self.emission = np.zeros((self.n, N_SLOTS, self.freq_hz.size))
        for i, nd in enumerate(self.site.nodes):
            if nd.kind != "charger":
                continue
            sw = float(rng.uniform(20e3, 150e3))  # switching frequency of the vehicle's OBC
            stat = 10.0 ** (charging_emission_dbm_per_hz(self.freq_hz, nd, p.charger_emission_margin_db, sw) / 10.0)
            phase = float(rng.uniform(0.0, 1.0))
            weights = noise.mains_synchronous_slot_weights(N_SLOTS, (phase,), IMPULSE_DURATION_S, p.mains_hz)
            self.emission[i] = stat[None, :] * (1.0 + weights[:, None] * 10.0 ** (IMPULSE_EXCESS_DB / 10.0))
        peak = self.emission.max(axis=1)  # (N, Kw): which receivers each charger reaches, noisiest slot
        floor = self.base_lin.min(axis=1)  # (N, Kw)
        inv_floor = (1.0 / floor).astype(np.float32)
        self.influence = np.zeros((self.n, self.n), bool)
        for c in np.flatnonzero(self.is_charger):  # one row at a time (no (N, N, K) temporary)
            ratio = (peak[c].astype(np.float32) * self.glin[c]) * inv_floor
            self.influence[c] = ratio.max(axis=1) > 10.0 ** (INFLUENCE_DB / 10.0) - 1.0

    # -- charging state ----------------------------------------------------------------------------
    def set_charging(self, charging: np.ndarray) -> np.ndarray:
        """Set which chargers are charging; return the receivers whose noise changed."""
        charging = np.asarray(charging, bool) & self.is_charger
        changed = charging != self.charging
        if not changed.any():
            return np.zeros(self.n, bool)
        affected = self.influence[changed].any(axis=0)
        self.charging = charging.copy()
        rx = np.flatnonzero(affected)
        for c in np.flatnonzero(changed):
            hit = rx[self.influence[c, rx]]
            if hit.size:  # add or remove this charger's emission at the receivers it reaches
                sign = 1.0 if charging[c] else -1.0
                self._noise[hit] += sign * self.emission[c][None, :, :] * self.glin[c, hit][:, None, :]
        if rx.size:
            self._noise[rx] = np.maximum(self._noise[rx], self.base_lin[rx])
            self.noise_version[rx] += 1
            self.noise_epoch += 1
        return affected

    def noise_dbm_hz(self, j: int) -> np.ndarray:
        """(S, Kw) noise PSD at receiver ``j`` now, dBm/Hz."""
        return 10.0 * np.log10(self._noise[j])

    # -- links ----------------------------------------------------------------------------------------
    def link_tech(self, i: int, j: int) -> str:
        return min(self.tech[i], self.tech[j], key=TECH_RANK.__getitem__)

    def snr_db(self, i: int, j: int) -> np.ndarray:
        """Per-slot, per-carrier SNR (dB) of the link i -> j at the current charging state, (S, Kw)."""
        psd = self.ptx_node_lin[i] * (self.av2_psd_factor if self.tech[i] == "AV2" else 1.0)
        snr = 10.0 * np.log10(psd * self.glin[i, j][None, :] / self._noise[j])
        return np.minimum(snr, self.site.params.snr_cap_db)

    def _rates(self, snr_lin: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
        """(slot rates (L, S), loaded carriers (L,)) from linear SNRs (L, S, K) of links of one tech."""
        p = self.site.params
        sel = self.av2_sel if rank == TECH_RANK["AV2"] else self.av_sel
        np.minimum(snr_lin, np.float32(10.0 ** (p.snr_cap_db / 10.0)), out=snr_lin)
        if rank == TECH_RANK["GP"]:  # ROBO only: HS-ROBO when its combined SNR decodes, else STD-ROBO
            mean_lin = snr_lin.mean(axis=2)
            with np.errstate(divide="ignore"):
                eff_hs = 10.0 * np.log10(mean_lin * phy.ROBO_COPIES["HS"])
                eff_std = 10.0 * np.log10(mean_lin * phy.ROBO_COPIES["STD"])
            r = np.where(eff_hs >= phy.ROBO_THRESHOLD_DB, phy.robo_rate_mbps("HS"),
                         np.where(eff_std >= phy.ROBO_THRESHOLD_DB, phy.robo_rate_mbps("STD"), 0.0))
            return r, np.where(r.mean(axis=1) > 0, int(sel.sum()), 0)
        if rank == TECH_RANK["AV2"]:
            max_bits, fec, streams = 12, phy.FEC_AV2, p.av2_mimo_gain
        else:
            max_bits, fec, streams = 10, phy.FEC_AV, 1.0
        bits_tab, thr_db = phy.threshold_table_db(p.target_ber, max_bits)
        thr_lin = (10.0 ** ((thr_db + p.margin_db) / 10.0)).astype(np.float32)
        idx = np.searchsorted(thr_lin, snr_lin, side="right")
        bits = np.concatenate(([0], bits_tab)).astype(np.int16)[idx]
        slots = streams * bits.sum(axis=2) * fec / phy.AV_SYMBOL_S / 1e6
        return slots, np.rint((idx > 0).sum(axis=2).mean(axis=1) * streams).astype(int)

    def rates_into(self, j: int, tx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coded PHY rates of the links tx[k] -> j: (mean (T,), slots (T, S), loaded carriers (T,)).

        Same pipeline as :func:`.phy.link_phy_rate_mbps` (threshold bit loading), evaluated in the
        linear SNR domain in float32 to skip a log10 per carrier.
        """
        tx = np.asarray(tx, dtype=int)
        slots = np.zeros((tx.size, N_SLOTS))
        loaded = np.zeros(tx.size, dtype=int)
        techs = np.array([TECH_RANK[self.link_tech(int(i), j)] for i in tx])
        for rank in np.unique(techs):
            rows = tx[techs == rank]
            sel = self.av2_sel if rank == TECH_RANK["AV2"] else self.av_sel
            inv = (1.0 / self._noise[j][:, sel]).astype(np.float32)  # (S, K)
            snr = (self.glin[rows, j][:, sel] * self.ptx_node_lin[rows, None].astype(np.float32))[:, None, :] * inv
            if rank == TECH_RANK["AV2"]:
                snr *= self.av2_psd_factor[sel]
            slots[techs == rank], loaded[techs == rank] = self._rates(snr, int(rank))
        return slots.mean(axis=1), slots, loaded

    def rates_from(self, i: int, rx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coded PHY rates of the links i -> rx[k], vectorised over receivers (each with its noise)."""
        rx = np.asarray(rx, dtype=int)
        slots = np.zeros((rx.size, N_SLOTS))
        loaded = np.zeros(rx.size, dtype=int)
        techs = np.array([TECH_RANK[self.link_tech(i, int(j))] for j in rx])
        for rank in np.unique(techs):
            cols = rx[techs == rank]
            sel = self.av2_sel if rank == TECH_RANK["AV2"] else self.av_sel
            sig = (self.glin[i, cols][:, sel] * np.float32(self.ptx_node_lin[i]))[:, None, :]  # (R, 1, K)
            snr = (sig / self._noise[cols][:, :, sel]).astype(np.float32)
            if rank == TECH_RANK["AV2"]:
                snr *= self.av2_psd_factor[sel]
            slots[techs == rank], loaded[techs == rank] = self._rates(snr, int(rank))
        return slots.mean(axis=1), slots, loaded

    def max_rate_mbps(self, tech: str) -> float:
        """The highest coded PHY rate a link of ``tech`` can reach on this site's carriers."""
        if tech == "GP":
            return phy.robo_rate_mbps("HS")
        if tech == "AV2":
            return (self.site.params.av2_mimo_gain * int(self.av2_sel.sum()) * 12 * phy.FEC_AV2
                    / phy.AV_SYMBOL_S / 1e6)
        return int(self.av_sel.sum()) * 10 * phy.FEC_AV / phy.AV_SYMBOL_S / 1e6

    def link(self, i: int, j: int) -> LinkState:
        """Tone maps of i -> j (cached until ``j``'s noise changes)."""
        return self.link_states_into(j, np.array([i]))[0]

    def link_states_into(self, j: int, tx: np.ndarray) -> list[LinkState]:
        """:class:`LinkState` of every tx[k] -> j, computed in one vectorised pass and cached."""
        tx = np.asarray(tx, dtype=int)
        todo = [int(i) for i in tx if self._link_cache.get((int(i), j), (-1,))[0] != self.noise_version[j]]
        if todo:
            rates, slots, loaded = self.rates_into(j, np.array(todo))
            margins = self.beacon_margin(np.array(todo), j)
            for k, i in enumerate(todo):
                st = LinkState(float(rates[k]), tuple(float(x) for x in slots[k]), int(loaded[k]), float(margins[k]))
                self._link_cache[(i, j)] = (int(self.noise_version[j]), st)
        return [self._link_cache[(int(i), j)][1] for i in tx]

    # -- beacons ------------------------------------------------------------------------------------
    def beacon_margin(self, tx: np.ndarray, j: int) -> np.ndarray:
        """Mini-ROBO beacon margin (dB) from each node in ``tx`` to receiver ``j`` in the beacon slot."""
        self._refresh_margins(j)
        return self._margin[tx, j]

    def _refresh_margins(self, j: int) -> None:
        """Recompute receiver ``j``'s column of beacon margins if its noise changed since."""
        if self._margin_version[j] != self.noise_version[j]:
            inv_noise = 1.0 / self._noise[j, BEACON_SLOT, self.av_sel]
            mean_snr = (self._glin_rx_av[j] @ inv_noise) * self.ptx_node_lin / int(self.av_sel.sum())
            mean_snr = np.minimum(mean_snr, 10.0 ** (self.site.params.snr_cap_db / 10.0))
            with np.errstate(divide="ignore"):
                eff = 10.0 * np.log10(mean_snr * phy.ROBO_COPIES[BEACON_ROBO])
            self._margin[:, j] = eff - phy.ROBO_THRESHOLD_DB
            self._margin[j, j] = np.inf
            self._margin_version[j] = self.noise_version[j]

    def margins(self, tx: np.ndarray, rx: np.ndarray) -> np.ndarray:
        """Beacon margins (dB) for the links tx[k] -> rx[k] (vectorised; refreshes stale receivers)."""
        stale = self._margin_version[rx] != self.noise_version[rx]
        if stale.any():
            for j in np.unique(rx[stale]):
                self._refresh_margins(int(j))
        return self._margin[tx, rx]

    def margin_matrix(self) -> np.ndarray:
        """(N, N) beacon margins at the current charging state (for election and reports)."""
        for j in range(self.n):
            self._refresh_margins(j)
        return self._margin.copy()

    def rate_matrix(self) -> np.ndarray:
        """(N, N) coded PHY rates at the current charging state (all pairs; for reports only)."""
        out = np.zeros((self.n, self.n))
        for j in range(self.n):
            tx = np.flatnonzero(np.arange(self.n) != j)
            out[tx, j] = self.rates_into(j, tx)[0]
        return out

    def rate_sensitivity_mbps_per_db(self, state: LinkState, tech: str) -> float:
        """How much the rate moves per dB of SNR change: about one bit per loaded carrier per 3 dB
        (a QAM step of 2 bits needs ~6 dB)."""
        if tech == "GP":
            return 0.0
        fec = phy.FEC_AV2 if tech == "AV2" else phy.FEC_AV
        return state.loaded_carriers * (1.0 / 3.0) * fec / phy.AV_SYMBOL_S / 1e6
