"""``plcstack messages``: list the declared messages and their fields."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "messages", help="list the HomePlug messages plcstack decodes, with their fields",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  plcstack messages\n  plcstack messages CM_SLAC_MATCH.CNF\n"
               "  plcstack messages --markdown > docs/messages.md\n")
    p.add_argument("name", nargs="?", help="one message (CM_SLAC_PARM.REQ or CM_SLAC_PARM_REQ)")
    p.add_argument("--markdown", action="store_true", help="full field tables in Markdown")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from plcstack.codec.docs import all_markdown, message_markdown
    from plcstack.codec.registry import all_definitions, by_name

    if args.name:
        d = by_name(args.name)
        if d is None:
            print(f"plcstack messages: unknown message {args.name!r} (plcstack messages lists them)", file=sys.stderr)
            return 2
        print(message_markdown(d))
        return 0
    if args.markdown:
        print(all_markdown())
        return 0
    for d in sorted(all_definitions(), key=lambda d: (d.mmtype, d.mmv or 0)):
        mmv = "" if d.mmv is None else f" (MMV {d.mmv})"
        print(f"0x{d.mmtype:04X}  {d.name:40} {len(d.fields):3d} fields{mmv}")
    return 0
