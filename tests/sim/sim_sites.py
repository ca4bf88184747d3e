"""Sites the simulator tests build in code: a clean single feeder, a run of chargers, a minimal run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

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


# -- random small sites for property tests ---------------------------------------------------------

#: hypothesis settings of the simulator's property tests: a dozen examples each in CI (a few seconds);
#: ``SIM_PROPERTY_EXAMPLES=500`` for a deeper search
PROPERTY = settings(max_examples=int(os.environ.get("SIM_PROPERTY_EXAMPLES", "12")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

CU_SIZES = ("Cu-2.5mm2", "Cu-6mm2", "Cu-10mm2", "Cu-16mm2", "Cu-35mm2", "Cu-70mm2", "Cu-120mm2")
AL_SIZES = ("Al-16mm2", "Al-35mm2", "Al-95mm2", "Al-240mm2")
CABLE_SIZES = CU_SIZES + AL_SIZES + ("NAYY150SE",)


def random_site_dict(draw: Any, max_chargers: int = 6) -> dict[str, Any]:
    """A hypothesis-drawn site: 1-3 runs of 10-600 m, 1-``max_chargers`` chargers anywhere on them on
    random phases, one PLC module (at the board or on a run), any grid and noise class, maybe a breaker.
    ``draw`` is hypothesis' ``draw`` (use inside ``@st.composite``)."""
    from hypothesis import strategies as st

    grid = draw(st.sampled_from(("TN", "TT", "IT")))
    phases = ("L1-L3", "L1-L2", "L2-L3") if grid == "IT" else ("L1", "L2", "L3")
    n_runs = draw(st.integers(1, 3))
    cables = [{"name": f"r{k}", "type": draw(st.sampled_from(CABLE_SIZES)),
               "length_m": float(draw(st.integers(10, 600)))} for k in range(n_runs)]

    def position() -> tuple[str, float]:
        c = cables[draw(st.integers(0, n_runs - 1))]
        return c["name"], float(draw(st.integers(0, int(c["length_m"]))))

    chargers = []
    for k in range(draw(st.integers(1, max_chargers))):
        cable, at = position()
        chargers.append({"name": f"C{k}", "cable": cable, "at_m": at, "phase": draw(st.sampled_from(phases)),
                         "network_password": "k", "wifi_rssi_dbm": float(draw(st.integers(-90, -50)))})
    cable, at = position()
    data: dict[str, Any] = {
        "site": {"grid": grid, "noise_class": draw(st.sampled_from(("residential", "commercial", "industrial")))},
        "cable": cables, "charger": chargers,
        "plc_module": [{"name": "M", "cable": cable, "at_m": at if draw(st.booleans()) else 0.0,
                        "phase": phases[0], "network_password": "k"}]}
    if draw(st.booleans()):
        cable, at = position()
        data["breaker"] = [{"cable": cable, "at_m": at, "insertion_loss_db": float(draw(st.integers(1, 20)))}]
    return data
