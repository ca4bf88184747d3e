"""plcstack.cli.keys: `plcstack keys ...` end to end (in-process), incl. byte-exact output against hpavkey."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from plcstack.cli import main
from plcstack.keys.derive import dak_from_password, nmk_from_password
from plcstack.pcapio import write_pcap

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures"  # as tests/conftest.py
ABB = CAPTURES / "third-party/iso15118-simulator-rs__ABB-Normal.pcapng"
OPENPLC = CAPTURES / "openplc-clients/slac-openplc.pcap"
HPAVKEY = shutil.which("hpavkey")
needs = pytest.mark.skipif
VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
needs_openplc = needs(not OPENPLC.exists(), reason=f"needs ../shared/captures/openplc-clients/{OPENPLC.name} "
                      "(not in the repository)")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["keys", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.realtools
@needs(HPAVKEY is None, reason="open-plc-utils `hpavkey` not installed (Debian: apt-get install plc-utils)")
@pytest.mark.parametrize(("ours", "theirs"), [(["nmk"], ["-M"]), (["dak"], ["-D"]), (["nid", "-p", "--level", "1"],
                                                                                      ["-N", "-L", "1"])])
def test_output_identical_to_hpavkey(capsys: pytest.CaptureFixture[str], ours: list[str], theirs: list[str]) -> None:
    phrases = ["HomePlugAV", "HomePlugAV0123", "with spaces", "x", "-dash"]
    assert HPAVKEY is not None
    expected = subprocess.run([HPAVKEY, *theirs, "--", *phrases], capture_output=True, check=True).stdout.decode()
    code, out, _ = run(capsys, *ours, "--", *phrases)
    assert code == 0 and out == expected


def test_nid_from_nmk_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "nid", "50:D3:E4:93:3F:85:5B:70:40:78:4D:F8:15:AA:8D:B7") == (0, "B0F2E695666B03\n", "")
    assert run(capsys, "nid", "50D3E4933F855B7040784DF815AA8DB7", "-L", "1")[1] == "B0F2E695666B13\n"
    code, out, err = run(capsys, "nid", "not-hex")
    assert code == 1 and out == "" and "NMK is not hex" in err and "Traceback" not in err


def test_enforce(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "nmk", "-e", "short", "HomePlugAV0123")
    assert code == 1 and out == "B59319D7E8157BA001B018669CCEE30D\n" and "at least 12" in err


def test_stdin_passwords(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    fake = io.TextIOWrapper(io.BytesIO(b"HomePlugAV\ncaf\xc3\xa9 au lait\n"))
    monkeypatch.setattr(sys, "stdin", fake)
    code, out, _ = run(capsys, "nmk", "-")
    assert out.split() == [nmk_from_password(p).hex().upper() for p in (b"HomePlugAV", "café au lait".encode())]


def test_default_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "default-password", "44:94:FC:56:FF:34")[1] == "UEWA-KWBV-TWGM-OZUH\n"
    code, out, _ = run(capsys, "default-password", "--dak", "4494fc56ff34")
    assert out == dak_from_password("UEWA-KWBV-TWGM-OZUH").hex().upper() + "\n"
    assert run(capsys, "default-password", "zz")[0] == 2


def test_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "HomePlugAV0123")
    assert code == 1 and "FACTORY DEFAULT" in out and "HomePlugAV0123" not in out.replace("NMK2", "")[:60]
    code, out, _ = run(capsys, "check", "--json", "kT7#mQ2!vX9@pL4z")
    report = json.loads(out)
    assert code == 0 and report["in_policy"] and not report["weak"] and report["findings"] == []


@pytest.fixture(params=["tests-data", "shared"])
def abb(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The ABB capture, or its frames 19-20 and 25-26 from tests/data in their places (other frames: not HomePlug)."""
    if request.param == "shared":
        if not ABB.exists():
            pytest.skip(f"needs ../shared/captures/third-party/{ABB.name} (third-party capture, not in the "
                        "repository; its key frames in tests/data are tested all the same)")
        return ABB
    doc = json.loads((VECTORS / "iso15118-simulator-rs.json").read_text())
    frames = {v["frame"]: bytes.fromhex(v["hex"]) for v in doc["vectors"]}
    filler = bytes.fromhex("333300000001" "020000000099" "86dd") + bytes(46)
    path = tmp_path / "abb-key-frames.pcap"
    write_pcap(path, [(float(n), frames.get(n, filler)) for n in range(1, 27)])
    return path


