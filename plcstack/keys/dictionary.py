"""Recover the password behind a NID by dictionary search (no decryption needed).

NID = f(NMK(NPW)) (:mod:`plcstack.keys.derive`): 1000 SHA-256 rounds for the NMK, 5 more for the NID,
so every candidate costs ~1005 hashes. The inner loop calls the builtin SHA-256 directly and compares
the 52 level-independent NID bits against all target NIDs at once; candidates are spread over all
cores with :mod:`multiprocessing` in chunks. Measured ~3,700 passwords/s per core (Python 3.11).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice, repeat

from plcstack.keys.derive import NMK_SALT, _fast_sha256, nid_without_level, nmk_from_password
from plcstack.keys.secret import Secret


@dataclass(frozen=True)
class Recovered:
    """A password whose NMK gives ``nid`` (at the security level the NID carries)."""

    nid: bytes
    password: bytes
    security_level: int

    @property
    def nmk(self) -> Secret:
        return Secret(nmk_from_password(self.password))

    def __repr__(self) -> str:  # the password is key material too
        return f"Recovered(nid={self.nid.hex().upper()}, password=<redacted>, level={self.security_level})"


@dataclass
class SearchResult:
    found: list[Recovered] = field(default_factory=list)
    tried: int = 0
    seconds: float = 0.0
    processes: int = 1

    @property
    def rate(self) -> float:
        """Passwords per second (all processes)."""
        return self.tried / self.seconds if self.seconds > 0 else 0.0

    @property
    def rate_per_process(self) -> float:
        return self.rate / self.processes if self.processes else 0.0


def nid_cores_of(passwords: list[bytes], targets: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
    """(password, 52-bit NID core) for each password whose NID core is in ``targets``: the hot loop."""
    h = _fast_sha256
    salt = NMK_SALT
    hits: list[tuple[bytes, bytes]] = []
    for password in passwords:
        d = h(password + salt).digest()
        for _ in repeat(None, 999):
            d = h(d).digest()
        d = h(d[:16]).digest()
        for _ in repeat(None, 4):
            d = h(d).digest()
        core = d[:6] + bytes((d[6] >> 4,))
        if core in targets:
            hits.append((password, core))
    return hits


_WORKER_TARGETS: frozenset[bytes] = frozenset()


def _init_worker(targets: frozenset[bytes]) -> None:
    global _WORKER_TARGETS
    _WORKER_TARGETS = targets


def _work(chunk: list[bytes]) -> tuple[int, list[tuple[bytes, bytes]]]:
    return len(chunk), nid_cores_of(chunk, _WORKER_TARGETS)


def _chunks(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def read_wordlist(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Candidates from a file, one per line (any bytes; only the line break is removed; blank lines skipped)."""
    with open(path, "rb") as f:
        for line in f:
            word = line.rstrip(b"\r\n")
            if word:
                yield word


def search(
    nids: Iterable[bytes],
    candidates: Iterable[bytes | str],
    *,
    processes: int | None = None,
    chunk_size: int = 256,
    progress: Callable[[int], None] | None = None,
    stop_when_all_found: bool = True,
) -> SearchResult:
    """Try every candidate password against every NID; ``progress(tried)`` is called after each chunk.

    ``processes`` defaults to the number of CPUs (1 means in-process, no pool).
    """
    wanted = {nid_without_level(n): n for n in nids}
    targets = frozenset(wanted)
    encoded = (c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in candidates)
    procs = max(1, processes if processes is not None else (os.cpu_count() or 1))
    result = SearchResult(processes=procs)
    remaining = set(targets)
    seen_passwords: set[tuple[bytes, bytes]] = set()
    start = time.perf_counter()

    def collect(count: int, hits: list[tuple[bytes, bytes]]) -> None:
        result.tried += count
        for password, core in hits:
            if (password, core) in seen_passwords:
                continue
            seen_passwords.add((password, core))
            remaining.discard(core)
            nid = wanted[core]
            result.found.append(Recovered(nid, password, (nid[6] >> 4) & 3))
        if progress is not None:
            progress(result.tried)

    if not targets:
        return result
    if procs == 1:
        for chunk in _chunks(encoded, chunk_size):
            collect(len(chunk), nid_cores_of(chunk, targets))
            if stop_when_all_found and not remaining:
                break
    else:
        import multiprocessing

        with multiprocessing.get_context().Pool(procs, _init_worker, (targets,)) as pool:
            for count, hits in pool.imap_unordered(_work, _chunks(encoded, chunk_size)):
                collect(count, hits)
                if stop_when_all_found and not remaining:
                    pool.terminate()
                    break
    result.seconds = time.perf_counter() - start
    return result
