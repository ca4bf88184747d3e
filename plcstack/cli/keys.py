"""``plcstack keys``: derive, check, audit and store HomePlug AV keys; decrypt CM_ENCRYPTED_PAYLOAD.

Only I/O lives here (arguments, files, terminal, progress bar); the work is :mod:`plcstack.keys`
(the audit report: :mod:`plcstack.keys.audit`). ``plcstack keys store`` is :mod:`plcstack.cli.keys_store`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plcstack.keys.dictionary import SearchResult
    from plcstack.keys.scan import CandidateKey

RAW = argparse.RawDescriptionHelpFormatter

KEYS_HELP = """\
HomePlug AV networks (AVLNs) are separated only by their network membership key (NMK): stations
with the same NMK form one network, named by its NID. The NMK comes from a network password (NPW),
each device's DAK from the device password (DPW) on its label, and the NID from the NMK and a
security level (0 = simple connect, 1 = secure). Derivation is bit-exact with open-plc-utils hpavkey.

examples:
  plcstack keys nmk HomePlugAV0123            B59319D7E8157BA001B018669CCEE30D  (= hpavkey -M)
  plcstack keys dak RMHT-ILPO-TYMN-IIXY       the DAK of a device password      (= hpavkey -D)
  plcstack keys nid B59319D7E8157BA001B018669CCEE30D --level 1
  plcstack keys check 'my network password'   policy (12..64 printable chars), defaults, weakness
  plcstack keys default-password 00:b0:52:12:34:56   MAC-derived default device password (= mac2pw -m)
  plcstack keys decrypt capture.pcapng        decrypt CM_ENCRYPTED_PAYLOADs with keys the capture leaks
  plcstack keys audit capture.pcapng          NIDs, clear-text keys, defaults, dictionary search
  plcstack keys store add-network home --password   key store (~/.config/plcstack/keys.json)
"""

PASSWORDS_EPILOG = """\
Prints one line of upper-case hex per password, exactly like open-plc-utils hpavkey. A password is
hashed as given (its UTF-8 bytes; any length, spaces included). Use '-' to read passwords from
standard input, one per line, so they stay out of shell history and the process list.
With -e/--enforce, passwords outside the HomePlug rules (12..64 printable ASCII characters) are
refused like `hpavkey -e` (message on stderr, exit status 1).

examples:
  plcstack keys {cmd} HomePlugAV HomePlugAV0123
  printf '%s\\n' 'first password' 'second one' | plcstack keys {cmd} -
  plcstack keys {cmd} -e 'a long enough password'
"""

NID_EPILOG = """\
The NID is 7 bytes: 52 bits of SHA-256^5(NMK) and the security level in bits 4-5 of the last octet.
Give NMKs as 32 hex digits (separators ':' '-' allowed), or passwords with -p (= hpavkey -N -L).

examples:
  plcstack keys nid 50D3E4933F855B7040784DF815AA8DB7           B0F2E695666B03
  plcstack keys nid 50D3E4933F855B7040784DF815AA8DB7 --level 1 B0F2E695666B13
  plcstack keys nid -p HomePlugAV0123                          026BCBA5354E08
"""

CHECK_EPILOG = """\
Reports, without ever printing the password: the HomePlug AV rules (12..64 printable ASCII
characters, as `hpavkey -e` enforces them), factory defaults (HomePlugAV, HomePlugAV0123, ...),
dictionary words and low-entropy patterns. A NID is broadcast by every network and is a function of
the password alone, so weak passwords can be guessed offline (see `plcstack keys audit`).
Exit status: 0 no findings, 1 findings.

examples:
  plcstack keys check HomePlugAV0123
  plcstack keys check - --json < password.txt
"""

DECRYPT_EPILOG = """\
Every CM_ENCRYPTED_PAYLOAD.IND (AES-128-CBC, key chosen by PEKS: DAK, NMK or TEK) is decrypted with
the keys you give and with every key the capture itself discloses in clear (CM_SET_KEY.REQ,
CM_SLAC_MATCH.CNF, CM_GET_KEY.CNF, VS_SET_KEY.REQ) or inside payloads it already decrypted; for
DAK-encrypted payloads also the DAK of the destination's MAC-derived default password. A payload
counts as decrypted only when the CRC-32 of the inner message and the repeated PID/PRN/PMN verify.
The inner messages are printed like `plcstack decode` (with --json, the same JSON objects plus an
"encrypted_payload" member describing the outer frame and which key opened it; never the key itself).
Exit status: 0 all payloads decrypted (or none present), 1 some could not be, 2 unreadable input.

