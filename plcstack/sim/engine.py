"""Network dynamics of a site over time: AVLNs, CCo election, beacon loss, uplink choice, flapping.

Time advances in steps of ``step_s`` (1 s).  What changes over time, and so what can make a
charger flap, is modelled explicitly -- nothing is scripted:

* **charging** (the site file's windows) switches each charger's power-electronics noise on and off;
  the receivers it reaches get new noise, new tone maps, new rates and new beacon margins;
* **slow fading** of every link (:mod:`.fading`), sampled only where it can change a decision;
* **Wi-Fi RSSI**: an OU process around each charger's configured mean (``wifi_sigma_db``,
  ``wifi_tau_s``), smoothed with an EWMA (alpha 0.2) for the hysteresis policy;
* **AVLN formation** (:mod:`.formation`): election, joining, beacon loss and merges, every decision
  taken by the rule book :mod:`plcstack.avln.rules`;
* **uplink choice and Ethernet learning** (:mod:`.uplink`).

Every uplink change is a flap and costs what :mod:`.flapcost` says.  The cost of a run is
proportional to nodes x simulated time: per step only the stations whose beacon margin is within
reach of the fading are looked at, CCo merges only consider the cached pairs that can hear each
other, and everything else runs at its own (seconds) cadence in one vectorised pass.
Models, parameters and sources: ``docs/sim-models.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..avln import rules
from ..keys.derive import nid_from_password
from . import flapcost, wifi
from .fading import LinkFading
from .formation import AT_RISK_SIGMAS, MME_RTT_S, AvlnFormation, StationConfig
from .physics import SitePhysics, _stable_seed
from .site import DAY_S, Site, charging_at, charging_edges
from .uplink import UPLINK_NONE, UPLINK_WIFI, UPLINK_WIRED, GatewayRates, UplinkPolicy, last_arrivals

__all__ = ["UPLINK_NONE", "UPLINK_WIFI", "UPLINK_WIRED", "Engine", "NodeStats", "SimResult", "simulate",
           "uplink_name"]

EWMA_ALPHA = 0.2  # RSSI smoothing of the hysteresis policy
WIFI_SAMPLE_S = 5.0  # RSSI samples every 1-5 s
ARP_INTERVAL_S = 45.0  # mean interval of a charger's broadcasts (ARP refresh, Linux 30-60 s)
PRUNE_GATEWAYS_ABOVE = 8  # with more gateways a reselection samples only the candidates' fading


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


def _station_configs(site: Site) -> tuple[list[StationConfig], list[str]]:
    """What the rule book needs per node, and the NIDs in hex."""
    nids = [nid_from_password(nd.network_password) for nd in site.nodes]
    uniq = sorted(set(nids))
    configs = [StationConfig(nid=nid, nid_index=uniq.index(nid), mac=nd.mac, mode=rules.CcoMode(nd.cco_mode),
                             precedence=rules.precedence(nd.cco_capability, nd.cco_mode, nd.mac))
               for nd, nid in zip(site.nodes, nids, strict=True)]
    return configs, [x.hex().upper() for x in nids]


class Engine:
    """Run one simulation of a site: ``Engine(site, hours=24, seed=0).run()``."""

    def __init__(self, site: Site, hours: float = 24.0, seed: int = 0, step_s: float = 1.0,
                 physics: SitePhysics | None = None, start_s: float = 0.0) -> None:
        if not (math.isfinite(hours) and hours > 0):
            raise ValueError(f"hours must be a positive number of simulated hours, got {hours!r}")
        if not (math.isfinite(step_s) and 0 < step_s <= 60):
            raise ValueError(f"step_s must be in (0, 60] s, got {step_s!r}")
        self.site, self.p = site, site.params
        self.hours, self.seed, self.step, self.start_s = hours, seed, step_s, start_s
        self.phys = physics if physics is not None else SitePhysics(site, seed)
        self.rng = np.random.default_rng(_stable_seed("engine", seed))
        self.n = len(site.nodes)
        self._init_roles()
        self._init_wifi()
        self._init_bookkeeping()
        configs, self.nid_hex = _station_configs(site)
        self.formation = AvlnFormation(configs, self.phys, self._fading, self.rng,
                                       rules.LonePolicy(self.p.lone_policy), self.p.mains_hz,
                                       self.p.fading_sigma_db, self.p.fading_tau_s, self)
        self.gw_rates = GatewayRates(self.phys, self.gw_cols, AT_RISK_SIGMAS * self.p.fading_sigma_db)
        self._gw_pairs: np.ndarray | None = None  # flat fading indices of the (node, gateway) pairs

    # -- set-up -------------------------------------------------------------------------------------
    def _init_roles(self) -> None:
        nodes = self.site.nodes
        self.is_gw = np.array([nd.is_gateway for nd in nodes])
        self.is_bridge = np.array([nd.bridge for nd in nodes])
        self.is_module = np.array([nd.kind == "plc_module" for nd in nodes])
        self.is_charger = np.array([nd.kind == "charger" for nd in nodes])
        self.selects = self.is_charger & ~self.is_bridge  # chargers whose firmware picks an uplink
        self.gw_cols = np.flatnonzero(self.is_gw)
        self.gw_col_of = np.full(self.n, -1)
        self.gw_col_of[self.gw_cols] = np.arange(self.gw_cols.size)
        self.uplink = np.full(self.n, UPLINK_NONE)
        self.uplink[self.is_module] = UPLINK_WIRED
        self.uplink[self.is_bridge] = UPLINK_WIFI
        self._fading = LinkFading(self.n, self.p.fading_sigma_db, self.p.fading_tau_s, self.rng)

    def _init_wifi(self) -> None:
        nodes, p, n = self.site.nodes, self.p, self.n
        self.has_wifi = np.array([nd.wifi_rssi_dbm is not None for nd in nodes])
        self.rssi_mean = np.array([nd.wifi_rssi_dbm if nd.wifi_rssi_dbm is not None else -120.0 for nd in nodes])
        self.rssi_ou = self.rng.normal(0.0, p.wifi_sigma_db, n) if p.wifi_sigma_db > 0 else np.zeros(n)
        self.rssi_ewma = self.rssi_mean + self.rssi_ou
        policies = np.array([nd.gateway_policy or p.gateway_policy for nd in nodes])
        self.policy = UplinkPolicy(p, policies, self.has_wifi)

    def _init_bookkeeping(self) -> None:
        n = self.n
        self.stats = [NodeStats(nd.name, nd.kind) for nd in self.site.nodes]
        self.timeline: list[tuple[float, int, str, str]] = []
        self.events: list[tuple[float, int, str, str]] = []
        self.outage_from = np.zeros(n)  # the flap outage running at a node: [outage_from, outage_until)
        self.outage_until = np.zeros(n)
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
        self.flap_outage_s = np.zeros(n)
        self.rate_sum = np.zeros(n)
        self.rate_n = np.zeros(n)

    @property
    def fading(self) -> LinkFading:
        return self._fading

    @fading.setter
    def fading(self, value: LinkFading) -> None:  # tests replace the fading process
        self._fading = value
        self.formation.fading = value
        self.formation.noise_changed()  # cached pair indices belong to the old process
        self._gw_pairs = None

    # -- formation state, as the engine reads it ------------------------------------------------------
    @property
    def cco_of(self) -> np.ndarray:
        return self.formation.cco_of

    @property
    def is_cco(self) -> np.ndarray:
        return self.formation.is_cco

    @property
    def ready_at(self) -> np.ndarray:
        return self.formation.ready_at

    # -- FormationEvents --------------------------------------------------------------------------------
    def log(self, t: float, i: int, kind: str, detail: str) -> None:
        if kind in ("join", "cco"):
            detail = f"{self._label_avln(i)}: {detail}"
        elif kind == "rediscover":
            detail = f"{detail} (was {self.avln_label[i] or '-'})"
        self.events.append((round(t, 3), i, kind, detail))

    def associated(self, t: float, i: int) -> None:
        """After any association: a different AVLN than the last one is a flap."""
        label = self._label_avln(i)
        if self.last_avln[i] and label != self.last_avln[i]:
            self._charge(t, i, "avln")
        self.last_avln[i] = label
        self._set_timeline(t, i)

    def dissociated(self, t: float, i: int) -> None:
        self._set_timeline(t, i)

    # -- helpers -------------------------------------------------------------------------------------
    def _label_avln(self, i: int) -> str:
        c = self.cco_of[i]
        if c < 0:
            return "-"
        return f"{self.nid_hex[i][-4:]}@{self.site.nodes[c].name}"

    def _set_timeline(self, t: float, i: int) -> None:
        """Record label changes (and the time spent under the previous labels)."""
        st = self.stats[i]
        for label, labels, since, book, kind in (
                (self._label_avln(i), self.avln_label, self.avln_since, st.time_by_avln, "avln"),
                (uplink_name(self.site, int(self.uplink[i])), self.uplink_label, self.uplink_since,
                 st.time_by_gateway, "uplink")):
            if label == labels[i]:
                continue
            if labels[i]:
                book[labels[i]] = book.get(labels[i], 0.0) + t - since[i]
            labels[i] = label
            since[i] = t
            self.timeline.append((t, i, kind, label))

    def _charge(self, t: float, i: int, kind: str, rejoin_s: float = 0.0) -> None:
        cost = flapcost.flap_cost(kind, self.p, rejoin_s)
        st = self.stats[i]
        st.add_flap(kind)
        st.extra_bytes += cost.extra_bytes
        st.ghost_session_s += cost.ghost_session_s
        self._outage(i, t, t + cost.outage_s)

    def _outage(self, i: int, start: float, end: float) -> None:
        """Node ``i`` is out from ``start`` to ``end``; overlapping outages merge (counted once)."""
        if start > self.outage_until[i]:
            self.outage_from[i] = start
        self.outage_until[i] = max(self.outage_until[i], end)

    def _wifi_usable(self) -> np.ndarray:
        """Per node: its Wi-Fi RSSI right now is above the bottom of the vendor's scale."""
        return self.rssi_mean + self.rssi_ou > wifi.UNUSABLE_DBM

    def _gateways_up(self) -> np.ndarray:
        """Per node: as a gateway, is its uplink working (PLC modules are wired; bridges need Wi-Fi)."""
        return self.is_module | self._wifi_usable()

    # -- uplink selection ---------------------------------------------------------------------------
    def _gateway_rates(self, t: float) -> np.ndarray:
        """(N, G) fading-adjusted PHY rates from every node to every gateway; 0 where unusable
        (other AVLN, not associated yet, gateway down, below ``min_rate_mbps``).  The fading is sampled
        only for the pairs that can win or are in use (:meth:`GatewayRates.candidates`): O(N) per call
        however many gateways the site has."""
        gws = self.gw_cols
        if self._gw_pairs is None:
            self._gw_pairs = self._fading.pair_index(self.gw_rates.pair_i, self.gw_rates.pair_g).reshape(
                self.n, gws.size)
        cco = self.cco_of
        same_avln = (cco[gws][None, :] == cco[:, None]) & (cco[:, None] >= 0)
        self.gw_rates.need(same_avln)
        valid = (same_avln & (self.ready_at[:, None] <= t) & (self.ready_at[gws][None, :] <= t)
                 & self._gateways_up()[gws][None, :] & self.gw_rates.not_self)
        if gws.size > PRUNE_GATEWAYS_ABOVE:
            cur_col = np.where(self.uplink >= 0, self.gw_col_of[np.maximum(self.uplink, 0)], -1)
            pairs = self.gw_rates.candidates(valid, cur_col)
            rate = self.gw_rates.rates(t, self._fading.at_index(self._gw_pairs[pairs], t), pairs)
        else:  # a few gateways: sampling every pair costs less than choosing the candidates
            rate = self.gw_rates.rates(t, self._fading.at_index(self._gw_pairs.ravel(), t))
        return np.where(valid & (rate >= self.p.min_rate_mbps), rate, 0.0)

    def _reselect(self, t: float) -> None:
        """Every charger's firmware re-decides its uplink (vectorised; switches are rare)."""
        n, gws = self.n, self.gw_cols
        cur = self.uplink.copy()
        best, best_rate, cur_rate = np.full(n, UPLINK_NONE), np.zeros(n), np.zeros(n)
        if gws.size:
            rates = self._gateway_rates(t)
            best_col = rates.argmax(axis=1)
            best_rate = rates[np.arange(n), best_col]
            best = gws[best_col]
            cur_col = self.gw_col_of[np.where(cur >= 0, cur, 0)]
            cur_rate = np.where((cur >= 0) & (cur_col >= 0), rates[np.arange(n), np.maximum(cur_col, 0)], 0.0)
        want = self.policy.want(t, cur, best, best_rate, cur_rate, self.rssi_mean + self.rssi_ou, self.rssi_ewma)
        # the mean PHY rate to the gateway is sampled here, once per reselection interval
        on_plc = self.selects & (cur >= 0) & (cur_rate > 0)
        self.rate_sum += np.where(on_plc, cur_rate, 0.0)
        self.rate_n += on_plc
        for i in np.flatnonzero(self.selects & (want != cur)):
            self._switch(t, int(i), int(cur[i]), int(want[i]))

    def _switch(self, t: float, i: int, cur: int, want: int) -> None:
        self.uplink[i] = want
        self.policy.switched(t, i)
        self.events.append((round(t, 3), i, "uplink",
                            f"{uplink_name(self.site, cur)} -> {uplink_name(self.site, want)}"))
        self._set_timeline(t, i)
        if cur == UPLINK_NONE or want == UPLINK_NONE:
            return  # gaining or losing the only route: downtime, not a flap
        if (cur == UPLINK_WIFI) != (want == UPLINK_WIFI):
            self._charge(t, i, "uplink-wifi" if want == UPLINK_WIFI else "uplink-plc",
                         rejoin_s=rules.BBT_S + 2 * MME_RTT_S)
        else:
            self._charge(t, i, "gateway")

    # -- Ethernet learning in bridging loops ------------------------------------------------------
    def _broadcasts(self, t: float) -> None:
        """Chargers due to broadcast (ARP) in an AVLN with two or more active gateways: the router
        learns the gateway whose copy arrived last; a move is an L2 flap (vectorised)."""
        due = np.flatnonzero(self.next_bcast <= t)
        self.next_bcast[due] = t + self.rng.exponential(ARP_INTERVAL_S, due.size)
        gws = self.gw_cols
        cco = self.cco_of
        gw_active = (self.ready_at[gws] <= t) & self._gateways_up()[gws]
        counts = np.bincount(cco[gws][gw_active & (cco[gws] >= 0)], minlength=self.n)
        due = due[(self.uplink[due] >= 0) & self.selects[due] & (cco[due] >= 0)]
        looped = due[counts[cco[due]] >= 2]
        single = due[counts[cco[due]] < 2]
        self.learned[single] = self.uplink[single]
        if not looped.size:
            return
        valid = (gw_active[None, :] & (cco[gws][None, :] == cco[looped][:, None])
                 & (gws[None, :] != looped[:, None]))
        quality = wifi.vendor_quality(self.rssi_mean[gws] + self.rssi_ou[gws])
        self.gw_rates.need((cco[gws][None, :] == cco[:, None]) & (cco[:, None] >= 0))
        self.gw_rates.refresh()
        col = last_arrivals(self.gw_rates.up[looped], valid, self.is_module[gws], quality, self.rng)
        last = np.where(col >= 0, gws[np.maximum(col, 0)], self.uplink[looped])
        prev = self.learned[looped]
        self.learned[looped] = last
        for k in np.flatnonzero((prev >= 0) & (prev != last)):
            i, g = int(looped[k]), int(last[k])
            self.stats[i].l2_flaps += 1
            self._charge(t, i, "l2-path")
            self.timeline.append((t, i, "l2", self.site.nodes[g].name))
            if self.gw_rates.down[i, self.gw_col_of[g]] < self.p.min_rate_mbps:
                # the router now sends to a bridge that cannot reach us: down until we speak again
                self._outage(i, t, float(self.next_bcast[i]))

    # -- main loop ------------------------------------------------------------------------------------
    def _change_times(self, t0: float, t1: float) -> list[float]:
        """Absolute times in (t0, t1] at which some charger starts or stops charging."""
        edges = charging_edges(self.site)
        first_day, last_day = math.floor(t0 / DAY_S), math.floor(t1 / DAY_S)
        return [tt for day in range(first_day, last_day + 1) for x in edges
                if t0 < (tt := day * DAY_S + x) <= t1]

    def _set_charging(self, t: float) -> None:
        self.phys.set_charging(np.array(charging_at(self.site, t)))
        self.formation.noise_changed()

    def _sample_wifi(self, t: float, dt: float, decay: float) -> None:
        p = self.p
        if p.wifi_sigma_db > 0:
            self.rssi_ou = (self.rssi_ou * decay
                            + p.wifi_sigma_db * math.sqrt(1 - decay * decay) * self.rng.standard_normal(self.n))
        self.rssi_ewma = (1 - EWMA_ALPHA) * self.rssi_ewma + EWMA_ALPHA * (self.rssi_mean + self.rssi_ou)
        self._account(t, dt)

    def _start(self, t0: float) -> None:
        self._set_charging(t0)
        self.formation.initial(t0)
        for i in range(self.n):
            self.last_avln[i] = self._label_avln(i)
        self._reselect(t0 + rules.BBT_S + 0.1)
        for i in range(self.n):
            self.avln_since[i] = self.uplink_since[i] = t0
            self._set_timeline(t0, i)

    def run(self, progress: Callable[[float], None] | None = None,
            clock: Callable[[], float] | None = None) -> SimResult:
        """Simulate; ``progress(simulated_s)`` every simulated hour; ``clock`` (if given) times the run."""
        wall0 = clock() if clock is not None else 0.0
        p, step, t0 = self.p, self.step, self.start_s
        n_steps = int(round(self.hours * 3600.0 / step))
        changes = self._change_times(t0, t0 + n_steps * step)
        wifi_every = max(1, int(round(WIFI_SAMPLE_S / step)))
        decay = math.exp(-wifi_every * step / p.wifi_tau_s) if p.wifi_tau_s > 0 else 0.0
        reselect_every = max(1, int(round(p.reselect_interval_s / step)))
        merge_every = max(1, int(round(rules.DISCOVER_PERIOD_S / step)))
        self._start(t0)
        ci = 0
        next_bcast_t = float(self.next_bcast.min())
        form = self.formation
        for k in range(1, n_steps + 1):
            t = t0 + k * step
            if ci < len(changes) and changes[ci] <= t:  # charging edges -> noise, tone maps, margins
                while ci < len(changes) and changes[ci] <= t:
                    ci += 1
                self._set_charging(t)
            if k % wifi_every == 0:
                self._sample_wifi(t, wifi_every * step, decay)
            form.supervise(t, step)
            if form.next_scan_time() <= t:
                form.scan_due(t)
            if k % merge_every == 0:
                form.merge_check(t)
            if k % reselect_every == 0:
                self._reselect(t)
            if next_bcast_t <= t and k % wifi_every == 0:
                self._broadcasts(t)
                next_bcast_t = float(self.next_bcast.min())
            if progress is not None and k % 3600 == 0:
                progress(k * step)
        result = self._result(t0 + n_steps * step)
        if clock is not None:
            result.wall_s = clock() - wall0
        return result

    def _result(self, t_end: float) -> SimResult:
        for i in range(self.n):
            st = self.stats[i]
            st.downtime_s = float(self.down_s[i])
            st.flap_outage_s = float(self.flap_outage_s[i])
            st.plc_time_s = float(self.plc_up_s[i])
            st.wifi_time_s = float(self.wifi_s[i])
            st.mean_rate_mbps = float(self.rate_sum[i] / self.rate_n[i]) if self.rate_n[i] else None
            for label, since, book in ((self.avln_label[i], self.avln_since[i], st.time_by_avln),
                                       (self.uplink_label[i], self.uplink_since[i], st.time_by_gateway)):
                book[label] = book.get(label, 0.0) + t_end - since
        return SimResult(
            site=self.site, hours=self.hours, seed=self.seed, stats=self.stats, timeline=self.timeline,
            events=self.events, physics=self.phys, nid_hex=self.nid_hex, loops=self._loops(),
            final_cco=[int(x) for x in self.cco_of], final_uplink=[int(x) for x in self.uplink])

    def _account(self, t: float, dt: float) -> None:
        """Downtime over (t - dt, t]: a node is up when its uplink works, minus the part of a running
        flap outage that falls in the interval (an outage while the node is down anyway is not counted
        twice, so downtime never exceeds the simulated time)."""
        u = self.uplink
        rssi_ok = self._wifi_usable()
        assoc = (self.cco_of >= 0) & (self.ready_at <= t)
        gw = np.where(u >= 0, u, 0)
        plc_ok = (u >= 0) & assoc & (self.cco_of[gw] == self.cco_of) & (self.ready_at[gw] <= t) & \
            self._gateways_up()[gw]
        up = np.where(self.is_module, True,
                      np.where(self.is_bridge, rssi_ok,
                               np.where(u == UPLINK_WIFI, rssi_ok, plc_ok)))
        outage = np.clip(np.minimum(self.outage_until, t) - np.maximum(self.outage_from, t - dt), 0.0, dt)
        self.down_s += np.where(up, outage, dt)
        self.flap_outage_s += np.where(up, outage, 0.0)
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
             physics: SitePhysics | None = None, clock: Callable[[], float] | None = time.perf_counter) -> SimResult:
    """Simulate ``hours`` of the site from midnight (deterministic for a seed); ``clock`` times the
    run for ``SimResult.wall_s`` (pass None for no timing)."""
    return Engine(site, hours=hours, seed=seed, physics=physics).run(progress, clock=clock)
