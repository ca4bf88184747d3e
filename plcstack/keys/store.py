"""Persistent key store: networks (name, NMK, NID, security level, NEKs + rotation), devices (MAC -> DAK).

On disk it is one JSON file (default ``~/.config/plcstack/keys.json``)::

    {"format": "plcstack-keystore", "version": 1, "encryption": null,
     "checksum": "sha256:...", "payload": {"networks": [...], "devices": [...]}}

or, encrypted at rest with a passphrase (scrypt -> AES-256-GCM, the envelope is the associated data)::

    {"format": "plcstack-keystore", "version": 1,
     "encryption": {"cipher": "AES-256-GCM", "kdf": "scrypt", "n": 32768, "r": 8, "p": 1,
                    "salt": "...", "nonce": "..."},
     "payload": "<base64 ciphertext + tag>"}

Writes are atomic: a temporary file (mode 0600) in the same directory is written, fsynced, read back
and verified, then renamed over the old file and the directory fsynced; the previous file is kept as
``<name>.bak``. A file that fails to parse, whose checksum or GCM tag does not verify, or whose NIDs do
not match their NMKs is refused with :class:`KeyStoreCorruptError` and never overwritten (unless
``force=True``); when a plain store gets encrypted, its plain backup is deleted. The plain checksum catches corruption and careless edits; only the passphrase gives
authenticated integrity. Keys are :class:`Secret` values: reprs, logs and errors never show them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from plcstack.codec.mac import format_mac, parse_mac
from plcstack.keys import crypto
from plcstack.keys.constants import NEK_EKS_COUNT
from plcstack.keys.derive import dak_from_password, nid_from_nmk, nmk_from_password
from plcstack.keys.errors import (
    AuthenticationError,
    KeyFormatError,
    KeyStoreCorruptError,
    KeyStoreError,
    KeyStorePassphraseError,
)
from plcstack.keys.rng import system_random_bytes
from plcstack.keys.secret import KeyLike, Secret

log = logging.getLogger(__name__)

FORMAT = "plcstack-keystore"
VERSION = 1
PASSPHRASE_ENV = "PLCSTACK_KEYSTORE_PASSPHRASE"
#: scrypt cost: 32 MiB, ~0.1 s. Stored in the file, so it can be raised later.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 15, 8, 1
#: NEKs kept per network: the current one and the one before it (stations switch over by EKS).
NEKS_KEPT = 2


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "plcstack" / "keys.json"


def normalise_mac(mac: str | bytes) -> str:
    """``AA-BB-CC-DD-EE-FF`` / ``aabbccddeeff`` / 6 bytes -> ``aa:bb:cc:dd:ee:ff``."""
    try:
        return format_mac(parse_mac(mac))
    except ValueError as exc:
        raise KeyFormatError(str(exc)) from None


# ------------------------------------------------------------------------------------------ model


@dataclass
class Nek:
    """A network encryption key and the EKS (0..7) that selects it."""

    eks: int
    key: Secret
    created: float


@dataclass
class Network:
    """One AVLN: its NMK decides membership; its NID (from NMK + security level) names it."""

    name: str
    nmk: Secret
    security_level: int = 0
    rotation_interval_s: float | None = None  # NEK rotation schedule (None: manual only)
    neks: list[Nek] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    @property
    def nid(self) -> bytes:
        return nid_from_nmk(self.nmk, self.security_level)

    @property
    def current_nek(self) -> Nek | None:
        return self.neks[-1] if self.neks else None

    def next_rotation(self) -> float | None:
        """Unix time the next NEK is due (now-ish if there is none yet), or None without a schedule."""
        if self.rotation_interval_s is None:
            return None
        current = self.current_nek
        return self.created if current is None else current.created + self.rotation_interval_s

    def rotation_due(self, now: float | None = None) -> bool:
        due = self.next_rotation()
        return due is not None and (time.time() if now is None else now) >= due


@dataclass
class Device:
    """A station: its MAC and DAK (from the device password printed on its label)."""

    mac: str
    dak: Secret
    name: str = ""
    network: str | None = None
    created: float = field(default_factory=time.time)


def _key(value: KeyLike | None, password: bytes | str | None, derive: Any, what: str) -> Secret:
    if (value is None) == (password is None):
        raise KeyFormatError(f"give either the {what} or its password")
    key = Secret(derive(password)) if value is None else Secret(value)
    if len(key) != 16:
        raise KeyFormatError(f"{what} must be 16 bytes, got {len(key)}")
    return key


@dataclass
class KeyStore:
    networks: dict[str, Network] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)

    # -------------------------------------------------------------------------- networks

    def add_network(
        self,
        name: str,
        *,
        nmk: KeyLike | None = None,
        password: bytes | str | None = None,
        security_level: int = 0,
        rotation_interval_s: float | None = None,
        replace: bool = False,
        now: float | None = None,
    ) -> Network:
        if not name:
            raise KeyStoreError("a network needs a name")
        if name in self.networks and not replace:
            raise KeyStoreError(f"network {name!r} already exists")
        if security_level not in (0, 1):
            raise KeyStoreError("security level must be 0 or 1")
        net = Network(name, _key(nmk, password, nmk_from_password, "NMK"), security_level, rotation_interval_s,
                      created=time.time() if now is None else now)
        self.networks[name] = net
        return net

    def network(self, name: str) -> Network:
        try:
            return self.networks[name]
        except KeyError:
            raise KeyStoreError(f"no network named {name!r}") from None

    def remove_network(self, name: str) -> None:
        self.network(name)
        del self.networks[name]
        for dev in self.devices.values():
            if dev.network == name:
                dev.network = None

    def find_by_nid(self, nid: bytes) -> Network | None:
        for net in self.networks.values():
            if net.nid == nid:
                return net
        return None

    def rotate(self, name: str, *, key: KeyLike | None = None, now: float | None = None) -> Nek:
        """Give network ``name`` a fresh random NEK under the next EKS (0..7, wrapping)."""
        net = self.network(name)
        current = net.current_nek
        eks = 0 if current is None else (current.eks + 1) % NEK_EKS_COUNT
        nek = Nek(eks, Secret(system_random_bytes(16) if key is None else key),
                  time.time() if now is None else now)
        net.neks = [*net.neks, nek][-NEKS_KEPT:]
        log.info("network %r: new NEK with EKS %d", name, eks)
        return nek

    def due_rotations(self, now: float | None = None) -> list[str]:
        return [name for name, net in self.networks.items() if net.rotation_due(now)]

    def rotate_due(self, now: float | None = None) -> dict[str, Nek]:
        return {name: self.rotate(name, now=now) for name in self.due_rotations(now)}

    # -------------------------------------------------------------------------- devices

    def add_device(
        self,
        mac: str | bytes,
        *,
        dak: KeyLike | None = None,
        password: bytes | str | None = None,
        name: str = "",
        network: str | None = None,
        replace: bool = False,
        now: float | None = None,
    ) -> Device:
        mac = normalise_mac(mac)
        if mac in self.devices and not replace:
            raise KeyStoreError(f"device {mac} already exists")
        if network is not None:
            self.network(network)
        dev = Device(mac, _key(dak, password, dak_from_password, "DAK"), name, network,
                     time.time() if now is None else now)
        self.devices[mac] = dev
        return dev

    def device(self, mac: str | bytes) -> Device:
        mac = normalise_mac(mac)
        try:
            return self.devices[mac]
        except KeyError:
            raise KeyStoreError(f"no device {mac}") from None

    def remove_device(self, mac: str | bytes) -> None:
        del self.devices[self.device(mac).mac]

    # -------------------------------------------------------------------------- (de)serialisation

    def to_payload(self, reveal_keys: bool = True) -> dict[str, Any]:
        """Plain dict of the store; with ``reveal_keys=False`` keys read ``"<redacted>"``."""

        def k(secret: Secret) -> str:
            return secret.reveal_hex() if reveal_keys else "<redacted>"

        return {
            "networks": [
                {
                    "name": n.name, "nmk": k(n.nmk), "nid": n.nid.hex().upper(),
                    "security_level": n.security_level, "rotation_interval_s": n.rotation_interval_s,
                    "created": n.created,
                    "neks": [{"eks": e.eks, "key": k(e.key), "created": e.created} for e in n.neks],
                }
                for n in self.networks.values()
            ],
            "devices": [
                {"mac": d.mac, "dak": k(d.dak), "name": d.name, "network": d.network, "created": d.created}
                for d in self.devices.values()
            ],
        }

    @classmethod
    def from_payload(cls, payload: Any, where: str = "key store") -> KeyStore:
        """Validate and load a payload dict; any inconsistency raises :class:`KeyStoreCorruptError`."""
        store = cls()
        try:
            if not isinstance(payload, dict) or set(payload) != {"networks", "devices"}:
                raise ValueError("payload must have exactly 'networks' and 'devices'")
            for i, n in enumerate(payload["networks"]):
                what = f"network #{i + 1}"
                net = store.add_network(
                    _str(n["name"], what), nmk=_hex16(n["nmk"], what), security_level=_int(n["security_level"]),
                    rotation_interval_s=_opt_float(n["rotation_interval_s"]), now=_float(n["created"]),
                )
                if n["nid"] != net.nid.hex().upper():
                    raise ValueError(f"{what}: stored NID does not match its NMK")
                for e in n["neks"]:
                    eks = _int(e["eks"])
                    if not 0 <= eks < NEK_EKS_COUNT:
                        raise ValueError(f"{what}: NEK EKS {eks} out of range 0..7")
                    net.neks.append(Nek(eks, Secret(_hex16(e["key"], what)), _float(e["created"])))
            for i, d in enumerate(payload["devices"]):
                what = f"device #{i + 1}"
                network = d["network"]
                if network is not None and network not in store.networks:
                    raise ValueError(f"{what}: unknown network")
                store.add_device(_str(d["mac"], what), dak=_hex16(d["dak"], what), name=_str(d["name"], what),
                                 network=network, now=_float(d["created"]))
        except KeyStoreCorruptError:
            raise
        except (KeyError, TypeError, ValueError, KeyStoreError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise KeyStoreCorruptError(f"{where}: invalid content ({detail})") from None
        return store

    # -------------------------------------------------------------------------- files

    def dumps(self, passphrase: str | bytes | None = None, *, scrypt_n: int = SCRYPT_N) -> bytes:
        """The file bytes; encrypted when ``passphrase`` is given."""
        payload = self.to_payload()
        envelope: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        if passphrase is None:
            envelope["encryption"] = None
            envelope["checksum"] = "sha256:" + sha256(_canonical(payload)).hexdigest()
            envelope["payload"] = payload
        else:
            salt, nonce = system_random_bytes(16), system_random_bytes(12)
            envelope["encryption"] = {
                "cipher": "AES-256-GCM", "kdf": "scrypt", "n": scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P,
                "salt": salt.hex(), "nonce": nonce.hex(),
            }
            key = crypto.scrypt_key(_pp(passphrase), salt, scrypt_n, SCRYPT_R, SCRYPT_P)
            sealed = crypto.gcm_encrypt(key, nonce, _canonical(payload), _canonical(envelope))
            envelope["payload"] = base64.b64encode(sealed).decode("ascii")
        return json.dumps(envelope, indent=1).encode("utf-8") + b"\n"

    @classmethod
    def loads(cls, data: bytes, passphrase: str | bytes | None = None, where: str = "key store") -> KeyStore:
        envelope = _envelope(data, where)
        enc = envelope["encryption"]
        if enc is None:
            return cls.from_payload(envelope["payload"], where)
        if passphrase is None:
            raise KeyStorePassphraseError(
                f"{where} is encrypted: give the passphrase ({PASSPHRASE_ENV} or the prompt)"
            )
        try:
            salt, nonce = bytes.fromhex(enc["salt"]), bytes.fromhex(enc["nonce"])
            sealed = base64.b64decode(envelope["payload"], validate=True)
        except (ValueError, TypeError) as exc:
            raise KeyStoreCorruptError(f"{where}: invalid encryption fields ({exc})") from None
        header = {k: v for k, v in envelope.items() if k != "payload"}
        key = crypto.scrypt_key(_pp(passphrase), salt, enc["n"], enc["r"], enc["p"])
        try:
            plain = crypto.gcm_decrypt(key, nonce, sealed, _canonical(header))
        except AuthenticationError:
            raise KeyStorePassphraseError(
                f"{where}: wrong passphrase, or the file was tampered with (AES-GCM tag does not verify)"
            ) from None
        try:
            payload = json.loads(plain)
        except ValueError:
            raise KeyStoreCorruptError(f"{where}: decrypted payload is not JSON") from None
        return cls.from_payload(payload, where)

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: str | bytes | None = None,
             missing_ok: bool = False) -> KeyStore:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            if missing_ok:
                return cls()
            raise KeyStoreError(f"{path}: no such key store") from None
        except OSError as exc:
            raise KeyStoreError(f"{path}: cannot read ({exc.strerror})") from None
        return cls.loads(data, passphrase, str(path))

    def save(self, path: str | os.PathLike[str], passphrase: str | bytes | None = None, *,
             force: bool = False, scrypt_n: int = SCRYPT_N) -> None:
        """Atomically replace ``path`` (mode 0600); refuses to replace a corrupt file unless ``force``."""
        path = Path(path)
        data = self.dumps(passphrase, scrypt_n=scrypt_n)
        if not force and path.exists():
            _envelope(path.read_bytes(), str(path))  # raises KeyStoreCorruptError: keep it for inspection
        newly_encrypted = passphrase is not None and is_encrypted(path) is False
        _atomic_write(path, data, verify=lambda written: type(self).loads(written, passphrase, str(path)))
        if newly_encrypted:  # the backup is the old plain-text generation: do not leave keys in clear
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path.with_name(path.name + ".bak"))


def is_encrypted(path: str | os.PathLike[str]) -> bool | None:
    """True/False for an existing store file, None if there is none (or it cannot be parsed)."""
    try:
        return _envelope(Path(path).read_bytes(), str(path))["encryption"] is not None
    except (OSError, KeyStoreError):
        return None


def permission_problem(path: str | os.PathLike[str]) -> str | None:
    """A warning if the store file is readable or writable by group or others."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} has mode {stat.S_IMODE(mode):04o}; keys should be 0600 (chmod 600 {path})"
    return None


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Exclusive advisory lock (``<path>.lock``) for a load-modify-save sequence."""
    import fcntl

    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- helpers


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _pp(passphrase: str | bytes) -> bytes:
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)


def _envelope(data: bytes, where: str) -> dict[str, Any]:
    """Parse and check the envelope (format, version, checksum / encryption parameters)."""
    try:
        envelope = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise KeyStoreCorruptError(f"{where}: not a JSON key store (corrupt or truncated)") from None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise KeyStoreCorruptError(f"{where}: not a plcstack key store")
    if envelope.get("version") != VERSION:
        raise KeyStoreCorruptError(f"{where}: unsupported key store version {envelope.get('version')!r}")
    enc = envelope.get("encryption", "missing")
    if enc is None:
        if set(envelope) != {"format", "version", "encryption", "checksum", "payload"}:
            raise KeyStoreCorruptError(f"{where}: unexpected or missing top-level fields")
        expected = "sha256:" + sha256(_canonical(envelope["payload"])).hexdigest()
        if envelope["checksum"] != expected:
            raise KeyStoreCorruptError(f"{where}: checksum mismatch (file corrupt or edited)")
        return envelope
    if set(envelope) != {"format", "version", "encryption", "payload"} or not isinstance(enc, dict):
        raise KeyStoreCorruptError(f"{where}: unexpected or missing top-level fields")
    try:
        ok = (
            enc["cipher"] == "AES-256-GCM" and enc["kdf"] == "scrypt"
            and isinstance(enc["n"], int) and 1 << 10 <= enc["n"] <= 1 << 22 and enc["n"] & (enc["n"] - 1) == 0
            and isinstance(enc["r"], int) and 1 <= enc["r"] <= 32
            and isinstance(enc["p"], int) and 1 <= enc["p"] <= 16
            and isinstance(enc["salt"], str) and isinstance(enc["nonce"], str)
            and len(enc["nonce"]) == 24 and isinstance(envelope["payload"], str)
        )
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise KeyStoreCorruptError(f"{where}: invalid or unsupported encryption parameters")
    return envelope


def _atomic_write(path: Path, data: bytes, verify: Any = None) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{system_random_bytes(4).hex()}.tmp")
    link_tmp = path.with_name(f".{path.name}.bak.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if verify is not None:
            verify(tmp.read_bytes())
        if path.exists():  # keep the previous good generation as <name>.bak (same inode, same mode)
            bak = path.with_name(path.name + ".bak")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link_tmp)
            try:
                os.link(path, link_tmp)
            except OSError:  # no hard links here: copy instead
                import shutil

                shutil.copyfile(path, link_tmp)
                os.chmod(link_tmp, 0o600)
            os.replace(link_tmp, bak)
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, link_tmp):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _float(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError("expected a number")
    return float(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else _float(value)


def _hex16(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: a key is not hex") from None
    if len(raw) != 16:
        raise ValueError(f"{what}: a key is not 16 bytes")
    return raw
