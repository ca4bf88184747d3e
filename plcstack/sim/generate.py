"""Synthetic sites for benchmarks, sweeps and tests: chargers spread over several cable runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .site import Site, site_from_dict


def generate_site_dict(n_chargers: int = 100, n_runs: int = 10, run_length_m: float = 120.0, bridges: int = 1,
                       grid: str = "TN", seed: int = 0, module: bool = True, module_runs: int = 0,
                       password: str = "site-network-key") -> dict[str, Any]:
    """A car park: ``n_runs`` runs of Cu-16mm2 from one board, chargers every few metres along them on
    rotating phases, evening and morning charging sessions, Wi-Fi RSSI from -55 to -85 dBm (falling
    with distance from the building), the ``bridges`` strongest-Wi-Fi chargers as bridges and
    (``module``) PLC modules in the middle of the first ``module_runs`` runs (one at the board when
    ``module_runs`` is 0)."""
    rng = np.random.default_rng(seed)
    cables = [{"name": f"run-{r + 1}", "type": "Cu-16mm2", "length_m": run_length_m} for r in range(n_runs)]
    phases = ["L1-L3", "L1-L2", "L2-L3"] if grid == "IT" else ["L1", "L2", "L3"]
    chargers: list[dict[str, Any]] = []
    rssi_of: list[float] = []
    per_run = int(np.ceil(n_chargers / n_runs))
    for c in range(n_chargers):
        run = c % n_runs
        slot = c // n_runs
        at = round(float(10.0 + (run_length_m - 15.0) * (slot + 0.5) / per_run), 1)
        rssi = max(-95.0, min(-40.0, round(float(-55.0 - 30.0 * at / run_length_m + rng.normal(0, 3)), 1)))
        start = int(rng.integers(16 * 60, 20 * 60))
        dur = int(rng.integers(60, 300))
        end = (start + dur) % (24 * 60)
        windows = [f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"]
        if rng.random() < 0.4:
            m = int(rng.integers(6 * 60, 9 * 60))
            windows.append(f"{m // 60:02d}:{m % 60:02d}-{(m + 90) // 60:02d}:{(m + 90) % 60:02d}")
        rssi_of.append(rssi)
        chargers.append({"name": f"C{c + 1:03d}", "cable": f"run-{run + 1}", "at_m": at,
                         "phase": phases[c % 3], "wifi_rssi_dbm": rssi,
                         "network_password": password, "charging": windows})
    for i in sorted(range(n_chargers), key=lambda i: -rssi_of[i])[:bridges]:
        chargers[i]["bridge"] = True
    data: dict[str, Any] = {"site": {"grid": grid, "mains_hz": 50, "name": f"generated-{n_chargers}"},
                            "cable": cables, "charger": chargers}
    if module:
        if module_runs <= 0:
            data["plc_module"] = [{"name": "M1", "cable": "run-1", "at_m": 0, "network_password": password,
                                   "phase": phases[0]}]
        else:
            data["plc_module"] = [{"name": f"M{r + 1}", "cable": f"run-{r + 1}", "at_m": run_length_m / 2,
                                   "network_password": password, "phase": phases[0]}
                                  for r in range(min(module_runs, n_runs))]
    return data


def generate_site(**kwargs: Any) -> Site:
    return site_from_dict(generate_site_dict(**kwargs))
