#!/usr/bin/env python3
"""Print the simulator's validation tables (the numbers in docs/sim-validation.md).

    python tools/sim_validation.py

1. coded PHY rate vs feeder length (clean Cu-10mm2 feeder, module at the board, one charger at the far
   end, default parameters), TN and IT, idle and while the charger's vehicle charges; the rate is the
   slower direction of the link; the fraction of carriers at the SNR cap; medians over 20 seeds (noise
   realisations) and the 10-90 % range of the TN idle rate;
2. chargers every 5 m on one Cu-16mm2 run with the module in the middle: worst charger's rate, TCP
   goodput per charger with all of them active, collision probability;
3. TCP / UDP goodput as a fraction of the coded and uncoded PHY rate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "sim"))
from sim_sites import charger_row, feeder  # noqa: E402

from plcstack.sim import mac  # noqa: E402
from plcstack.sim.physics import SitePhysics  # noqa: E402


def link(phys: SitePhysics, a: int, b: int) -> float:
    return min(phys.link(a, b).rate_mbps, phys.link(b, a).rate_mbps)


SEEDS = range(20)  # noise realisations (narrowband interferers, per-receiver offsets, charger switching)


def distance_table() -> None:
    """Median over the seeds, and the 10-90 % range of the idle TN rate (one realisation is one site)."""
    print("| feeder m | TN idle | TN idle p10-p90 | TN charging | IT idle | IT charging | TN carriers at cap "
          "| TN beacon margin dB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d in (30, 60, 90, 150, 250, 350, 500, 600):
        cols: dict[str, list[float]] = {}
        for seed in SEEDS:
            for grid in ("TN", "IT"):
                site = feeder(d, grid=grid)
                phys = SitePhysics(site, seed)
                c, m = site.node_index("C"), site.node_index("M")
                cols.setdefault(f"{grid} idle", []).append(link(phys, c, m))
                if grid == "TN":
                    snr = phys.snr_db(c, m)[:, phys.av_sel]
                    cols.setdefault("cap", []).append(float(np.mean(snr >= site.params.snr_cap_db - 1e-6)))
                    cols.setdefault("margin", []).append(float(phys.margins(np.array([m]), np.array([c]))[0]))
                phys.set_charging(np.array([True, False]))
                cols.setdefault(f"{grid} charging", []).append(link(phys, c, m))
        med = {k: float(np.median(v)) for k, v in cols.items()}
        p10, p90 = np.percentile(cols["TN idle"], [10, 90])
        print(f"| {d} | {med['TN idle']:.1f} | {p10:.0f}-{p90:.0f} | {med['TN charging']:.1f} | {med['IT idle']:.1f} "
              f"| {med['IT charging']:.1f} | {med['cap']:.0%} | {med['margin']:.1f} |")


def stations_table() -> None:
    print("| chargers | worst PHY Mbit/s | median PHY | TCP goodput per charger (worst, all active) | collisions |")
    print("|---:|---:|---:|---:|---:|")
    for n in (1, 5, 10, 20, 30, 40, 60):
        row = charger_row(n, spacing_m=5.0)
        phys = SitePhysics(row, 0)
        m = row.node_index("M")
        rates = np.array([link(phys, i, m) for i in range(n)])
        share = float(mac.goodput_mbps(1.0, n_flows=n))
        print(f"| {n} | {rates.min():.1f} | {np.median(rates):.1f} | {rates.min() * share:.2f} | "
              f"{mac.data_airtime_fraction(n)[1]:.2f} |")


def goodput_table() -> None:
    coded = 150.2
    for t in ("tcp", "udp"):
        g = float(mac.goodput_mbps(coded, transport=t))
        print(f"{t}: {g:.1f} Mbit/s on a {coded} Mbit/s coded link = {g / coded:.2f} coded, "
              f"{g / (coded * 21 / 16):.2f} uncoded")


if __name__ == "__main__":
    distance_table()
    print()
    stations_table()
    print()
    goodput_table()
