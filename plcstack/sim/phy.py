"""HomePlug AV / AV2 / Green PHY physical layer: SNR thresholds, bit loading, PHY rates, ROBO.

Pipeline used by the simulator: per-carrier SNR (dB) -> bits per carrier (tone map) ->
coded PHY rate R = sum(b_k) * r_FEC / T_sym (docs/sim-phy.md).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from plcstack.sim.carriers import AV_CARRIERS, AV_DEFAULT_USABLE, av2_tone_mask, av_tone_mask

AV_IFFT_S: float = 40.96e-6  # OFDM symbol (IFFT interval) [V/D]
AV_GI_S: float = 5.56e-6  # payload guard interval after the first two symbols [D]
AV_GI_FIRST_S: float = 7.56e-6  # GI of the first two payload symbols [D]
AV_SYMBOL_S: float = AV_IFFT_S + AV_GI_S  # 46.52 us
AV_SYMBOL_FIRST_S: float = AV_IFFT_S + AV_GI_FIRST_S  # 48.52 us
FEC_AV: float = 16.0 / 21.0  # turbo code rate [V gr-plc]
FEC_AV2: float = 16.0 / 18.0  # AV2 highest rate [L]
FEC_ROBO: float = 0.5

MODULATION_BITS_AV: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10)
MODULATION_BITS_AV2: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 10, 12)
#: open-plc-utils ``ToneMaps1.c`` modulation code -> bits per carrier [V].
MODULATION_CODE_TO_BITS: dict[int, int] = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8, 7: 10, 8: 12}

#: ROBO copies [V gr-plc calc_robo_tone_info] and symbol durations [D Greenvity].
ROBO_COPIES: dict[str, int] = {"STD": 4, "HS": 2, "MINI": 5}
PB520_BYTES: int = 520
PB136_BYTES: int = 136


def beacon_period_s(mains_hz: float) -> float:
    """HPAV beacon period = 2 AC cycles: 40 ms at 50 Hz, 33.3 ms at 60 Hz [V Greenvity]."""
    return 2.0 / mains_hz


BEACON_PERIOD_S = beacon_period_s  # name used in the spec


# ---------------------------------------------------------------------------
# BER formulas and thresholds
# ---------------------------------------------------------------------------


def _q(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def qam_ber(bits: int, snr_linear: float) -> float:
    """Uncoded Gray-mapped BER at Es/N0 = ``snr_linear`` (docs/sim-phy.md [D]).

    BPSK: Q(sqrt(2 g)); M-QAM (M = 2^bits, also used for 8-QAM and odd bits):
    (4/log2 M)(1 - 1/sqrt M) Q(sqrt(3 g / (M - 1))).
    """
    if bits == 1:
        return _q(math.sqrt(2.0 * snr_linear))
    m = 2.0**bits
    return (4.0 / bits) * (1.0 - 1.0 / math.sqrt(m)) * _q(math.sqrt(3.0 * snr_linear / (m - 1.0)))


@lru_cache(maxsize=256)
def qam_threshold_snr_db(bits: int, ber: float) -> float:
    """SNR (Es/N0 per carrier, dB) at which :func:`qam_ber` equals ``ber``; bisection.

    Reproduces docs/sim-phy.md table [D], e.g. QPSK 9.8 dB, 1024-QAM 34.3 dB at 1e-3.
    """
    if bits < 1:
        raise ValueError("bits must be >= 1")
    lo, hi = -20.0, 80.0
    for _ in range(200):  # BER is monotonic decreasing in SNR
        mid = 0.5 * (lo + hi)
        if qam_ber(bits, 10.0 ** (mid / 10.0)) > ber:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


#: Thresholds are rounded to this many decimals of a dB, as in the published table (a) of
#: docs/sim-phy.md; with it the flat-attenuation rate table is reproduced [D].
THRESHOLD_DECIMALS: int = 1


def threshold_table_db(
    ber: float = 1e-3, max_bits: int = 10, decimals: int | None = THRESHOLD_DECIMALS
) -> tuple[np.ndarray, np.ndarray]:
    """(bits, thresholds_db) for the HPAV/AV2 constellations up to ``max_bits`` (sorted).

    ``decimals`` rounds the thresholds like the published table (a) (0.1 dB); None keeps
    the exact bisection values.
    """
    bits = np.array([b for b in MODULATION_BITS_AV2 if b <= max_bits], dtype=np.int8)
    thr = np.array([qam_threshold_snr_db(int(b), ber) for b in bits])
    if decimals is not None:
        thr = np.round(thr, decimals)
    return bits, thr


# ---------------------------------------------------------------------------
# Bit loading
# ---------------------------------------------------------------------------


def bit_loading(
    snr_db: np.ndarray,
    ber: float = 1e-3,
    margin_db: float = 0.0,
    max_bits: int = 10,
    snr_cap_db: float | None = None,
    decimals: int | None = THRESHOLD_DECIMALS,
) -> np.ndarray:
    """Threshold bit loading: the largest constellation whose SNR threshold (+ margin) is met.

    Parameters
    ----------
    snr_db : array (..., K), per-carrier SNR in dB (NaN / -inf -> 0 bits).
    ber : pre-FEC BER target of the threshold table (1e-3 default; 1e-2 less conservative).
    margin_db : extra margin [E] 0-3 dB.
    max_bits : 10 (AV, 1024-QAM) or 12 (AV2, 4096-QAM).
    snr_cap_db : optional cap on the SNR (transmitter EVM/AGC) [E] 40-45 dB.
    decimals : rounding of the thresholds (default 1 -> the 0.1 dB published table).

    Returns int8 array with values in {0,1,2,3,4,6,8,10(,12)}.  Source: table (a) of
    docs/sim-phy.md [D]; HPAV leaves the thresholds to vendors [V].
    """
    s = np.asarray(snr_db, dtype=float)
    if snr_cap_db is not None:
        s = np.minimum(s, snr_cap_db)
    s = np.where(np.isnan(s), -np.inf, s)
    bits, thr = threshold_table_db(ber, max_bits, decimals)
    idx = np.searchsorted(thr + margin_db, s, side="right")  # number of thresholds met
    table = np.concatenate(([0], bits)).astype(np.int8)
    return table[idx]


def _ser(bits: np.ndarray, snr_lin: np.ndarray) -> np.ndarray:
    # symbol error rate, square-QAM approximation (also used for 8-QAM; gr-plc style)
    out = np.zeros_like(snr_lin)
    b1 = bits == 1
    q = np.vectorize(_q, otypes=[float])
    out[b1] = q(np.sqrt(2.0 * snr_lin[b1]))
    mb = ~b1 & (bits > 0)
    m = 2.0 ** bits[mb]
    p = 2.0 * (1.0 - 1.0 / np.sqrt(m)) * q(np.sqrt(3.0 * snr_lin[mb] / (m - 1.0)))
    out[mb] = 1.0 - (1.0 - p) ** 2
    return out


def bit_loading_greedy(snr_db: np.ndarray, target_ber: float = 1e-3, max_bits: int = 10) -> np.ndarray:
    """Greedy loading to an average-BER target, after gr-plc ``calculate_tone_map`` [V].

    Start every carrier at ``max_bits``; while sum(SER)/sum(bits) > target, step the carrier
    with the highest SER per bit down one constellation (below BPSK -> 0).  1-D input (K,).
    O(K * steps); meant for single links and cross-checks, not bulk sweeps.
    """
    s = np.asarray(snr_db, dtype=float)
    if s.ndim != 1:
        raise ValueError("bit_loading_greedy takes a 1-D SNR vector")
    steps = [0] + [b for b in MODULATION_BITS_AV2 if b <= max_bits]
    level = np.full(s.shape, len(steps) - 1)
    snr_lin = 10.0 ** (np.where(np.isfinite(s), s, -100.0) / 10.0)
    steps_arr = np.array(steps)
    bits = steps_arr[level]
    ser = _ser(bits, snr_lin)
    while True:
        total_bits = bits.sum()
        if total_bits == 0 or ser.sum() / total_bits <= target_ber:
            return bits.astype(np.int8)
        per_bit = np.where(bits > 0, ser / np.maximum(bits, 1), -1.0)
        worst = int(np.argmax(per_bit))
        level[worst] -= 1
        bits[worst] = steps_arr[level[worst]]
        # only the changed carrier's SER needs recomputing
        ser[worst] = _ser(bits[worst : worst + 1], snr_lin[worst : worst + 1])[0]


def bit_loading_gap(snr_db: np.ndarray, gap_db: float = 6.0, max_bits: int = 10) -> np.ndarray:
    """Gap-approximation loading b = floor(log2(1 + SNR/Gamma)) rounded down to a valid
    constellation ({0,1,2,3,4,6,8,10,12}); Gamma = 9.8 dB - coding gain + margin, HPAV
    turbo-coded ~4-7 dB [E].
    """
    s = np.asarray(snr_db, dtype=float)
    s = np.where(np.isnan(s), -np.inf, s)
    raw = np.floor(np.log2(1.0 + 10.0 ** ((s - gap_db) / 10.0)))
    valid = np.array([0] + [b for b in MODULATION_BITS_AV2 if b <= max_bits])
    idx = np.searchsorted(valid, np.clip(raw, 0, max_bits), side="right") - 1
    return valid[idx].astype(np.int8)


# ---------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------


def phy_rate_mbps(
    bits_per_carrier: np.ndarray, symbol_s: float = AV_SYMBOL_S, fec_rate: float = FEC_AV
) -> np.ndarray:
    """Coded PHY rate (Mbps) of tone maps: sum_k b_k * r_FEC / T_sym over the last axis.

    Max AV: 917 x 10 x 16/21 / 46.52 us = 150.2 Mbps coded (197.1 raw) [D].
    Coded is what open-plc-utils ``plcrate`` prints by default [V].
    """
    b = np.asarray(bits_per_carrier, dtype=float)
    return b.sum(axis=-1) * fec_rate / symbol_s / 1e6


def uncoded_from_coded(rate_mbps: np.ndarray | float) -> np.ndarray:
    """Uncoded (raw) rate = coded x 21/16 (open-plc-utils ``PhyRates1.c`` ``*21>>4``) [V]."""
    return np.asarray(rate_mbps, dtype=float) * 21.0 / 16.0


def coded_from_uncoded(rate_mbps: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`uncoded_from_coded`."""
    return np.asarray(rate_mbps, dtype=float) * 16.0 / 21.0


