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
    """OU processes in dB per unordered node pair, sampled at arbitrary (non-decreasing) times.

    The state is kept in flat arrays indexed by ``pair_index(i, j)``; callers that look at the same
    pairs again and again (beacon supervision, gateway rates) compute the indices once and call
    :meth:`at_index`.
    """

    def __init__(self, n: int, sigma_db: float, tau_s: float, rng: np.random.Generator) -> None:
        self.n, self.sigma_db, self.tau_s, self.rng = n, sigma_db, tau_s, rng
        self.value_db = rng.normal(0.0, sigma_db, n * n) if sigma_db > 0 else np.zeros(n * n)
        self.t_s = np.zeros(n * n)

    def pair_index(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Flat index of the unordered pairs (i[k], j[k])."""
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        return np.minimum(i, j) * self.n + np.maximum(i, j)

    def at_index(self, k: np.ndarray, t: float) -> np.ndarray:
        """Fading (dB) of the pairs with flat indices ``k`` at time ``t``; advances them to ``t``.

        A pair asked at an earlier instant than its last sample keeps its value; a pair listed
        twice in one call gets one value.
        """
        if self.sigma_db <= 0 or k.size == 0:
            return np.zeros(k.shape)
        rho = np.exp(np.minimum(self.t_s[k] - t, 0.0) / self.tau_s)
        noise = self.rng.standard_normal(k.shape)
        self.value_db[k] = self.value_db[k] * rho + self.sigma_db * np.sqrt(1.0 - rho * rho) * noise
        self.t_s[k] = np.maximum(self.t_s[k], t)
        return self.value_db[k]

    def at(self, i: np.ndarray, j: np.ndarray, t: float) -> np.ndarray:
        """Fading (dB) of the pairs (i[k], j[k]) at time ``t`` (see :meth:`at_index`)."""
        return self.at_index(self.pair_index(i, j), t)
