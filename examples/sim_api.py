"""Simulate a site from Python with the objects `plcstack simulate` uses: run it, read the summary,
get the advice plan, run a small sweep.  Run from the repository root: python examples/sim_api.py"""

from plcstack.sim import advice, summary, sweep
from plcstack.sim.engine import simulate
from plcstack.sim.site import load_site, site_from_dict, site_to_dict

if __name__ == "__main__":  # worker processes re-import this file
    site = load_site("sites/two-bridges.toml")
    result = simulate(site, hours=3, seed=0)
    data = summary.summary(result)  # the contents of summary.json
    print("flaps", data["flaps_total"], "downtime s", data["downtime_s_total"])
    for node in data["nodes"]:
        print(f"{node['name']:4} {node['uplink']:5} via {node['gateway']:5} availability {node['availability']:.3f}")

    with sweep.make_runner(workers=2) as runner:  # or sweep.make_runner(dask="tcp://scheduler:8786")
        plan = advice.plan(site, result, hours=3, seed=0, runner=runner)
        for action in plan.advice:
            print(action["rank"], action["text"])
        jobs = sweep.build_jobs(site_to_dict(site), [("charger.C5.bridge", [True, False])], runs=2, hours=1)
        for row in sweep.aggregate(runner.run(jobs), ["charger.C5.bridge"]):
            print("C5 bridges:", row["charger.C5.bridge"], "mean flaps:", row["flaps_total"])

    # a site built in code: one feeder, a PLC module at the board, a charger 80 m out
    feeder = site_from_dict({
        "site": {"grid": "TN", "name": "feeder"},
        "cable": [{"name": "feeder", "type": "Cu-10mm2", "length_m": 90}],
        "charger": [{"name": "C1", "cable": "feeder", "at_m": 80, "network_password": "depot-key-2026"}],
        "plc_module": [{"name": "M1", "cable": "feeder", "at_m": 0, "network_password": "depot-key-2026"}]})
    print("C1 at 80 m:", summary.key_metrics(simulate(feeder, hours=1))["worst_plc_rate_mbps"], "Mbit/s")
