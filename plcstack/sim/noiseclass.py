"""Site noise classes: what a receiver hears on a residential, commercial or industrial site.

A site file says what kind of site it is (``[site] noise_class``); each class fixes

* the coloured background: Esmailian et al. 2003, the low curve (-140, 38.75, -0.72) for
  residential sites, the high curve (-145, 53.23, -0.337) for commercial and industrial sites
  (:data:`plcstack.sim.noise.ESMAILIAN_LOW` / ``ESMAILIAN_HIGH``);
* the narrowband interferers: Benyoucef 2003's statistics per 10 MHz band, "residential" or
  "office" (the g-prasad/plc-noise implementation uses "office" for industrial noise too);
* the impulsive noise of Cortés et al. 2010 (:mod:`.impulsive`): each class takes the same quantile
  of every published range -- residential the lower quartile, commercial the median, industrial the
  upper quartile (amplitudes on a log scale, the rest linear);
* (separately, in :mod:`.physics`) the receiver floor
  (:func:`plcstack.sim.noise.receiver_floor_from_limit_dbm_per_hz`).

EV-charging sites (car parks, garages, depots) are ``industrial`` by default: power electronics,
lighting drivers and ventilation drives on a commercial supply.  Every piece can be overridden from
the site file (``background``, ``narrowband``, ``noise_spread_db``...).  Sources and the reasoning:
``docs/sim-noise.md``.

References
----------
Esmailian, Kschischang, Gulak, "In-building power lines as high-speed communication channels:
channel characterization and a test channel ensemble", Int. J. Commun. Syst. 16(5):381-400, 2003.
Benyoucef, "A new statistical model of the noise power density spectrum for powerline
communication", ISPLC 2003, pp. 136-141 (statistics as coded in g-prasad/plc-noise
``NarrowBand_Noise.m``).  Cortés et al., IEEE Trans. EMC 52(4), 2010.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import impulsive, noise

#: Benyoucef 2003 narrowband statistics per 10 MHz band (0-10, 10-20, 20-30 MHz):
#: (count mean, count sd, bandwidth mean MHz, bandwidth minimum MHz, amplitude law, law parameters).
#: Amplitudes are dB above the background: "normal" (mean, sd) clipped at 0, "uniform" (lo, hi),
#: "lognormal" (mu, sigma of the log).
BENYOUCEF: dict[str, tuple[tuple[float, float, float, float, str, tuple[float, float]], ...]] = {
    "office": ((1.00, 6.94, 0.30, 0.19, "normal", (6.5, 19.2)),
               (0.69, 3.64, 0.45, 0.19, "normal", (4.8, 16.6)),
               (0.52, 1.34, 0.20, 0.19, "lognormal", (0.7, 1.5))),
    "residential": ((0.88, 5.47, 0.20, 0.23, "uniform", (0.97, 54.4)),
                    (0.35, 3.94, 0.18, 0.23, "normal", (9.6, 23.2)),
                    (0.72, 2.53, 0.09, 0.23, "lognormal", (0.96, 1.4))),
}
#: Narrowband amplitudes above this (dB over the background) are not drawn: the heavy log-normal
#: tail would otherwise put a few interferers 100+ dB above everything.
MAX_NARROWBAND_DB = 60.0


@dataclass(frozen=True)
class NoiseClass:
    """The noise environment of one kind of site (see the module docstring)."""

    name: str
    background: tuple[float, float, float]  # Esmailian (a, b, c), dBm/Hz with f in MHz
    building: str  # Benyoucef statistics: "office" or "residential"
    impulse_quantile: float  # where in the Cortés ranges this class sits (0..1)

    def _pick(self, rng: tuple[float, float], log: bool = False) -> float:
        lo, hi = float(rng[0]), float(rng[1])
        if log:
            return math.exp(math.log(lo) + self.impulse_quantile * (math.log(hi) - math.log(lo)))
        return lo + self.impulse_quantile * (hi - lo)

    def impulses(self, cls: impulsive.ImpulseClass) -> tuple[float, float, float]:
        """(amplitude V, duration s, pseudo-frequency Hz) of this class's impulses of kind ``cls``."""
        return (self._pick(cls.amplitude_v, log=True), self._pick(cls.duration_s),
                self._pick(cls.pseudo_freq_hz))

    @property
    def sync_per_cycle(self) -> int:
        """Mains-synchronous impulses per cycle (Cortés: 0-10)."""
        return round(self._pick(impulsive.SYNC_PER_CYCLE_RANGE))

    @property
    def async_per_cycle(self) -> int:
        """Periodic asynchronous sources, each firing once per cycle (Cortés: 0-5 per cycle)."""
        return round(self._pick(impulsive.ASYNC_PER_CYCLE_RANGE))


