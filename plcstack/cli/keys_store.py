"""``plcstack keys store``: the key store's command line (networks, devices, NEK rotation).

Registered by :func:`plcstack.cli.keys.register`; the store itself is :mod:`plcstack.keys.store`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plcstack.cli.keys import RAW, guard

if TYPE_CHECKING:
    from plcstack.keys.store import Device, KeyStore, Nek, Network

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


def register_store(sub: Any) -> None:
    """Add ``plcstack keys store ...`` to the ``keys`` subparsers."""
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


@dataclass
class OpenedStore:
    """A loaded key store and where it came from (the passphrase it is saved with again)."""

    store: KeyStore
    path: Path
    passphrase: str | None


def _store_path(path: str | None) -> Path:
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


def _passphrase_for(path: Path, creating: bool, encrypt: bool) -> str | None:
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


def open_store(path: str | None, must_exist: bool = False, encrypt: bool = False) -> OpenedStore:
    """Load the key store at ``path`` (default location if None), asking for its passphrase if needed."""
    from plcstack.keys.store import KeyStore, permission_problem

    p = _store_path(path)
    passphrase = _passphrase_for(p, creating=not must_exist, encrypt=encrypt)
    store = KeyStore.load(p, passphrase, missing_ok=not must_exist)
    warning = permission_problem(p)
    if warning:
        print(f"plcstack keys: warning: {warning}", file=sys.stderr)
    return OpenedStore(store, p, passphrase)


def _modify_store(args: argparse.Namespace, change: Callable[[KeyStore], object]) -> int:
    """Lock, load, apply ``change`` and save -- unless ``change`` returns False (nothing changed)."""
    from plcstack.keys.store import locked

    path = _store_path(args.store_path)
    with locked(path):
        opened = open_store(args.store_path, encrypt=args.encrypt)
        if change(opened.store) is not False or args.encrypt:
            opened.store.save(path, opened.passphrase)
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


def _secret_arg(value: object, prompt: str) -> bytes:
    if value is PROMPT:
        return _prompt_secret(prompt).encode("utf-8")
    assert isinstance(value, str)
    return os.fsencode(value)


@guard
def _store_add_network(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import format_key, parse_hex
    from plcstack.keys.errors import PolicyError
    from plcstack.keys.policy import check_password
    from plcstack.keys.rng import system_random_bytes

    password = _secret_arg(args.password, "network password: ") if args.password is not None else None
    if password is not None:
        report = check_password(password)
        if not report.ok:
            text = "; ".join(report.messages)
            if not args.allow_weak:
                raise PolicyError(f"network password refused: {text} (--allow-weak to accept it)")
            print(f"plcstack keys: warning: network password: {text}", file=sys.stderr)
    nmk = parse_hex(args.nmk, 16, "--nmk") if args.nmk else system_random_bytes(16) if args.random else None
    interval = _parse_duration(args.rotate_every)
    added: list[Network] = []

    def change(store: KeyStore) -> None:
        net = store.add_network(args.name, nmk=nmk, password=password, security_level=args.level,
                                rotation_interval_s=interval, replace=args.replace)
        if interval is not None:
            store.rotate(args.name)
        added.append(net)

    _modify_store(args, change)
    print(f"network {args.name!r}: NID {format_key(added[0].nid)} (level {args.level})")
    return 0


@guard
def _store_add_device(args: argparse.Namespace) -> int:
    from plcstack.keys.derive import parse_hex

    password = _secret_arg(args.password, "device password: ") if args.password is not None else None
    dak = parse_hex(args.dak, 16, "--dak") if args.dak else None
    added: list[Device] = []
    _modify_store(args, lambda s: added.append(s.add_device(args.mac, dak=dak, password=password, name=args.name,
                                                            network=args.network, replace=args.replace)))
    print(f"device {added[0].mac} stored" + (f" in network {args.network!r}" if args.network else ""))
    return 0


@guard
def _store_rotate(args: argparse.Namespace) -> int:
    from plcstack.keys.errors import KeysError

    if not args.names and not args.due:
        raise KeysError("name networks to rotate, or use --due")
    rotated: dict[str, Nek] = {}

    def change(store: KeyStore) -> bool:
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


@guard
def _store_remove(args: argparse.Namespace) -> int:
    def change(store: KeyStore) -> None:
        if args.network:
            store.remove_network(args.network)
        else:
            store.remove_device(args.device)

    return _modify_store(args, change)


def _fmt_time(t: float | None) -> str:
    import time

    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


@guard
def _store_list(args: argparse.Namespace) -> int:
    if not _store_path(args.store_path).exists():
        print(f"{_store_path(args.store_path)}: no key store yet (add a network or a device to create it)")
        return 0
    opened = open_store(args.store_path, must_exist=False, encrypt=args.encrypt)
    store = opened.store
    payload = store.to_payload(reveal_keys=args.show_keys)
    if args.json:
        print(json.dumps(payload, indent=1))
        return 0
    print(f"{opened.path}{' (encrypted)' if opened.passphrase else ''}")
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


@guard
def _store_export(args: argparse.Namespace) -> int:
    store = open_store(args.store_path, must_exist=True).store
    print(json.dumps(store.to_payload(reveal_keys=args.reveal), indent=1))
    return 0


@guard
def _store_passphrase(args: argparse.Namespace) -> int:
    from plcstack.keys.store import PASSPHRASE_ENV, locked

    path = _store_path(args.store_path)
    with locked(path):
        store = open_store(args.store_path, must_exist=True).store
        if args.remove:
            new = None
        else:
            new = os.environ.get(f"{PASSPHRASE_ENV}_NEW") or _prompt_secret("new passphrase: ", confirm=True)
        store.save(path, new)
    print(f"{path}: {'stored unencrypted' if new is None else 'encrypted with the new passphrase'}")
    return 0
