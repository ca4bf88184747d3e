"""Randomness of the key manager, passed in by the caller (sans-I/O).

Everything in :mod:`plcstack.keys` that needs random bytes -- nonces, PRNs, IVs, random filler and
padding of CM_ENCRYPTED_PAYLOAD -- takes a ``random_bytes`` callable: ``random_bytes(n)`` returns
``n`` bytes. The core never picks a source itself, so a seeded emulator or SLAC stack gets the same
frames for the same seed, and a test can replay a published vector byte for byte.

* :data:`system_random_bytes` (``secrets.token_bytes``, also exported as
  ``plcstack.keys.random_bytes``) is the adapter real stations, the CLI and the key store pass;
* ``random.Random(seed).randbytes`` is the seeded source of the emulator and the tests.

Integers are built from bytes so any source works, and exactly uniform: a filler length 0..15 is
one byte's low nibble, a PRN 0..0xFFFF two bytes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

#: ``random_bytes(n) -> n bytes``.
RandomBytes = Callable[[int], bytes]

#: The operating system's CSPRNG: what the CLI, the key store and real stations pass.
system_random_bytes: RandomBytes = secrets.token_bytes


def random_u16(random_bytes: RandomBytes) -> int:
    """A uniform integer 0..0xFFFF from two random bytes."""
    return int.from_bytes(_take(random_bytes, 2), "little")


def random_nibble(random_bytes: RandomBytes) -> int:
    """A uniform integer 0..15 from one random byte."""
    return _take(random_bytes, 1)[0] & 0x0F


def random_nonzero(random_bytes: RandomBytes, n: int) -> bytes:
    """``n`` random bytes that are not all zero (a zero nonce means "none" in CM_SET_KEY / CM_GET_KEY)."""
    while True:
        value = _take(random_bytes, n)
        if any(value):
            return value


def _take(random_bytes: RandomBytes, n: int) -> bytes:
    value = bytes(random_bytes(n))
    if len(value) != n:
        raise ValueError(f"random_bytes({n}) returned {len(value)} bytes")
    return value
