"""``plcstack`` command line.

Every module in this package that defines ``register(subparsers)`` contributes subcommands;
``register`` adds a parser and sets ``func`` (a callable taking the parsed namespace and
returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

DESCRIPTION = """\
plcstack: HomePlug AV / AV2 / Green PHY protocol stack.

Decode and verify pcap/pcapng captures, derive and audit keys, emulate QCA-like modems on
real Linux interfaces, and simulate whole power-line sites (EV-charging installations).
Run `plcstack COMMAND --help` for the details and examples of each command.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plcstack", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from plcstack import __version__

    parser.add_argument("--version", action="version", version=f"plcstack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
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
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
