"""The only module that touches cipher objects (``cryptography``) and CRC-32.

HomePlug AV uses AES-128-CBC without padding for CM_ENCRYPTED_PAYLOAD (the payload pads itself) and
CRC-32 (IEEE 802.3, zlib) for its integrity check (``docs/keys.md``). The key store uses scrypt +
AES-256-GCM. Random bytes are not made here: callers pass them (:mod:`plcstack.keys.rng`).
"""

from __future__ import annotations

import zlib

from plcstack.keys.errors import AuthenticationError, KeyFormatError

AES_BLOCK = 16


def crc32(data: bytes) -> int:
    """CRC-32 as HomePlug AV uses it (IEEE 802.3 polynomial, reflected, ~0 init/xorout == zlib.crc32)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def _check_aes128(key: bytes) -> None:
    if len(key) != 16:
        raise KeyFormatError(f"AES-128 key must be 16 bytes, got {len(key)}")


def aes_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """AES-128-CBC, no padding: ``len(plaintext)`` must be a multiple of 16."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    _check_aes128(key)
    if len(plaintext) % AES_BLOCK:
        raise ValueError("AES-CBC plaintext must be a multiple of 16 bytes")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def aes_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """AES-128-CBC, no padding: ``len(ciphertext)`` must be a multiple of 16."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    _check_aes128(key)
    if len(ciphertext) % AES_BLOCK:
        raise ValueError("AES-CBC ciphertext must be a multiple of 16 bytes")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def scrypt_key(passphrase: bytes, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """scrypt (RFC 7914) key derivation."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(passphrase)


def gcm_encrypt(key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    """AES-GCM; returns ciphertext || 16-byte tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).encrypt(nonce, plaintext, associated_data)


def gcm_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    """AES-GCM; raises :class:`AuthenticationError` if the tag does not verify."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag:
        raise AuthenticationError("AES-GCM tag does not verify (wrong passphrase or tampered data)", "tag") from None
