"""CM_ENCRYPTED_PAYLOAD byte-level core: the derived vector of vectors.md section 2, round trips, failures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.keys import crypto
from plcstack.keys.constants import Peks
from plcstack.keys.derive import dak_from_password
from plcstack.keys.errors import AuthenticationError, PayloadFormatError
from plcstack.keys.payload import HEADER_LEN, PayloadHeader, open_payload, seal, unwrap
from plcstack.keys.secret import Secret

# vectors.md section 2 (Vertexcom tulum_utils test_security.c inputs, ciphertext derived)
DAK = bytes.fromhex("EE7F5788E2A021C999469AC52AF30A06")
INNER = bytes.fromhex(
    "00313233343500464748495088E10108600000010011223344332211022D370302026BCBA5354E1801"
    "B59319D7E8157BA001B018669CCEE30D"
)
IV = bytes.fromhex("FEDCBA9876543210FEDCBA9876543210")
FILLER = bytes.fromhex("2468ACE035")
PADDING = bytes.fromhex("ACBCD2114DAE1577C6")
CIPHERTEXT = bytes.fromhex(
    "A9A887CA49530931BB7360AD22B284619EAFB1078A318564A90BD1D3E629B7BD008A626840B13DBDDC3E26E512331F9E"
    "67CC44187681F653D0DBE18FBB0ED9DF095CC6B89F21657B203ED6593635663C"
)
PREFIX = bytes.fromhex("0005022D3703FEDCBA9876543210FEDCBA98765432103900")


def vector_mmentry() -> bytes:
    return seal(
        INNER, DAK, peks=Peks.DAK, pid=2, prn=0x372D, pmn=3, avln_status=5, iv=IV, filler=FILLER, padding=PADDING
    )


def test_dak_of_vector_password() -> None:
    assert dak_from_password("DAK_Password") == DAK


def test_crc_of_vector() -> None:
    assert crypto.crc32(INNER) == 0x202866F1


def test_seal_reproduces_vector() -> None:
    assert vector_mmentry() == PREFIX + CIPHERTEXT


def test_open_vector() -> None:
    opened = unwrap(PREFIX + CIPHERTEXT, Secret(DAK))
    assert opened.inner == INNER
    assert opened.header == PayloadHeader(0, 5, 2, 0x372D, 3, IV, 57)
    assert (opened.filler_length, opened.padding_length) == (5, 9)
    assert open_payload(PREFIX + CIPHERTEXT, DAK) == INNER


def test_wrong_key_is_authentication_error() -> None:
    with pytest.raises(AuthenticationError) as info:
        open_payload(PREFIX + CIPHERTEXT, bytes(16))
    assert DAK.hex() not in str(info.value).lower()


def test_flipped_ciphertext_bit_is_authentication_error() -> None:
    data = bytearray(PREFIX + CIPHERTEXT)
    data[HEADER_LEN + 20] ^= 0x01  # inside the MM: CBC garbles this block and flips a bit in the next
    with pytest.raises(AuthenticationError):
        open_payload(bytes(data), DAK)


def test_header_trailer_mismatch_is_authentication_error() -> None:
    data = bytearray(PREFIX + CIPHERTEXT)
    data[5] = 4  # PMN in the clear header no longer matches the encrypted trailer
    with pytest.raises(AuthenticationError) as info:
        open_payload(bytes(data), DAK)
    assert info.value.reason == "trailer"


def test_truncated_is_format_error() -> None:
    with pytest.raises(PayloadFormatError):
        open_payload(PREFIX[:10], DAK)
    with pytest.raises(PayloadFormatError):
        open_payload(PREFIX + CIPHERTEXT[:32], DAK)


def test_clear_payload_peks_0f() -> None:
    mmentry = seal(INNER, None, peks=Peks.NO_KEY, pid=4, prn=7, pmn=1)
    assert mmentry[0] == 0x0F and mmentry[HEADER_LEN:] == INNER
    assert open_payload(mmentry, None) == INNER


def test_needs_key() -> None:
    with pytest.raises(PayloadFormatError):
        seal(INNER, None, peks=Peks.NMK, pid=0, prn=0, pmn=1)
    with pytest.raises(PayloadFormatError):
        open_payload(PREFIX + CIPHERTEXT, None)


@settings(max_examples=60, deadline=None)
@given(
    inner=st.binary(min_size=0, max_size=600),
    key=st.binary(min_size=16, max_size=16),
    peks=st.sampled_from([Peks.DAK, Peks.NMK, Peks.TEK_0, Peks.TEK_12]),
    pid=st.integers(0, 255),
    prn=st.integers(0, 0xFFFF),
    pmn=st.integers(0, 255),
)
def test_round_trip(inner: bytes, key: bytes, peks: Peks, pid: int, prn: int, pmn: int) -> None:
    mmentry = seal(inner, key, peks=peks, pid=pid, prn=prn, pmn=pmn)
    assert (len(mmentry) - HEADER_LEN) % 16 == 0
    opened = unwrap(mmentry, key)
    assert opened.inner == inner
    assert opened.header.peks == peks and opened.header.length == len(inner)
    assert 0 <= opened.filler_length <= 15 and 0 <= opened.padding_length <= 15


def test_random_filler_varies() -> None:
    sealed = {seal(INNER, DAK, pid=2, prn=1, pmn=1) for _ in range(8)}
    assert len(sealed) == 8
