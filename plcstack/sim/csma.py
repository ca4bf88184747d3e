"""IEEE 1901 / HomePlug AV CSMA/CA contention: a slot-level Monte Carlo of saturated stations.

Each station keeps the standard's three counters (IEEE 1901-2010 §6.4.2, as implemented in the
INET 1901 model, table in :mod:`.mac`): the backoff procedure counter BPC, the backoff counter BC
drawn uniformly in [0, CW-1] and the deferral counter DC.  Every idle contention slot decrements BC;
a station whose BC reaches 0 transmits.  A station that senses the medium busy decrements DC and BC,
or, if its DC was already 0, starts the next backoff stage (BPC + 1) without having collided -- the
1901 rule that makes the protocol back off under load.  After a success the winner starts again at
BPC 0; colliders go to BPC + 1.

:func:`contend` jumps from one transmission to the next (idle slots are counted, not stepped), so
its cost is O(events x stations).  Results are deterministic for a seed and cached.

References
----------
IEEE Std 1901-2010, clause 6.4.2 (CSMA/CA, backoff procedure).  Vlachou, Banchs, Herzen, Thiran,
"On the MAC for power-line communications: modeling assumptions and performance tradeoffs", IEEE
ICNP 2014 (the 1901 deferral counter and its effect on collisions).  INET ``linklayer/plc`` (BPC, DC
and CW table).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PRS_SLOT_US: float = 35.84  # priority-resolution / contention slot (HPGP spec 3.6.5, INET)
#: IEEE 1901 backoff table: BPC -> (deferral counter DC, contention window CW) (INET 1901 model).
#: Index 3 stands for BPC > 2.  INET quotes CW - 1; these are CW.
BACKOFF_CA3_CA2: dict[int, tuple[int, int]] = {0: (0, 8), 1: (1, 16), 2: (3, 16), 3: (15, 32)}
BACKOFF_CA1_CA0: dict[int, tuple[int, int]] = {0: (0, 8), 1: (1, 16), 2: (3, 32), 3: (15, 64)}


@dataclass(frozen=True)
class ContentionResult:
    """Counts and airtime of one contention run."""

    successes: np.ndarray  # (stations,) frames each station got through
    collisions: int  # transmission events with two or more stations
    idle_slots: int
    busy_us: float  # airtime of successful and collided transmissions (frame cycles)

    @property
    def total_us(self) -> float:
        return self.busy_us + self.idle_slots * PRS_SLOT_US

    @property
    def collision_probability(self) -> float:
        """Fraction of transmission events that collided."""
        events = int(self.successes.sum()) + self.collisions
        return self.collisions / events if events else 0.0


def _table(priority: str) -> np.ndarray:
    t = BACKOFF_CA3_CA2 if priority.upper() in ("CA3", "CA2") else BACKOFF_CA1_CA0
    return np.array([t[k] for k in range(4)])  # rows BPC 0..3(>2): (DC, CW)


def contend(cycle_us: np.ndarray, events: int = 20_000, seed: int = 0, priority: str = "CA1") -> ContentionResult:
    """Monte Carlo of saturated stations whose transmission cycles last ``cycle_us`` (one per station).

    A collision lasts as long as the longest frame involved (no SACK comes back, the colliders wait
    for its timeout).  Every station always has a frame queued.
    """
    cyc = np.asarray(cycle_us, dtype=float)
    n = cyc.size
    rng = np.random.default_rng(seed)
    table = _table(priority)
    bpc = np.zeros(n, dtype=int)
    dc = table[0, 0] * np.ones(n, dtype=int)
    bc = rng.integers(0, table[0, 1], n)
    succ = np.zeros(n, dtype=int)
    collisions = idle = 0
    busy = 0.0

    def restart(mask: np.ndarray) -> None:
        stage = np.minimum(bpc[mask], 3)
        dc[mask] = table[stage, 0]
        bc[mask] = rng.integers(0, table[stage, 1])

    for _ in range(events):
        step = int(bc.min())
        idle += step
        bc -= step
        tx = bc == 0
        k = int(tx.sum())
        if k == 1:
            winner = int(np.flatnonzero(tx)[0])
            succ[winner] += 1
            busy += cyc[winner]
            bpc[winner] = 0
        else:
            collisions += 1
            busy += float(cyc[tx].max())
            bpc[tx] += 1
        others = ~tx
        jump = others & (dc == 0)  # sensed busy with DC 0: next backoff stage without a collision
        bpc[jump] += 1
        wait = others & ~jump
        dc[wait] -= 1
        bc[wait] -= 1
        restart(tx | jump)
        bc[wait] = np.maximum(bc[wait], 0)
    return ContentionResult(succ, collisions, idle, busy)


@lru_cache(maxsize=512)
def _cached(cycles: tuple[float, ...], events: int, seed: int, priority: str) -> ContentionResult:
    return contend(np.array(cycles), events, seed, priority)


def airtime_shares(cycle_us: tuple[float, ...], events: int = 20_000, seed: int = 0,
                   priority: str = "CA1") -> tuple[np.ndarray, float]:
    """(successful frames per microsecond of each station, collision probability); cached."""
    r = _cached(tuple(float(c) for c in cycle_us), events, seed, priority)
    return r.successes / r.total_us, r.collision_probability