def link_snr_db(
    tx_psd_dbm_hz: np.ndarray | float, path_loss_db: np.ndarray, noise_dbm_hz: np.ndarray
) -> np.ndarray:
    """Per-carrier SNR (dB) = Tx PSD - path loss - noise PSD (all per carrier, broadcast)."""
    return np.asarray(tx_psd_dbm_hz, dtype=float) - np.asarray(path_loss_db, dtype=float) - np.asarray(
        noise_dbm_hz, dtype=float
    )


def link_phy_rate_mbps(
    tx_psd_dbm_hz: np.ndarray | float,
    path_loss_db: np.ndarray,
    noise_dbm_hz: np.ndarray,
    mask: np.ndarray | None = None,
    ber: float = 1e-3,
    margin_db: float = 0.0,
    snr_cap_db: float | None = None,
    max_bits: int = 10,
    symbol_s: float = AV_SYMBOL_S,
    fec_rate: float = FEC_AV,
) -> np.ndarray:
    """Coded PHY rate (Mbps) of links: SNR -> threshold tone map -> rate.

    Parameters
    ----------
    tx_psd_dbm_hz : Tx PSD in dBm/Hz (scalar or (..., K)); HPAV limit -50 dBm/Hz [V].
    path_loss_db : (..., K) attenuation in dB (positive = loss), e.g. (pairs, slots, K).
    noise_dbm_hz : (..., K) noise PSD at the receiver in dBm/Hz.
    mask : (K,) bool usable carriers; default: the AV default mask when K == 1155, else all.
    ber, margin_db, snr_cap_db, max_bits : see :func:`bit_loading`.
    symbol_s, fec_rate : symbol duration (s) and FEC rate.

    Returns ndarray of the broadcast leading shape.  Reproduces docs/sim-phy.md
    (e.g. 60 dB flat, quiet noise, BER 1e-3 -> 79.6 Mbps) [D].
    """
    snr = link_snr_db(tx_psd_dbm_hz, path_loss_db, noise_dbm_hz)
    k = snr.shape[-1]
    if mask is None:
        mask = av_tone_mask() if k == AV_CARRIERS else np.ones(k, dtype=bool)
    bits = bit_loading(snr, ber=ber, margin_db=margin_db, max_bits=max_bits, snr_cap_db=snr_cap_db)
    bits = np.where(np.asarray(mask, dtype=bool), bits, 0)
    return phy_rate_mbps(bits, symbol_s=symbol_s, fec_rate=fec_rate)


