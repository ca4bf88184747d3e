"""Network dynamics of a site over time: AVLNs, CCo election, beacon loss, uplink choice, flapping.

Time advances in steps of ``step_s`` (1 s).  What changes over time, and so what can make a
charger flap, is modelled explicitly -- nothing is scripted:

* **charging** (the site file's windows) switches each charger's power-electronics noise on and off;
  the receivers it reaches get new noise, new tone maps, new rates and new beacon margins;
* **slow fading** of every link (loads switching, impedances drifting): an Ornstein-Uhlenbeck
  process in dB per unordered pair, ``fading_sigma_db`` and ``fading_tau_s`` [E], sampled exactly at
  the times it is needed (so its cost is O(links looked at), not O(N^2) per step);
* **Wi-Fi RSSI**: an OU process around each charger's configured mean (``wifi_sigma_db``,
  ``wifi_tau_s``) [E], smoothed with an EWMA (alpha 0.2, simulator.md §6.7) for the hysteresis policy;
* **Ethernet learning** in bridging loops: when one AVLN holds several gateways on the same LAN,
  every broadcast a charger sends reaches the router through each of them, and the router's MAC
  table keeps the copy that arrived last (PLC airtime + CSMA backoff + uplink delay) (§6.5).

HomePlug AV behaviour follows the Greenvity firmware timers (simulator.md §6.2 [V]): a station
that hears no beacon of its CCo for 18 ticks of 200 ms restarts discovery, joins the first CCo of
its NID whose beacons it decodes, or becomes CCo itself after the BBT if it hears no network at
all; unassociated stations of the same NID that hear each other elect the one with the higher CCo
capability, then the higher MAC.  Two CCos of one NID that come to hear each other merge: the lower
one resigns and its stations re-discover.

Each charger's firmware chooses its uplink at every ``reselect_interval_s`` with a policy:
``none`` (the vendor rule as written: Wi-Fi when RSSI >= -75 dBm, else the fastest PLC gateway of
its AVLN), ``hysteresis`` (Schmitt trigger on EWMA RSSI, a PLC gateway must be 30 % faster, 60 s
dwell) or ``sticky`` (change only when the current uplink fails).  Every change is a flap and costs
what :mod:`.flapcost` says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..keys.derive import nid_from_password
from . import flapcost, wifi
from .physics import SitePhysics, _stable_seed
from .site import DAY_S, Site, charging_at, charging_edges

UPLINK_NONE, UPLINK_WIFI, UPLINK_WIRED = -1, -2, -3
EWMA_ALPHA = 0.2  # §6.7
AT_RISK_SIGMAS = 4.5  # beacon margins beyond 4.5 fading sigmas cannot reach 0 dB in practice (p < 4e-6)
WIFI_SAMPLE_S = 5.0  # §6.7: RSSI samples every 1-5 s
FLAP_WINDOW_S = 600.0  # §6.7 [E]: back-off doubling after 3 flaps in 10 min
FLAP_BACKOFF_AFTER = 3
MAX_DWELL_S = 3600.0
ARP_INTERVAL_S = 45.0  # [E] mean interval of a charger's broadcasts (ARP refresh, Linux 30-60 s)
CSMA_SLOT_S = 35.84e-6  # [V] contention slot
PLC_FRAME_BITS = 1500 * 8  # a full Ethernet frame carried over PLC
WIFI_DELAY_MEAN_S = 2e-3  # [E] 2.4 GHz one-hop delay at good RSSI, grows as the MCS falls


@dataclass
class NodeStats:
    name: str
    kind: str
    flaps: int = 0
    flap_kinds: dict[str, int] = field(default_factory=dict)
    downtime_s: float = 0.0
    extra_bytes: int = 0
    ghost_session_s: float = 0.0
    plc_time_s: float = 0.0
    wifi_time_s: float = 0.0
    time_by_gateway: dict[str, float] = field(default_factory=dict)
    time_by_avln: dict[str, float] = field(default_factory=dict)
    l2_flaps: int = 0
    mean_rate_mbps: float | None = None  # mean PHY rate to the PLC gateway while on PLC
    flap_outage_s: float = 0.0  # the part of the downtime that flap costs add (reconnects, RTOs)

    def add_flap(self, kind: str) -> None:
        self.flaps += 1
        self.flap_kinds[kind] = self.flap_kinds.get(kind, 0) + 1


@dataclass
class SimResult:
    site: Site
    hours: float
    seed: int
    stats: list[NodeStats]
    timeline: list[tuple[float, int, str, str]]  # (t, node, "avln"|"uplink"|"l2", label)
    events: list[tuple[float, int, str, str]]  # flaps and protocol events, for the JSON log
    physics: SitePhysics
    nid_hex: list[str]
    loops: list[dict]
    final_cco: list[int]
    final_uplink: list[int]
    wall_s: float = 0.0

    @property
    def flaps_total(self) -> int:
        return sum(s.flaps for s in self.stats)

    @property
    def downtime_s_total(self) -> float:
        return float(sum(s.downtime_s for s in self.stats))


def uplink_name(site: Site, u: int) -> str:
    """Readable name of an uplink code: wifi, wired, none, or the gateway node's name."""
    if u == UPLINK_WIFI:
        return "wifi"
    if u == UPLINK_WIRED:
        return "wired"
    if u == UPLINK_NONE:
        return "none"
    return site.nodes[u].name


