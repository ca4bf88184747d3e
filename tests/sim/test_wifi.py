"""Wi-Fi side of a charger: wpa_supplicant's roaming table, the vendor rule, the Schmitt trigger."""

from __future__ import annotations

import numpy as np
import pytest

from plcstack.sim import wifi


def test_wifi_roaming_hysteresis_table() -> None:
    assert [wifi.roam_min_diff_db(r) for r in (-90, -82, -77, -72, -60)] == [1, 2, 3, 4, 5]
    assert not wifi.should_roam(-72, -69)  # needs 4 dB
    assert wifi.should_roam(-72, -68)
    assert not wifi.should_roam(-60, -57, current_tput_mbps=30, candidate_tput_mbps=20)  # +5 dB bonus
    assert wifi.should_roam(-60, -70, current_tput_mbps=10, candidate_tput_mbps=20)  # > 5 Mbps better
    # the vendor's rule and the Schmitt trigger
    rssi = np.array([-74.0, -76.0, -73.0, -77.0])
    assert list(wifi.wifi_choice(rssi, np.zeros(4, bool), "none")) == [True, False, True, False]
    assert list(wifi.wifi_choice(rssi, np.zeros(4, bool), "hysteresis")) == [False, False, False, False]
    assert list(wifi.wifi_choice(rssi, np.ones(4, bool), "hysteresis")) == [True, True, True, True]
    assert wifi.vendor_quality(-75) == pytest.approx(0.125)
