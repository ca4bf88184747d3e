"""A bytes holder that does not show its value.

``repr()``, ``str()``, f-strings, logging and tracebacks only ever show ``Secret(<redacted, 16 bytes>)``.
The value is read with :meth:`Secret.reveal` (bytes) or :meth:`Secret.reveal_hex` -- an explicit request.
"""

from __future__ import annotations

import hmac


class Secret:
    __slots__ = ("_value",)
    _value: bytes  # set once in __init__ (object.__setattr__: the class refuses assignment)

    def __init__(self, value: bytes | bytearray | memoryview | Secret) -> None:
        if isinstance(value, Secret):
            value = value._value
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"Secret wants bytes, got {type(value).__name__}")
        object.__setattr__(self, "_value", bytes(value))

    def reveal(self) -> bytes:
        return self._value

    def reveal_hex(self) -> str:
        """Upper-case hex without separators, as ``hpavkey`` prints keys."""
        return self._value.hex().upper()

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            other = other._value
        if not isinstance(other, bytes | bytearray):
            return NotImplemented
        return hmac.compare_digest(self._value, bytes(other))

    def __hash__(self) -> int:
        return hash(self._value)  # consistent with == on bytes

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret(<redacted, {len(self._value)} bytes>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> tuple[type[Secret], tuple[bytes]]:
        return (Secret, (self._value,))


KeyLike = bytes | bytearray | memoryview | Secret


def reveal(key: KeyLike) -> bytes:
    """The raw bytes of a key given as bytes or :class:`Secret`."""
    return key.reveal() if isinstance(key, Secret) else bytes(key)