NOISE_CLASSES: dict[str, NoiseClass] = {
    "residential": NoiseClass("residential", noise.ESMAILIAN_LOW, "residential", 0.25),
    "commercial": NoiseClass("commercial", noise.ESMAILIAN_HIGH, "office", 0.50),
    "industrial": NoiseClass("industrial", noise.ESMAILIAN_HIGH, "office", 0.75),
}
#: The class of a site file that does not say: EV-charging sites are car parks, garages and depots.
DEFAULT_NOISE_CLASS = "industrial"


def _amplitude_db(law: str, par: tuple[float, float], rng: np.random.Generator) -> float:
    if law == "normal":
        return max(float(rng.normal(par[0], par[1])), 0.0)
    if law == "uniform":
        return float(rng.uniform(par[0], par[1]))
    return float(rng.lognormal(par[0], par[1]))


def narrowband_interferers(building: str, rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Draw one site's narrowband interferers: (centre Hz, width sigma Hz, amplitude dB above background).

    Benyoucef 2003 per 10 MHz band: count ceil(max(N(mean, sd), 0)); centre uniform in the band;
    width exponential with the band's mean and a minimum; amplitude from the band's law.
    """
    out = []
    for band, (n_mean, n_sd, bw_mean, bw_min, law, par) in enumerate(BENYOUCEF[building]):
        count = math.ceil(max(float(rng.normal(n_mean, n_sd)), 0.0))
        for _ in range(count):
            centre_mhz = 10.0 * band + 10.0 * float(rng.random())
            width_mhz = max(float(rng.exponential(bw_mean)), bw_min)
            amp = min(_amplitude_db(law, par, rng), MAX_NARROWBAND_DB)
            out.append((centre_mhz * 1e6, width_mhz * 1e6, amp))
    return out


def narrowband_excess_db(freq_hz: np.ndarray, interferers: list[tuple[float, float, float]]) -> np.ndarray:
    """dB to add to the background: sum_k A_k exp(-(f - f_k)^2 / (2 B_k^2)) (Benyoucef's form)."""
    f = np.asarray(freq_hz, dtype=float)
    out = np.zeros(f.shape)
    for centre, width, amp in interferers:
        out += amp * np.exp(-0.5 * ((f - centre) / width) ** 2)
    return out


def line_noise_dbm_per_hz(freq_hz: np.ndarray, cls: NoiseClass, rng: np.random.Generator,
                          mains_hz: float, narrowband: str = "benyoucef", narrowband_db: float = 15.0) -> np.ndarray:
    """The line noise at every instant (dBm/Hz): background with narrowband interferers and the
    periodic asynchronous impulses (stationary), power-summed; the receiver floor is not included.

    ``narrowband``: "benyoucef" (drawn per site from ``rng``), "shortwave" (the ITU broadcast
    bands, ``narrowband_db`` above the background) or "none".
    """
    f = np.asarray(freq_hz, dtype=float)
    bg = noise.background_noise_dbm_per_hz(f, *cls.background)
    parts = []
    if narrowband == "benyoucef":
        parts.append(bg + narrowband_excess_db(f, narrowband_interferers(cls.building, rng)))
    elif narrowband == "shortwave":
        parts += [bg, noise.narrowband_noise_dbm_per_hz(f, bg, narrowband_db)]
    else:
        parts.append(bg)
    amp, dur, _ = cls.impulses(impulsive.PERIODIC_ASYNCHRONOUS)
    lo, hi = impulsive.PERIODIC_ASYNCHRONOUS.pseudo_freq_hz
    for _ in range(cls.async_per_cycle):  # sources at random pseudo-frequencies in the class's range
        parts.append(impulsive.impulse_train_psd_dbm_per_hz(f, amp, float(rng.uniform(lo, hi)), dur, mains_hz))
    return noise.power_sum_db(*parts)


def synchronous_slot_noise_lin(freq_hz: np.ndarray, cls: NoiseClass, rng: np.random.Generator, n_slots: int,
                               mains_hz: float) -> np.ndarray:
    """(n_slots, K) slot-average PSD (mW/Hz) of the class's mains-synchronous impulses.

    ``sync_per_cycle`` impulses per mains cycle at random fixed phases; the tone-map slots divide
    the half cycle (the period of the LPTV channel), so each impulse falls twice per cycle in the
    same slot and adds its energy over that slot's duration.
    """
    f = np.asarray(freq_hz, dtype=float)
    out = np.zeros((n_slots, f.size))
    amp, dur, f0 = cls.impulses(impulsive.PERIODIC_SYNCHRONOUS)
    slot_s = 0.5 / mains_hz / n_slots
    one = 10.0 ** (impulsive.impulse_train_psd_dbm_per_hz(f, amp, f0, dur, 1.0 / slot_s) / 10.0)
    for _ in range(cls.sync_per_cycle):
        out[int(rng.integers(n_slots))] += one / 2.0  # two impulses per cycle -> one per half cycle
    return out
