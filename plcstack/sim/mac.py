"""HomePlug AV (IEEE 1901) CSMA/CA timing, MAC efficiency and goodput.

Timing constants from the Greenvity HPGP HAL, gr-plc and the INET 1901 model
(simulator.md sections 5.1, 5.6 and 6.4).  All durations are in microseconds.
"""

from __future__ import annotations

import numpy as np

PRS_SLOT_US: float = 35.84  # priority-resolution / contention slot [V INET, HPGP spec 3.6.5]
CIFS_US: float = 100.0  # CIFS_AV [V Greenvity HPGP_CIFSAV_DEF]
RIFS_US: float = 140.0  # RIFS_AV default [V Greenvity, gr-plc]
B2BIFS_US: float = 90.0  # [V Greenvity]
PREAMBLE_US: float = 51.21  # [L IEEE 1901; Greenvity 51.2 V]
FC_US: float = 59.28  # frame-control symbol [V Greenvity HPGP_AVONLYFC_TIME]
SACK_US: float = 110.49  # preamble + FC of the SACK delimiter [D: 51.21 + 59.28]
MAX_FRAME_US: float = 2501.12  # max frame length [L]
MAX_PAYLOAD_US: float = 2391.0  # ~ MAX_FRAME_US - PREAMBLE_US - FC_US [D]
PB_BODY_BYTES: int = 512
PB_BYTES: int = 520

#: IEEE 1901 backoff table: BPC -> (deferral counter DC, contention window CW) [V INET].
#: Index 3 stands for BPC > 2.  INET quotes CW - 1; these are CW.
BACKOFF_CA3_CA2: dict[int, tuple[int, int]] = {0: (0, 8), 1: (1, 16), 2: (3, 16), 3: (15, 32)}
BACKOFF_CA1_CA0: dict[int, tuple[int, int]] = {0: (0, 8), 1: (1, 16), 2: (3, 32), 3: (15, 64)}

#: Transport-layer factors [E] (see :func:`goodput_mbps`).
UDP_FACTOR: float = 1472.0 / 1518.0  # UDP payload / Ethernet frame (1500 MTU, untagged)
TCP_HEADER_FACTOR: float = 1448.0 / 1518.0  # TCP payload with timestamps / Ethernet frame
TCP_ACK_FACTOR: float = 0.85  # airtime left after reverse-direction (delayed) ACK frames [E]


def backoff_parameters(bpc: int, priority: str = "CA1") -> tuple[int, int]:
    """(DC, CW) for backoff procedure counter ``bpc`` and channel-access priority [V INET]."""
    table = BACKOFF_CA3_CA2 if priority.upper() in ("CA3", "CA2") else BACKOFF_CA1_CA0
    return table[min(max(int(bpc), 0), 3)]


def cycle_time_us(payload_us: np.ndarray | float, cw: int = 8) -> np.ndarray:
    """Duration (us) of one saturated single-flow transmission cycle.

    PRS (2 slots) + mean backoff ((CW-1)/2 slots) + preamble + FC + payload + RIFS + SACK
    + CIFS  (simulator.md section 5.6 [D]).
    """
    p = np.asarray(payload_us, dtype=float)
    backoff = (cw - 1) / 2.0 * PRS_SLOT_US
    return 2 * PRS_SLOT_US + backoff + PREAMBLE_US + FC_US + p + RIFS_US + SACK_US + CIFS_US


def mac_efficiency(payload_us: np.ndarray | float, cw: int = 8) -> np.ndarray:
    """Fraction of the coded PHY rate carried as MAC payload (saturated, one flow, no collisions).

    eff = payload / cycle x 512/520 (PB header + PBCS overhead).  CW 8: 0.43 / 0.59 / 0.75 /
    0.77 for 500 / 1000 / 2050 / 2391 us payloads; CW 16: 0.38 / 0.55 / 0.71 / 0.74 [D].
    """
    p = np.asarray(payload_us, dtype=float)
    return p / cycle_time_us(p, cw) * (PB_BODY_BYTES / PB_BYTES)


def goodput_mbps(
    coded_phy_mbps: np.ndarray | float,
    payload_us: float = MAX_PAYLOAD_US,
    cw: int = 8,
    beacon_overhead: float = 0.02,
    pb_error_rate: np.ndarray | float = 0.0,
    transport: str = "udp",
) -> np.ndarray:
    """Application goodput (Mbps) of a saturated single flow over a link of ``coded_phy_mbps``.

    goodput = PHY x mac_efficiency x (1 - beacon_overhead) x (1 - PB error rate) x T, with
    T [E]: "udp" 1472/1518 (headers); "tcp" 1448/1518 x 0.85 (reverse ACK frames share the
    half-duplex medium); "mac" 1.  Defaults give UDP ~0.73 and TCP ~0.61 x coded PHY,
    inside the 0.6-0.75 / 0.5-0.65 targets of simulator.md section 5.6 [E/L].  Beacons:
    one per 33.3/40 ms, ~1-3 % [E].  Retransmissions: PB errors cost (1 - PBerr).
    """
    t = transport.lower()
    if t == "udp":
        tf = UDP_FACTOR
    elif t == "tcp":
        tf = TCP_HEADER_FACTOR * TCP_ACK_FACTOR
    elif t == "mac":
        tf = 1.0
    else:
        raise ValueError(f"unknown transport {transport!r}; use 'udp', 'tcp' or 'mac'")
    eff = mac_efficiency(payload_us, cw)
    per = np.asarray(pb_error_rate, dtype=float)
    return np.asarray(coded_phy_mbps, dtype=float) * eff * (1.0 - beacon_overhead) * (1.0 - per) * tf


def shared_airtime_fraction(n_avlns_in_range: np.ndarray | int) -> np.ndarray:
    """Airtime share of one AVLN when ``n`` AVLNs hear each other: 1/n.

    Simpler Networks HP200PT64 manual: the evaluator "will divide the available bandwidth in
    two when there is visibility between any two networks" [V].  With >= 5 AVLNs on one
    electrical system TRENDnet reports "significant degradation" [V] beyond the 1/n split
    (coordination and collisions), which this function does not model.
    """
    n = np.asarray(n_avlns_in_range, dtype=float)
    if np.any(n < 1):
        raise ValueError("n_avlns_in_range must be >= 1")
    return 1.0 / n
