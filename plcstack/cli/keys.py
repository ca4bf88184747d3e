"""``plcstack keys``: derive, check, audit and store HomePlug AV keys; decrypt CM_ENCRYPTED_PAYLOAD."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

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

STORE_HELP = """\
A key store keeps networks (name, NMK, NID, security level, NEKs with their EKS and a rotation
schedule) and devices (MAC -> DAK, optional network). It is one JSON file, mode 0600, replaced
atomically; a corrupt or edited file is refused and left untouched (the previous version is kept as
<file>.bak). It is encrypted at rest (scrypt + AES-256-GCM) when a passphrase is given: from the
environment variable PLCSTACK_KEYSTORE_PASSPHRASE, or a prompt (--encrypt when creating).

examples:
  plcstack keys store add-network garage --password            (prompts for the network password)
  plcstack keys store add-network lab --random --level 1 --rotate-every 12h
  plcstack keys store add-device 00:b0:52:00:00:01 --password RMHT-ILPO-TYMN-IIXY --network garage
  plcstack keys store list
  plcstack keys store rotate --due             (new NEK for every network whose rotation is due)
  plcstack keys store export --reveal > backup.json
  PLCSTACK_KEYSTORE_PASSPHRASE=... plcstack keys store --store /etc/plc/keys.json list
