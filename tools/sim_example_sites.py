#!/usr/bin/env python3
"""Print the README's example-site table: 24 h, seed 0 (partitioned.toml: seeds 0-5).

    python tools/sim_example_sites.py
"""

from __future__ import annotations

from plcstack.sim.engine import simulate
from plcstack.sim.report import key_metrics
from plcstack.sim.site import load_site

for name in ("one-bridge", "two-bridges", "three-bridges", "module-start", "module-middle", "it-grid",
             "wifi-weak", "wifi-strong", "demo", "depot-100"):
    r = simulate(load_site(f"sites/{name}.toml"), hours=24, seed=0)
    m = key_metrics(r)
    ccos = len({c for c in r.final_cco if c >= 0})
    print(f"{name}|{m['flaps_total']}|{m['downtime_s_total']:.0f}|{m['worst_plc_rate_mbps']}|{m['mean_plc_rate_mbps']}|{m['chargers_without_route']}|{ccos}")
for seed in range(6):
    r = simulate(load_site("sites/partitioned.toml"), hours=24, seed=seed)
    m = key_metrics(r)
    swaps = sum(s.flap_kinds.get("avln", 0) for s in r.stats)
    print(f"partitioned-{seed}|{m['flaps_total']}|{m['downtime_s_total']:.0f}|{m['worst_plc_rate_mbps']}|{m['mean_plc_rate_mbps']}|{m['chargers_without_route']}|swaps {swaps}")
