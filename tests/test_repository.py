"""The repository carries itself: the package cites only what is in it, and files stay readable."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plcstack"
MAX_LINES = 620  # the house rule is "no file over ~600 lines"

# notes that live outside the repository (the project's reference folder) and tracker numbers
OUTSIDE = re.compile(r"\.\./shared|shared/reference|simulator\.md|field-data\.md|\bissue \d+\b", re.IGNORECASE)


def _sources(*dirs: Path, pattern: str = "*.py") -> list[Path]:
    return sorted(p for d in dirs for p in d.rglob(pattern) if ".venv" not in p.parts)


def test_the_package_and_sites_cite_nothing_outside_the_repository() -> None:
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in [*_sources(PACKAGE), *_sources(ROOT / "sites", pattern="*.toml"), *_sources(ROOT / "docs", pattern="*.md")]
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if OUTSIDE.search(line)]
    assert not found, "\n".join(found)


def test_no_source_file_is_over_600_lines() -> None:
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _sources(PACKAGE, ROOT / "tools", ROOT / "tests")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def test_docs_cited_by_the_code_exist() -> None:
    cited = {m for p in _sources(PACKAGE) for m in re.findall(r"docs/([\w.-]+\.md)", p.read_text(encoding="utf-8"))}
    assert len(cited) > 5  # the package does cite its docs
    missing = sorted(c for c in cited if not (ROOT / "docs" / c).exists())
    assert not missing, missing
