"""AVLN formation over time: who hears whom, CCo election, joining, beacon loss and CCo merges.

Every decision is the rule book's (:mod:`plcstack.avln.rules`, ``docs/avln.md``): the engine only
supplies what each station hears, when.  What a station hears is the beacon (mini-ROBO) margin of
the link from :class:`~plcstack.sim.physics.SitePhysics` plus the link's slow fading
(:class:`~plcstack.sim.fading.LinkFading`).

Cost does not depend on the topology:

* a pair whose beacon margin is more than ``AT_RISK_SIGMAS`` fading deviations from 0 dB hears (or
  does not hear) deterministically; only the pairs inside that band sample their fading;
* the pairs of CCos of one NID that could come to hear each other (the only ones that can merge) are
  cached and recomputed only when the set of CCos or the noise changes -- never all CCo pairs per
  check;
* beacon supervision looks only at stations whose margin is within the fading band;
* every evaluation is one vectorised call over the pairs concerned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..avln import rules
from .fading import LinkFading
from .physics import SitePhysics

#: Beacon margins beyond this many fading standard deviations (plus 1 dB) from 0 dB cannot cross it
#: in practice (p < 4e-6 per look), so such pairs are treated as deterministic.
AT_RISK_SIGMAS = 4.5
MME_RTT_S = 0.02  # CC_ASSOC / CM_GET_KEY exchange on a working link (docs/sim-models.md)


class FormationEvents(Protocol):
    """What the formation tells its owner (the engine keeps logs, timelines and flap costs)."""

    def log(self, t: float, i: int, kind: str, detail: str) -> None: ...

    def associated(self, t: float, i: int) -> None: ...

    def dissociated(self, t: float, i: int) -> None: ...


@dataclass(frozen=True)
class StationConfig:
    """Per station, what the rule book needs: NID (bytes and a small integer), rank, PIB mode, MAC."""

    nid: bytes
    nid_index: int
    precedence: rules.Precedence
    mode: rules.CcoMode
    mac: bytes


def _rival(nid: bytes, above: bool) -> rules.Heard:
    """A stand-in unassociated station of ``nid`` ranked above (or below) every real one: asking the
    rule book with each tells whether a decision depends on the rivals at all."""
    mac = b"\xff" * 7 if above else b"\x00" * 7  # 7 octets: never a real station's MAC
    return rules.Heard(mac, nid, rules.Precedence(1 << 30 if above else -1, mac))


class AvlnFormation:
    """AVLN state of every station (vectorised arrays) and the rule book applied over time."""

    def __init__(self, stations: Sequence[StationConfig], phys: SitePhysics, fading: LinkFading,
                 rng: np.random.Generator, lone_policy: rules.LonePolicy, mains_hz: float,
                 fading_sigma_db: float, fading_tau_s: float, events: FormationEvents) -> None:
        self.st = list(stations)
        self.n = n = len(stations)
        self.phys, self.fading, self.rng, self.events = phys, fading, rng, events
        self.lone_policy = lone_policy
        self.beacon_period_s = 2.0 / mains_hz  # two mains cycles (docs/sim-models.md)
        self.band_db = AT_RISK_SIGMAS * fading_sigma_db + 1.0
        self.fading_sigma_db, self.fading_tau_s = fading_sigma_db, fading_tau_s
        self.nid = np.array([s.nid_index for s in stations], dtype=np.intp)
        self.by_mac = {s.mac: i for i, s in enumerate(stations)}
        self.cco_of = np.full(n, -1, dtype=np.intp)  # the CCo a node is associated with (itself for a CCo)
        self.is_cco = np.zeros(n, bool)
        self.ready_at = np.zeros(n)  # association (or CCo start) completes at this time
        self.listen_since = np.zeros(n)
        self.next_scan = np.full(n, np.inf)
        self.lost_since = np.full(n, np.nan)
        self.prev_margin = np.full(n, np.inf)
        self._merge_pairs = np.zeros((0, 2), dtype=np.intp)
        self._merge_dirty = True
        self._at_risk = np.zeros(0, dtype=np.intp)
        self._risk_base = np.zeros(0)
        self._risk_pairs = np.zeros(0, dtype=np.intp)
        self._risk_next = np.zeros(0)
        self._risk_dirty = True
        self._detect_s = rules.beacon_loss_detection_s()
        self._idx = np.arange(n)
        # election rank as one sortable integer (capability/mode rank, then the MAC), for the top rival
        self._rank_key = np.array([(s.precedence.rank << 48) | int.from_bytes(s.precedence.mac, "big")
                                   for s in stations], dtype=np.int64)
        # A WAIT / STAY_UNASSOCIATED decision repeats itself until what the station hears can change:
        # ``_world`` counts the changes (CCos, memberships, noise), ``_heard_until`` is the earliest time
        # the fading of a pair the decision looked at could have moved it across 0 dB (:meth:`_next_look`)
        self._world = 0
        self._heard_until = np.inf
        self._repeat_world = np.full(n, -1, dtype=np.int64)
        self._repeat_until = np.full(n, -np.inf)
        self._repeat_period = np.zeros(n)

    # -- hearing ---------------------------------------------------------------------------------
    def hears(self, tx: np.ndarray, rx: np.ndarray, t: float) -> np.ndarray:
        """Per pair tx[k] -> rx[k]: does rx decode tx's beacons at ``t`` (margin + fading >= 0 dB)?"""
        return self.hears_until(tx, rx, t, until=False)[0]

    def hears_until(self, tx: np.ndarray, rx: np.ndarray, t: float,
                    until: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`hears`, and per pair the earliest time its answer could change (inf when its margin is
        outside the fading band; :meth:`_next_look` of the fading-adjusted margin otherwise)."""
        tx = np.asarray(tx, dtype=np.intp)
        rx = np.asarray(rx, dtype=np.intp)
        base = self.phys.margins(tx, rx)
        out = base >= 0.0
        change_at = np.full(base.shape, np.inf) if until else base
        amb = np.abs(base) < self.band_db
        if amb.any():
            margin = base[amb] + self.fading.at(tx[amb], rx[amb], t)
            out[amb] = margin >= 0.0
            if until:
                change_at[amb] = self._next_look(t, np.abs(margin))
        return out, change_at

    def both_ways(self, a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        return self.hears(a, b, t) & self.hears(b, a, t)

    def noise_changed(self) -> None:
        """Margins moved (a charger started or stopped): cached pair sets must be rebuilt."""
        self._merge_dirty = self._risk_dirty = True
        self._world += 1

    def _membership_changed(self) -> None:
        self._risk_dirty = True
        self._world += 1

    # -- decisions -------------------------------------------------------------------------------
    def _heard(self, i: int) -> rules.Heard:
        s = self.st[i]
        return rules.Heard(s.mac, s.nid, s.precedence)

    def _decide(self, t: float, s: int, undecided: np.ndarray) -> rules.Decision:
        """The rule book's decision for station ``s`` from what it hears at ``t``.

        Also sets ``_heard_until``: until when what decided it cannot change (the fading of the pairs
        it looked at), so that a WAIT / STAY_UNASSOCIATED decision need not be taken again before."""
        until = np.inf
        others = self._idx[self.is_cco & (self._idx != s)]
        ours: list[int] = []
        foreign = False
        if others.size:
            beacons, b_until = self.hears_until(others, np.full(others.size, s), t)
            own_nid = self.nid[others] == self.nid[s]
            heard_foreign = beacons & ~own_nid
            foreign = bool(heard_foreign.any())
            # "some other network is heard" changes when the last one heard fades, or a first one appears
            until = float(b_until[heard_foreign].max()) if foreign else float(b_until[~own_nid].min(initial=np.inf))
            cand = others[beacons & own_nid]
            back_until = np.zeros(0)
            if cand.size:
                ok, back_until = self.hears_until(np.full(cand.size, s), cand, t)  # CC_ASSOC needs the way back
                ours = [int(c) for c in self.rng.permutation(cand[ok])]  # sync order: beacon phases
            until = min(until, float(b_until[own_nid].min(initial=np.inf)), float(back_until.min(initial=np.inf)))
        st = self.st[s]
        heard_ccos = [self._heard(c) for c in ours]

        def decision(rivals: list[rules.Heard]) -> rules.Decision:
            return rules.discovery_decision(st.nid, st.precedence, st.mode, heard_ccos, rivals,
                                            foreign_networks=foreign, lone_policy=self.lone_policy)

        self._heard_until = until
        alone = decision([])
        peers = undecided[(undecided != s) & (self.nid[undecided] == self.nid[s])]
        if not peers.size or ours:
            return alone
        # listen to the rivals only when the rule book's answer depends on them (not for a PIB "never")
        if decision([_rival(st.nid, above=True)]).action is alone.action is decision([_rival(st.nid, False)]).action:
            return alone
        there, t_there = self.hears_until(np.full(peers.size, s), peers, t)
        back, t_back = self.hears_until(peers, np.full(peers.size, s), t)
        self._heard_until = min(until, float(t_there.min()), float(t_back.min()))
        heard = peers[there & back]
        if not heard.size:
            return alone
        return decision([self._heard(int(heard[np.argmax(self._rank_key[heard])]))])  # the top rival decides

    def _apply(self, t: float, s: int, d: rules.Decision, ready_at: float) -> None:
        if d.action is rules.Action.JOIN:
            assert d.cco is not None
            c = self.by_mac[d.cco]
            self.cco_of[s] = c
            self.ready_at[s] = ready_at + float(self.rng.uniform(0.0, self.beacon_period_s)) + 2 * MME_RTT_S
            self.next_scan[s] = np.inf
            self.events.log(t, s, "join", d.reason)
            self.events.associated(t, s)
            self._membership_changed()
        elif d.action is rules.Action.BECOME_CCO:
            self.is_cco[s] = True
            self.cco_of[s] = s
            self.ready_at[s] = ready_at
            self.next_scan[s] = np.inf
            self.events.log(t, s, "cco", d.reason)
            self.events.associated(t, s)
            self._merge_dirty = True
            self._membership_changed()
        else:
            # WAIT: the rival's next CM_UNASSOCIATED_STA.IND; STAY_UNASSOCIATED: the next discover period
            period = rules.USAI_S if d.action is rules.Action.WAIT else rules.DISCOVER_PERIOD_S
            self.next_scan[s] = t + period
            self._repeat_period[s] = period
            self._repeat_world[s] = self._world
            self._repeat_until[s] = self._heard_until

    def initial(self, t0: float) -> None:
        """Power-on: every station listens for the BBT, then decides in precedence order (the
        highest-ranked unassociated station of an NID wins the election, the others then join)."""
        order = sorted(range(self.n), key=lambda i: self.st[i].precedence, reverse=True)
        decided = np.zeros(self.n, bool)
        t = t0 + rules.BBT_S
        for i in order:
            self.listen_since[i] = t0
            d = self._decide(t, i, self._idx[~decided])
            decided[i] = True
            self._apply(t, i, d, ready_at=t)
            if d.action in (rules.Action.WAIT, rules.Action.STAY_UNASSOCIATED):
                self.events.log(t, i, "unassociated", d.reason)

    def scan_due(self, t: float) -> None:
        """Unassociated stations whose scan is due decide now."""
        due = self._idx[(self.cco_of < 0) & (self.next_scan <= t)]
        for s in due:
            s = int(s)
            if self._repeat_world[s] == self._world and t < self._repeat_until[s]:  # the same decision again
                self.next_scan[s] = t + self._repeat_period[s]
                continue
            d = self._decide(t, s, self._idx[self.cco_of < 0])
            if d.action is rules.Action.BECOME_CCO and t < self.listen_since[s] + rules.BBT_S:
                self.next_scan[s] = self.listen_since[s] + rules.BBT_S  # decide at the end of the BBT
                continue
            self._apply(t, s, d, ready_at=t)

    def next_scan_time(self) -> float:
        return float(self.next_scan.min()) if self.n else np.inf

    def rediscover(self, t: float, i: int, reason: str) -> None:
        """Station ``i`` leaves its AVLN and listens again (rule book step 1)."""
        self.cco_of[i] = -1
        self.lost_since[i] = np.nan
        self.listen_since[i] = t
        self.next_scan[i] = t
        self.events.log(t, i, "rediscover", reason)
        self.events.dissociated(t, i)
        self._membership_changed()

    # -- merges ------------------------------------------------------------------------------------
    def _rebuild_merge_pairs(self) -> None:
        """Pairs of CCos of one NID whose beacon margins could both come above 0 dB (cached)."""
        ccos = self._idx[self.is_cco]
        pairs = np.zeros((0, 2), dtype=np.intp)
        if ccos.size > 1:
            same = self.nid[ccos][:, None] == self.nid[ccos][None, :]
            a, b = np.nonzero(np.triu(same, 1))
            if a.size:
                ca, cb = ccos[a], ccos[b]
                near = ((self.phys.margins(ca, cb) > -self.band_db) & (self.phys.margins(cb, ca) > -self.band_db))
                pairs = np.stack([ca[near], cb[near]], axis=1)
        self._merge_pairs = pairs
        self._merge_dirty = False

    def merge_check(self, t: float) -> None:
        """Two CCos of one NID that hear each other merge: the lower precedence resigns (rule 6)."""
        if self._merge_dirty:
            self._rebuild_merge_pairs()
        pairs = self._merge_pairs
        if not pairs.size:
            return
        heard = self.both_ways(pairs[:, 0], pairs[:, 1], t)
        for a, b in pairs[heard]:
            a, b = int(a), int(b)
            if not (self.is_cco[a] and self.is_cco[b]):
                continue
            loser = a if rules.cco_resigns(self.st[a].precedence, self.st[b].precedence) else b
            self.resign(t, loser)

    def resign(self, t: float, c: int) -> None:
        """CCo ``c`` stops beaconing; its stations lose beacons now and it rediscovers."""
        self.is_cco[c] = False
        members = self._idx[(self.cco_of == c) & (self._idx != c)]
        self.lost_since[members] = t
        self._merge_dirty = self._risk_dirty = True
        self.rediscover(t, c, "CCo handover to a stronger CCo of the same NID")
        self.scan_due(t)

    # -- beacon supervision -----------------------------------------------------------------------
    def _rebuild_risk(self) -> None:
        """The stations whose CCo's beacon margin is within reach of the fading (or already lost)."""
        sta = self._idx[(self.cco_of >= 0) & ~self.is_cco]
        ccos = self.cco_of[sta]
        base = self.phys.margins(ccos, sta)
        base = np.where(self.is_cco[ccos], base, -np.inf)  # the CCo resigned: no beacons at all
        risky = (base < self.band_db) | ~np.isnan(self.lost_since[sta])
        self._at_risk = sta[risky]
        self._risk_base = base[risky]
        self._risk_pairs = self.fading.pair_index(self._at_risk, ccos[risky])
        self._risk_dirty = False

    def _next_look(self, t: float, margin: np.ndarray) -> np.ndarray:
        """When each pair must be looked at again: a margin m > 0 dB cannot reach 0 dB before the OU
        process's change has a standard deviation of m / AT_RISK_SIGMAS, i.e. after
        dt = -tau/2 ln(1 - (m / (AT_RISK_SIGMAS sigma))^2); pairs at or below 0 dB are looked at every step."""
        sigma, tau = self.fading_sigma_db, self.fading_tau_s
        if sigma <= 0:
            return np.where(margin > 0, np.inf, t)
        x = np.clip(margin / (AT_RISK_SIGMAS * sigma), 0.0, 1.0)
        with np.errstate(divide="ignore"):
            dt = -0.5 * tau * np.log1p(-x * x)
        return np.where(margin > 0, t + dt, t)

    def supervise(self, t: float, step: float) -> None:
        """Stations whose CCo's beacons stay below 0 dB for the rule book's detection time rediscover.

        Each at-risk pair is looked at only when its fading could have brought it to 0 dB since the
        last look (:meth:`_next_look`), so the per-step cost is the pairs near the threshold."""
        if self._risk_dirty:
            self._rebuild_risk()
            self._risk_next = np.full(self._at_risk.size, -np.inf)
        due = np.flatnonzero(self._risk_next <= t)
        if not due.size:
            return
        sta = self._at_risk[due]
        margin = self._risk_base[due] + self.fading.at_index(self._risk_pairs[due], t)
        self._risk_next[due] = self._next_look(t, margin)
        bad = margin < 0.0
        lost = self.lost_since[sta]
        newly = bad & np.isnan(lost)
        if newly.any():
            prev, cur = self.prev_margin[sta[newly]], margin[newly]
            # interpolate the crossing between the two samples for tick-accurate detection
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(np.isfinite(prev) & np.isfinite(cur) & (prev > 0), prev / (prev - cur), 1.0)
            lost[newly] = t - step + np.clip(frac, 0.0, 1.0) * step
        lost[~bad] = np.nan
        self.lost_since[sta] = lost
        self.prev_margin[sta] = margin
        expired = bad & (t - lost >= self._detect_s - 1e-9)
        if expired.any():
            for s in sta[expired]:
                s = int(s)
                self.rediscover(float(self.lost_since[s] + self._detect_s), s,
                                f"beacon loss {rules.REDISCOVERY_TICKS} x {rules.BEACON_LOSS_TICK_S * 1000:g} ms")
