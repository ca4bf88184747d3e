"""Counts over a decoded capture (``plcstack decode --stats`` and the end-of-run line)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from plcstack.pcapio import linktype_name


@dataclass
class CaptureStats:
    """What a :class:`~plcstack.capture.CaptureDecoder` saw.

    ``homeplug`` counts every HomePlug frame (AV and 1.0); of these ``filtered`` were hidden by
    ``--type`` / ``--src`` / ``--dst`` / ``--filter`` and the rest are counted ``by_type`` (with
    ``(decode error)`` and ``(fragment)`` for malformed frames and held fragments).  ``cut``
    frames were shortened by the snaplen (not malformed); ``truncated`` frames end inside their
    layout on the wire.  ``incomplete`` reassemblies never received all their fragments.
    """

    packets: int = 0
    homeplug: int = 0
    non_homeplug: int = 0
    filtered: int = 0
    errors: int = 0
    truncated: int = 0
    cut: int = 0
    fcs_errors: int = 0
    fragments: int = 0
    reassembled: int = 0
    incomplete: int = 0
    mismatches: int = 0
    files: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    unsupported_linktypes: Counter[int] = field(default_factory=Counter)
    incomplete_details: list[dict[str, Any]] = field(default_factory=list)
    mismatch_details: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def shown(self) -> int:
        return self.homeplug - self.filtered

    def warnings(self) -> list[str]:
        """Things a user must know that are not errors in a frame (unsupported link types ...)."""
        out = [f"{n} packet(s) of unsupported link type {linktype_name(lt)} skipped"
               for lt, n in sorted(self.unsupported_linktypes.items())]
        if self.incomplete:
            out.append(f"{self.incomplete} fragmented message(s) never completed")
        if self.fcs_errors:
            out.append(f"{self.fcs_errors} frame(s) with a bad FCS")
        return out

    def as_dict(self) -> dict[str, Any]:
        rate = self.homeplug / self.elapsed_s if self.elapsed_s > 0 else None
        return {
            "packets": self.packets, "homeplug_frames": self.homeplug, "shown": self.shown,
            "filtered": self.filtered, "non_homeplug_skipped": self.non_homeplug,
            "unsupported_linktypes": {str(k): v for k, v in sorted(self.unsupported_linktypes.items())},
            "decode_errors": self.errors, "truncated": self.truncated, "cut_by_snaplen": self.cut,
            "fcs_errors": self.fcs_errors, "fragments": self.fragments, "reassembled": self.reassembled,
            "incomplete_reassemblies": self.incomplete, "incomplete": self.incomplete_details[:100],
            "verify_mismatches": self.mismatches, "by_type": dict(sorted(self.by_type.items())),
            "files": self.files, "elapsed_s": round(self.elapsed_s, 4),
            "frames_per_s": round(rate) if rate else None,
        }

    def summary_line(self) -> str:
        """The one line printed at the end of a run (to stderr)."""
        parts = [f"{self.homeplug} HomePlug frames"]
        if self.filtered:
            parts.append(f"{self.shown} shown, {self.filtered} filtered")
        parts.append(f"{self.non_homeplug} other packets skipped")
        parts.append(f"{self.errors} decode errors")
        if self.cut:
            parts.append(f"{self.cut} cut by snaplen")
        if self.fragments:
            parts.append(f"{self.reassembled} reassembled, {self.incomplete} incomplete")
        return "# " + ", ".join(parts)
