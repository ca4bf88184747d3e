"""Impulsive power-line noise: the three classes of Cortés et al. 2010 as spectra a receiver sees.

Cortés, Díez, Cañete, Sánchez-Martínez, "Analysis of the indoor broadband power-line noise
scenario", IEEE Trans. EMC 52(4):849-858, 2010, classify impulsive noise into

=========================  ==============  ==============  ===================  ======================
class                      duration        amplitude       pseudo-frequency     rate
=========================  ==============  ==============  ===================  ======================
periodic synchronous       2-300 us        5 mV-1.5 V      250-500 kHz          0-10 per mains cycle
periodic asynchronous      1.5-10 us       4-40 mV         2-13 MHz             0-5 per mains cycle
aperiodic                  15-150 us       20-150 mV       1-1.5 MHz            mean inter-arrival 100 ms
=========================  ==============  ==============  ===================  ======================

(the aperiodic inter-arrival from Çelebi, PhD thesis, University of South Florida 2010; the same
ranges are coded in g-prasad/plc-noise).  Each impulse is a damped sinusoid that starts at its peak,
``v(t) = A exp(-t/tau) cos(2 pi f0 t)`` for t >= 0, with ``tau`` such that it has decayed to 5 % at
the end of its duration (tau = duration / 3).  Its energy spectral density is exact
(:func:`damped_impulse_esd`); an impulse train of ``rate`` impulses per second has the power spectral
density 2 ESD x rate / R on a line of ``R`` ohm (:func:`impulse_train_psd_dbm_per_hz`).

How the simulator uses the classes (``docs/sim-models.md``): periodic synchronous impulses sit at
fixed phases of the mains cycle, so they raise the noise only in the tone-map slots they fall in;
periodic asynchronous impulses are stationary; aperiodic impulses are rare and short, so they cost
PB retransmissions rather than bit loading (:func:`pb_hit_probability`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Line impedance (ohm) for voltage <-> power conversions (the 50 ohm of CISPR LISNs and of
#: ISO 15118-3's PSD definition).
LINE_OHM = 50.0
#: The envelope has decayed to 5 % (exp(-3)) at the end of the impulse's duration.
DECAY_CONSTANTS_PER_DURATION = 3.0


@dataclass(frozen=True)
class ImpulseClass:
    """Published ranges of one impulsive-noise class (Cortés et al. 2010)."""

    name: str
    duration_s: tuple[float, float]
    amplitude_v: tuple[float, float]
    pseudo_freq_hz: tuple[float, float]


PERIODIC_SYNCHRONOUS = ImpulseClass("periodic synchronous", (2e-6, 300e-6), (5e-3, 1.5), (250e3, 500e3))
PERIODIC_ASYNCHRONOUS = ImpulseClass("periodic asynchronous", (1.5e-6, 10e-6), (4e-3, 40e-3), (2e6, 13e6))
APERIODIC = ImpulseClass("aperiodic", (15e-6, 150e-6), (20e-3, 150e-3), (1e6, 1.5e6))
#: Mean inter-arrival time (s) of aperiodic impulses, exponential (Çelebi 2010, as used with Cortés).
APERIODIC_MEAN_INTERARRIVAL_S = 0.1
#: Counts per mains cycle (Cortés et al. 2010).
SYNC_PER_CYCLE_RANGE = (0.0, 10.0)
ASYNC_PER_CYCLE_RANGE = (0.0, 5.0)


def damped_impulse_esd(freq_hz: np.ndarray | float, amplitude_v: float, pseudo_freq_hz: float,
                       duration_s: float) -> np.ndarray:
    """Energy spectral density |X(f)|^2 (V^2 s/Hz, two-sided) of one damped-cosine impulse.

    x(t) = A e^(-t/tau) cos(2 pi f0 t), t >= 0, tau = duration / 3:
    X(f) = A (a + j w) / ((a + j w)^2 + w0^2) with a = 1/tau, w = 2 pi f, w0 = 2 pi f0.
    Far above f0 and a the spectrum falls as A / (2 pi f): |X(10 MHz)| = 1.59e-8 V/Hz for A = 1 V.
    """
    f = np.asarray(freq_hz, dtype=float)
    a = DECAY_CONSTANTS_PER_DURATION / duration_s
    jw = 1j * 2.0 * math.pi * f
    w0 = 2.0 * math.pi * pseudo_freq_hz
    x = amplitude_v * (a + jw) / ((a + jw) ** 2 + w0 * w0)
    return np.abs(x) ** 2


def impulse_train_psd_dbm_per_hz(freq_hz: np.ndarray | float, amplitude_v: float, pseudo_freq_hz: float,
                                 duration_s: float, rate_per_s: float, r_ohm: float = LINE_OHM) -> np.ndarray:
    """One-sided PSD (dBm/Hz) of a train of ``rate_per_s`` identical impulses on ``r_ohm``.

    PSD = 2 |X(f)|^2 rate / R (W/Hz), the time average of the train's power.  For a mains-
    synchronous train seen inside the tone-map slot it falls in, pass the slot's rate (one
    impulse per slot duration).
    """
    esd = damped_impulse_esd(freq_hz, amplitude_v, pseudo_freq_hz, duration_s)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(2.0 * esd * rate_per_s / r_ohm) + 30.0


def pb_hit_probability(pb_s: float, impulse_s: float, mean_interarrival_s: float) -> float:
    """Probability that a PHY block of ``pb_s`` seconds overlaps at least one Poisson impulse.

    Impulses of length ``impulse_s`` arriving at rate 1/``mean_interarrival_s`` overlap a PB when
    they start within (pb + impulse) of it: P = 1 - exp(-(pb + impulse) / T).  Aperiodic class,
    mean 100 ms and 80 us, a 50 us PB: 0.13 %.
    """
    if mean_interarrival_s <= 0:
        raise ValueError("mean_interarrival_s must be > 0")
    return 1.0 - math.exp(-(pb_s + impulse_s) / mean_interarrival_s)
