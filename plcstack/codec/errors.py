"""Typed codec errors."""

from __future__ import annotations


class DecodeError(ValueError):
    """Bytes that cannot be decoded as a HomePlug frame.

    ``field`` names the header or message field at fault (``"mmv"``, ``"oui"``, ``"mmtype"``,
    ``"ethertype"``, ``"length"`` ...), ``offset`` the byte offset in the frame where the problem
    was found, and ``frame_index`` the 1-based frame number in a capture when known.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        offset: int | None = None,
        frame_index: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = message
        self.field = field
        self.offset = offset
        self.frame_index = frame_index

    def with_frame(self, frame_index: int) -> DecodeError:
        self.frame_index = frame_index
        return self

    def __str__(self) -> str:
        where = []
        if self.frame_index is not None:
            where.append(f"frame {self.frame_index}")
        if self.field is not None:
            where.append(f"field {self.field}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class EncodeError(ValueError):
    """A message that cannot be encoded (a value out of range, a wrong field size)."""


class ReassemblyError(ValueError):
    """Fragments that do not form a message (inconsistent, duplicated or over the bounds)."""
