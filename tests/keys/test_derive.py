"""plcstack.keys.derive: published known answers, and bit-exact agreement with the real open-plc-utils ``hpavkey``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plcstack.keys.derive import (
    dak_from_password,
    format_key,
    mac_default_password,
    nid_from_nmk,
    nid_from_password,
    nid_matches_nmk,
    nid_security_level,
    nid_without_level,
    nmk_from_password,
    parse_hex,
)
from plcstack.keys.errors import KeyFormatError
from plcstack.keys.policy import policy_violations

HPAVKEY = shutil.which("hpavkey")
_skip_without_hpavkey = pytest.mark.skipif(
    HPAVKEY is None, reason="open-plc-utils `hpavkey` not installed (Debian: apt-get install plc-utils)"
)


def needs_hpavkey(test: Any) -> Any:
    return pytest.mark.realtools(_skip_without_hpavkey(test))

# published known answers with their sources: tests/data/keys/key-derivation.json (docs/keys.md)
VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "keys" / "key-derivation.json").read_text())
PASSWORDS = VECTORS["passwords"]


@pytest.mark.parametrize("vector", PASSWORDS, ids=[v["password"] for v in PASSWORDS])
def test_published_passwords(vector: dict[str, Any]) -> None:
    password, nmk = vector["password"], vector["nmk"]
    assert vector["sources"]
    assert format_key(nmk_from_password(password)) == nmk
    if "dak" in vector:
        assert format_key(dak_from_password(password)) == vector["dak"]
    for level, nid in vector.get("nid", {}).items():
        assert format_key(nid_from_password(password, int(level))) == nid
        assert format_key(nid_from_nmk(bytes.fromhex(nmk), int(level))) == nid
        assert nid_security_level(bytes.fromhex(nid)) == int(level)
        assert nid_matches_nmk(bytes.fromhex(nid), bytes.fromhex(nmk))


def test_published_levels_share_the_hash_bits() -> None:
    for vector in PASSWORDS:
        nids = [bytes.fromhex(n) for n in vector.get("nid", {}).values()]
        assert len({nid_without_level(n) for n in nids}) <= 1


@pytest.mark.parametrize("vector", VECTORS["nmk_nid"], ids=[v["nmk"] for v in VECTORS["nmk_nid"]])
def test_published_nid(vector: dict[str, str]) -> None:
    assert vector["source"] and format_key(nid_from_nmk(bytes.fromhex(vector["nmk"]))) == vector["nid"]


def test_str_is_utf8_and_bytes_accepted() -> None:
    assert nmk_from_password("café") == nmk_from_password("café".encode())
    assert nmk_from_password(bytearray(b"HomePlugAV")) == bytes.fromhex(PASSWORDS[0]["nmk"])


def test_bad_inputs() -> None:
    with pytest.raises(KeyFormatError):
        nid_from_nmk(b"short")
    with pytest.raises(ValueError):
        nid_from_nmk(bytes(16), 4)
    with pytest.raises(KeyFormatError):
        parse_hex("zz", 16, "NMK")
    with pytest.raises(KeyFormatError):
        parse_hex("00" * 15, 16, "NMK")
    assert parse_hex("0x50:D3-E4 93" + "00" * 12, 16) == bytes.fromhex("50D3E493" + "00" * 12)


# ---------------------------------------------------------------- the real hpavkey as oracle

def hpavkey(flags: list[str], phrases: list[bytes]) -> list[str]:
    """Run hpavkey once for a batch of phrases (it accepts several); one output line per accepted phrase."""
    assert HPAVKEY is not None
    done = subprocess.run([HPAVKEY, *flags, "--", *phrases], capture_output=True, timeout=60, check=True)
    return done.stdout.decode("ascii").split()


# argv strings cannot contain NUL; everything else goes, incl. spaces, newlines, non-ASCII and '-' prefixes
phrase = st.one_of(
    st.binary(min_size=0, max_size=80).map(lambda b: b.replace(b"\0", b"")),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=70).map(str.encode),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40).map(str.encode),
)
EDGE = [b"", b"a", b" ", b"x" * 64, b"y" * 65, b"HomePlugAV", b"-HomePlugAV", b"with spaces  inside ",
        b"\xff\xfe\x80", "café €".encode(), b"tab\tnew\nline", b"A" * 11, b"B" * 12, b"~" * 200]


@needs_hpavkey
def test_hpavkey_edge_cases() -> None:
    assert hpavkey(["-M"], EDGE) == [format_key(nmk_from_password(p)) for p in EDGE]
    assert hpavkey(["-D"], EDGE) == [format_key(dak_from_password(p)) for p in EDGE]
    for level in (0, 1):
        assert hpavkey(["-N", "-L", str(level)], EDGE) == [format_key(nid_from_password(p, level)) for p in EDGE]


@needs_hpavkey
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(phrases=EDGE)
@given(phrases=st.lists(phrase, min_size=1, max_size=40))
def test_hpavkey_agrees(phrases: list[bytes]) -> None:
    nmks = [nmk_from_password(p) for p in phrases]
    assert hpavkey(["-M"], phrases) == [format_key(k) for k in nmks]
    assert hpavkey(["-D"], phrases) == [format_key(dak_from_password(p)) for p in phrases]
    assert hpavkey(["-N", "-L", "0"], phrases) == [format_key(nid_from_nmk(k, 0)) for k in nmks]
    assert hpavkey(["-N", "-L", "1"], phrases) == [format_key(nid_from_nmk(k, 1)) for k in nmks]


@needs_hpavkey
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(phrases=EDGE)
@given(phrases=st.lists(phrase, min_size=1, max_size=40))
def test_hpavkey_enforce_agrees_with_policy(phrases: list[bytes]) -> None:
    accepted = [p for p in phrases if not policy_violations(p)]
    assert hpavkey(["-e", "-M"], phrases) == [format_key(nmk_from_password(p)) for p in accepted]


MAC2PW = shutil.which("mac2pw")


def test_mac_default_password_vectors() -> None:
    # values of open-plc-utils `mac2pw -m -l 16 -b 4` (Debian plc-utils). HomePlugPWN's README quotes
    # "RMHT-ILPO-TYMN-IIXY" for 44:94:FC:56:FF:34; mac2pw itself prints the value below (docs/keys.md).
    assert mac_default_password("44:94:FC:56:FF:34") == "UEWA-KWBV-TWGM-OZUH"
    assert mac_default_password(bytes.fromhex("0080E1000003")) == "NSFP-TTOV-JHDG-BDLU"
    assert mac_default_password("0080E1000003", 25, 0) == "NSFPTTOVJHDGBDLU" + mac_default_password(
        "0080E1000003", 25, 0)[16:]


@pytest.mark.realtools
@pytest.mark.skipif(MAC2PW is None, reason="open-plc-utils `mac2pw` not installed (Debian: apt-get install plc-utils)")
@settings(max_examples=5, deadline=None)
@given(macs=st.lists(st.tuples(st.integers(1, 0xFFFFFF), st.integers(1, 0xFFFFFE)), min_size=1, max_size=40))  # mac2pw refuses 0 and FFFFFF
def test_mac_default_password_agrees_with_mac2pw(macs: list[tuple[int, int]]) -> None:
    assert MAC2PW is not None
    addresses = [f"{v:06X}{d:06X}" for v, d in macs]
    done = subprocess.run([MAC2PW, "-m", "-q", "-l", "16", "-b", "4", *addresses], capture_output=True, check=True,
                          timeout=60)
    assert done.stdout.decode().split() == [mac_default_password(a) for a in addresses]
