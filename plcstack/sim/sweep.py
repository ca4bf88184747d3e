"""Parameter sweeps and what-if runs: site variants x seeds on a local process pool or on Dask.

Jobs are plain data (the site as a TOML-shaped dict, hours, seed, start time), so they pickle
cheaply and run the same way in a ``concurrent.futures`` worker, in this process or on a
``dask.distributed`` worker.  Each worker keeps the last few site physics it built (channel solution,
noise) and reuses them for every job whose wiring and noise are the same: a variant that only
changes bridges, Wi-Fi, network keys, charging windows or the firmware policy costs no new set-up.
"""

from __future__ import annotations

import copy
import itertools
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Protocol

from .site import Node, Site, SiteError, SiteParams, set_path, site_from_dict

if TYPE_CHECKING:
    from .physics import SitePhysics
    from .topology import SiteChannel

Row = dict[str, Any]
OnDone = Callable[[int, Row], None] | None


@dataclass(frozen=True)
class SweepJob:
    """One simulation: ``site_data`` (TOML-shaped) for ``hours`` from ``start_s`` with ``seed``.
    ``overrides`` label the row (sweep keys); ``tag`` is free for the caller (what-if name)."""

    overrides: tuple[tuple[str, Any], ...]
    seed: int
    hours: float
    site_data: dict[str, Any]
    start_s: float = 0.0
    tag: str = ""
    detail: bool = False  # add every charger's availability and the trouble per hour to the row
    windows: tuple[tuple[float, float], ...] = ()  # (start_s, hours) runs summed instead of one run

    def runs(self) -> tuple[tuple[float, float], ...]:
        return self.windows or ((self.start_s, self.hours),)


# -- shared set-up --------------------------------------------------------------------------------

# Fields the physics (channel and noise) never reads: the engine applies them over time.  Variants
# that differ only here share one SitePhysics (tests/sim/test_sweep.py checks it field by field).
ENGINE_ONLY_NODE_FIELDS = ("bridge", "wifi_rssi_dbm", "gateway_policy", "network_password", "cco_capability",
                           "charging")
ENGINE_ONLY_PARAMS = ("gateway_policy", "wifi_threshold_dbm", "wifi_hysteresis_db", "wifi_sigma_db", "wifi_tau_s",
                      "dwell_s", "gateway_switch_ratio", "reselect_interval_s", "min_rate_mbps", "daily_bytes",
                      "mqtt_keepalive_s", "rtt_s")
_NODE_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Node) if f.name in ENGINE_ONLY_NODE_FIELDS}
_PARAM_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(SiteParams) if f.name in ENGINE_ONLY_PARAMS}
PHYSICS_CACHE_SIZE = 2  # a depot's physics is ~170 MB; two per worker keep memory bounded


def physics_key(site: Site) -> Site:
    """The site with every engine-only field reset: equal keys mean equal physics (hashable)."""
    return replace(site, params=replace(site.params, **_PARAM_DEFAULTS), source="",
                   nodes=tuple(replace(n, **_NODE_DEFAULTS) for n in site.nodes))


_channels: OrderedDict[Site, SiteChannel] = OrderedDict()
_physics: OrderedDict[tuple[Site, int], SitePhysics] = OrderedDict()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > PHYSICS_CACHE_SIZE:
        cache.popitem(last=False)


def physics_for(site: Site, seed: int) -> SitePhysics:
    """This process's SitePhysics for ``site`` and ``seed``, built once per distinct physics (the
    channel solution is shared across seeds too)."""
    from .physics import SitePhysics

    key = physics_key(site)
    phys = _physics.get((key, seed))
    if phys is None:
        channel = _channels.get(key)
        phys = SitePhysics(site, seed, channel=channel)
        _remember(_channels, key, phys.channel)
        _remember(_physics, (key, seed), phys)
    else:
        _physics.move_to_end((key, seed))
    return phys


def share_physics(site: Site, seed: int, physics: SitePhysics) -> None:
    """Offer an already built physics (the base run's) to later jobs in this process."""
    key = physics_key(site)
    _remember(_channels, key, physics.channel)
    _remember(_physics, (key, seed), physics)