"""

PROMPT = object()  # marker: "--password" given without a value


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

    _register_store(sub)


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


def _guard(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
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


@_guard
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


def _candidate_keys(args: argparse.Namespace) -> list[Any]:
    from plcstack.keys.constants import KeyType
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
        store = _open_store(args.keystore or None, must_exist=True)
        for net in store.networks.values():
            out.append(CandidateKey(net.nmk, KeyType.NMK, f"NMK of stored network {net.name!r}"))
            for nek in net.neks:
                out.append(CandidateKey(nek.key, None, f"NEK EKS {nek.eks} of stored network {net.name!r}"))
        for dev in store.devices.values():
            out.append(CandidateKey(dev.dak, KeyType.DAK, f"DAK of stored device {dev.mac}"))
    return out


def _payload_info(p: Any) -> dict[str, Any]:
    from plcstack.codec import format_mac

    m = p.outer.message
    return {"frame": p.frame, "src": format_mac(p.outer.src), "dst": format_mac(p.outer.dst), "peks": m.peks,
            "avln_status": m.avln_status, "pid": m.pid, "prn": m.prn, "pmn": m.pmn, "length": m.length,
            "key": p.key_source, "error": p.error}


@_guard
def _run_decrypt(args: argparse.Namespace) -> int:
    from plcstack.capture import CapturedFrame, record_json, summary_line
    from plcstack.codec import format_mac
    from plcstack.keys.scan import scan_capture

    result = scan_capture(args.capture, _candidate_keys(args), use_disclosed=not args.no_disclosed)
    failed = 0
    t0 = result.payloads[0].time if result.payloads else 0.0

    def shown(p: Any) -> CapturedFrame:
        return CapturedFrame(p.frame, round(p.time * 1e9), b"", p.inner, rel_ns=round((p.time - t0) * 1e9))
    for p in result.payloads:
        failed += p.inner is None
        if args.json:
            if p.inner is not None:
                obj = record_json(shown(p))
            else:
                obj = {"frame": p.frame, "time": p.time, "src": format_mac(p.outer.src),
                       "dst": format_mac(p.outer.dst), "mmv": None, "mmtype": None, "name": None, "oui": None,
                       "fmi": None, "fields": {}, "error": p.error}
            obj["encrypted_payload"] = _payload_info(p)
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


def _cmd_decrypt(args: argparse.Namespace) -> int:
    return _run_decrypt(args)


# ------------------------------------------------------------------------------------------ audit


def _hex(b: bytes) -> str:
    return b.hex().upper()


@_guard
def _cmd_audit(args: argparse.Namespace) -> int:
    from plcstack.codec import format_mac
    from plcstack.keys.derive import nid_security_level, nid_without_level
    from plcstack.keys.scan import default_password_of_nid, scan_capture

    result = scan_capture(args.capture, _candidate_keys(args))
    by_nid = result.nid_frames()
    key_by_core: dict[bytes, Any] = {}
    for k in result.keys:
        if k.nid is not None and k.nid_matches_key:
            key_by_core.setdefault(nid_without_level(k.nid), k)
    search = None
    if not args.no_search and by_nid:
        search = _dictionary_search(args, list(by_nid))
    recovered: dict[bytes, list[bytes]] = {}
    if search is not None:
        for r in search.found:
            recovered.setdefault(r.nid, []).append(r.password)

    def show_key(key: Any) -> str:
        return key.reveal_hex() if args.show_keys else "<redacted>"

    nids_json = []
    for nid, sightings in by_nid.items():
        known = key_by_core.get(nid_without_level(nid))
        nids_json.append({
            "nid": _hex(nid), "security_level": nid_security_level(nid),
            "frames": sorted({s.frame for s in sightings}),
            "messages": sorted({s.message for s in sightings}),
            "default_password": default_password_of_nid(nid),
            "nmk_disclosed_in_frame": known.frame if known else None,
            "recovered_passwords": [p.decode("utf-8", "backslashreplace") for p in recovered.get(nid, [])],
        })
    keys_json = [{
        "frame": k.frame, "time": k.time, "message": k.message, "src": format_mac(k.src), "dst": format_mac(k.dst),
        "key_type": k.key_type.name, "key": show_key(k.key), "nid": _hex(k.nid) if k.nid else None, "eks": k.eks,
        "nid_matches_key": k.nid_matches_key, "default_password": k.default_password,
        "inside_encrypted_payload": k.inside_payload,
    } for k in result.keys]
    payloads_json = [_payload_info(p) | {"inner": p.inner.name if p.inner else None} for p in result.payloads]
    search_json = None if search is None else {
        "candidates": search.tried, "seconds": round(search.seconds, 3), "processes": search.processes,
        "passwords_per_s": round(search.rate), "passwords_per_s_per_process": round(search.rate_per_process),
    }
    findings = _findings(nids_json, keys_json)
    if args.json:
        print(json.dumps({"capture": args.capture, "nids": nids_json, "keys": keys_json,
                          "encrypted_payloads": payloads_json, "search": search_json, "findings": findings},
                         indent=1))
        return 0
    print(f"NIDs disclosed: {len(nids_json)}")
    for n in nids_json:
        notes = []
        if n["default_password"]:
            notes.append(f"FACTORY DEFAULT ({n['default_password']})")
        if n["nmk_disclosed_in_frame"]:
            notes.append(f"NMK sent in clear in frame {n['nmk_disclosed_in_frame']}")
        for pw in n["recovered_passwords"]:
            notes.append(f"password recovered: {pw!r}")
        print(f"  {n['nid']}  level {n['security_level']}  {_frames(n['frames'])}  ({', '.join(n['messages'])})")
        for note in notes:
            print(f"      {note}")
    print(f"Keys sent in clear: {len(keys_json)}" + ("" if args.show_keys else " (values: --show-keys)"))
    # the same key in the same kind of message between the same stations: one line with all its frames
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for k, d in zip(keys_json, result.keys, strict=True):
        groups.setdefault((d.key.reveal(), k["key_type"], k["message"], k["src"], k["dst"], k["nid"],
                           k["nid_matches_key"], k["eks"]), []).append(k)
    for members in groups.values():
        k = members[0]
        extra = [f"NID {k['nid']}" + ("" if k["nid_matches_key"] in (None, True) else " (does NOT match the NMK)")
                 if k["nid"] else "", f"EKS {k['eks']}" if k["eks"] is not None else ""]
        if k["default_password"]:
            extra.append(f"FACTORY DEFAULT ({k['default_password']})")
        print(f"  {_frames([m['frame'] for m in members])}  {k['key_type']:<4} {k['key']}  {k['message']}  "
              f"{k['src']} -> {k['dst']}  " + "  ".join(e for e in extra if e))
    if payloads_json:
        ok = sum(p["inner"] is not None for p in payloads_json)
        print(f"Encrypted payloads: {len(payloads_json)}, decrypted {ok} (details: plcstack keys decrypt)")
    if search_json:
        print(f"Dictionary search: {search_json['candidates']} candidates in {search_json['seconds']} s on "
              f"{search_json['processes']} processes: {search_json['passwords_per_s']} passwords/s "
              f"({search_json['passwords_per_s_per_process']}/s per process)")
    if findings:
        print("Findings:")
        for f in findings:
            print(f"  ! {f}")
    return 0


def _findings(nids: list[dict[str, Any]], keys: list[dict[str, Any]]) -> list[str]:
    out = []
    for n in nids:
        if n["default_password"]:
            out.append(f"NID {n['nid']} is the factory-default network of {n['default_password']!r}")
        elif n["recovered_passwords"]:
            out.append(f"NID {n['nid']}: weak network password found by dictionary search")
    cleartext = [k for k in keys if not k["inside_encrypted_payload"] and k["key_type"] in ("NMK", "NEK", "DAK")]
    if cleartext:
        out.append(f"{len(cleartext)} key(s) sent unencrypted ({_frames([k['frame'] for k in cleartext])}): "
                   "anyone on the wire can read them")
    mismatched: dict[tuple[str, str], list[int]] = {}
    for k in keys:
        if k["nid_matches_key"] is False:
            mismatched.setdefault((k["nid"], k["message"]), []).append(k["frame"])
    for (nid, message), frames in mismatched.items():
        why = " (a CM_GET_KEY.CNF echoes the requested NID: the station holds another network's NMK)" \
            if message.startswith("CM_GET_KEY.CNF") else ""
        out.append(f"{message} with NID {nid} carries an NMK of another NID in {_frames(frames)}{why}")
    return out


def _frames(frames: list[int], limit: int = 10) -> str:
    shown = ",".join(map(str, frames[:limit]))
    more = f",... ({len(frames)} in all)" if len(frames) > limit else ""
    return f"frame{'s' if len(frames) > 1 else ''} {shown}{more}"


def _dictionary_search(args: argparse.Namespace, nids: list[bytes]) -> Any:
    from itertools import chain

    from plcstack.keys.dictionary import read_wordlist, search
    from plcstack.keys.wordlist import builtin_candidates, mangle

    sources: list[Any] = []
    total = 0
    if not args.no_builtin:
        builtin = builtin_candidates(with_mangling=args.mangle is not False)
        sources.append(builtin)
        total += len(builtin)
    for path in args.wordlist:
        with open(path, "rb") as f:
            lines = sum(1 for _ in f)
        if args.mangle:
            sources.append(mangle(read_wordlist(path)))
            total += lines * 60
        else:
            sources.append(read_wordlist(path))
            total += lines
    show = not args.no_progress and not args.json and sys.stderr.isatty()
    if not show:
        return search(nids, chain.from_iterable(sources), processes=args.processes)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    # no refresh thread: the worker processes are forked while the bar is shown
    progress = Progress(TextColumn("dictionary"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]} pw/s"), TimeRemainingColumn(), transient=True,
                        auto_refresh=False)
    task = progress.add_task("search", total=total or None, rate="-")
    import time

    start = time.perf_counter()

    def update(tried: int) -> None:
        elapsed = time.perf_counter() - start
        progress.update(task, completed=tried, rate=f"{tried / elapsed:,.0f}" if elapsed > 0 else "-")
        progress.refresh()

    with progress:
        return search(nids, chain.from_iterable(sources), processes=args.processes, progress=update)


# ------------------------------------------------------------------------------------------ store


def _register_store(sub: Any) -> None:
    store = sub.add_parser("store", help="manage the key store (networks, devices, NEK rotation)",
                           description=STORE_HELP, formatter_class=RAW)
    store.add_argument("--store", dest="store_path", default=None, metavar="PATH",
                       help="key store file (default ~/.config/plcstack/keys.json)")
    store.add_argument("--encrypt", action="store_true",
                       help="encrypt a new (or plain) store with a passphrase (prompted unless in the environment)")
    ssub = store.add_subparsers(dest="store_command", metavar="ACTION")
    store.set_defaults(func=lambda args: (store.print_help(), 2)[1])

    p = ssub.add_parser("list", help="list networks and devices", formatter_class=RAW,
                        description="List networks (NID, level, NEKs, rotation) and devices.",
                        epilog="examples:\n  plcstack keys store list\n  plcstack keys store list --json --show-keys\n")
    p.add_argument("--show-keys", action="store_true", help="print key values")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_store_list)

    p = ssub.add_parser("add-network", help="add a network from a password, an NMK or a random NMK",
                        formatter_class=RAW, description="Add (or with --replace, change) a network.",
                        epilog="examples:\n  plcstack keys store add-network home --password\n"
                               "  plcstack keys store add-network ev --nmk B59319D7E8157BA001B018669CCEE30D\n"
                               "  plcstack keys store add-network lab --random --rotate-every 1d\n")
    p.add_argument("name")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--password", nargs="?", const=PROMPT, metavar="NPW",
                     help="network password (prompted if no value)")
    src.add_argument("--nmk", metavar="HEX")
    src.add_argument("--random", action="store_true", help="a random NMK (no password)")
    p.add_argument("-L", "--level", type=int, choices=(0, 1), default=0, help="security level (default 0)")
    p.add_argument("--rotate-every", metavar="DURATION", help="NEK rotation schedule, e.g. 3600, 90m, 12h, 7d")
    p.add_argument("--replace", action="store_true", help="replace an existing network of that name")
    p.add_argument("--allow-weak", action="store_true", help="accept a weak or out-of-policy password")
    p.set_defaults(func=_store_add_network)

    p = ssub.add_parser("add-device", help="add a device (MAC -> DAK)", formatter_class=RAW,
                        description="Add (or with --replace, change) a device.",
                        epilog="examples:\n  plcstack keys store add-device 00:b0:52:00:00:01 "
                               "--password RMHT-ILPO-TYMN-IIXY --network home\n")
    p.add_argument("mac")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--password", nargs="?", const=PROMPT, metavar="DPW",
                     help="device password from the label (prompted if no value)")
    src.add_argument("--dak", metavar="HEX")
    p.add_argument("--name", default="")
    p.add_argument("--network", default=None)
    p.add_argument("--replace", action="store_true")
    p.set_defaults(func=_store_add_device)

    p = ssub.add_parser("rotate", help="give networks a fresh NEK (next EKS)", formatter_class=RAW,
                        description="Rotate NEKs: the named networks now, or with --due those whose schedule says so.",
                        epilog="examples:\n  plcstack keys store rotate home\n  plcstack keys store rotate --due\n")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--due", action="store_true", help="every network whose rotation is due")
    p.set_defaults(func=_store_rotate)

    p = ssub.add_parser("remove", help="remove a network or a device", formatter_class=RAW,
                        description="Remove a network (its devices stay, unassigned) or a device.",
                        epilog="examples:\n  plcstack keys store remove --network lab\n")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--network", metavar="NAME")
    g.add_argument("--device", metavar="MAC")
    p.set_defaults(func=_store_remove)

    p = ssub.add_parser("export", help="print the store as JSON", formatter_class=RAW,
                        description="Print networks and devices as JSON (keys redacted unless --reveal).",
                        epilog="examples:\n  plcstack keys store export --reveal > backup.json\n")
    p.add_argument("--reveal", action="store_true", help="include key values (handle the output with care)")
    p.set_defaults(func=_store_export)

    p = ssub.add_parser("passphrase", help="encrypt, re-key or decrypt the store file", formatter_class=RAW,
                        description="Set or change the passphrase (new one prompted), or --remove it.",
                        epilog="examples:\n  plcstack keys store passphrase\n  plcstack keys store passphrase --remove\n")
    p.add_argument("--remove", action="store_true", help="store unencrypted from now on")
    p.set_defaults(func=_store_passphrase)


def _store_path(path: str | None) -> Any:
    from pathlib import Path

    from plcstack.keys.store import default_path

    return Path(path).expanduser() if path else default_path()


def _prompt_secret(prompt: str, confirm: bool = False) -> str:
    import getpass

    from plcstack.keys.errors import KeyStorePassphraseError

    if not sys.stdin.isatty():
        raise KeyStorePassphraseError(f"{prompt.strip(': ')} needed but standard input is not a terminal")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != value:
        raise KeyStorePassphraseError("the two entries differ")
    return value


def _passphrase_for(path: Any, creating: bool, encrypt: bool) -> str | None:
    from plcstack.keys.store import PASSPHRASE_ENV, is_encrypted

    env = os.environ.get(PASSPHRASE_ENV)
    encrypted = is_encrypted(path)
    if encrypted or (encrypted is None and creating and encrypt) or (encrypted is False and encrypt):
        if env:
            return env
        return _prompt_secret("key store passphrase: ", confirm=not encrypted)
    if encrypted is None and creating and env:
        return env  # a new store is encrypted when a passphrase is in the environment
    return None


def _open_store(path: str | None, must_exist: bool = False, encrypt: bool = False) -> Any:
    from plcstack.keys.store import KeyStore, permission_problem

    p = _store_path(path)
    passphrase = _passphrase_for(p, creating=not must_exist, encrypt=encrypt)
    store = KeyStore.load(p, passphrase, missing_ok=not must_exist)
    warning = permission_problem(p)
    if warning:
        print(f"plcstack keys: warning: {warning}", file=sys.stderr)
    store._cli_path = p  # type: ignore[attr-defined]
    store._cli_passphrase = passphrase  # type: ignore[attr-defined]
    return store


def _modify_store(args: argparse.Namespace, change: Callable[[Any], Any]) -> int:
    """Lock, load, apply ``change`` and save -- unless ``change`` returns False (nothing changed)."""
    from plcstack.keys.store import locked

    path = _store_path(args.store_path)
    with locked(path):
        store = _open_store(args.store_path, encrypt=args.encrypt)
        if change(store) is not False or args.encrypt:
            store.save(path, store._cli_passphrase)
    return 0


def _parse_duration(text: str | None) -> float | None:
    if text is None:
        return None
    from plcstack.keys.errors import KeysError

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    t = text.strip().lower()
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise KeysError(f"not a duration: {text!r} (e.g. 3600, 90m, 12h, 7d)") from None
    if value <= 0:
        raise KeysError("the rotation interval must be positive")
    return value


def _secret_arg(value: Any, prompt: str) -> bytes:
    if value is PROMPT:
        return _prompt_secret(prompt).encode("utf-8")
    return os.fsencode(value)


@_guard
def _store_add_network(args: argparse.Namespace) -> int:
    from plcstack.keys import crypto
    from plcstack.keys.derive import format_key, parse_hex
    from plcstack.keys.errors import PolicyError
    from plcstack.keys.policy import check_password

    password = _secret_arg(args.password, "network password: ") if args.password is not None else None
    if password is not None:
        report = check_password(password)
        if not report.ok:
            text = "; ".join(report.messages)
            if not args.allow_weak:
                raise PolicyError(f"network password refused: {text} (--allow-weak to accept it)")
            print(f"plcstack keys: warning: network password: {text}", file=sys.stderr)
    nmk = parse_hex(args.nmk, 16, "--nmk") if args.nmk else crypto.random_bytes(16) if args.random else None
    interval = _parse_duration(args.rotate_every)
    added: list[Any] = []

    def change(store: Any) -> None:
        net = store.add_network(args.name, nmk=nmk, password=password, security_level=args.level,
                                rotation_interval_s=interval, replace=args.replace)
        if interval is not None:
            store.rotate(args.name)
        added.append(net)

    _modify_store(args, change)
    print(f"network {args.name!r}: NID {format_key(added[0].nid)} (level {args.level})")
    return 0


@_guard
def _store_add_device(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import parse_hex

    password = _secret_arg(args.password, "device password: ") if args.password is not None else None
    dak = parse_hex(args.dak, 16, "--dak") if args.dak else None
    added: list[Any] = []
    _modify_store(args, lambda s: added.append(s.add_device(args.mac, dak=dak, password=password, name=args.name,
                                                            network=args.network, replace=args.replace)))
    print(f"device {added[0].mac} stored" + (f" in network {args.network!r}" if args.network else ""))
    return 0


@_guard
def _store_rotate(args: argparse.Namespace) -> int:
    from plcstack.keys.errors import KeysError

    if not args.names and not args.due:
        raise KeysError("name networks to rotate, or use --due")
    rotated: dict[str, Any] = {}

    def change(store: Any) -> bool:
        for name in args.names:
            rotated[name] = store.rotate(name)
        if args.due:
            rotated.update(store.rotate_due())
        return bool(rotated)

    _modify_store(args, change)
    for name, nek in rotated.items():
        print(f"network {name!r}: new NEK, EKS {nek.eks}")
    if not rotated:
        print("no rotation due")
    return 0


@_guard
def _store_remove(args: argparse.Namespace) -> int:
    def change(store: Any) -> None:
        if args.network:
            store.remove_network(args.network)
        else:
            store.remove_device(args.device)

    return _modify_store(args, change)


def _fmt_time(t: float | None) -> str:
    import time

    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


@_guard
def _store_list(args: argparse.Namespace) -> int:
    if not _store_path(args.store_path).exists():
        print(f"{_store_path(args.store_path)}: no key store yet (add a network or a device to create it)")
        return 0
    store = _open_store(args.store_path, must_exist=False, encrypt=args.encrypt)
    payload = store.to_payload(reveal_keys=args.show_keys)
    if args.json:
        print(json.dumps(payload, indent=1))
        return 0
    path = store._cli_path
    print(f"{path}{' (encrypted)' if store._cli_passphrase else ''}")
    print(f"networks: {len(store.networks)}")
    for net in store.networks.values():
        nek = net.current_nek
        rot = "manual" if net.rotation_interval_s is None else f"every {net.rotation_interval_s:g} s, next " \
            f"{_fmt_time(net.next_rotation())}" + (" (DUE)" if net.rotation_due() else "")
        key = net.nmk.reveal_hex() if args.show_keys else "<redacted>"
        print(f"  {net.name:<16} NID {net.nid.hex().upper()} level {net.security_level}  NMK {key}")
        print(f"  {'':<16} NEK {'none' if nek is None else f'EKS {nek.eks} since {_fmt_time(nek.created)}'}; "
              f"rotation {rot}")
    print(f"devices: {len(store.devices)}")
    for dev in store.devices.values():
        key = dev.dak.reveal_hex() if args.show_keys else "<redacted>"
        print(f"  {dev.mac}  {dev.name or '-':<16} network {dev.network or '-'}  DAK {key}")
    return 0


@_guard
def _store_export(args: argparse.Namespace) -> int:
    store = _open_store(args.store_path, must_exist=True)
    print(json.dumps(store.to_payload(reveal_keys=args.reveal), indent=1))
    return 0


@_guard
def _store_passphrase(args: argparse.Namespace) -> int:
    from plcstack.keys.store import PASSPHRASE_ENV, locked

    path = _store_path(args.store_path)
    with locked(path):
        store = _open_store(args.store_path, must_exist=True)
        if args.remove:
            new = None
        else:
            new = os.environ.get(f"{PASSPHRASE_ENV}_NEW") or _prompt_secret("new passphrase: ", confirm=True)
        store.save(path, new)
    print(f"{path}: {'stored unencrypted' if new is None else 'encrypted with the new passphrase'}")
    return 0
