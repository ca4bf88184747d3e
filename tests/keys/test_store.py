"""Key store: model, NEK rotation, atomic 0600 files, encryption at rest, corrupt/tampered files refused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from plcstack.keys.derive import dak_from_password, nid_from_password, nmk_from_password
from plcstack.keys.errors import KeyFormatError, KeyStoreCorruptError, KeyStoreError, KeyStorePassphraseError
from plcstack.keys.store import KeyStore, is_encrypted, locked, normalise_mac, permission_problem

FAST = {"scrypt_n": 1 << 10}  # keep the tests quick; real stores use 2**15
NMK_HEX = nmk_from_password("HomePlugAV0123").hex()


def sample() -> KeyStore:
    store = KeyStore()
    store.add_network("garage", password="HomePlugAV0123", security_level=1, rotation_interval_s=3600, now=1000.0)
    store.add_network("lab", nmk=bytes(range(16)), now=1000.0)
    store.rotate("garage", now=1000.0)
    store.add_device("00:B0:52:00:00:01", password="RMHT-ILPO-TYMN-IIXY", name="charger", network="garage",
                     now=1000.0)
    return store


def all_hex_keys(store: KeyStore) -> list[str]:
    keys = [n.nmk.reveal().hex() for n in store.networks.values()]
    keys += [e.key.reveal().hex() for n in store.networks.values() for e in n.neks]
    keys += [d.dak.reveal().hex() for d in store.devices.values()]
    return keys


def test_model() -> None:
    store = sample()
    garage = store.network("garage")
    assert garage.nid == nid_from_password("HomePlugAV0123", 1)
    assert store.find_by_nid(garage.nid) is garage
    assert store.device("00b052000001").dak == dak_from_password("RMHT-ILPO-TYMN-IIXY")
    assert normalise_mac(b"\x00\xb0\x52\x00\x00\x01") == "00:b0:52:00:00:01"
    with pytest.raises(KeyStoreError):
        store.add_network("garage", nmk=bytes(16))
    with pytest.raises(KeyFormatError):
        store.add_network("x", nmk=bytes(16), password="both")
    with pytest.raises(KeyStoreError):
        store.add_device("02:00:00:00:00:09", dak=bytes(16), network="nowhere")
    store.remove_network("garage")
    assert store.device("00:b0:52:00:00:01").network is None


def test_repr_never_shows_keys() -> None:
    store = sample()
    text = repr(store) + str(store.networks) + repr(store.to_payload(reveal_keys=False))
    for key in all_hex_keys(store):
        assert key not in text.lower()
    assert "redacted" in text


def test_rotation_schedule() -> None:
    store = sample()
    garage = store.network("garage")
    assert garage.current_nek is not None and garage.current_nek.eks == 0
    assert garage.next_rotation() == 4600.0
    assert store.due_rotations(now=4599.0) == []
    assert store.due_rotations(now=4600.0) == ["garage"]  # "lab" has no schedule
    rotated = store.rotate_due(now=4600.0)
    assert rotated["garage"].eks == 1 and len(garage.neks) == 2
    for i in range(8):
        store.rotate("garage", now=5000.0 + i)
    assert [e.eks for e in garage.neks] == [0, 1]  # wrapped 2..7, 0, 1; two kept
    assert garage.neks[0].key != garage.neks[1].key


@pytest.mark.parametrize("passphrase", [None, "correct horse"])
def test_round_trip_and_mode(tmp_path: Path, passphrase: str | None) -> None:
    path = tmp_path / "sub" / "keys.json"
    store = sample()
    store.save(path, passphrase, **FAST)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and permission_problem(path) is None
    assert is_encrypted(path) is (passphrase is not None)
    loaded = KeyStore.load(path, passphrase)
    assert loaded.to_payload() == store.to_payload()
    text = path.read_text()
    if passphrase is not None:
        for key in all_hex_keys(store):
            assert key not in text.lower()
        assert "garage" not in text  # names are encrypted too
    store.rotate("lab")
    store.save(path, passphrase, **FAST)
    assert (tmp_path / "sub" / "keys.json.bak").exists()
    assert KeyStore.load(tmp_path / "sub" / "keys.json.bak", passphrase).to_payload() == loaded.to_payload()
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json", "keys.json.bak"]


def test_group_readable_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    sample().save(path)
    os.chmod(path, 0o644)
    assert "0644" in (permission_problem(path) or "")


def test_plain_tampering_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    sample().save(path)
    envelope = json.loads(path.read_text())
    envelope["payload"]["networks"][0]["nmk"] = "00" * 16
    path.write_text(json.dumps(envelope))
    with pytest.raises(KeyStoreCorruptError, match="checksum"):
        KeyStore.load(path)
    # an editor who also fixes the checksum still trips over the NID check
    import hashlib

    from plcstack.keys.store import _canonical

    envelope["checksum"] = "sha256:" + hashlib.sha256(_canonical(envelope["payload"])).hexdigest()
    path.write_text(json.dumps(envelope))
    with pytest.raises(KeyStoreCorruptError, match="NID does not match"):
        KeyStore.load(path)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "other-json"])
def test_corrupt_file_refused_and_never_overwritten(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "keys.json"
    sample().save(path)
    good = path.read_bytes()
    bad = {"truncate": good[: len(good) // 2], "garbage": os.urandom(64), "empty": b"",
           "other-json": b'{"hello": 1}'}[damage]
    path.write_bytes(bad)
    with pytest.raises(KeyStoreCorruptError) as info:
        KeyStore.load(path)
    for key in all_hex_keys(sample()):
        assert key not in str(info.value).lower()
    with pytest.raises(KeyStoreCorruptError):
        KeyStore().save(path)
    assert path.read_bytes() == bad  # left for inspection
    KeyStore().save(path, force=True)
    assert KeyStore.load(path).networks == {}


def test_encrypted_tampering_and_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    sample().save(path, "pass", **FAST)
    with pytest.raises(KeyStorePassphraseError, match="encrypted"):
        KeyStore.load(path)
    with pytest.raises(KeyStorePassphraseError, match="wrong passphrase"):
        KeyStore.load(path, "Pass")
    envelope = json.loads(path.read_text())
    payload = bytearray(envelope["payload"].encode())
    payload[10] = ord("A") if payload[10] != ord("A") else ord("B")
    envelope["payload"] = payload.decode()
    path.write_text(json.dumps(envelope))
    with pytest.raises(KeyStorePassphraseError):
        KeyStore.load(path, "pass")
    envelope = json.loads(path.read_text())
    envelope["encryption"]["n"] = 1 << 30  # a tampered cost parameter is refused before any work
    path.write_text(json.dumps(envelope))
    with pytest.raises(KeyStoreCorruptError):
        KeyStore.load(path, "pass")


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys.json"
    sample().save(path)
    good = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        KeyStore().save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_and_lock(tmp_path: Path) -> None:
    path = tmp_path / "new" / "keys.json"
    with pytest.raises(KeyStoreError):
        KeyStore.load(path)
    with locked(path):
        store = KeyStore.load(path, missing_ok=True)
        store.add_network("n", nmk=bytes.fromhex(NMK_HEX))
        store.save(path)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert KeyStore.load(path).network("n").nmk.reveal().hex() == NMK_HEX


def test_encrypting_a_plain_store_drops_the_plain_backup(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    sample().save(path)
    sample().save(path)
    assert (tmp_path / "keys.json.bak").exists()
    sample().save(path, "now secret", **FAST)
    assert not (tmp_path / "keys.json.bak").exists()
    sample().save(path, "now secret", **FAST)
    assert is_encrypted(tmp_path / "keys.json.bak")
