"""The simulator's outputs as files: ``summary.json``, the PNG plots and ``report.html``.

Everything here writes; the contents are built by pure functions elsewhere --
:mod:`.summary` (``summary.json``), :mod:`.advice` (the plan), :mod:`.plots` (PNG bytes) and
:mod:`.html` (the page).  Those names are re-exported for scripts that used this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .advice import advise, plan
from .engine import SimResult
from .html import render_html
from .plots import render_plots
from .summary import avlns_in_range, charger_rows, key_metrics, node_summaries, summary


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_summary(data: dict[str, Any], out_dir: Path) -> Path:
    text = json.dumps(data, indent=2, default=float) + "\n"
    return _write(out_dir / "summary.json", text.encode("utf-8"))


def write_images(images: dict[str, bytes], out_dir: Path) -> list[Path]:
    return [_write(out_dir / name, png) for name, png in images.items()]


def write_plots(result: SimResult, out_dir: Path, advice: list[dict[str, Any]] | None = None) -> list[Path]:
    """Render and write every plot of ``result``; returns the paths."""
    return write_images(render_plots(result, advice), out_dir)


def write_report_html(data: dict[str, Any], images: dict[str, bytes], out_dir: Path) -> Path:
    return _write(out_dir / "report.html", render_html(data, images).encode("utf-8"))


summary_table_rows = charger_rows  # the name earlier scripts used

__all__ = ["advise", "avlns_in_range", "charger_rows", "key_metrics", "node_summaries", "plan", "render_html",
           "render_plots", "summary", "summary_table_rows", "write_images", "write_plots", "write_report_html",
           "write_summary"]