def av2_phy_rate_mbps(
    snr_db: np.ndarray,
    mask: np.ndarray | None = None,
    ber: float = 1e-3,
    margin_db: float = 0.0,
    snr_cap_db: float | None = None,
    mimo_streams: int = 1,
    symbol_s: float = AV_SYMBOL_S,
    fec_rate: float = FEC_AV2,
) -> np.ndarray:
    """AV2 coded PHY rate (Mbps): 4096-QAM, FEC 16/18, AV2 mask, optional 2-stream MIMO.

    ``snr_db`` (..., 3455) per AV2 carrier and per stream (the same SNR is assumed on each
    stream, so MIMO multiplies the SISO rate by ``mimo_streams``: an upper bound [L]/[D];
    real MIMO streams are weaker).  SISO bound 2880 x 12 x 16/18 / 46.52 us ~ 660 Mbps [D].
    """
    if mask is None:
        mask = av2_tone_mask()
    bits = bit_loading(snr_db, ber=ber, margin_db=margin_db, max_bits=12, snr_cap_db=snr_cap_db)
    bits = np.where(mask, bits, 0)
    return mimo_streams * phy_rate_mbps(bits, symbol_s=symbol_s, fec_rate=fec_rate)


# ---------------------------------------------------------------------------
# ROBO (Green PHY and AV broadcast/management frames)
# ---------------------------------------------------------------------------


