"""Run a dictionary search on all cores and time it: the process/clock adapter of :mod:`~plcstack.keys.dictionary`.

Chunks of candidates go to a :mod:`multiprocessing` pool (the targets are sent once, to each worker
at start-up); with one process the chunks are checked in this process. The clock is a parameter
(``time.perf_counter`` by default) so the reported rate is measured where the caller wants it.
Measured ~3,500 passwords/s per core (Python 3.11; ``tools/keys_measure.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from plcstack.keys.dictionary import NidSearch, SearchResult, as_candidates, chunked, nid_cores_of

_WORKER_TARGETS: frozenset[bytes] = frozenset()


def _init_worker(targets: frozenset[bytes]) -> None:
    global _WORKER_TARGETS
    _WORKER_TARGETS = targets


def _work(chunk: list[bytes]) -> tuple[int, list[tuple[bytes, bytes]]]:
    return len(chunk), nid_cores_of(chunk, _WORKER_TARGETS)


def search(
    nids: Iterable[bytes],
    candidates: Iterable[bytes | str],
    *,
    processes: int | None = None,
    chunk_size: int = 256,
    progress: Callable[[int], None] | None = None,
    stop_when_all_found: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> SearchResult:
    """Try every candidate password against every NID; ``progress(tried)`` is called after each chunk.

    ``processes`` defaults to the number of CPUs (1 means in-process, no pool). ``result.seconds`` is
    the time the search took by ``clock``.
    """
    procs = max(1, processes if processes is not None else (os.cpu_count() or 1))
    state = NidSearch(nids, processes=procs)
    if not state.targets:
        return state.result
    chunks = chunked(as_candidates(candidates), chunk_size)
    start = clock()
    if procs == 1:
        for chunk in chunks:
            state.check(chunk)
            if progress is not None:
                progress(state.result.tried)
            if stop_when_all_found and state.done:
                break
    else:
        import multiprocessing

        with multiprocessing.get_context().Pool(procs, _init_worker, (state.targets,)) as pool:
            for count, hits in pool.imap_unordered(_work, chunks):
                state.add_hits(count, hits)
                if progress is not None:
                    progress(state.result.tried)
                if stop_when_all_found and state.done:
                    pool.terminate()
                    break
    state.result.seconds = clock() - start
    return state.result
