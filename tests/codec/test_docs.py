"""The committed ``docs/messages.md`` is the one the declarations generate (regenerate when it fails)."""

from __future__ import annotations

from pathlib import Path

from plcstack.codec.docs import all_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "messages.md"


def test_committed_messages_md_is_current():
    expected = all_markdown() + "\n"
    committed = DOC.read_text(encoding="utf-8")
    assert committed == expected, (
        "docs/messages.md is stale: regenerate it with `plcstack messages --markdown > docs/messages.md`")


def test_staleness_check_can_fail():
    assert all_markdown().replace("CM_SLAC_PARM.REQ", "CM_SLAC_PARAM.REQ") + "\n" != DOC.read_text(encoding="utf-8")
