"""plcstack.keys.crypto: the primitives against their standards' published check values."""

from __future__ import annotations

import pytest

from plcstack.keys import crypto
from plcstack.keys.errors import AuthenticationError, KeyFormatError


def test_crc32_check_value() -> None:
    assert crypto.crc32(b"123456789") == 0xCBF43926  # the CRC-32 (IEEE 802.3) check value


def test_aes128_fips197() -> None:
    # FIPS-197 appendix C.1; one CBC block with a zero IV is the plain block cipher
    key, block = bytes(range(16)), bytes.fromhex("00112233445566778899aabbccddeeff")
    ct = crypto.aes_cbc_encrypt(key, bytes(16), block)
    assert ct.hex() == "69c4e0d86a7b0430d8cdb78070b4c55a"
    assert crypto.aes_cbc_decrypt(key, bytes(16), ct) == block
    with pytest.raises(ValueError):
        crypto.aes_cbc_encrypt(key, bytes(16), b"not a block")
    with pytest.raises(KeyFormatError):
        crypto.aes_cbc_decrypt(bytes(8), bytes(16), ct)


def test_scrypt_rfc7914() -> None:
    # RFC 7914 section 12, second vector
    dk = crypto.scrypt_key(b"password", b"NaCl", 1024, 8, 16, 64)
    assert dk.hex() == ("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                        "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")


def test_gcm_tag_is_checked() -> None:
    key, nonce = bytes(32), bytes(12)
    sealed = crypto.gcm_encrypt(key, nonce, b"payload", b"header")
    assert crypto.gcm_decrypt(key, nonce, sealed, b"header") == b"payload"
    with pytest.raises(AuthenticationError) as info:
        crypto.gcm_decrypt(key, nonce, sealed, b"other header")
    assert info.value.reason == "tag"
