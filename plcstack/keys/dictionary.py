"""Recover the password behind a NID by dictionary search (no decryption needed): the pure core.

NID = f(NMK(NPW)) (:mod:`plcstack.keys.derive`, ``docs/keys.md``): 1000 SHA-256 rounds for the NMK,
5 more for the NID, so every candidate costs ~1005 hashes. :func:`nid_cores_of` is the hot loop: it
calls the builtin SHA-256 directly and compares the 52 level-independent NID bits against all target
NIDs at once. :class:`NidSearch` keeps the state of one search (targets, hits, candidates tried).

This module neither reads files nor starts processes nor reads a clock: candidates come from any
iterable (the CLI reads word lists), :func:`plcstack.keys.parallel.search` spreads the chunks over
worker processes and times the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
    """What a search found, how many candidates it tried, and (set by the runner) how long it took."""

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


def as_candidates(candidates: Iterable[bytes | str]) -> Iterator[bytes]:
    """Candidates as bytes (``str`` is UTF-8 encoded, as the NMK derivation hashes it)."""
    return (c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in candidates)


def chunked(items: Iterable[bytes], size: int) -> Iterator[list[bytes]]:
    """Lists of up to ``size`` consecutive items."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class NidSearch:
    """State of one search for the passwords of ``nids``: feed it chunks, or hits computed elsewhere."""

    def __init__(self, nids: Iterable[bytes], processes: int = 1) -> None:
        self._wanted = {nid_without_level(n): n for n in nids}
        self.targets = frozenset(self._wanted)
        self._remaining = set(self.targets)
        self._seen: set[tuple[bytes, bytes]] = set()
        self.result = SearchResult(processes=processes)

    @property
    def done(self) -> bool:
        """Every target NID has a password."""
        return not self._remaining

    def check(self, chunk: list[bytes]) -> None:
        """Try one chunk of candidates here, in this process."""
        self.add_hits(len(chunk), nid_cores_of(chunk, self.targets))

    def add_hits(self, tried: int, hits: list[tuple[bytes, bytes]]) -> None:
        """Record ``tried`` candidates and the hits :func:`nid_cores_of` found among them."""
        self.result.tried += tried
        for password, core in hits:
            if (password, core) in self._seen:
                continue
            self._seen.add((password, core))
            self._remaining.discard(core)
            nid = self._wanted[core]
            self.result.found.append(Recovered(nid, password, (nid[6] >> 4) & 3))