# -- process set-up -------------------------------------------------------------------------------

M_TRIM_THRESHOLD, M_TOP_PAD = -1, -2  # glibc mallopt() parameters (malloc.h)
TRIM_THRESHOLD_BYTES = 1 << 30
TOP_PAD_BYTES = 256 << 20
_allocator_tuned = False


def tune_allocator() -> bool:
    """Let the heap keep what the engine frees: its large NumPy temporaries otherwise make glibc
    shrink and regrow the heap all the time, and the kernel time (page faults) that costs shows as
    system time.  A 1 GiB trim threshold and a 256 MiB top pad cut it on depot-100 from 2.3 s to
    0.6 s per 24 h run (mean of three, about 6.9 s user time either way) for ~45 MB more memory.
    Per process, idempotent; does nothing where glibc's ``mallopt`` is missing."""
    global _allocator_tuned
    if _allocator_tuned:
        return True
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        ok = bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)) and bool(libc.mallopt(M_TOP_PAD,
                                                                                              TOP_PAD_BYTES))
    except (OSError, AttributeError):
        return False
    _allocator_tuned = ok
    return ok


# -- jobs -----------------------------------------------------------------------------------------

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
    """The grid of ``varies`` x ``runs`` seeds, each variant validated here (not in a worker)."""
    varies = list(varies)
    keys = [k for k, _ in varies]
    jobs = []
    for combo in itertools.product(*[vals for _, vals in varies]):
        data = copy.deepcopy(site_data)
        for k, v in zip(keys, combo, strict=True):
            set_path(data, k, v)
        site_from_dict(data)
        for r in range(runs):
            jobs.append(SweepJob(tuple(zip(keys, combo, strict=True)), seed0 + r, hours, data))
    return jobs


def run_job(job: SweepJob) -> Row:
    """Worker entry point (top level so it pickles): the key metrics of one run, or of several
    windows of the same site summed (downtime, flaps) and worst-cased (rates, routes)."""
    from .engine import Engine
    from .summary import availability, combine_metrics, key_metrics, trouble_by_hour

    tune_allocator()
    site = site_from_dict(job.site_data)
    parts: list[Row] = []
    avail: dict[str, float] = {}
    trouble: list[float] = []
    wall = 0.0
    for start_s, hours in job.runs():
        result = Engine(site, hours=hours, seed=job.seed, physics=physics_for(site, job.seed),
                        start_s=start_s).run(clock=time.perf_counter)
        parts.append(key_metrics(result))
        wall += result.wall_s
        if job.detail:
            for n, st in zip(site.nodes, result.stats, strict=True):
                if n.kind == "charger":
                    avail[n.name] = min(avail.get(n.name, 1.0), availability(st.downtime_s, hours))
            trouble += trouble_by_hour(result)
    row: Row = {k: v for k, v in job.overrides}
    row["seed"] = job.seed
    row.update(combine_metrics(parts))
    row["wall_s"] = round(wall, 2)
    if job.detail:
        row["availability"] = avail
        row["trouble_by_hour"] = trouble
    return row


# -- runners --------------------------------------------------------------------------------------

class Runner(Protocol):
    """Runs jobs, calling ``on_done(index, row)`` as each finishes; returns rows in job order."""

    def run(self, jobs: list[SweepJob], on_done: OnDone = None) -> list[Row]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


def _collect(jobs: list[SweepJob], done: Iterator[tuple[int, Row]], on_done: OnDone) -> list[Row]:
    rows: list[Row | None] = [None] * len(jobs)
    for i, row in done:
        rows[i] = row
        if on_done:
            on_done(i, row)
    return [r for r in rows if r is not None]


