"""Wi-Fi side of a charger: RSSI quality, the vendor's Wi-Fi/PLC rule, roaming hysteresis.

Sources: the charger vendor's installation manual (Wi-Fi at RSSI >= -75 dBm on a -40..-80 scale);
wpa_supplicant ``wpa_supplicant_need_to_roam_within_ess`` (docs/sim-network.md [V]); the Schmitt
trigger and dwell recommendation of docs/sim-network.md [E].
"""

from __future__ import annotations

import numpy as np

VENDOR_SCALE_DBM = (-80.0, -40.0)
VENDOR_THRESHOLD_DBM = -75.0
UNUSABLE_DBM = -80.0  # bottom of the vendor's scale: below it the link is not usable [E]


def vendor_quality(rssi_dbm: np.ndarray | float) -> np.ndarray:
    """Quality 0..1 on the vendor's -80..-40 dBm scale: clamp((RSSI + 80) / 40, 0, 1)."""
    lo, hi = VENDOR_SCALE_DBM
    return np.clip((np.asarray(rssi_dbm, dtype=float) - lo) / (hi - lo), 0.0, 1.0)


def roam_min_diff_db(current_rssi_dbm: float) -> float:
    """wpa_supplicant: how much stronger (dB) a candidate BSS must be to roam within an ESS [V]."""
    if current_rssi_dbm < -85:
        return 1.0
    if current_rssi_dbm < -80:
        return 2.0
    if current_rssi_dbm < -75:
        return 3.0
    if current_rssi_dbm < -70:
        return 4.0
    return 5.0


def throughput_bonus_db(current_tput_mbps: float, candidate_tput_mbps: float) -> float:
    """Extra dB wpa_supplicant demands when the current BSS's estimated throughput is higher:
    +1/+2/+5/+10 dB above 0/10/20/50 % better [V]."""
    if candidate_tput_mbps <= 0 or current_tput_mbps <= candidate_tput_mbps:
        return 0.0
    gain = current_tput_mbps / candidate_tput_mbps - 1.0
    if gain > 0.5:
        return 10.0
    if gain > 0.2:
        return 5.0
    if gain > 0.1:
        return 2.0
    return 1.0


def should_roam(current_rssi_dbm: float, candidate_rssi_dbm: float, current_tput_mbps: float = 0.0,
                candidate_tput_mbps: float = 0.0) -> bool:
    """Within-ESS roaming decision of wpa_supplicant (2.4 GHz only, no band bonus) [V].

    A candidate whose estimated throughput is more than 5 Mbps better always wins.
    """
    if candidate_tput_mbps > current_tput_mbps + 5.0:
        return True
    needed = roam_min_diff_db(current_rssi_dbm) + throughput_bonus_db(current_tput_mbps, candidate_tput_mbps)
    return candidate_rssi_dbm - current_rssi_dbm >= needed


def wifi_choice(rssi_dbm: np.ndarray, on_wifi: np.ndarray, policy: str, threshold_dbm: float = VENDOR_THRESHOLD_DBM,
                hysteresis_db: float = 3.0) -> np.ndarray:
    """Vectorised Wi-Fi/PLC decision: True where the charger should use Wi-Fi.

    * ``none``: the vendor rule as written, ``RSSI >= threshold`` at every evaluation;
    * ``hysteresis``: Schmitt trigger, to Wi-Fi at ``threshold + h``, back to PLC at ``threshold - h``
      (apply it to EWMA-smoothed RSSI; dwell time is enforced by the caller) [E docs/sim-network.md];
    * ``sticky``: stay on the current uplink until it becomes unusable (< -80 dBm) or, on PLC, until
      Wi-Fi reaches ``threshold + h``.
    """
    rssi = np.asarray(rssi_dbm, dtype=float)
    cur = np.asarray(on_wifi, dtype=bool)
    if policy == "none":
        return rssi >= threshold_dbm
    if policy == "hysteresis":
        return np.where(cur, rssi > threshold_dbm - hysteresis_db, rssi >= threshold_dbm + hysteresis_db)
    if policy == "sticky":
        return np.where(cur, rssi > UNUSABLE_DBM, rssi >= threshold_dbm + hysteresis_db)
    raise ValueError(f"unknown policy {policy!r}")
