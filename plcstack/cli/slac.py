"""``plcstack slac``: ISO 15118-3 SLAC as EVSE or PEV, the crosstalk bench, and SLAC sessions of captures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """\
ISO 15118-3 SLAC (signal level attenuation characterization): how an EV finds the charger it is
plugged into and joins its HomePlug Green PHY network.

  plcstack slac evse -i IFACE [--password PW | --nmk HEX] [--json]
      be the charger (SECC): set a fresh random NMK (or the given one) on the local modem, answer the
      EV's CM_SLAC_PARM, average the modem's CM_ATTEN_PROFILE.IND into CM_ATTEN_CHAR.IND, hand over
      the NMK in CM_SLAC_MATCH.CNF and wait until the EV's modem is in our AVLN.
  plcstack slac pev -i IFACE [--json]
      be the EV (EVCC): sound, choose the charger with the lowest attenuation, match and join.
  plcstack slac crosstalk SITE.toml [--ev-per-charger] [--runs N] [--threshold-db X] [--json]
      every EV of a site matching at once over the emulated power line: how often an EV picks the
      wrong charger, how close the attenuation margins are, and what the threshold changes.
  plcstack slac CAPTURE [--json]   (CAPTURE may be - for standard input)
      the SLAC sessions of a pcap/pcapng file, by RunID: MACs, result, every step's time against
      the ISO 15118-3 timers, retries, sounds, the attenuation profile, timer violations.

evse and pev exit 0 when matched (and in one AVLN), 1 when not, 2 on usage errors.  IFACE is the
host side of a PLC modem (a real QCA7000/7420 or a veth of `plcstack emulate`); needs root.
Timers are the standard's (docs/slac.md); change one with --timer NAME=VALUE (repeatable).

examples:
  plcstack slac evse -i eth1 --password 'my charger key'
  plcstack slac pev -i eth1 --json | jq .time_to_match_s
  plcstack slac crosstalk sites/garage-row.toml --ev-per-charger --runs 5
  plcstack slac capture.pcapng --json | jq -c '{run_id, result}'
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("slac", help="ISO 15118-3 SLAC: EVSE, PEV, crosstalk bench, capture sessions",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", metavar="evse|pev|crosstalk|CAPTURE", help="what to do (see above)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="options of that mode (--help after the mode)")
    p.set_defaults(func=run)


def _fail(msg: str) -> int:
    print(f"plcstack slac: {msg}", file=sys.stderr)
    return 2


