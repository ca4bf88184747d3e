"""plcstack.cli.keys_store: `plcstack keys store ...` end to end (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plcstack.cli import main
from plcstack.keys.derive import nmk_from_password


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["keys", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_store_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import plcstack.keys.store as store_mod

    monkeypatch.setattr(store_mod, "SCRYPT_N", 1 << 10)
    monkeypatch.setenv("PLCSTACK_KEYSTORE_PASSPHRASE", "s3cret passphrase")
    path = tmp_path / "keys.json"
    s = ["store", "--store", str(path)]
    code, out, err = run(capsys, *s, "add-network", "home", "--password", "HomePlugAV0123", "--rotate-every", "1d")
    assert code == 2 and "factory default" in err  # refused without --allow-weak
    code, out, err = run(capsys, *s, "add-network", "home", "--password", "HomePlugAV0123", "--allow-weak",
                         "--level", "1", "--rotate-every", "1d")
    assert code == 0 and "NID 026BCBA5354E18" in out
    assert run(capsys, *s, "add-device", "00-B0-52-00-00-01", "--password", "RMHT-ILPO-TYMN-IIXY",
               "--network", "home")[0] == 0
    assert run(capsys, *s, "rotate", "home")[1] == "network 'home': new NEK, EKS 1\n"
    code, out, _ = run(capsys, *s, "list")
    nmk_hex = nmk_from_password("HomePlugAV0123").hex().upper()
    assert code == 0 and "(encrypted)" in out and "026BCBA5354E18" in out and nmk_hex not in out
    assert nmk_hex not in path.read_text().upper()
    code, out, _ = run(capsys, *s, "export", "--reveal")
    assert json.loads(out)["networks"][0]["nmk"] == nmk_hex
    monkeypatch.setenv("PLCSTACK_KEYSTORE_PASSPHRASE", "wrong")
    code, out, err = run(capsys, *s, "list")
    assert code == 2 and "wrong passphrase" in err
    good = path.read_bytes()
    path.write_bytes(good[:-40])
    code, out, err = run(capsys, *s, "rotate", "home")
    assert code == 2 and "corrupt" in err and path.read_bytes() == good[:-40]
