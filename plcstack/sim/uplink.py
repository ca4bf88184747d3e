"""A charger's uplink: PLC rates to every gateway, the firmware's Wi-Fi/PLC choice, Ethernet learning.

* :class:`GatewayRates` -- coded PHY rate from every node to every gateway (PLC module or bridge),
  recomputed per gateway only when that gateway's receiver noise changed, then moved by each link's
  slow fading through the link's rate sensitivity (one vectorised pass per reselection);
* :class:`UplinkPolicy` -- the charger firmware's rule: ``none`` (the vendor rule as written: Wi-Fi
  when RSSI >= -75 dBm, else the fastest PLC gateway of its AVLN), ``hysteresis`` (Schmitt trigger on
  the EWMA RSSI, a PLC gateway must be ``gateway_switch_ratio`` faster, minimum dwell with back-off)
  or ``sticky`` (change only when the current uplink fails);
* :func:`last_arrivals` -- in a bridging loop every gateway forwards a charger's broadcast to the
  LAN, and the router's MAC table keeps the copy that arrived last.

Sources and defaults: ``docs/sim-models.md`` (Wi-Fi rule, hysteresis, dwell, Ethernet learning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import phy, wifi
from .physics import SitePhysics
from .site import SiteParams

UPLINK_NONE, UPLINK_WIFI, UPLINK_WIRED = -1, -2, -3
FLAP_WINDOW_S = 600.0  # back-off doubling after 3 switches in 10 min
FLAP_BACKOFF_AFTER = 3
MAX_DWELL_S = 3600.0
CSMA_SLOT_S = 35.84e-6  # contention slot (docs/sim-models.md, IEEE 1901)
PLC_FRAME_BITS = 1500 * 8  # a full Ethernet frame carried over PLC
WIFI_DELAY_MEAN_S = 2e-3  # 2.4 GHz one-hop delay at good RSSI, grows as the MCS falls


class GatewayRates:
    """(N, G) coded PHY rates between every node and every gateway, fading-adjusted.

    A charger's link to its gateway carries its data one way and the TCP acknowledgements (and any
    download) the other, so the rate that counts is the slower direction: a charging vehicle's
    emission, strongest at the charger's own modem, cuts the gateway -> charger direction first.
    Each direction is recomputed only when its receiver's noise changed, and only for the pairs the
    engine needs (:meth:`need`: the node-gateway pairs within one AVLN).
    """

    def __init__(self, phys: SitePhysics, gateways: np.ndarray, reach_db: float = np.inf) -> None:
        self.phys = phys
        self.gws = np.asarray(gateways, dtype=np.intp)
        self.reach_db = reach_db  # how far (dB) the fading is assumed to move a link between looks
        n, g = phys.n, self.gws.size
        self.up = np.zeros((n, g))  # node -> gateway
        self.down = np.zeros((n, g))  # gateway -> node
        self.up_loaded = np.zeros((n, g))
        self.down_loaded = np.zeros((n, g))
        self.up_version = np.full((n, g), -1, dtype=np.int64)
        self.down_version = np.full((n, g), -1, dtype=np.int64)
        self.base = np.zeros((n, g))
        self.sens = np.zeros((n, g))
        self.pair_i = np.repeat(np.arange(n), g)
        self.pair_g = np.tile(self.gws, n)
        self.not_self = np.arange(n)[:, None] != self.gws[None, :]
        self._need = self.not_self.copy()  # pairs that must be fresh (default: all)
        self._fresh = np.zeros((n, g), bool)  # pairs checked at ``_epoch``
        self.low = np.zeros((n, g))
        self.high = np.zeros((n, g))
        self._epoch = -1  # phys.noise_epoch at the last refresh
        techs = [[phys.link_tech(i, int(gw)) for gw in self.gws] for i in range(n)]
        self.top = np.array([[phys.max_rate_mbps(t) for t in row] for row in techs]).reshape(n, g)
        fec = np.array([[0.0 if t == "GP" else (phy.FEC_AV2 if t == "AV2" else phy.FEC_AV) for t in row]
                        for row in techs]).reshape(n, g)
        # about one bit per loaded carrier per 3 dB of SNR (a QAM step of 2 bits needs ~6 dB)
        self.mbps_per_carrier_db = fec / 3.0 / phy.AV_SYMBOL_S / 1e6

    def need(self, pairs: np.ndarray) -> None:
        """Only the (N, G) ``pairs`` must be fresh from now on (the engine passes the node-gateway pairs
        of one AVLN: a gateway of another AVLN cannot carry a node's traffic); others are computed
        when they are needed."""
        pairs = pairs & self.not_self
        if not (pairs & ~self._fresh).any():
            self._need = pairs
            return
        self._need = pairs
        self._epoch = -1  # pairs not looked at before: check their versions

    def refresh(self) -> None:
        """Recompute the needed directions whose receiver noise changed since they were computed (one
        staleness test over the pairs; only stale gateways and nodes are evaluated)."""
        phys = self.phys
        if self._epoch == phys.noise_epoch:
            return
        self._epoch = phys.noise_epoch
        nv = phys.noise_version
        need = self._need
        changed = False
        stale_up = need & (self.up_version != nv[self.gws][None, :])
        for col in np.flatnonzero(stale_up.any(axis=0)):
            g = int(self.gws[col])
            tx = np.flatnonzero(stale_up[:, col])
            rate, _, loaded = phys.rates_into(g, tx)
            self.up[tx, col], self.up_loaded[tx, col] = rate, loaded
            self.up_version[tx, col] = nv[g]
            changed = True
        stale_down = need & (self.down_version != nv[:, None])
        for col in np.flatnonzero(stale_down.any(axis=0)):
            rx = np.flatnonzero(stale_down[:, col])
            rate, _, loaded = phys.rates_from(int(self.gws[col]), rx)
            self.down[rx, col], self.down_loaded[rx, col] = rate, loaded
            self.down_version[rx, col] = nv[rx]
            changed = True
        self._fresh = need.copy()
        if changed:
            slower_down = self.down < self.up
            self.base = np.where(slower_down, self.down, self.up)
            self.sens = np.where(slower_down, self.down_loaded, self.up_loaded) * self.mbps_per_carrier_db
            cap = np.minimum(1.5 * self.base, self.top)
            self.low = np.clip(self.base - self.sens * self.reach_db, 0.0, cap)
            self.high = np.clip(self.base + self.sens * self.reach_db, 0.0, cap)

    def candidates(self, valid: np.ndarray, current_col: np.ndarray) -> np.ndarray:
        """(N, G) pairs whose fading can matter now: every valid gateway whose best case reaches the
        worst case of the node's best valid gateway, and the node's current gateway (``current_col``,
        -1 for none).  A pair outside this set cannot become the node's best choice before its fading
        moves more than ``reach_db`` (AT_RISK_SIGMAS deviations), so its fading need not be sampled."""
        self.refresh()
        floor = np.where(valid, self.low, 0.0).max(axis=1, initial=0.0)
        cand = valid & (self.high >= floor[:, None])
        has = current_col >= 0
        cand[np.flatnonzero(has), current_col[has]] = True
        return cand

    def rates(self, t: float, fading_db: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
        """Rates (Mbit/s) moved by ``fading_db``, never beyond what the tone maps allow.

        ``fading_db`` is (N*G,) for every pair, or one value per True entry of the (N, G) mask
        ``pairs`` (the others keep their unfaded rate)."""
        self.refresh()
        fade = np.zeros(self.base.shape)
        if pairs is None:
            fade = fading_db.reshape(self.base.shape)
        else:
            fade[pairs] = fading_db
        return np.clip(self.base + self.sens * fade, 0.0, np.minimum(1.5 * self.base, self.top))


@dataclass
class UplinkPolicy:
    """The firmware's uplink rule per charger, with its dwell and back-off state."""

    params: SiteParams
    policy: np.ndarray  # per node: "none", "hysteresis" or "sticky"
    has_wifi: np.ndarray

    def __post_init__(self) -> None:
        n = self.policy.size
        self.none = self.policy == "none"
        self.hyst = self.policy == "hysteresis"
        self.sticky = self.policy == "sticky"
        self.dwell = np.full(n, self.params.dwell_s)
        self.last_switch = np.full(n, -np.inf)
        self.recent: list[list[float]] = [[] for _ in range(n)]

    def want(self, t: float, cur: np.ndarray, best: np.ndarray, best_rate: np.ndarray, cur_rate: np.ndarray,
             rssi_now: np.ndarray, rssi_ewma: np.ndarray) -> np.ndarray:
        """The uplink each node's firmware wants now (vectorised over nodes)."""
        p = self.params
        rssi = np.where(self.none, rssi_now, rssi_ewma)
        on_wifi = cur == UPLINK_WIFI
        thr, h = p.wifi_threshold_dbm, p.wifi_hysteresis_db
        wifi_ok = self.has_wifi & (
            (self.none & (rssi >= thr))
            | (self.hyst & np.where(on_wifi, rssi > thr - h, rssi >= thr + h))
            | (self.sticky & np.where(on_wifi, rssi > wifi.UNUSABLE_DBM, rssi >= thr + h)))
        dwell_ok = self.none | (t - self.last_switch >= self.dwell)
        wifi_usable = self.has_wifi & (rssi > wifi.UNUSABLE_DBM)
        cur_ok = (on_wifi & wifi_usable) | (cur_rate > 0)
        plc_choice = np.where(self.none | ~cur_ok | on_wifi, best,
                              np.where(self.hyst & dwell_ok & (best_rate >= p.gateway_switch_ratio * cur_rate),
                                       best, cur))
        want = np.where(wifi_ok, UPLINK_WIFI,
                        np.where(best_rate > 0, plc_choice, np.where(wifi_usable, UPLINK_WIFI, UPLINK_NONE)))
        return np.where(~self.none & cur_ok & (want != cur) & ~dwell_ok, cur, want)

    def switched(self, t: float, i: int) -> None:
        """Book a switch: hysteresis doubles the dwell after 3 switches in 10 min, relaxes after quiet."""
        self.last_switch[i] = t
        recent = [x for x in self.recent[i] if t - x < FLAP_WINDOW_S] + [t]
        self.recent[i] = recent
        if self.hyst[i]:
            if len(recent) >= FLAP_BACKOFF_AFTER:
                self.dwell[i] = min(self.dwell[i] * 2.0, MAX_DWELL_S)
            elif len(recent) == 1:
                self.dwell[i] = self.params.dwell_s


def last_arrivals(plc_rate_mbps: np.ndarray, valid: np.ndarray, is_module: np.ndarray, wifi_quality: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Which gateway's copy of each charger's broadcast reaches the router last (column index).

    ``plc_rate_mbps`` and ``valid`` are (chargers, G); a copy crosses PLC (frame time + a random
    CSMA backoff of 0-7 slots) and then the gateway's uplink: 0.1 ms for a wired module, an
    exponential Wi-Fi delay growing as the link quality falls for a bridge.  Rows with no valid
    gateway return -1.
    """
    shape = plc_rate_mbps.shape
    plc = PLC_FRAME_BITS / (np.maximum(plc_rate_mbps, 0.5) * 1e6) + rng.integers(0, 8, shape) * CSMA_SLOT_S
    wifi_delay = rng.exponential(1.0, shape) * (WIFI_DELAY_MEAN_S / np.maximum(wifi_quality, 0.05))[None, :]
    up = np.where(is_module[None, :], 1e-4, wifi_delay)
    arrival = np.where(valid, plc + up, -np.inf)
    out = arrival.argmax(axis=1)
    return np.where(valid.any(axis=1), out, -1)