class _Fading:
    """OU processes (dB) per unordered node pair, sampled exactly at arbitrary times."""

    def __init__(self, n: int, sigma: float, tau: float, rng: np.random.Generator) -> None:
        self.sigma, self.tau, self.rng = sigma, tau, rng
        self.val = rng.normal(0.0, sigma, (n, n)) if sigma > 0 else np.zeros((n, n))
        self.t = np.zeros((n, n))

    def at(self, i: np.ndarray, j: np.ndarray, t: float) -> np.ndarray:
        if self.sigma <= 0:
            return np.zeros(np.shape(i))
        a, b = np.minimum(i, j), np.maximum(i, j)
        dt = np.maximum(t - self.t[a, b], 0.0)  # a pair asked again at an earlier instant: no change
        rho = np.exp(-dt / self.tau)
        new = self.val[a, b] * rho + self.sigma * np.sqrt(1.0 - rho * rho) * self.rng.standard_normal(np.shape(a))
        self.val[a, b] = new
        self.t[a, b] = t
        return new


class Engine:
    """Run one simulation of a site: ``Engine(site, hours=24, seed=0).run()``."""

    def __init__(self, site: Site, hours: float = 24.0, seed: int = 0, step_s: float = 1.0,
                 physics: SitePhysics | None = None, start_s: float = 0.0) -> None:
        self.site = site
        self.p = site.params
        self.hours = hours
        self.seed = seed
        self.step = step_s
        self.start_s = start_s
        self.phys = physics if physics is not None else SitePhysics(site, seed)
        self.rng = np.random.default_rng(_stable_seed("engine", seed, site.name))
        nodes = site.nodes
        self.n = n = len(nodes)
        nids = [nid_from_password(nd.network_password) for nd in nodes]
        uniq = sorted(set(nids))
        self.nid_hex = [x.hex().upper() for x in nids]
        self.nid = np.array([uniq.index(x) for x in nids])
        self.prio = [(nd.cco_capability, nd.mac) for nd in nodes]
        self.is_gw = np.array([nd.is_gateway for nd in nodes])
        self.is_bridge = np.array([nd.bridge for nd in nodes])
        self.is_module = np.array([nd.kind == "plc_module" for nd in nodes])
        self.is_charger = np.array([nd.kind == "charger" for nd in nodes])
        self.has_wifi = np.array([nd.wifi_rssi_dbm is not None for nd in nodes])
        self.rssi_mean = np.array([nd.wifi_rssi_dbm if nd.wifi_rssi_dbm is not None else -120.0 for nd in nodes])
        self.policy = [nd.gateway_policy or self.p.gateway_policy for nd in nodes]
        self.fading = _Fading(n, self.p.fading_sigma_db, self.p.fading_tau_s, self.rng)
        self.stats = [NodeStats(nd.name, nd.kind) for nd in nodes]
        self.timeline: list[tuple[float, int, str, str]] = []
        self.events: list[tuple[float, int, str, str]] = []

        # network state
        self.cco_of = np.full(n, -1)  # the CCo a node is associated with (itself for a CCo)
        self.is_cco = np.zeros(n, bool)
        self.ready_at = np.zeros(n)  # association completes at this time
        self.lost_since = np.full(n, np.nan)
        self.prev_margin = np.full(n, np.inf)
        self.next_scan = np.full(n, np.inf)
        self.uplink = np.full(n, UPLINK_NONE)
        self.uplink[self.is_module] = UPLINK_WIRED
        self.uplink[self.is_bridge] = UPLINK_WIFI
        self.last_switch = np.full(n, -np.inf)
        self.outage_until = np.zeros(n)
        self.rssi_ou = self.rng.normal(0.0, self.p.wifi_sigma_db, n) if self.p.wifi_sigma_db > 0 else np.zeros(n)
        self.rssi_ewma = self.rssi_mean + self.rssi_ou
        self.learned = np.full(n, -1)  # the router's MAC-table entry (which gateway) for each node
        self.next_bcast = self.rng.exponential(ARP_INTERVAL_S, n)
        self.avln_label = [""] * n
        self.uplink_label = [""] * n
        self.avln_since = np.zeros(n)
        self.uplink_since = np.zeros(n)
        self.last_avln = [""] * n
        self.down_s = np.zeros(n)
        self.plc_up_s = np.zeros(n)
        self.wifi_s = np.zeros(n)
        self.gw_cols = np.flatnonzero(self.is_gw)
        self.gw_col_of = np.full(n, -1)
        self.gw_col_of[self.gw_cols] = np.arange(self.gw_cols.size)
        self.gw_base = np.zeros((n, self.gw_cols.size))
        self.gw_sens = np.zeros((n, self.gw_cols.size))
        self.gw_max = np.zeros((n, self.gw_cols.size))
        self.gw_ver = np.full(self.gw_cols.size, -1)
        self.pair_i = np.repeat(np.arange(n), self.gw_cols.size)
        self.pair_g = np.tile(self.gw_cols, n)
        self.selects = self.is_charger & ~self.is_bridge  # chargers whose firmware picks an uplink
        pols = np.array(self.policy)
        self.pol_none, self.pol_hyst, self.pol_sticky = pols == "none", pols == "hysteresis", pols == "sticky"
        self.rate_sum = np.zeros(n)
        self.members_dirty = True
        self.flap_outage_s = np.zeros(n)
        self.dwell = np.full(n, self.p.dwell_s)
        self.recent_switches: list[list[float]] = [[] for _ in range(n)]
        self.rate_n = np.zeros(n)

    # -- helpers ---------------------------------------------------------------------------------------
    def _log(self, t: float, i: int, kind: str, detail: str) -> None:
        self.events.append((round(t, 3), i, kind, detail))

    def _label_avln(self, i: int) -> str:
        c = self.cco_of[i]
        if c < 0:
            return "-"
        return f"{self.nid_hex[i][-4:]}@{self.site.nodes[c].name}"

    def _set_timeline(self, t: float, i: int) -> None:
        """Record label changes (and the time spent under the previous labels)."""
        st = self.stats[i]
        a = self._label_avln(i)
        if a != self.avln_label[i]:
            if self.avln_label[i]:
                st.time_by_avln[self.avln_label[i]] = st.time_by_avln.get(self.avln_label[i], 0.0) + t - self.avln_since[i]
            self.avln_label[i] = a
            self.avln_since[i] = t
            self.timeline.append((t, i, "avln", a))
        u = self._uplink_name(int(self.uplink[i]))
        if u != self.uplink_label[i]:
            if self.uplink_label[i]:
                st.time_by_gateway[self.uplink_label[i]] = (st.time_by_gateway.get(self.uplink_label[i], 0.0)
                                                            + t - self.uplink_since[i])
            self.uplink_label[i] = u
            self.uplink_since[i] = t
            self.timeline.append((t, i, "uplink", u))

    def _joined(self, t: float, i: int) -> None:
        """After any association: a different AVLN than the last one is a flap (§6.6 mechanism 3)."""
        label = self._label_avln(i)
        if self.last_avln[i] and label != self.last_avln[i]:
            self._charge(t, i, "avln")
        self.last_avln[i] = label
        self.members_dirty = True
        self._set_timeline(t, i)

    def _uplink_name(self, u: int) -> str:
        return uplink_name(self.site, u)

    def _charge(self, t: float, i: int, kind: str, rejoin_s: float = 0.0) -> None:
        cost = flapcost.flap_cost(kind, self.p, rejoin_s)
        st = self.stats[i]
        st.add_flap(kind)
        st.extra_bytes += cost.extra_bytes
        st.ghost_session_s += cost.ghost_session_s
        self.flap_outage_s[i] += cost.outage_s

    def _hears(self, tx: int, rx: int, t: float) -> bool:
        m = self.phys.beacon_margin(np.array([tx]), rx)[0]
        return bool(m + self.fading.at(np.array([tx]), np.array([rx]), t)[0] >= 0.0)

    def _wifi_usable(self) -> np.ndarray:
        """Per node: its Wi-Fi RSSI right now is above the bottom of the vendor's scale."""
        return self.rssi_mean + self.rssi_ou > wifi.UNUSABLE_DBM

    def _gateways_up(self) -> np.ndarray:
        """Per node: as a gateway, is its uplink working (PLC modules are wired; bridges need Wi-Fi)."""
        return self.is_module | self._wifi_usable()

    # -- AVLN formation ----------------------------------------------------------------------------
    def _initial_formation(self, t: float) -> None:
        """Power-on: all nodes scan together; by priority each node joins a CCo of its NID it hears
        both ways, else becomes CCo (higher capability, then higher MAC, wins -- §6.2 [V])."""
        margins = self.phys.margin_matrix()
        order = sorted(range(self.n), key=lambda i: self.prio[i], reverse=True)
        for i in order:
            heard = [c for c in np.flatnonzero(self.is_cco)
                     if self.nid[c] == self.nid[i] and margins[c, i] >= 0 and margins[i, c] >= 0]
            if heard:
                c = max(heard, key=lambda c: margins[c, i])
                self.cco_of[i] = c
                self.ready_at[i] = t + flapcost.BBT_S + 2 * flapcost.MME_RTT_S
            else:
                self.is_cco[i] = True
                self.cco_of[i] = i
                self.ready_at[i] = t + flapcost.BBT_S
        for i in range(self.n):
            self._log(t, i, "join" if not self.is_cco[i] else "cco", self._label_avln(i))
            self.last_avln[i] = self._label_avln(i)

    def _rediscover(self, t: float, i: int, reason: str) -> None:
        old = self._label_avln(i)
        self.cco_of[i] = -1
        self.lost_since[i] = np.nan
        self.next_scan[i] = t
        self._log(t, i, "rediscover", f"{reason} (was {old})")
        self.members_dirty = True
        self._set_timeline(t, i)

    def _try_join(self, t: float, i: int) -> None:
        """Scan: join the first CCo of our NID whose beacons decode (order-dependent, §6.2)."""
        cands = [c for c in np.flatnonzero(self.is_cco)
                 if c != i and self.nid[c] == self.nid[i] and self._hears(c, i, t) and self._hears(i, c, t)]
        if cands:
            # "first SNID with enough good beacons": the beacon phase each CCo happens to have
            c = int(cands[int(self.rng.integers(len(cands)))]) if len(cands) > 1 else int(cands[0])
            scan = float(self.rng.uniform(0.0, 2.0 / self.p.mains_hz))
            self.cco_of[i] = c
            self.ready_at[i] = t + scan + 2 * flapcost.MME_RTT_S
            self.next_scan[i] = np.inf
            self._log(t, i, "join", self._label_avln(i))
            self._joined(t, i)
            return
        others = [c for c in np.flatnonzero(self.is_cco) if c != i and self._hears(c, i, t)]
        if others:  # other networks heard, none of ours: stay unassociated, scan again (rule 5)
            self.next_scan[i] = t + flapcost.DISCOVER_PERIOD_S
            return
        self.is_cco[i] = True
        self.cco_of[i] = i
        self.ready_at[i] = t + flapcost.BBT_S
        self.next_scan[i] = np.inf
        self._log(t, i, "cco", self._label_avln(i))
        self._joined(t, i)

    def _several_ccos_per_nid(self) -> bool:
        nids = self.nid[self.is_cco]
        return nids.size > np.unique(nids).size

    def _merge_ccos(self, t: float) -> None:
        """Two CCos of one NID that hear each other: the lower-priority one resigns."""
        ccos = list(np.flatnonzero(self.is_cco))
        for c in ccos:
            if not self.is_cco[c]:
                continue
            better = [d for d in ccos if d != c and self.is_cco[d] and self.nid[d] == self.nid[c]
                      and self.prio[d] > self.prio[c] and self._hears(d, c, t) and self._hears(c, d, t)]
            if better:
                self.is_cco[c] = False
                members = np.flatnonzero(self.cco_of == c)
                for m in members:
                    if m != c:
                        self.lost_since[m] = t  # their beacons stop now
                self._rediscover(t, c, "CCo handover to a stronger CCo of the same NID")
                self._try_join(t, c)

    # -- uplink selection ---------------------------------------------------------------------------
    def _gateway_rates(self, t: float) -> np.ndarray:
        """(N, G) fading-adjusted PHY rates from every node to every gateway; 0 where unusable
        (other AVLN, not associated yet, gateway down, below ``min_rate_mbps``)."""
        gws = self.gw_cols
        n, ng = self.n, gws.size
        for col, g in enumerate(gws):
            if self.gw_ver[col] != self.phys.noise_version[g]:
                tx = np.array([i for i in range(n) if i != g])
                for i, st in zip(tx, self.phys.link_states_into(int(g), tx), strict=True):
                    self.gw_base[i, col] = st.rate_mbps
                    self.gw_max[i, col] = self.phys.max_rate_mbps(self.phys.link_tech(int(i), int(g)))
                    self.gw_sens[i, col] = self.phys.rate_sensitivity_mbps_per_db(st, self.phys.link_tech(int(i), int(g)))
                self.gw_ver[col] = self.phys.noise_version[g]
        fade = self.fading.at(self.pair_i, self.pair_g, t).reshape(n, ng)
        # a fading dB moves the rate by the link's sensitivity, never beyond what its tone maps allow
        rate = np.clip(self.gw_base + self.gw_sens * fade, 0.0, np.minimum(1.5 * self.gw_base, self.gw_max))
        gw_up = self._gateways_up()[gws]
        valid = ((self.cco_of[gws][None, :] == self.cco_of[:, None]) & (self.cco_of[:, None] >= 0)
                 & (self.ready_at[:, None] <= t) & (self.ready_at[gws][None, :] <= t) & gw_up[None, :]
                 & (np.arange(n)[:, None] != gws[None, :]) & (rate >= self.p.min_rate_mbps))
        return np.where(valid, rate, 0.0)

    def _reselect(self, t: float) -> None:
        """Every charger's firmware re-decides its uplink (vectorised; switches are rare)."""
        p = self.p
        gws = self.gw_cols
        n = self.n
        rows = np.arange(n)
        cur = self.uplink.copy()
        if gws.size:
            rates = self._gateway_rates(t)
            best_col = rates.argmax(axis=1)
            best_rate = rates[rows, best_col]
            best = gws[best_col]
            cur_col = self.gw_col_of[np.where(cur >= 0, cur, 0)]
            cur_rate = np.where((cur >= 0) & (cur_col >= 0), rates[rows, np.maximum(cur_col, 0)], 0.0)
        else:
            best_rate = np.zeros(n)
            best = np.full(n, UPLINK_NONE)
            cur_rate = np.zeros(n)
        cand_any = best_rate > 0
        rssi_used = np.where(self.pol_none, self.rssi_mean + self.rssi_ou, self.rssi_ewma)
        on_wifi = cur == UPLINK_WIFI
        thr, h = p.wifi_threshold_dbm, p.wifi_hysteresis_db
        wifi_ok = self.has_wifi & (
            (self.pol_none & (rssi_used >= thr))
            | (self.pol_hyst & np.where(on_wifi, rssi_used > thr - h, rssi_used >= thr + h))
            | (self.pol_sticky & np.where(on_wifi, rssi_used > wifi.UNUSABLE_DBM, rssi_used >= thr + h)))
        dwell_ok = self.pol_none | (t - self.last_switch >= self.dwell)
        wifi_usable = self.has_wifi & (rssi_used > wifi.UNUSABLE_DBM)
        cur_ok = (on_wifi & wifi_usable) | (cur_rate > 0)
        plc_choice = np.where(self.pol_none | ~cur_ok | on_wifi, best,
                              np.where(self.pol_hyst & dwell_ok & (best_rate >= p.gateway_switch_ratio * cur_rate),
                                       best, cur))
        want = np.where(wifi_ok, UPLINK_WIFI,
                        np.where(cand_any, plc_choice, np.where(wifi_usable, UPLINK_WIFI, UPLINK_NONE)))
        want = np.where(~self.pol_none & cur_ok & (want != cur) & ~dwell_ok, cur, want)
        # the mean PHY rate to the gateway is sampled here, once per reselection interval
        on_plc = self.selects & (cur >= 0) & (cur_rate > 0)
        self.rate_sum += np.where(on_plc, cur_rate, 0.0)
        self.rate_n += on_plc
        for i in np.flatnonzero(self.selects & (want != cur)):
            self._switch(t, int(i), int(cur[i]), int(want[i]))

    def _switch(self, t: float, i: int, cur: int, want: int) -> None:
        self.uplink[i] = want
        self.last_switch[i] = t
        # hysteresis policy: double the dwell after 3 switches within 10 min, relax it after a quiet 10 min
        recent = [x for x in self.recent_switches[i] if t - x < FLAP_WINDOW_S] + [t]
        self.recent_switches[i] = recent
        if self.pol_hyst[i]:
            if len(recent) >= FLAP_BACKOFF_AFTER:
                self.dwell[i] = min(self.dwell[i] * 2.0, MAX_DWELL_S)
            elif len(recent) == 1:
                self.dwell[i] = self.p.dwell_s
        self._log(t, i, "uplink", f"{self._uplink_name(cur)} -> {self._uplink_name(want)}")
        self._set_timeline(t, i)
        if cur == UPLINK_NONE or want == UPLINK_NONE:
            return  # gaining or losing the only route: downtime, not a flap
        if (cur == UPLINK_WIFI) != (want == UPLINK_WIFI):
            self._charge(t, i, "uplink-wifi" if want == UPLINK_WIFI else "uplink-plc",
                         rejoin_s=flapcost.BBT_S + 2 * flapcost.MME_RTT_S)
        else:
            self._charge(t, i, "gateway")

    # -- Ethernet learning in bridging loops ------------------------------------------------------
    def _broadcasts(self, t: float) -> None:
        due = np.flatnonzero(self.next_bcast <= t)
        self.next_bcast[due] = t + self.rng.exponential(ARP_INTERVAL_S, due.size)
        gws = self.gw_cols
        gw_active = (self.ready_at[gws] <= t) & self._gateways_up()[gws]
        # only chargers on PLC in an AVLN with two or more active gateways can see their entry move
        cco_gw = self.cco_of[gws][gw_active]
        counts = np.bincount(cco_gw[cco_gw >= 0], minlength=self.n)
        due = due[(self.uplink[due] >= 0) & self.selects[due] & (self.cco_of[due] >= 0)]
        looped = due[counts[self.cco_of[due]] >= 2]
        single = due[counts[self.cco_of[due]] < 2]
        self.learned[single] = self.uplink[single]
        for i in looped:
            c = self.cco_of[i]
            gws_i = [int(g) for g, ok in zip(gws, gw_active, strict=True) if ok and g != i and self.cco_of[g] == c]
            if len(gws_i) < 2:
                self.learned[i] = self.uplink[i] if not gws_i else gws_i[0]
                continue
            # every gateway forwards the broadcast to the LAN; the last copy sets the router's entry
            arrival = []
            for g in gws_i:
                rate = max(self.phys.link(i, g).rate_mbps, 0.5)
                plc = PLC_FRAME_BITS / (rate * 1e6) + self.rng.integers(0, 8) * CSMA_SLOT_S
                if self.is_module[g]:
                    up = 1e-4
                else:
                    q = float(wifi.vendor_quality(self.rssi_mean[g] + self.rssi_ou[g]))
                    up = self.rng.exponential(WIFI_DELAY_MEAN_S / max(q, 0.05))
                arrival.append(plc + up)
            last = int(gws_i[int(np.argmax(arrival))])
            prev = int(self.learned[i])
            self.learned[i] = last
            if prev >= 0 and prev != last:
                self.stats[i].l2_flaps += 1
                self._charge(t, i, "l2-path")
                self.timeline.append((t, i, "l2", self.site.nodes[last].name))
                if self.phys.link(last, i).rate_mbps < self.p.min_rate_mbps:
                    # the router now sends to a bridge that cannot reach us: down until we speak again
                    self.outage_until[i] = max(self.outage_until[i], self.next_bcast[i])

    # -- main loop ------------------------------------------------------------------------------------
    def _charging_at(self, t: float) -> np.ndarray:
        return np.array(charging_at(self.site, t))

    def _change_times(self, t0: float, t1: float) -> list[float]:
        """Absolute times in (t0, t1] at which some charger starts or stops charging."""
        edges = charging_edges(self.site)
        first_day, last_day = math.floor(t0 / DAY_S), math.floor(t1 / DAY_S)
        return [tt for day in range(first_day, last_day + 1) for x in edges
                if t0 < (tt := day * DAY_S + x) <= t1]

    def run(self, progress: Callable[[float], None] | None = None) -> SimResult:
        import time as _time

        wall0 = _time.perf_counter()
        t0 = self.start_s
        t_end = t0 + self.hours * 3600.0
        self.phys.set_charging(self._charging_at(t0))
        self._initial_formation(t0)
        changes = self._change_times(t0, t_end)
        ci = 0
        p = self.p
        step = self.step
        n_steps = int(round(self.hours * 3600.0 / step))
        wifi_every = max(1, int(round(WIFI_SAMPLE_S / step)))
        decay = math.exp(-wifi_every * step / p.wifi_tau_s) if p.wifi_tau_s > 0 else 0.0
        reselect_every = max(1, int(round(p.reselect_interval_s / step)))
        merge_every = max(1, int(round(flapcost.DISCOVER_PERIOD_S / step)))
        detect = flapcost.beacon_loss_detection_s()
        self._reselect(t0 + flapcost.BBT_S + 0.1)
        for i in range(self.n):
            self.avln_since[i] = self.uplink_since[i] = t0
            self._set_timeline(t0, i)
        idx_all = np.arange(self.n)
        at_risk = idx_all[:0]
        risk_dirty = True
        next_bcast_t = float(self.next_bcast.min())
        acct_dt = wifi_every * step
        for k in range(1, n_steps + 1):
            t = t0 + k * step
            # 1. charging changes -> noise, tone maps, margins of the receivers they reach
            if ci < len(changes) and changes[ci] <= t:
                while ci < len(changes) and changes[ci] <= t:
                    ci += 1
                self.phys.set_charging(self._charging_at(t))
                risk_dirty = True
            # 2. Wi-Fi RSSI, sampled every WIFI_SAMPLE_S; downtime accounting at the same cadence
            if k % wifi_every == 0:
                if p.wifi_sigma_db > 0:
                    self.rssi_ou = self.rssi_ou * decay + p.wifi_sigma_db * math.sqrt(1 - decay * decay) * \
                        self.rng.standard_normal(self.n)
                self.rssi_ewma = (1 - EWMA_ALPHA) * self.rssi_ewma + EWMA_ALPHA * (self.rssi_mean + self.rssi_ou)
                self._account(t, acct_dt)
                risk_dirty = True
            # 3. beacon supervision.  Only stations whose beacon margin is within reach of the fading
            #    (AT_RISK_SIGMAS standard deviations) can lose beacons; the others are skipped.
            if risk_dirty or self.members_dirty:
                sta = idx_all[(self.cco_of >= 0) & ~self.is_cco]
                base = self.phys.margins(self.cco_of[sta], sta)
                risky = ((base < AT_RISK_SIGMAS * p.fading_sigma_db + 1.0) | ~self.is_cco[self.cco_of[sta]]
                         | ~np.isnan(self.lost_since[sta]))
                at_risk = sta[risky]
                risk_dirty = self.members_dirty = False
            if at_risk.size:
                sta = at_risk[(self.cco_of[at_risk] >= 0) & ~self.is_cco[at_risk]]
                ccos = self.cco_of[sta]
                margin = self.phys.margins(ccos, sta) + self.fading.at(sta, ccos, t)
                margin[~self.is_cco[ccos]] = -np.inf  # the CCo resigned: no beacons at all
                bad = margin < 0
                newly = bad & np.isnan(self.lost_since[sta])
                if newly.any():
                    prev = self.prev_margin[sta[newly]]
                    cur = margin[newly]
                    # interpolate the crossing between the two samples for tick-accurate detection
                    with np.errstate(invalid="ignore", divide="ignore"):
                        frac = np.where(np.isfinite(prev) & np.isfinite(cur) & (prev > 0), prev / (prev - cur), 1.0)
                    self.lost_since[sta[newly]] = t - step + np.clip(frac, 0.0, 1.0) * step
                self.lost_since[sta[~bad]] = np.nan
                self.prev_margin[sta] = margin
                expired = sta[bad & (t - self.lost_since[sta] >= detect - 1e-9)]
                for s in expired:
                    t_detect = float(self.lost_since[s] + detect)
                    self._rediscover(t_detect, int(s), "beacon loss 18 x 200 ms")
            # 4. scans of unassociated nodes, CCo merges
            if self.next_scan.min() <= t:
                for s in np.flatnonzero((self.cco_of < 0) & (self.next_scan <= t)):
                    self._try_join(t, int(s))
            if k % merge_every == 0 and self._several_ccos_per_nid():
                self._merge_ccos(t)
            # 5. uplink choice
            if k % reselect_every == 0:
                self._reselect(t)
            # 6. Ethernet learning in loops
            if next_bcast_t <= t and k % wifi_every == 0:
                self._broadcasts(t)
                next_bcast_t = float(self.next_bcast.min())
            if progress is not None and k % 3600 == 0:
                progress(k * step)
        t_end = t0 + n_steps * step
        for i in range(self.n):
            st = self.stats[i]
            st.downtime_s = float(self.down_s[i] + self.flap_outage_s[i])
            st.flap_outage_s = float(self.flap_outage_s[i])
            st.plc_time_s = float(self.plc_up_s[i])
            st.wifi_time_s = float(self.wifi_s[i])
            st.mean_rate_mbps = float(self.rate_sum[i] / self.rate_n[i]) if self.rate_n[i] else None
            for label, since, book in ((self.avln_label[i], self.avln_since[i], st.time_by_avln),
                                       (self.uplink_label[i], self.uplink_since[i], st.time_by_gateway)):
                book[label] = book.get(label, 0.0) + t_end - since
        result = SimResult(
            site=self.site, hours=self.hours, seed=self.seed, stats=self.stats, timeline=self.timeline,
            events=self.events, physics=self.phys, nid_hex=self.nid_hex, loops=self._loops(),
            final_cco=[int(x) for x in self.cco_of], final_uplink=[int(x) for x in self.uplink],
        )
        result.wall_s = _time.perf_counter() - wall0
        return result

    def _account(self, t: float, dt: float) -> None:
        """Downtime: a node is up when its uplink works and no flap outage is running."""
        u = self.uplink
        rssi_ok = self._wifi_usable()
        assoc = (self.cco_of >= 0) & (self.ready_at <= t)
        gw = np.where(u >= 0, u, 0)
        plc_ok = (u >= 0) & assoc & (self.cco_of[gw] == self.cco_of) & (self.ready_at[gw] <= t) & \
            self._gateways_up()[gw]
        up = np.where(self.is_module, True,
                      np.where(self.is_bridge, rssi_ok,
                               np.where(u == UPLINK_WIFI, rssi_ok, plc_ok)))
        up &= self.outage_until <= t
        self.down_s += np.where(up, 0.0, dt)
        self.plc_up_s += np.where(plc_ok, dt, 0.0)
        self.wifi_s += np.where((u == UPLINK_WIFI) & self.is_charger & ~self.is_bridge, dt, 0.0)

    def _loops(self) -> list[dict]:
        """Bridging loops at the end of the run: AVLNs with more than one gateway on the LAN."""
        out = []
        for c in np.flatnonzero(self.is_cco):
            gws = [int(g) for g in np.flatnonzero(self.is_gw) if self.cco_of[g] == c]
            if len(gws) >= 2:
                out.append({"avln": self._label_avln(int(c)), "gateways": [self.site.nodes[g].name for g in gws],
                            "l2_flaps": int(sum(self.stats[i].l2_flaps for i in range(self.n)
                                                if self.cco_of[i] == c))})
        return out


def simulate(site: Site, hours: float = 24.0, seed: int = 0, progress: Callable[[float], None] | None = None,
             physics: SitePhysics | None = None) -> SimResult:
    """Simulate ``hours`` of the site from midnight (deterministic for a seed)."""
    return Engine(site, hours=hours, seed=seed, physics=physics).run(progress)