examples:
  plcstack keys decrypt iso15118-simulator-rs__ABB-Normal.pcapng
  plcstack keys decrypt capture.pcapng --nmk 8F66002D1A0C41B970BF9CC84634C4B5 --json
  plcstack keys decrypt capture.pcapng --password HomePlugAV --dak-password RMHT-ILPO-TYMN-IIXY
"""

AUDIT_EPILOG = """\
Lists every NID seen (with frame numbers and messages) and every key sent in clear, flags factory
defaults (HomePlugAV, HomePlugAV0123) and NIDs that do not belong to the NMK sent with them, and
searches a dictionary for the password behind each NID: NID = f(NMK(password)), so no traffic needs
decrypting. The built-in dictionary (common and default PLC passwords, with case and suffix
variants) is used unless --no-builtin; add your own with --wordlist (one password per line).
The search runs on all cores; a progress bar is shown on a terminal. Key values are printed only
with --show-keys; recovered passwords are always printed (that is what the command is for).

examples:
  plcstack keys audit slac.pcap
  plcstack keys audit slac.pcap --wordlist rockyou.txt --processes 4
  plcstack keys audit slac.pcap --json --show-keys
"""

def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="derive, check, audit and store HomePlug AV keys",
                                 description=KEYS_HELP, formatter_class=RAW)
    sub = keys.add_subparsers(dest="keys_command", metavar="SUBCOMMAND")
    keys.set_defaults(func=lambda args: (keys.print_help(), 2)[1])

    for cmd, what in (("nmk", "network membership key (NMK) of network passwords (= hpavkey -M)"),
                      ("dak", "device access key (DAK) of device passwords (= hpavkey -D)")):
        p = sub.add_parser(cmd, help=what, description=f"Print the {what}.",
                           epilog=PASSWORDS_EPILOG.format(cmd=cmd), formatter_class=RAW)
        p.add_argument("passwords", nargs="+", metavar="PASSWORD", help="password, or '-' for standard input")
        p.add_argument("-e", "--enforce", action="store_true", help="refuse passwords outside the HomePlug rules")
        p.set_defaults(func=_cmd_derive, kind=cmd)

    p = sub.add_parser("nid", help="network identifier (NID) of NMKs or passwords (= hpavkey -N)",
                       description="Print the NID of each NMK (or password with -p).", epilog=NID_EPILOG,
                       formatter_class=RAW)
    p.add_argument("values", nargs="+", metavar="NMK_HEX", help="NMK as hex (or a password with -p; '-' = stdin)")
    p.add_argument("-L", "--level", type=int, choices=(0, 1), default=0, help="security level (default 0)")
    p.add_argument("-p", "--password", action="store_true", help="the arguments are passwords, not NMKs")
    p.set_defaults(func=_cmd_nid)

    p = sub.add_parser("default-password", help="MAC-derived default device password (= mac2pw -m)",
                       description="Print the device password open-plc-utils `mac2pw -m -l 16 -b 4` derives from a "
                                   "MAC address. Labels carrying such passwords give away the DAK.",
                       epilog="examples:\n  plcstack keys default-password 00:b0:52:12:34:56\n"
                              "  plcstack keys default-password 00b052123456 --dak\n", formatter_class=RAW)
    p.add_argument("macs", nargs="+", metavar="MAC")
    p.add_argument("--dak", action="store_true", help="print the DAK of the password instead")
    p.set_defaults(func=_cmd_default_password)

    p = sub.add_parser("check", help="check a password: HomePlug rules, defaults, weakness",
                       description="Check network or device passwords.", epilog=CHECK_EPILOG, formatter_class=RAW)
    p.add_argument("passwords", nargs="+", metavar="PASSWORD", help="password, or '-' for standard input")
    p.add_argument("--json", action="store_true", help="one JSON object per password")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("decrypt", help="decrypt the CM_ENCRYPTED_PAYLOADs of a capture",
                       description="Decrypt every CM_ENCRYPTED_PAYLOAD.IND of a pcap/pcapng capture.",
                       epilog=DECRYPT_EPILOG, formatter_class=RAW)
    p.add_argument("capture", help="pcap or pcapng file")
    _key_options(p)
    p.add_argument("--no-disclosed", action="store_true", help="use only the keys given, not those the capture leaks (nor MAC-derived default DAKs)")
    p.add_argument("--json", action="store_true", help="one JSON object per payload (JSON Lines)")
    p.set_defaults(func=_cmd_decrypt)

    p = sub.add_parser("audit", help="NIDs and keys a capture discloses; recover passwords from NIDs",
                       description="Audit what a capture discloses about the network keys.", epilog=AUDIT_EPILOG,
                       formatter_class=RAW)
    p.add_argument("capture", help="pcap or pcapng file")
    p.add_argument("-w", "--wordlist", action="append", default=[], metavar="FILE",
                   help="extra candidate passwords, one per line (repeatable)")
    p.add_argument("--no-builtin", action="store_true", help="do not use the built-in dictionary")
    p.add_argument("--mangle", action=argparse.BooleanOptionalAction, default=None,
                   help="add case/suffix variants (default: on for the built-in list, off for --wordlist)")
    p.add_argument("--no-search", action="store_true", help="skip the dictionary search")
    p.add_argument("-j", "--processes", type=int, default=None, metavar="N", help="worker processes (default: CPUs)")
    p.add_argument("--show-keys", action="store_true", help="print key values (default: redacted)")
    p.add_argument("--json", action="store_true", help="one JSON document")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    _key_options(p)
    p.set_defaults(func=_cmd_audit)

    from plcstack.cli.keys_store import register_store

    register_store(sub)


def _key_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("keys to try")
    g.add_argument("--nmk", action="append", default=[], metavar="HEX", help="an NMK (repeatable)")
    g.add_argument("--dak", action="append", default=[], metavar="HEX", help="a DAK (repeatable)")
    g.add_argument("--key", action="append", default=[], metavar="HEX", help="any 16-byte key, tried for every PEKS")
    g.add_argument("--password", action="append", default=[], metavar="NPW", help="a network password (its NMK)")
    g.add_argument("--dak-password", action="append", default=[], metavar="DPW", help="a device password (its DAK)")
    g.add_argument("--keystore", nargs="?", const="", default=None, metavar="PATH",
                   help="also try every key of a key store (default path if none given)")


# ---------------------------------------------------------------------------------------- helpers


def _err(message: str) -> None:
    print(f"plcstack keys: error: {message}", file=sys.stderr)


def guard(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn expected failures into one clear line on stderr (exit status 2), never a traceback."""

    def wrapper(args: argparse.Namespace) -> int:
        from plcstack.keys.errors import KeysError
        from plcstack.pcapio import CaptureFormatError

        try:
            return run(args)
        except (KeysError, CaptureFormatError) as exc:
            _err(str(exc))
        except OSError as exc:
            _err(f"{exc.filename or ''}: {exc.strerror or exc}" if exc.filename else str(exc))
        return 2

    return wrapper


