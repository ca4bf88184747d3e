"""Sites the simulator tests build in code: a clean single feeder, a run of chargers, a minimal run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plcstack.sim.site import Site, site_from_dict

SITES = Path(__file__).resolve().parents[2] / "sites"


def minimal(**site: object) -> dict[str, Any]:
    return {
        "site": {"grid": "TN", **site},
        "cable": [{"name": "run-A", "type": "Cu-10mm2", "length_m": 100}],
        "charger": [
            {"name": "A", "cable": "run-A", "at_m": 10, "phase": "L1", "network_password": "k"},
            {"name": "B", "cable": "run-A", "at_m": 40, "phase": "L1", "network_password": "k"},
            {"name": "C", "cable": "run-A", "at_m": 70, "phase": "L1", "network_password": "k"},
        ],
    }


def feeder(length_m: float, grid: str = "TN", cable: str = "Cu-10mm2", charging: bool = False,
           **site: object) -> Site:
    """One feeder from the board: a PLC module at the board (0 m), one charger at the far end."""
    pair = "L1-L3" if grid == "IT" else "L1"
    return site_from_dict({
        "site": {"grid": grid, **site},
        "cable": [{"name": "feeder", "type": cable, "length_m": length_m}],
        "charger": [{"name": "C", "cable": "feeder", "at_m": length_m, "phase": pair, "network_password": "k",
                     "charging": ["00:00-24:00"] if charging else []}],
        "plc_module": [{"name": "M", "cable": "feeder", "at_m": 0, "phase": pair, "network_password": "k"}],
    })


def charger_row(n: int, spacing_m: float = 5.0, module_at_m: float | None = None, grid: str = "TN",
                **site: object) -> Site:
    """``n`` chargers every ``spacing_m`` along one Cu-16mm2 run on the modem's phase (L1, as the
    vendor requires), a PLC module in the middle of them unless ``module_at_m`` says otherwise."""
    pair = "L1-L3" if grid == "IT" else "L1"
    length = 10.0 + spacing_m * n
    at = [round(10.0 + spacing_m * k, 2) for k in range(n)]
    mod = (at[0] + at[-1]) / 2 if module_at_m is None else module_at_m
    return site_from_dict({
        "site": {"grid": grid, **site},
        "cable": [{"name": "run", "type": "Cu-16mm2", "length_m": length}],
        "charger": [{"name": f"C{k + 1:03d}", "cable": "run", "at_m": a, "phase": pair, "network_password": "k"}
                    for k, a in enumerate(at)],
        "plc_module": [{"name": "M", "cable": "run", "at_m": round(mod, 2), "phase": pair,
                        "network_password": "k"}],
    })
