"""The emulate / replay command lines (plcstack.cli.emulate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plcstack.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "emu").glob("*.toml"))




def test_help_teaches_with_examples(capsys):
    parser = build_parser()
    for cmd in ("emulate", "replay"):
        with pytest.raises(SystemExit):
            parser.parse_args([cmd, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"plcstack {cmd}" in text


def test_emulate_needs_a_config_or_an_interface(capsys):
    with pytest.raises(SystemExit):
        main(["emulate"])
    assert main(["emulate", "--config", "/nonexistent/net.toml"]) == 2
    assert "nonexistent" in capsys.readouterr().err
