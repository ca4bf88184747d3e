"""Slow fading of PLC links: one Ornstein-Uhlenbeck process (dB) per unordered node pair.

Loads switching and impedances drifting move every link's attenuation slowly and symmetrically
(the same cable, the same loads); the model is an OU process of standard deviation ``sigma_db`` and
correlation time ``tau_s`` (site parameters ``fading_sigma_db``, ``fading_tau_s``; defaults and their
reasoning in ``docs/sim-models.md``).  It is sampled *exactly* and lazily: a pair's value is advanced
from the last time it was asked to the time it is asked now, so the cost is proportional to the
pairs looked at, never to all N^2 pairs per step.  Every call takes arrays of pairs (one NumPy call
per batch, however many pairs).
"""

from __future__ import annotations

import numpy as np


class LinkFading:
    """OU processes in dB per unordered node pair, sampled at arbitrary (non-decreasing) times."""

    def __init__(self, n: int, sigma_db: float, tau_s: float, rng: np.random.Generator) -> None:
        self.sigma_db, self.tau_s, self.rng = sigma_db, tau_s, rng
        self.value_db = rng.normal(0.0, sigma_db, (n, n)) if sigma_db > 0 else np.zeros((n, n))
        self.t_s = np.zeros((n, n))

    def at(self, i: np.ndarray, j: np.ndarray, t: float) -> np.ndarray:
        """Fading (dB) of the pairs (i[k], j[k]) at time ``t``; advances each pair's process to ``t``.

        A pair asked at an earlier instant than its last sample keeps its value (no change).  When
        the same pair appears twice in one call both entries get the same value.
        """
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        if self.sigma_db <= 0 or i.size == 0:
            return np.zeros(i.shape)
        a, b = np.minimum(i, j), np.maximum(i, j)
        dt = np.maximum(t - self.t_s[a, b], 0.0)
        rho = np.exp(-dt / self.tau_s)
        noise = self.rng.standard_normal(a.shape)
        new = self.value_db[a, b] * rho + self.sigma_db * np.sqrt(1.0 - rho * rho) * noise
        self.value_db[a, b] = new
        self.t_s[a, b] = t
        return self.value_db[a, b]  # re-read: duplicates in one call resolve to one value
