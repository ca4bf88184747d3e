"""``plcstack`` command line.

Every module in this package that defines ``register(subparsers)`` contributes subcommands;
``register`` adds a parser and sets ``func`` (a callable taking the parsed namespace and
returning an exit code).

Optional dependencies (the extras of ``pyproject.toml``) are imported where they are used, inside
the command functions. When one is missing the command says which extra to install and exits with
status 2 (:data:`EXTRAS`), never with a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import Any

DESCRIPTION = """\
plcstack: HomePlug AV / AV2 / Green PHY protocol stack.

Decode and verify pcap/pcapng captures, derive and audit keys, emulate QCA-like modems on
real Linux interfaces, and simulate whole power-line sites (EV-charging installations).
Run `plcstack COMMAND --help` for the details and examples of each command.
"""


#: Top-level module of an optional dependency -> the extra that installs it.
EXTRAS = {"matplotlib": "plot", "rich": "rich", "scapy": "scapy", "construct": "construct", "dask": "dask",
          "distributed": "dask", "pyarrow": "arrow", "pandas": "arrow"}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra that provides the module ``exc`` could not import, None if it is none of ours."""
    return EXTRAS.get((exc.name or "").split(".")[0])


def _missing_extra_message(exc: ModuleNotFoundError, extra: str, command: str) -> str:
    return (f"plcstack: {command}needs {exc.name}, which is not installed: "
            f"pip install 'plcstack[{extra}]' (or 'plcstack[all]')")


def _unavailable(name: str, exc: ModuleNotFoundError, extra: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        print(_missing_extra_message(exc, extra, f"`{name}` "), file=sys.stderr)
        return 2

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plcstack", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from plcstack import __version__

    parser.add_argument("--version", action="version", version=f"plcstack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except ModuleNotFoundError as exc:  # a command module importing an extra at module level
            extra = missing_extra(exc)
            if extra is None:
                raise
            stub = subparsers.add_parser(info.name, help=f"(needs plcstack[{extra}])", add_help=False)
            stub.add_argument("rest", nargs=argparse.REMAINDER)
            stub.set_defaults(func=_unavailable(info.name, exc, extra))
            continue
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        print(_missing_extra_message(exc, extra, f"`{args.command}` " if args.command else ""), file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
