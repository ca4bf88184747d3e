"""Power-line noise models: coloured background, narrowband, impulsive and charger noise.

All PSDs are in dBm/Hz, frequencies in Hz.  Compose the pieces with :func:`power_sum_db`.
Classification after Zimmermann & Dostert, "Analysis and Modeling of Impulsive Noise in
Broad-Band Powerline Communications", IEEE Trans. EMC 44(1), 2002 [L].
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from plcstack.sim.carriers import CARRIER_SPACING_HZ

#: (a dBm/Hz, b dBm/Hz, c) of the two Esmailian et al. 2003 background curves, N = a + b f_MHz^c.
#: The "high" curve is the noisier one at every frequency in 1-30 MHz (-102.9 / -120.5 / -128.1
#: dBm/Hz at 2 / 10 / 30 MHz, against -116.5 / -132.6 / -136.7 for the "low" one), although the ns-3
#: PLC module's ``plc-defs`` calls it "best case"; the names here say what the values are.
ESMAILIAN_HIGH: tuple[float, float, float] = (-145.0, 53.23, -0.337)
ESMAILIAN_LOW: tuple[float, float, float] = (-140.0, 38.75, -0.72)
NOISY_BACKGROUND = ESMAILIAN_HIGH  # the names the site file uses: background = "noisy" / "quiet"
QUIET_BACKGROUND = ESMAILIAN_LOW

#: ISO 15118-3's typical Green PHY level, -75 dBm/Hz (9 kHz, 50 ohm), is 1.3 Vpp on the line
#: (uhi22/pyPLC ``doc/plcSignalAmplitude.md``).
ISO15118_REF_VPP: float = 1.3
ISO15118_REF_DBM_PER_HZ: float = -75.0
#: pyPLC's receive-limit test: a 400 mVpp source attenuated by 44 dB is no longer heard ("modem goes
#: to sleep"); 36 dB is where it becomes unstable, 42 dB where only single messages pass.
PYPLC_SOURCE_VPP: float = 0.4
PYPLC_LOST_AT_DB: float = 44.0


def vpp_to_dbm_per_hz(vpp: float, ref_vpp: float = ISO15118_REF_VPP,
                      ref_dbm_hz: float = ISO15118_REF_DBM_PER_HZ) -> float:
    """PSD (dBm/Hz) of a HomePlug signal of ``vpp`` volts peak-to-peak, scaled from the ISO 15118-3
    reference (1.3 Vpp <-> -75 dBm/Hz): 400 mVpp -> -85.2 dBm/Hz."""
    return ref_dbm_hz + 20.0 * math.log10(vpp / ref_vpp)


def receiver_floor_from_limit_dbm_per_hz(source_vpp: float = PYPLC_SOURCE_VPP,
                                         lost_at_db: float = PYPLC_LOST_AT_DB, robo_copies: int = 4,
                                         robo_threshold_db: float = 2.0) -> float:
    """Effective noise floor (dBm/Hz) of a receiver that loses a ROBO link at ``lost_at_db``.

    The received PSD at the limit is ``vpp_to_dbm_per_hz(source) - lost_at_db``; a ROBO frame
    decodes while its copy-combined SNR (mean SNR x copies) is above the decoding threshold, so the
    floor is that PSD + 10 log10(copies) - threshold.  pyPLC's numbers (400 mVpp, 44 dB, STD-ROBO
    4 copies, 2 dB): -85.2 - 44 + 6.0 - 2 = -125.2 dBm/Hz.  A bench line is quiet, so this is the
    receiver's own floor (front end, ADC, AGC), not line noise.
    """
    received = vpp_to_dbm_per_hz(source_vpp) - lost_at_db
    return received + 10.0 * math.log10(robo_copies) - robo_threshold_db


#: Effective receiver floor (dBm/Hz), derived from pyPLC's receive-limit measurement above.
RECEIVER_FLOOR_DBM_PER_HZ: float = round(receiver_floor_from_limit_dbm_per_hz(), 1)

#: Shortwave broadcast bands inside 1.8-30 MHz, (low, high) in MHz [L, ITU allocations].
SHORTWAVE_BANDS_MHZ: list[tuple[float, float]] = [
    (5.90, 6.20),  # 49 m
    (7.20, 7.45),  # 41 m
    (9.40, 9.90),  # 31 m
    (11.60, 12.10),  # 25 m
    (13.57, 13.87),  # 22 m
    (15.10, 15.80),  # 19 m
    (17.48, 17.90),  # 16 m
    (21.45, 21.85),  # 13 m
    (25.67, 26.10),  # 11 m
]
shortwave_bands_mhz = SHORTWAVE_BANDS_MHZ  # lower-case alias


def receiver_floor_dbm_per_hz(freq_hz: np.ndarray | float, level_dbm_hz: float = RECEIVER_FLOOR_DBM_PER_HZ) -> np.ndarray:
    """Flat receiver (AFE/ADC) noise floor in dBm/Hz, default :data:`RECEIVER_FLOOR_DBM_PER_HZ`."""
    return np.full(np.shape(freq_hz), float(level_dbm_hz))


def power_sum_db(*arrays_db: np.ndarray | float) -> np.ndarray:
    """Power sum of dB quantities: 10 log10(sum 10^(x/10)), broadcast; -inf terms add nothing."""
    if not arrays_db:
        raise ValueError("power_sum_db needs at least one array")
    b = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays_db))
    stacked = np.stack(b)
    top = np.max(stacked, axis=0)  # factor out the maximum for numerical safety
    top_safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return top_safe + 10.0 * np.log10(np.sum(10.0 ** ((stacked - top_safe) / 10.0), axis=0))


def background_noise_dbm_per_hz(
    freq_hz: np.ndarray | float, a_dbm_hz: float, b_dbm_hz: float, c: float
) -> np.ndarray:
    """Coloured background noise PSD N(f) = a + b |f/MHz|^c in dBm/Hz.

    Source: Esmailian, Kschischang, Gulak, Int. J. Commun. Syst. 2003 [L], parameter sets
    from ns-3 PLC ``CreateBestCaseBgNoise`` / ``CreateWorstCaseBgNoise`` [V].  Use
    :data:`NOISY_BACKGROUND` or :data:`QUIET_BACKGROUND` (ns-3's labels are swapped: its
    "best case" is the noisier curve) [D].  At 10 MHz: quiet -132.6, noisy -120.5 dBm/Hz.
    """
    f_mhz = np.abs(np.asarray(freq_hz, dtype=float)) / 1e6
    return a_dbm_hz + b_dbm_hz * f_mhz**c


def narrowband_noise_dbm_per_hz(
    freq_hz: np.ndarray | float,
    base_dbm_hz: np.ndarray | float,
    level_above_db: float | Sequence[float] = 20.0,
    bands: Sequence[tuple[float, float]] = SHORTWAVE_BANDS_MHZ,
) -> np.ndarray:
    """Narrowband (shortwave broadcast) interference PSD in dBm/Hz, Gaussian bumps per band.

    Each band (lo, hi) MHz contributes a Gaussian in frequency centred on (lo+hi)/2 with
    sigma = (hi-lo)/4 (so ~95 % of its shape lies inside the band) and a peak of
    ``base_dbm_hz + level_above_db`` (per band if a sequence).  Returns only the
    interference (power-sum it with the background yourself); -inf far from all bands.
    Model [E] (10-30 dB above background, docs/sim-noise.md); bands [L].
    """
    f_mhz = np.asarray(freq_hz, dtype=float) / 1e6
    base = np.asarray(base_dbm_hz, dtype=float)
    levels = np.broadcast_to(np.asarray(level_above_db, dtype=float), (len(bands),))
    lin = np.zeros(np.broadcast_shapes(f_mhz.shape, base.shape))
    for (lo, hi), lev in zip(bands, levels, strict=True):
        centre, sigma = 0.5 * (lo + hi), 0.25 * (hi - lo)
        lin = lin + 10.0 ** ((base + lev) / 10.0) * np.exp(-0.5 * ((f_mhz - centre) / sigma) ** 2)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(lin)


def middleton_class_a(
    n_samples: int,
    impulsive_index_A: float,
    gamma_ratio: float,
    power: float = 1.0,
    rng: np.random.Generator | None = None,
    return_counts: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Complex baseband Middleton Class A noise samples.

    m ~ Poisson(A); n | m ~ CN(0, sigma^2 (m/A + Gamma)/(1 + Gamma)), so E|n|^2 = sigma^2.

    Parameters
    ----------
    n_samples : number of samples.
    impulsive_index_A : A (> 0); small A = rare, strong impulses.  PLC: 0.01-1 [L/E].
    gamma_ratio : Gamma, Gaussian-to-impulsive power ratio (10^-4 ... 1) [L/E].
    power : total mean power sigma^2 (linear, e.g. W or normalised).
    rng : numpy Generator (use ``np.random.default_rng(seed)``).
    return_counts : also return the per-sample Poisson counts m.

    Checks [V formula]: P(m >= 1) = 1 - e^-A; real-part excess kurtosis 3/(A(1+Gamma)^2).
    """
    rng = np.random.default_rng() if rng is None else rng
    a, g = float(impulsive_index_A), float(gamma_ratio)
    m = rng.poisson(a, size=n_samples)
    var = power * (m / a + g) / (1.0 + g)
    n = np.sqrt(var / 2.0) * (rng.standard_normal(n_samples) + 1j * rng.standard_normal(n_samples))
    return (n, m) if return_counts else n