def _robo_mode(mode: str) -> str:
    m = mode.upper()
    if m not in ROBO_COPIES:
        raise ValueError(f"unknown ROBO mode {mode!r}; known: {', '.join(ROBO_COPIES)}")
    return m


def robo_carriers(mode: str, usable_carriers: int = AV_DEFAULT_USABLE) -> int:
    """Distinct carriers carrying data in ROBO: floor(917 / copies) [V gr-plc]."""
    return usable_carriers // ROBO_COPIES[_robo_mode(mode)]


def robo_rate_mbps(mode: str, usable_carriers: int = AV_DEFAULT_USABLE) -> float:
    """ROBO info rate (Mbps): floor(917/copies) x 2 bits x 1/2 / T_sym.

    STD (4 copies, 46.52 us) 4.9226; HS (2 copies) 9.8452; MINI (5 copies, 48.52 us) 3.7716
    [D = HPGP spec Table 3-13 as quoted in gap-aware-plc-admission_public, V].
    """
    m = _robo_mode(mode)
    sym = AV_SYMBOL_FIRST_S if m == "MINI" else AV_SYMBOL_S
    return robo_carriers(m, usable_carriers) * 2 * FEC_ROBO / sym / 1e6


def robo_symbols(mode: str, n_pb: int = 1, usable_carriers: int = AV_DEFAULT_USABLE) -> int:
    """Payload OFDM symbols of a ROBO frame: n_pb x ceil(coded PB bits / coded bits per symbol).

    PBs are counted separately (PB520 for STD/HS, PB136 for MINI); this reproduces the
    Greenvity frame lengths (STD 19, HS 10 per PB, MINI 6) [D].
    """
    m = _robo_mode(mode)
    pb_bytes = PB136_BYTES if m == "MINI" else PB520_BYTES
    coded_bits = pb_bytes * 8 / FEC_ROBO
    per_symbol = robo_carriers(m, usable_carriers) * 2
    return n_pb * math.ceil(coded_bits / per_symbol)


def robo_frame_airtime_us(mode: str, n_pb: int = 1, include_preamble_fc: bool = False) -> float:
    """Airtime (us) of a ROBO frame's payload symbols (Greenvity HAL values [V]).

    The first two symbols use a 7.56 us GI (48.52 us), the rest 5.56 us (46.52 us); MINI uses
    48.52 us for all.  PB136 MINI 291.12; 1 x PB520 STD 887.88; HS 1/2/3 PB 469.2/934.4/1399.6.
    Those published numbers are *symbols only*; ``include_preamble_fc`` adds 51.21 + 59.28 us.
    """
    m = _robo_mode(mode)
    n = robo_symbols(m, n_pb)
    if m == "MINI":
        t = n * AV_SYMBOL_FIRST_S
    else:
        first = min(n, 2)
        t = first * AV_SYMBOL_FIRST_S + (n - first) * AV_SYMBOL_S
    us = t * 1e6
    if include_preamble_fc:
        us += 51.21 + 59.28
    return round(us, 6)


def robo_effective_snr_db(snr_db: np.ndarray, mode: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Effective post-combining SNR (dB) of a ROBO frame [E].

    Mean linear SNR over the unmasked carriers times the number of copies (maximum-ratio
    combining of the copies spread over the band).  Input (..., K); output (...).
    """
    s = np.asarray(snr_db, dtype=float)
    if mask is None:
        mask = av_tone_mask() if s.shape[-1] == AV_CARRIERS else np.ones(s.shape[-1], dtype=bool)
    lin = np.where(mask, 10.0 ** (np.where(np.isfinite(s), s, -np.inf) / 10.0), 0.0)
    mean_lin = lin.sum(axis=-1) / max(int(np.count_nonzero(mask)), 1)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(mean_lin * ROBO_COPIES[_robo_mode(mode)])


#: Effective-SNR threshold for QPSK rate-1/2 turbo decoding [E] (~2 dB).
ROBO_THRESHOLD_DB: float = 2.0


def robo_decodable(
    snr_db: np.ndarray, mode: str = "STD", threshold_db: float = ROBO_THRESHOLD_DB,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Whether a ROBO frame (beacons, management, Green PHY data) decodes [E].

    Criterion: :func:`robo_effective_snr_db` >= ``threshold_db`` (QPSK r1/2 ~ 2 dB).
    """
    return robo_effective_snr_db(snr_db, mode, mask) >= threshold_db
