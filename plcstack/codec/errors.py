"""Typed codec errors."""

from __future__ import annotations

from typing import Any, NamedTuple


class PartialHeader(NamedTuple):
    """The header fields a decoder had read when it found a fault (None: not reached).

    ``vlan_tags`` are :class:`plcstack.codec.frame.VlanTag` values.  For a bad MMV the MMTYPE is the
    two octets after it (every defined header version puts MMTYPE there); ``fmi`` and ``oui`` are
    known only when the fault lies after them.
    """

    dst: bytes | None = None
    src: bytes | None = None
    vlan_tags: tuple[Any, ...] = ()
    ethertype: int | None = None
    mmv: int | None = None
    mmtype: int | None = None
    fmi: int | None = None
    oui: bytes | None = None


class DecodeError(ValueError):
    """Bytes that cannot be decoded as a HomePlug frame.

    ``field`` names the header or message field at fault (``"mmv"``, ``"oui"``, ``"mmtype"``,
    ``"ethertype"``, ``"length"`` ...), ``offset`` the byte offset in the frame where the problem
    was found, and ``frame_index`` the 1-based frame number in a capture when known.  ``header`` holds
    the header fields read before the fault (:class:`PartialHeader`; None when the decoder gave none),
    so a report on a corrupted frame can still show its addresses, VLAN tags, MMV and MMTYPE.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        offset: int | None = None,
        frame_index: int | None = None,
        header: PartialHeader | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = message
        self.field = field
        self.offset = offset
        self.frame_index = frame_index
        self.header = header

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
