"""HomePlug AV password rules and a weak-password check.

The rule is the one open-plc-utils ``hpavkey -e`` enforces (key/HPAVKey.h HPAVKEY_PHRASE_MIN/MAX and
hpavkey.c): 12 to 64 characters, each printable ASCII 0x20..0x7E. Derivation itself accepts any bytes.

A network password is also only as strong as its guessability: the NID, broadcast in every beacon and
disclosed by CM_GET_KEY, is a function of the password alone, so anyone in range can test guesses
offline (``plcstack keys audit``). :func:`check_password` flags factory defaults, dictionary words and
low-entropy patterns. Reports never contain the password.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from plcstack.keys.errors import PolicyError

MIN_LENGTH = 12
MAX_LENGTH = 64
#: Below this many estimated bits a password is reported weak.
WEAK_BITS = 50.0

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "azertyuiop",
)


class Finding(Enum):
    TOO_SHORT = "too-short"
    TOO_LONG = "too-long"
    ILLEGAL_CHARACTERS = "illegal-characters"
    FACTORY_DEFAULT = "factory-default"
    DICTIONARY_WORD = "dictionary-word"
    LOW_ENTROPY = "low-entropy"


_SEVERE = {Finding.FACTORY_DEFAULT, Finding.DICTIONARY_WORD}


@dataclass(frozen=True)
class PasswordReport:
    """Outcome of :func:`check_password`. ``messages`` explain each finding without quoting the password."""

    length: int
    in_policy: bool  # hpavkey -e would accept it
    findings: tuple[Finding, ...]
    messages: tuple[str, ...]
    estimated_bits: float

    @property
    def default(self) -> bool:
        return Finding.FACTORY_DEFAULT in self.findings

    @property
    def weak(self) -> bool:
        return bool(_SEVERE & set(self.findings)) or Finding.LOW_ENTROPY in self.findings

    @property
    def ok(self) -> bool:
        return not self.findings


def _as_bytes(password: bytes | str) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def policy_violations(password: bytes | str) -> list[tuple[Finding, str]]:
    """The HomePlug rule violations, in the order ``hpavkey -e`` tests them (characters, then length)."""
    raw = _as_bytes(password)
    out: list[tuple[Finding, str]] = []
    bad = [i for i, b in enumerate(raw) if not 0x20 <= b <= 0x7E]
    if bad:
        out.append(
            (
                Finding.ILLEGAL_CHARACTERS,
                f"contains {len(bad)} byte(s) outside printable ASCII 0x20..0x7E (first at offset {bad[0]})",
            )
        )
    if len(raw) < MIN_LENGTH:
        out.append((Finding.TOO_SHORT, f"{len(raw)} characters, HomePlug AV needs at least {MIN_LENGTH}"))
    if len(raw) > MAX_LENGTH:
        out.append((Finding.TOO_LONG, f"{len(raw)} characters, HomePlug AV allows at most {MAX_LENGTH}"))
    return out


def enforce_policy(password: bytes | str) -> bytes:
    """Return the password bytes, or raise :class:`PolicyError` like ``hpavkey -e`` refuses it."""
    violations = policy_violations(password)
    if violations:
        raise PolicyError("password " + "; ".join(message for _, message in violations))
    return _as_bytes(password)


def estimate_bits(password: bytes) -> float:
    """Crude guess-entropy estimate: pool size from character classes, discounted for repeats and runs."""
    if not password:
        return 0.0
    text = password.decode("latin-1")
    pool = 0
    pool += 26 if any(c.islower() and c.isascii() for c in text) else 0
    pool += 26 if any(c.isupper() and c.isascii() for c in text) else 0
    pool += 10 if any(c.isdigit() and c.isascii() for c in text) else 0
    pool += 33 if any(not c.isalnum() and c.isascii() for c in text) else 0
    pool += 128 if any(not c.isascii() for c in text) else 0
    # count characters that continue a run (aaa, abc, 123, qwe) as nearly free
    effective = 1.0
    lowered = text.lower()
    for i in range(1, len(text)):
        prev, cur = lowered[i - 1], lowered[i]
        pair = prev + cur
        in_run = cur == prev or any(pair in s or pair in s[::-1] for s in _SEQUENCES)
        effective += 0.25 if in_run else 1.0
    distinct = len(set(text))
    effective = min(effective, distinct * 2.0)
    return effective * math.log2(max(pool, 2))


def _dictionary_hit(raw: bytes) -> str | None:
    from plcstack.keys.wordlist import DEFAULT_PASSWORDS, DEFAULT_WORDLIST

    words = {w.lower() for w in DEFAULT_WORDLIST if len(w) >= 4}
    text = raw.decode("latin-1").lower()
    if text in words:
        return "is in the built-in dictionary of common PLC passwords"
    stripped = text.rstrip("0123456789!@#$%^&*?._- ").lstrip("0123456789!@#$%^&*?._- ")
    if stripped in words or stripped in {d.lower() for d in DEFAULT_PASSWORDS}:
        return "is a common password with digits or symbols added"
    return None


def check_password(password: bytes | str) -> PasswordReport:
    """Check a network or device password against the HomePlug rules and common-password patterns."""
    from plcstack.keys.wordlist import DEFAULT_PASSWORDS

    raw = _as_bytes(password)
    found = policy_violations(raw)
    in_policy = not found
    text = raw.decode("latin-1")
    if text in DEFAULT_PASSWORDS:
        found.append((Finding.FACTORY_DEFAULT, f"is a factory default: {DEFAULT_PASSWORDS[text]}"))
    else:
        hit = _dictionary_hit(raw)
        if hit:
            found.append((Finding.DICTIONARY_WORD, hit))
    bits = estimate_bits(raw)
    if bits < WEAK_BITS and not any(f in _SEVERE for f, _ in found):
        found.append(
            (Finding.LOW_ENTROPY, f"about {bits:.0f} bits of guess entropy (want >= {WEAK_BITS:.0f}); "
             "the NID lets anyone in range test guesses offline")
        )
    return PasswordReport(
        length=len(raw),
        in_policy=in_policy,
        findings=tuple(f for f, _ in found),
        messages=tuple(m for _, m in found),
        estimated_bits=bits,
    )