class _Parser(argparse.ArgumentParser):
    """Errors are a message and exit 2 (argparse's own behaviour, without the usage block)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-i", "--iface", required=True, help="host interface of the local PLC modem")
    p.add_argument("--json", action="store_true", help="one JSON object with steps, times, peer, profile, result")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds")
    p.add_argument("--timer", action="append", default=[], metavar="NAME=VALUE",
                   help="override an ISO 15118-3 timer or counter, e.g. TT_EVSE_SLAC_init=20")
    p.add_argument("--seed", type=int, default=None, help="seed the random NMK/RunID (tests; default: os.urandom)")
    p.add_argument("-v", "--verbose", action="store_true", help="print each event as it happens (stderr)")


def run(args: argparse.Namespace) -> int:
    mode, rest = args.what, list(args.args)
    if mode in ("evse", "pev"):
        return _run_host(mode, rest)
    if mode == "crosstalk":
        from plcstack.cli.slac_crosstalk import run_crosstalk

        return run_crosstalk(rest)
    return _run_capture(mode, rest)


def _hex(text: str, size: int, what: str) -> bytes:
    from plcstack.keys.derive import parse_hex

    return parse_hex(text, size, what)


def _id17(text: str | None, what: str) -> bytes:
    if not text:
        return bytes(17)
    raw = text.encode("ascii", "replace")
    if len(raw) > 17:
        raise ValueError(f"{what} has at most 17 characters")
    return raw.ljust(17, b"\0")


def _run_host(mode: str, rest: list[str]) -> int:
    import random

    from plcstack.keys.errors import KeysError
    from plcstack.slac.timers import DEFAULT_TIMERS

    p = _Parser(prog=f"plcstack slac {mode}", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="be the charger (SECC)" if mode == "evse" else "be the EV (EVCC)")
    _common(p)
    if mode == "evse":
        g = p.add_mutually_exclusive_group()
        g.add_argument("--password", help="derive the NMK from this network password (default: random NMK)")
        g.add_argument("--nmk", help="use this NMK (32 hex digits)")
        p.add_argument("--evse-id", help="EVSE ID (up to 17 ASCII characters)")
        p.add_argument("--amp-map", metavar="HEX", help="send this amplitude map (CM_AMP_MAP.REQ) after the join")
        p.add_argument("--no-validation", action="store_true", help="answer CM_VALIDATE with 'not required'")
    else:
        p.add_argument("--threshold-db", type=float, default=None, help="highest acceptable average attenuation")
        p.add_argument("--min-margin-db", type=float, default=0.0,
                       help="the runner-up must be this much worse, else the choice is ambiguous")
        p.add_argument("--validate", action="store_true", help="CM_VALIDATE (control-pilot toggles) before matching")
        p.add_argument("--pev-id", help="PEV ID / VIN (up to 17 ASCII characters)")
        p.add_argument("--keep-key", action="store_true", help="do not set a private NMK before matching")
    a = p.parse_args(rest)
    try:
        timers = DEFAULT_TIMERS.parse_overrides(a.timer)
        rng = random.Random(a.seed) if a.seed is not None else None
        if mode == "evse":
            from plcstack.keys.derive import nmk_from_password
            from plcstack.slac.evse import EvseConfig, EvseMachine

            nmk = _hex(a.nmk, 16, "NMK") if a.nmk else (nmk_from_password(a.password) if a.password else None)
            cfg_e = EvseConfig(mac=bytes(6), evse_id=_id17(a.evse_id, "--evse-id"), nmk=nmk, timers=timers,
                               validation=not a.no_validation,
                               amp_map=bytes.fromhex(a.amp_map) if a.amp_map else None)
            default_timeout = (timers.TT_EVSE_SLAC_init + timers.T_step_EF) * (1 + timers.C_sequ_retry) \
                + timers.TT_EVSE_match_session + timers.TT_match_join + 5
        else:
            from plcstack.slac.decision import DEFAULT_THRESHOLD_DB, DecisionPolicy
            from plcstack.slac.pev import PevConfig

            policy = DecisionPolicy(threshold_db=DEFAULT_THRESHOLD_DB if a.threshold_db is None else a.threshold_db,
                                    min_margin_db=a.min_margin_db, validate_ambiguous=a.validate)
            cfg_p = PevConfig(mac=bytes(6), pev_id=_id17(a.pev_id, "--pev-id"), timers=timers, policy=policy,
                              leave_network=not a.keep_key, validate=a.validate)
            default_timeout = timers.TT_matching_repetition + timers.TT_match_join + 5
    except (ValueError, KeyError, KeysError) as exc:
        return _fail(str(exc).strip("'\""))
    from plcstack.slac.rawsock import InterfaceError, RawInterface, run_machine
    from plcstack.slac.report import format_report, session_report

    try:
        iface = RawInterface(a.iface)
    except InterfaceError as exc:
        return _fail(str(exc))
    with iface:
        machine: Any
        if mode == "evse":
            from plcstack.slac.evse import EvseMachine

            cfg_e.mac = iface.mac
            machine = EvseMachine(cfg_e, rng=rng)
        else:
            from plcstack.slac.pev import PevMachine

            cfg_p.mac = iface.mac
            machine = PevMachine(cfg_p, rng=rng)
        outside = timers.outside_standard()
        if outside and not a.json:
            print("note: outside the ISO 15118-3 range: " + ", ".join(f"{s.name}={s.value:g}" for s in outside),
                  file=sys.stderr)

        def say(e: Any) -> None:
            if a.verbose:
                print(f"[{e.t - (machine.started_at or e.t):8.3f}] {e}", file=sys.stderr, flush=True)

        trace = run_machine(machine, iface, timeout_s=a.timeout or default_timeout, on_event=say)
    rep = session_report(mode.upper(), iface.mac, trace, machine.started_at)
    rep["iface"] = a.iface
    if a.json:
        print(json.dumps(rep))
    else:
        print(format_report(rep))
    return 0 if rep["result"] == "matched" else 1


def _run_capture(path: str, rest: list[str]) -> int:
    p = _Parser(prog="plcstack slac CAPTURE", description="SLAC sessions of a capture, checked against the timers")
    p.add_argument("--json", action="store_true", help="JSON Lines: one object per session")
    p.add_argument("--timer", action="append", default=[], metavar="NAME=VALUE",
                   help="check against a changed timer value")
    a = p.parse_args(rest)
    if path.startswith("-") and path != "-":
        return _fail(f"unknown mode {path!r}: use evse, pev, crosstalk or a capture file (plcstack slac --help)")
    if path != "-" and not Path(path).exists():
        hint = "" if "." in Path(path).name else " (modes: evse, pev, crosstalk)"
        return _fail(f"{path}: no such capture file{hint}")
    if Path(path).is_dir():
        return _fail(f"{path} is a directory, not a capture file")
    from plcstack.slac.session import analyse_capture_partial, format_sessions
    from plcstack.slac.timers import DEFAULT_TIMERS

    try:
        timers = DEFAULT_TIMERS.parse_overrides(a.timer)
    except (ValueError, KeyError) as exc:
        return _fail(str(exc).strip("'\""))
    sessions, error = analyse_capture_partial(path, timers)
    if a.json:
        for s in sessions:
            print(json.dumps(s))
    elif sessions or error is None:
        print(format_sessions(sessions, path))
    if error is not None:
        return _fail(f"{path}: {error}" + (f" (the {len(sessions)} session(s) before it are shown)" if sessions else ""))
    return 0