def bernoulli_gaussian(
    n: int,
    p: float,
    impulse_to_background_db: float,
    power: float = 1.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Complex Bernoulli-Gaussian noise: background CN(0, s_b^2) plus, with probability p,
    an impulse CN(0, R s_b^2) (R = 10^(dB/10)).  s_b^2 is set so that E|n|^2 = ``power``.

    Source: Fernandes et al., SBrT 2017 [V abstract]; example p = 0.01, R = 20 dB [E].
    """
    rng = np.random.default_rng() if rng is None else rng
    r = 10.0 ** (impulse_to_background_db / 10.0)
    sb2 = power / (1.0 + p * r)
    hit = rng.random(n) < p
    var = sb2 * (1.0 + r * hit)
    return np.sqrt(var / 2.0) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))


# ---------------------------------------------------------------------------
# EMC limits and charger (power electronics) noise
# ---------------------------------------------------------------------------


def dbuv_to_dbm_per_hz(level_dbuv: np.ndarray | float, rbw_hz: float = 9e3) -> np.ndarray:
    """Convert a conducted level in dBuV (50 ohm LISN, ``rbw_hz`` bandwidth) to dBm/Hz.

    PSD = V_dBuV - 107 - 10 log10(RBW)  (0 dBm on 50 ohm = 107 dBuV) [D].
    60 dBuV in 9 kHz -> -86.5 dBm/Hz.
    """
    return np.asarray(level_dbuv, dtype=float) - 107.0 - 10.0 * math.log10(rbw_hz)


def cispr32_limit_dbuv(freq_hz: np.ndarray | float, device_class: str = "B", detector: str = "QP") -> np.ndarray:
    """CISPR 32 (= CISPR 22) AC mains conducted-emission limit in dBuV [L].

    Class B: QP 66-56 (0.15-0.5 MHz, linear in log f), 56 (0.5-5), 60 (5-30);
             AV 56-46, 46, 50.
    Class A: QP 79 (0.15-0.5), 73 (0.5-30); AV 66, 60.
    Outside 0.15-30 MHz the nearest band edge value is used.
    """
    f = np.clip(np.asarray(freq_hz, dtype=float), 0.15e6, 30e6)
    key = (device_class.upper(), detector.upper())
    if key == ("B", "QP"):
        lo, mid, hi = (66.0, 56.0), 56.0, 60.0
    elif key == ("B", "AV"):
        lo, mid, hi = (56.0, 46.0), 46.0, 50.0
    elif key == ("A", "QP"):
        lo, mid, hi = (79.0, 79.0), 73.0, 73.0
    elif key == ("A", "AV"):
        lo, mid, hi = (66.0, 66.0), 60.0, 60.0
    else:
        raise ValueError(f"unknown class/detector {device_class!r}/{detector!r}")
    ramp = lo[0] + (lo[1] - lo[0]) * np.log10(f / 0.15e6) / math.log10(0.5 / 0.15)
    return np.where(f < 0.5e6, ramp, np.where(f < 5e6, mid, hi))


def cispr32_limit_dbm_per_hz(
    freq_hz: np.ndarray | float, device_class: str = "B", detector: str = "QP"
) -> np.ndarray:
    """CISPR 32 mains-port limit as an equivalent PSD in dBm/Hz (9 kHz RBW, 50 ohm) [L]->[D].

    Class B QP 5-30 MHz: -86.5 dBm/Hz; AV -96.5; 0.5-5 MHz QP -90.5.
    """
    return dbuv_to_dbm_per_hz(cispr32_limit_dbuv(freq_hz, device_class, detector))


def charger_emission_dbm_per_hz(
    freq_hz: np.ndarray | float,
    broadband_dbm_hz: np.ndarray | float,
    switching_hz: float = 65e3,
    comb_level_db: float = 10.0,
    spread_spectrum: bool = False,
    bin_hz: float = CARRIER_SPACING_HZ,
    device_class: str = "B",
    detector: str = "QP",
) -> np.ndarray:
    """PSD (dBm/Hz) a charging EV/charger injects, averaged over each carrier bin.

    * a broadband part ``broadband_dbm_hz`` (per carrier);
    * a switching comb: lines at n * f_sw.  Averaged over a whole f_sw period the comb PSD is
      broadband + ``comb_level_db``, i.e. each line carries that PSD x f_sw.  On a carrier bin of
      width ``bin_hz`` (24.414 kHz) the bin-average PSD is (lines in bin) x line power / bin_hz, so
      with f_sw > bin_hz some carriers see no line and others a strong one.  ``spread_spectrum``
      (frequency dithering) smears the lines into a continuous broadband + ``comb_level_db``;
    * the total is capped at the CISPR 32 mains-port limit (``device_class``/``detector``, default
      class B QP: -86.5 dBm/Hz in 5-30 MHz): a compliant product cannot inject more.
    """
    f = np.asarray(freq_hz, dtype=float)
    broadband_db = np.broadcast_to(np.asarray(broadband_dbm_hz, dtype=float), f.shape)
    comb_avg_lin = 10.0 ** ((broadband_db + comb_level_db) / 10.0)
    if spread_spectrum:
        comb_lin = comb_avg_lin
    else:  # harmonics n*f_sw inside (f - bin/2, f + bin/2]
        n_lines = np.floor((f + bin_hz / 2) / switching_hz) - np.floor((f - bin_hz / 2) / switching_hz)
        comb_lin = n_lines * comb_avg_lin * switching_hz / bin_hz
    total_db = power_sum_db(broadband_db, 10.0 * np.log10(np.maximum(comb_lin, 1e-300)))
    return np.minimum(total_db, cispr32_limit_dbm_per_hz(f, device_class, detector))


def charger_noise_dbm_per_hz(
    freq_hz: np.ndarray | float,
    level_dbm_hz_at_1mhz: float = -105.0,
    slope_db_per_decade: float = -10.0,
    switching_hz: float = 65e3,
    comb_level_db: float = 10.0,
    spread_spectrum: bool = False,
    bin_hz: float = CARRIER_SPACING_HZ,
    device_class: str = "B",
    detector: str = "QP",
) -> np.ndarray:
    """:func:`charger_emission_dbm_per_hz` with a 1/f-type broadband part:
    B(f) = level_at_1MHz + slope x log10(f / 1 MHz) (default -10 dB/decade).

    ``freq_hz`` should be carrier centre frequencies (> 0).
    """
    f = np.asarray(freq_hz, dtype=float)
    broadband_db = level_dbm_hz_at_1mhz + slope_db_per_decade * np.log10(f / 1e6)
    return charger_emission_dbm_per_hz(f, broadband_db, switching_hz, comb_level_db, spread_spectrum, bin_hz,
                                       device_class, detector)


# ---------------------------------------------------------------------------
# Mains-synchronous impulses and tone-map slots
# ---------------------------------------------------------------------------


def mains_synchronous_slot_weights(
    n_slots: int = 6,
    impulse_phases: Sequence[float] = (0.0,),
    impulse_duration_s: float = 100e-6,
    mains_hz: float = 50.0,
    period: str = "half_cycle",
) -> np.ndarray:
    """Fraction of each tone-map slot covered by a mains-synchronous impulse train.

    The AC ``period`` ("half_cycle", 10 ms at 50 Hz, the period of the LPTV channel, or
    "cycle") is split into ``n_slots`` equal slots (HPAV tone-map regions; up to 6 per
    open-plc-utils ``PLC_SLOTS`` [V]; equal slots [E]).  Impulses start at the given
    phases (fractions 0..1 of the period) and last ``impulse_duration_s``; bursts wrap
    around the period end.

    Returns
    -------
    numpy.ndarray (n_slots,)
        Duty fraction 0..1 of each slot occupied by impulses; multiply an impulse PSD (linear)
        by it to get the slot-average, or threshold it (> 0) to mark slots as hit.
    """
    if n_slots < 1:
        raise ValueError("n_slots must be >= 1")
    t_period = (0.5 if period == "half_cycle" else 1.0) / mains_hz
    width = min(impulse_duration_s / t_period, 1.0)
    edges = np.linspace(0.0, 1.0, n_slots + 1)
    lo, hi = edges[:-1], edges[1:]
    cover = np.zeros(n_slots)
    for ph in impulse_phases:
        start = float(ph) % 1.0
        for s0 in (start - 1.0, start):  # the copy shifted by -1 handles wrap-around
            s1 = s0 + width
            cover += np.clip(np.minimum(hi, s1) - np.maximum(lo, s0), 0.0, None)
    return np.clip(cover / (hi - lo), 0.0, 1.0)