def test_decrypt_abb(capsys: pytest.CaptureFixture[str], abb: Path) -> None:
    code, out, err = run(capsys, "decrypt", str(abb), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [o["name"] for o in lines] == ["CM_GET_KEY.REQ", "CM_GET_KEY.CNF"]
    assert [o["frame"] for o in lines] == [25, 26]
    assert lines[0]["encrypted_payload"]["key"] == "NMK from frame 20 (CM_SLAC_MATCH.CNF)"
    assert lines[1]["fields"]["result"] == 0 and lines[1]["fields"]["eks"] == 5
    assert {"frame", "time", "src", "dst", "mmv", "mmtype", "name", "oui", "fmi", "fields", "error"} <= set(lines[0])
    nmk = "8F66002D1A0C41B970BF9CC84634C4B5"
    assert nmk.lower() not in out.lower()  # the NMK that opened them is named, not shown
    code, out, err = run(capsys, "decrypt", str(abb))
    assert code == 0 and "CM_GET_KEY.CNF" in out and "CRC ok" in out


def test_decrypt_given_key_only(capsys: pytest.CaptureFixture[str], abb: Path) -> None:
    code, out, err = run(capsys, "decrypt", str(abb), "--no-disclosed", "--password", "HomePlugAV")
    assert code == 1 and out.count("NOT decrypted") == 2 and "no key authenticates" in out
    code, out, err = run(capsys, "decrypt", str(abb), "--no-disclosed", "--nmk", "8F66002D1A0C41B970BF9CC84634C4B5")
    assert code == 0 and "decrypted with --nmk #1" in out


def test_decrypt_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "decrypt", str(tmp_path / "nope.pcap"))
    assert code == 2 and "nope.pcap" in err and "Traceback" not in err
    (tmp_path / "junk.pcap").write_bytes(b"not a capture at all, sorry")
    code, out, err = run(capsys, "decrypt", str(tmp_path / "junk.pcap"))
    assert code == 2 and err.startswith("plcstack keys: error:")


@needs_openplc
def test_audit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    words = tmp_path / "words.txt"
    words.write_bytes(b"nothing\nHomePlugAV\r\n\nalso-nothing\n")
    code, out, err = run(capsys, "audit", str(OPENPLC), "--no-builtin", "-w", str(words), "-j", "1", "--json")
    report = json.loads(out)
    nids = {n["nid"]: n for n in report["nids"]}
    assert nids["B0F2E695666B03"]["default_password"] == "HomePlugAV"
    assert nids["B0F2E695666B03"]["recovered_passwords"] == ["HomePlugAV"]
    assert nids["B0F2E695666B03"]["frames"] == [3, 36]
    assert report["search"]["candidates"] == 3 and report["search"]["processes"] == 1
    assert all(k["key"] == "<redacted>" for k in report["keys"]) and len(report["keys"]) == 5
    assert any("factory-default" in f for f in report["findings"])
    code, out, _ = run(capsys, "audit", str(OPENPLC), "--no-search", "--show-keys")
    assert code == 0 and nmk_from_password("HomePlugAV").hex().upper() in out and "FACTORY DEFAULT" in out


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["keys"], ["keys", "audit"], ["keys", "store"], ["keys", "decrypt"]):
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        assert "examples:" in capsys.readouterr().out
