"""HomePlug AV / AV2 carrier grid, tone masks and SLAC attenuation groups.

The OFDM carrier spacing of HomePlug AV (IEEE 1901 FFT-OFDM) is 100 MHz / 4096
= 24.414 kHz; carrier ``k`` sits at ``k * CARRIER_SPACING_HZ``.  The AV grid spans
carriers 74..1228 (1.807-29.98 MHz, 1155 carriers, open-plc-utils ``INT_CARRIERS 1155``
[V]); the default (North America / "broadcast") tone mask keeps 917 of them [V, counted
in gr-plc ``lib/lightplc/generate_mask.bash``, which uses the same 24.414 kHz spacing
(50 MHz / 2048)].
"""

from __future__ import annotations

import numpy as np

CARRIER_SPACING_HZ: float = 100e6 / 4096  # 24 414.0625 Hz [D]

AV_FIRST_CARRIER: int = 74  # 74 * 24.414 kHz = 1.807 MHz [V open-plc-utils / D]
AV_CARRIERS: int = 1155  # carriers 74..1228 -> 1.807..29.98 MHz [V open-plc-utils INT_CARRIERS]
AV_LAST_CARRIER: int = AV_FIRST_CARRIER + AV_CARRIERS - 1  # 1228

#: Usable runs (inclusive carrier indices) of the IEEE 1901 / HomePlug AV default tone
#: mask, copied from gr-plc ``generate_mask.bash`` [V].  9 runs, 917 carriers,
#: 2.10-27.91 MHz.  The gaps are the 160 m (< 2.1 MHz), 80, 60, 40, 30, 20, 17, 15 and
#: 12 m amateur bands and everything from 27.93 MHz up (11/10 m).
AV_DEFAULT_MASK_RUNS: tuple[tuple[int, int], ...] = (
    (86, 139),
    (168, 214),
    (226, 282),
    (303, 409),
    (420, 569),
    (592, 736),
    (749, 856),
    (883, 1015),
    (1028, 1143),
)
AV_DEFAULT_USABLE: int = 917

#: AV2 grid: 1.8-86.13 MHz on the same spacing -> carriers 74..3528 (3455 carriers) [L/D].
AV2_FIRST_CARRIER: int = 74
AV2_CARRIERS: int = 3455
AV2_USABLE: int = 2880  # open-plc-utils AMP_CARRIERS 2880 [V]; our mask is built to match [E]
#: Above 30 MHz the AV2 mask [E] notches the 6 m amateur band (50-54 MHz) and stops at the
#: carrier that makes the usable count exactly 2880 (~81.9 MHz), a stand-in for the
#: EN 50561-3 / regional notches and the lower PSD near the band top.  Document-only [E].
AV2_6M_BAND_HZ: tuple[float, float] = (50.0e6, 54.0e6)
AV2_LAST_USABLE_CARRIER: int = 3355

#: ISO 15118-3 / HomePlug Green PHY SLAC attenuation profile: 58 groups [L].
SLAC_GROUPS: int = 58


def carrier_frequencies_hz(first_carrier: int, n_carriers: int) -> np.ndarray:
    """Centre frequencies in Hz of ``n_carriers`` consecutive carriers.

    f_k = k * 100 MHz / 4096, k = first_carrier .. first_carrier + n_carriers - 1 [D].
    """
    k = np.arange(first_carrier, first_carrier + n_carriers, dtype=float)
    return k * CARRIER_SPACING_HZ


def av_carrier_frequencies_hz() -> np.ndarray:
    """Frequencies in Hz of the 1155 HomePlug AV carriers (1.807-29.98 MHz), shape (1155,).

    Source: IEEE 1901 FFT-OFDM grid; open-plc-utils ``INT_CARRIERS`` [V].
    """
    return carrier_frequencies_hz(AV_FIRST_CARRIER, AV_CARRIERS)


def av_carrier_indices() -> np.ndarray:
    """Absolute carrier indices 74..1228 of the AV grid, shape (1155,) [V]."""
    return np.arange(AV_FIRST_CARRIER, AV_LAST_CARRIER + 1)