class _Closing:
    """``with make_runner(...) as runner:`` closes the pool or client at the end."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialRunner(_Closing):
    """In this process, one job after the other (shares this process's physics cache)."""

    def run(self, jobs: list[SweepJob], on_done: OnDone = None) -> list[Row]:
        return _collect(jobs, ((i, run_job(j)) for i, j in enumerate(jobs)), on_done)


class PoolRunner(_Closing):
    """A local process pool kept open across calls, so workers keep their physics caches.

    Workers are started at once.  ``fork`` (the default where it is safe: no other thread running)
    lets them inherit this process's physics cache -- the base run's set-up costs nothing more;
    otherwise ``forkserver`` (scripts then need the ``if __name__ == "__main__":`` guard)."""

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers or os.cpu_count() or 1
        methods = multiprocessing.get_all_start_methods()
        if start_method is None:
            start_method = ("fork" if "fork" in methods and threading.active_count() == 1
                            else "forkserver" if "forkserver" in methods else "spawn")
        self.start_method = start_method
        ctx = multiprocessing.get_context(start_method)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        for f in [self._pool.submit(os.getpid) for _ in range(self.workers)]:
            f.result()  # start every worker now, while forking is safe

    def run(self, jobs: list[SweepJob], on_done: OnDone = None) -> list[Row]:
        from concurrent.futures import as_completed

        futures = {self._pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        return _collect(jobs, ((futures[f], f.result()) for f in as_completed(futures)), on_done)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner(_Closing):
    """A Dask distributed cluster (``address``: scheduler address or a cluster object)."""

    def __init__(self, address: Any) -> None:
        from dask.distributed import Client

        self._client = Client(address)

    def run(self, jobs: list[SweepJob], on_done: OnDone = None) -> list[Row]:
        from dask.distributed import as_completed

        futures = self._client.map(run_job, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        return _collect(jobs, ((index[f.key], f.result()) for f in as_completed(futures)), on_done)

    def close(self) -> None:
        self._client.close()


def make_runner(workers: int | None = None, dask: Any = None) -> Runner:
    """Dask when an address is given, else a local pool (``workers`` processes, default: CPU count;
    1 runs in this process)."""
    if dask is not None:
        return DaskRunner(dask)
    if workers == 1 or (workers is None and (os.cpu_count() or 1) == 1):
        return SerialRunner()
    return PoolRunner(workers)


def run_local(jobs: list[SweepJob], workers: int | None = None,
              on_done: Callable[[Row], None] | None = None) -> list[Row]:
    """Run ``jobs`` on a local pool (or in this process for ``workers=1`` or a single job)."""
    runner: Runner = SerialRunner() if len(jobs) == 1 else make_runner(workers)
    try:
        return runner.run(jobs, None if on_done is None else (lambda _i, row: on_done(row)))
    finally:
        runner.close()


def run_dask(jobs: list[SweepJob], address: Any, on_done: Callable[[Row], None] | None = None) -> list[Row]:
    """Run on a Dask distributed cluster (``address`` is a scheduler address or a cluster object)."""
    runner = DaskRunner(address)
    try:
        return runner.run(jobs, None if on_done is None else (lambda _i, row: on_done(row)))
    finally:
        runner.close()


METRICS = ("flaps_total", "downtime_s_total", "worst_plc_rate_mbps", "mean_plc_rate_mbps", "chargers_without_route",
           "worst_availability")


def aggregate(rows: list[Row], keys: list[str]) -> list[Row]:
    """Mean (and min/max) of the metrics over seeds, per parameter combination."""
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for combo, rs in groups.items():
        agg: Row = dict(zip(keys, combo, strict=True))
        agg["runs"] = len(rs)
        for m in METRICS:
            vals = [r[m] for r in rs if r.get(m) is not None]
            agg[m] = round(sum(vals) / len(vals), 2) if vals else None
            agg[m + "_min"] = min(vals) if vals else None
            agg[m + "_max"] = max(vals) if vals else None
        out.append(agg)
    return out


__all__ = ["ENGINE_ONLY_NODE_FIELDS", "ENGINE_ONLY_PARAMS", "DaskRunner", "PoolRunner", "Runner", "SerialRunner",
           "SweepJob", "aggregate", "build_jobs", "make_runner", "parse_vary", "physics_for", "physics_key",
           "run_dask", "run_job", "run_local", "share_physics", "tune_allocator"]
