"""HomePlug AV (IEEE 1901) CSMA/CA timing, MAC efficiency and goodput.

Timing constants from the Greenvity HPGP HAL (``HPGP_CIFSAV_DEF``, ``HPGP_RIFSAVDEF_TIME``,
``HPGP_AVONLYFC_TIME``), gr-plc and the INET 1901 model; all durations in microseconds.  Goodput
counts what the medium really carries for a TCP flow: the data frames *and* the reverse
acknowledgement frames, each a channel access of its own, contending with the 1901 backoff
(:mod:`.csma`).  Sources and the comparison with field numbers: ``docs/sim-mac.md``.
"""

from __future__ import annotations

import numpy as np

from .csma import BACKOFF_CA1_CA0, BACKOFF_CA3_CA2, PRS_SLOT_US, airtime_shares

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


#: Transport-layer header factors (see :func:`goodput_mbps`).
UDP_FACTOR: float = 1472.0 / 1518.0  # UDP payload / Ethernet frame (1500 MTU, untagged)
TCP_HEADER_FACTOR: float = 1448.0 / 1518.0  # TCP payload with timestamps / Ethernet frame


def backoff_parameters(bpc: int, priority: str = "CA1") -> tuple[int, int]:
    """(DC, CW) for backoff procedure counter ``bpc`` and channel-access priority [V INET]."""
    table = BACKOFF_CA3_CA2 if priority.upper() in ("CA3", "CA2") else BACKOFF_CA1_CA0
    return table[min(max(int(bpc), 0), 3)]


def cycle_time_us(payload_us: np.ndarray | float, cw: int = 8) -> np.ndarray:
    """Duration (us) of one saturated single-flow transmission cycle.

    PRS (2 slots) + mean backoff ((CW-1)/2 slots) + preamble + FC + payload + RIFS + SACK
    + CIFS  (docs/sim-mac.md [D]).
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


TYPICAL_PAYLOAD_US: float = 2050.0  # a long data frame's payload (about 0.8 of the 2501 us maximum frame)
ACK_PAYLOAD_US: float = 2 * 48.52  # a TCP ACK frame: one PB, two OFDM symbols at the first-symbol GI
BEACON_OVERHEAD: float = 0.02  # one beacon per 40 / 33.3 ms (1-3 % of the airtime)
CONTENTION_EVENTS: int = 6000  # Monte Carlo transmissions per contention estimate


def frame_cycle_us(payload_us: float) -> float:
    """Airtime of one frame exchange without the backoff: PRS (2 slots) + preamble + FC + payload
    + RIFS + SACK + CIFS (the backoff slots are counted by the contention model)."""
    return 2 * PRS_SLOT_US + PREAMBLE_US + FC_US + payload_us + RIFS_US + SACK_US + CIFS_US


def data_airtime_fraction(n_flows: int = 1, transport: str = "tcp", payload_us: float = TYPICAL_PAYLOAD_US,
                          seed: int = 0) -> tuple[float, float]:
    """(fraction of the airtime carrying one flow's data payload, collision probability).

    ``n_flows`` saturated flows share one medium; with TCP each flow also sends an acknowledgement
    frame per data frame the other way, which contends like any frame.  1901 CSMA/CA, CA1
    (:func:`plcstack.sim.csma.airtime_shares`).
    """
    if n_flows < 1:
        raise ValueError("n_flows must be >= 1")
    t = transport.lower()
    data = [frame_cycle_us(payload_us)] * n_flows
    acks = [frame_cycle_us(ACK_PAYLOAD_US)] * n_flows if t == "tcp" else []
    rate, p_coll = airtime_shares(tuple(data + acks), events=CONTENTION_EVENTS, seed=seed)
    return float(rate[:n_flows].mean() * payload_us), p_coll


def goodput_mbps(
    coded_phy_mbps: np.ndarray | float,
    payload_us: float = TYPICAL_PAYLOAD_US,
    n_flows: int = 1,
    beacon_overhead: float = BEACON_OVERHEAD,
    pb_error_rate: np.ndarray | float = 0.0,
    transport: str = "tcp",
) -> np.ndarray:
    """Application goodput (Mbit/s) of one of ``n_flows`` saturated flows over links of ``coded_phy_mbps``.

    goodput = PHY x data airtime fraction (contention, ACK frames) x 512/520 (PB header, PBCS)
    x (1 - beacons) x (1 - PB error rate) x headers; headers: "udp" 1472/1518, "tcp" 1448/1518,
    "mac" 1.  One TCP flow on an idle medium: 0.54 x coded PHY (0.41 x the uncoded rate).
    """
    t = transport.lower()
    if t not in ("udp", "tcp", "mac"):
        raise ValueError(f"unknown transport {transport!r}; use 'udp', 'tcp' or 'mac'")
    share, _ = data_airtime_fraction(n_flows, "tcp" if t == "tcp" else "udp", payload_us)
    headers = {"udp": UDP_FACTOR, "tcp": TCP_HEADER_FACTOR, "mac": 1.0}[t]
    per = np.asarray(pb_error_rate, dtype=float)
    return (np.asarray(coded_phy_mbps, dtype=float) * share * (PB_BODY_BYTES / PB_BYTES)
            * (1.0 - beacon_overhead) * (1.0 - per) * headers)


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