def _expand_stdin(values: list[str]) -> Iterator[bytes]:
    for value in values:
        if value == "-":
            if sys.stdin.isatty():
                import getpass

                yield getpass.getpass("password: ").encode("utf-8")
            else:
                for line in sys.stdin.buffer:
                    yield line.rstrip(b"\r\n")
        else:
            yield os.fsencode(value)  # the exact bytes of argv, like hpavkey


def _cmd_derive(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import dak_from_password, format_key, nmk_from_password
    from plcstack.keys.policy import policy_violations

    derive = nmk_from_password if args.kind == "nmk" else dak_from_password
    status = 0
    for password in _expand_stdin(args.passwords):
        if args.enforce:
            violations = policy_violations(password)
            if violations:
                _err("password " + "; ".join(m for _, m in violations))
                status = 1
                continue
        print(format_key(derive(password)))
    return status


def _cmd_nid(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import format_key, nid_from_nmk, nmk_from_password, parse_hex
    from plcstack.keys.errors import KeyFormatError

    status = 0
    for value in _expand_stdin(args.values):
        try:
            nmk = nmk_from_password(value) if args.password else parse_hex(value.decode("latin-1"), 16, "NMK")
        except KeyFormatError as exc:
            _err(f"{exc} (use -p for passwords)")
            status = 1
            continue
        print(format_key(nid_from_nmk(nmk, args.level)))
    return status


@guard
def _cmd_default_password(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import dak_from_password, format_key, mac_default_password

    for mac in args.macs:
        password = mac_default_password(mac)
        print(format_key(dak_from_password(password)) if args.dak else password)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from plcstack.keys.policy import check_password

    status = 0
    for n, password in enumerate(_expand_stdin(args.passwords), 1):
        report = check_password(password)
        status |= 0 if report.ok else 1
        if args.json:
            print(json.dumps({
                "index": n, "length": report.length, "in_policy": report.in_policy, "default": report.default,
                "weak": report.weak, "estimated_bits": round(report.estimated_bits, 1),
                "findings": [f.value for f in report.findings], "messages": list(report.messages),
            }))
            continue
        label = f"password {n}" if len(args.passwords) > 1 or args.passwords == ["-"] else "password"
        verdict = ("OK" if report.ok else "FACTORY DEFAULT" if report.default else "WEAK" if report.weak
                   else "OUT OF POLICY")
        print(f"{label}: {verdict} ({report.length} characters, ~{report.estimated_bits:.0f} bits)")
        print(f"  HomePlug AV rules (12..64 printable ASCII): {'met' if report.in_policy else 'NOT met'}")
        for message in report.messages:
            print(f"  - {message}")
    return status


def _candidate_keys(args: argparse.Namespace) -> list[CandidateKey]:
    from plcstack.cli.keys_store import open_store
    from plcstack.codec.codes import KeyType
    from plcstack.keys.derive import dak_from_password, nmk_from_password, parse_hex
    from plcstack.keys.scan import CandidateKey
    from plcstack.keys.secret import Secret

    out: list[CandidateKey] = []
    for n, value in enumerate(args.nmk, 1):
        out.append(CandidateKey(Secret(parse_hex(value, 16, "--nmk")), KeyType.NMK, f"--nmk #{n}"))
    for n, value in enumerate(args.dak, 1):
        out.append(CandidateKey(Secret(parse_hex(value, 16, "--dak")), KeyType.DAK, f"--dak #{n}"))
    for n, value in enumerate(args.key, 1):
        out.append(CandidateKey(Secret(parse_hex(value, 16, "--key")), None, f"--key #{n}"))
    for n, value in enumerate(args.password, 1):
        out.append(CandidateKey(Secret(nmk_from_password(os.fsencode(value))), KeyType.NMK, f"--password #{n}"))
    for n, value in enumerate(args.dak_password, 1):
        out.append(CandidateKey(Secret(dak_from_password(os.fsencode(value))), KeyType.DAK,
                                f"--dak-password #{n}"))
    if args.keystore is not None:
        store = open_store(args.keystore or None, must_exist=True).store
        for net in store.networks.values():
            out.append(CandidateKey(net.nmk, KeyType.NMK, f"NMK of stored network {net.name!r}"))
            for nek in net.neks:
                out.append(CandidateKey(nek.key, None, f"NEK EKS {nek.eks} of stored network {net.name!r}"))
        for dev in store.devices.values():
            out.append(CandidateKey(dev.dak, KeyType.DAK, f"DAK of stored device {dev.mac}"))
    return out


@guard
def _cmd_decrypt(args: argparse.Namespace) -> int:
    from plcstack.capture import CapturedFrame, record_json, summary_line
    from plcstack.codec.mac import format_mac
    from plcstack.keys.audit import payload_json
    from plcstack.keys.scan import scan_capture

    result = scan_capture(args.capture, _candidate_keys(args), use_disclosed=not args.no_disclosed)
    failed = 0
    t0 = result.payloads[0].time if result.payloads else 0.0

    def shown(p: Any) -> CapturedFrame:
        return CapturedFrame(p.frame, round(p.time * 1e9), b"", p.inner, rel_ns=round((p.time - t0) * 1e9))
    for p in result.payloads:
        failed += p.inner is None
        if args.json:
            obj: dict[str, Any]
            if p.inner is not None:
                obj = record_json(shown(p))
            else:
                obj = {"frame": p.frame, "time": p.time, "src": format_mac(p.outer.src),
                       "dst": format_mac(p.outer.dst), "mmv": None, "mmtype": None, "name": None, "oui": None,
                       "fmi": None, "fields": {}, "error": p.error}
            obj["encrypted_payload"] = payload_json(p)
            print(json.dumps(obj))
        elif p.inner is not None:
            m = p.outer.message
            print(f"{p.frame:7d} CM_ENCRYPTED_PAYLOAD.IND PEKS 0x{m.peks:02X} PID {m.pid} PRN 0x{m.prn:04X} "
                  f"PMN {m.pmn}: decrypted with {p.key_source}, CRC ok")
            print(summary_line(shown(p)))
        else:
            print(f"{p.frame:7d} CM_ENCRYPTED_PAYLOAD.IND: NOT decrypted: {p.error}")
    if not args.json:
        done = len(result.payloads) - failed
        print(f"{done} of {len(result.payloads)} CM_ENCRYPTED_PAYLOAD.IND decrypted", file=sys.stderr)
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------ audit


@guard
def _cmd_audit(args: argparse.Namespace) -> int:
    from plcstack.keys.audit import audit
    from plcstack.keys.scan import scan_capture

    scan = scan_capture(args.capture, _candidate_keys(args))
    nids = list(scan.nid_frames())
    search = _dictionary_search(args, nids) if nids and not args.no_search else None
    report = audit(scan, search, capture=args.capture)
    if args.json:
        print(json.dumps(report.to_json(show_keys=args.show_keys), indent=1))
    else:
        print("\n".join(report.text_lines(show_keys=args.show_keys)))
    return 0


def read_wordlist(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Candidates from a file, one per line (any bytes; only the line break is removed; blank lines skipped)."""
    with open(path, "rb") as f:
        for line in f:
            word = line.rstrip(b"\r\n")
            if word:
                yield word


def _count_lines(path: str) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def _dictionary_search(args: argparse.Namespace, nids: list[bytes]) -> SearchResult:
    from itertools import chain

    from plcstack.keys.parallel import search
    from plcstack.keys.wordlist import MANGLE_FACTOR, builtin_candidates, mangle

    sources: list[Iterable[bytes]] = []
    total = 0
    if not args.no_builtin:
        builtin = builtin_candidates(with_mangling=args.mangle is not False)
        sources.append(builtin)
        total += len(builtin)
    for path in args.wordlist:
        lines = _count_lines(path)  # opens the file now: a missing word list fails before the search
        if args.mangle:
            sources.append(mangle(read_wordlist(path)))
            total += lines * MANGLE_FACTOR
        else:
            sources.append(read_wordlist(path))
            total += lines
    candidates = chain.from_iterable(sources)
    bar = None if args.no_progress or args.json or not sys.stderr.isatty() else _progress_bar(total)
    if bar is None:
        return search(nids, candidates, processes=args.processes)
    with bar:
        return search(nids, candidates, processes=args.processes, progress=bar.update)


class _SearchProgress:
    """A rich progress bar for the dictionary search (candidates tried, passwords/s, time left)."""

    def __init__(self, progress: Any, total: int) -> None:
        import time

        self._clock = time.perf_counter
        self._progress = progress
        self._task = progress.add_task("search", total=total or None, rate="-")
        self._start = self._clock()

    def update(self, tried: int) -> None:
        elapsed = self._clock() - self._start
        self._progress.update(self._task, completed=tried, rate=f"{tried / elapsed:,.0f}" if elapsed > 0 else "-")
        self._progress.refresh()

    def __enter__(self) -> _SearchProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(*exc)


def _progress_bar(total: int) -> _SearchProgress | None:
    """A progress bar on the terminal, or None without the ``progress`` extra (rich): the search runs anyway."""
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    except ModuleNotFoundError:
        return None
    # no refresh thread: the worker processes are forked while the bar is shown
    progress = Progress(TextColumn("dictionary"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]} pw/s"), TimeRemainingColumn(), transient=True,
                        auto_refresh=False)
    return _SearchProgress(progress, total)
