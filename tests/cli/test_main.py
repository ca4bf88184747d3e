"""plcstack.cli: subcommands found by module, and a missing extra named instead of a traceback."""

from __future__ import annotations

import argparse

import pytest

import plcstack.cli as cli
import plcstack.cli.messages as messages_cli


def test_every_command_is_registered() -> None:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"decode", "demo", "keys", "messages", "simulate"} <= set(sub.choices)


def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def needs_matplotlib(args: argparse.Namespace) -> int:
        raise ModuleNotFoundError("No module named 'matplotlib.pyplot'", name="matplotlib.pyplot")

    monkeypatch.setattr(messages_cli, "run", needs_matplotlib)  # register() reads it when main() builds the parser
    assert cli.main(["messages"]) == 2
    err = capsys.readouterr().err
    assert "`messages` needs matplotlib.pyplot" in err and "pip install 'plcstack[plot]'" in err


def test_other_import_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise ModuleNotFoundError("No module named 'plcstack.nothing'", name="plcstack.nothing")

    monkeypatch.setattr(messages_cli, "run", broken)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["messages"])


def test_extras_map() -> None:
    assert cli.missing_extra(ModuleNotFoundError(name="rich.progress")) == "rich"
    assert cli.missing_extra(ModuleNotFoundError(name="distributed")) == "dask"
    assert cli.missing_extra(ModuleNotFoundError(name="numpy")) is None
