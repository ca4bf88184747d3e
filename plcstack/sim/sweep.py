"""Parameter sweeps: a grid of site variants x seeds, run on a local process pool or on Dask.

Jobs are plain data (the site as a TOML-shaped dict, hours, seed), so they pickle cheaply and run
the same way in a ``concurrent.futures`` worker or on a ``dask.distributed`` worker.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .site import SiteError, set_path, site_from_dict


@dataclass(frozen=True)
class SweepJob:
    overrides: tuple[tuple[str, Any], ...]
    seed: int
    hours: float
    site_data: dict[str, Any]


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``"site.cross_phase_loss_db=0,10,20"`` -> ("site.cross_phase_loss_db", [0, 10, 20]).
    Values are parsed as int, float, true/false, else kept as strings."""
    if "=" not in spec:
        raise SiteError(f"--vary {spec!r}: expected KEY=V1,V2,...")
    key, values = spec.split("=", 1)
    out: list[Any] = []
    for v in values.split(","):
        v = v.strip()
        if v.lower() in ("true", "false"):
            out.append(v.lower() == "true")
            continue
        try:
            out.append(int(v))
            continue
        except ValueError:
            pass
        try:
            out.append(float(v))
        except ValueError:
            out.append(v)
    if not out or out == [""]:
        raise SiteError(f"--vary {spec!r}: no values")
    return key.strip(), out


def build_jobs(site_data: dict[str, Any], varies: Iterable[tuple[str, list[Any]]], runs: int, hours: float,
               seed0: int = 0) -> list[SweepJob]:
    varies = list(varies)
    keys = [k for k, _ in varies]
    jobs = []
    for combo in itertools.product(*[vals for _, vals in varies]):
        data = copy.deepcopy(site_data)
        for k, v in zip(keys, combo, strict=True):
            set_path(data, k, v)
        site_from_dict(data)  # validate now, not in a worker
        for r in range(runs):
            jobs.append(SweepJob(tuple(zip(keys, combo, strict=True)), seed0 + r, hours, data))
    return jobs


def run_job(job: SweepJob) -> dict[str, Any]:
    """Worker entry point (top level so it pickles)."""
    from .engine import simulate
    from .report import key_metrics

    site = site_from_dict(job.site_data)
    result = simulate(site, hours=job.hours, seed=job.seed)
    row: dict[str, Any] = {k: v for k, v in job.overrides}
    row["seed"] = job.seed
    row.update(key_metrics(result))
    row["wall_s"] = round(result.wall_s, 2)
    return row


def run_local(jobs: list[SweepJob], workers: int | None = None,
              on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    rows: list[dict[str, Any] | None] = [None] * len(jobs)
    if workers == 1 or len(jobs) == 1:
        for i, job in enumerate(jobs):
            rows[i] = run_job(job)
            if on_done:
                on_done(rows[i])
        return [r for r in rows if r is not None]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            rows[futures[fut]] = fut.result()
            if on_done:
                on_done(rows[futures[fut]])
    return [r for r in rows if r is not None]


def run_dask(jobs: list[SweepJob], address: Any,
             on_done: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run on a Dask distributed cluster (``address`` is a scheduler address or a cluster object)."""
    from dask.distributed import Client, as_completed

    client = Client(address)
    try:
        futures = client.map(run_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        rows: list[dict[str, Any] | None] = [None] * len(jobs)
        for fut in as_completed(futures):
            rows[index[fut.key]] = fut.result()
            if on_done:
                on_done(rows[index[fut.key]])
        return [r for r in rows if r is not None]
    finally:
        client.close()


def aggregate(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Mean (and min/max) of the metrics over seeds, per parameter combination."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for combo, rs in groups.items():
        agg: dict[str, Any] = dict(zip(keys, combo, strict=True))
        agg["runs"] = len(rs)
        for m in ("flaps_total", "downtime_s_total", "worst_plc_rate_mbps", "mean_plc_rate_mbps",
                  "chargers_without_route"):
            vals = [r[m] for r in rs if r[m] is not None]
            agg[m] = round(sum(vals) / len(vals), 2) if vals else None
            agg[m + "_min"] = min(vals) if vals else None
            agg[m + "_max"] = max(vals) if vals else None
        out.append(agg)
    return out