def av_tone_mask() -> np.ndarray:
    """Default HomePlug AV / IEEE 1901 (North America) tone mask over the AV grid.

    Returns
    -------
    numpy.ndarray of bool, shape (1155,)
        True for the 917 usable carriers (9 runs, 2.10-27.91 MHz).

    Source: gr-plc ``IEEE1901_CHANNELS_BROADCAST_MASK`` runs [V]; count 917 [V].
    """
    k = av_carrier_indices()
    mask = np.zeros(AV_CARRIERS, dtype=bool)
    for lo, hi in AV_DEFAULT_MASK_RUNS:
        mask |= (k >= lo) & (k <= hi)
    return mask


def av2_carrier_frequencies_hz() -> np.ndarray:
    """Frequencies in Hz of the 3455 AV2 carriers, 1.807-86.13 MHz, shape (3455,) [L/D]."""
    return carrier_frequencies_hz(AV2_FIRST_CARRIER, AV2_CARRIERS)


def av2_tone_mask() -> np.ndarray:
    """AV2 tone mask over the AV2 grid with exactly 2880 usable carriers, shape (3455,).

    Construction [E]: below 30 MHz the AV default mask (917 carriers); above it every
    carrier from 1229 up to 3355 (~81.9 MHz) except the 6 m amateur band 50-54 MHz.  The
    count 2880 is open-plc-utils ``AMP_CARRIERS`` [V]; the band plan itself is [L]/[E]
    (HomePlug AV2 white paper not re-read) - calibrate against a real device's tone map.
    """
    k = np.arange(AV2_FIRST_CARRIER, AV2_FIRST_CARRIER + AV2_CARRIERS)
    f = k * CARRIER_SPACING_HZ
    mask = np.zeros(AV2_CARRIERS, dtype=bool)
    mask[:AV_CARRIERS] = av_tone_mask()
    upper = (k > AV_LAST_CARRIER) & (k <= AV2_LAST_USABLE_CARRIER)
    six_m = (f >= AV2_6M_BAND_HZ[0]) & (f <= AV2_6M_BAND_HZ[1])
    mask |= upper & ~six_m
    return mask


def slac_group_edges(n_carriers: int = AV_CARRIERS, n_groups: int = SLAC_GROUPS) -> np.ndarray:
    """Start indices (into the AV grid) of ``n_groups`` consecutive carrier groups, shape (n_groups+1,).

    Choice [E]: the 1155-carrier AV grid is split into 58 consecutive groups of 19 or 20
    carriers (edges ``round(g * 1155 / 58)``).  ISO 15118-3 specifies 58 attenuation groups
    [L]; the exact carrier-to-group map of a given chip may differ.
    """
    return np.rint(np.arange(n_groups + 1) * n_carriers / n_groups).astype(int)


def slac_group_index(n_carriers: int = AV_CARRIERS, n_groups: int = SLAC_GROUPS) -> np.ndarray:
    """Group number (0..57) of every carrier of the AV grid, shape (1155,) [E]."""
    edges = slac_group_edges(n_carriers, n_groups)
    return np.searchsorted(edges, np.arange(n_carriers), side="right") - 1


def slac_groups(values_db_per_carrier: np.ndarray) -> np.ndarray:
    """Average per-carrier dB values over the AV grid into the 58 SLAC groups.

    Parameters
    ----------
    values_db_per_carrier : array (..., 1155)
        e.g. attenuation in dB per AV carrier.  NaN entries (masked carriers) are ignored.

    Returns
    -------
    numpy.ndarray (..., 58)
        Arithmetic mean of the dB values in each group (NaN if a group is all NaN).

    Source: ISO 15118-3 attenuation profile (58 groups) [L]; grouping [E], see
    :func:`slac_group_edges`.
    """
    v = np.asarray(values_db_per_carrier, dtype=float)
    if v.shape[-1] != AV_CARRIERS:
        raise ValueError(f"expected last axis of length {AV_CARRIERS}, got {v.shape[-1]}")
    edges = slac_group_edges()
    valid = ~np.isnan(v)
    sums = np.add.reduceat(np.where(valid, v, 0.0), edges[:-1], axis=-1)
    counts = np.add.reduceat(valid.astype(float), edges[:-1], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)
