"""Typed errors of the key manager.

Messages never contain key material: they name NIDs, MACs, file paths, frame numbers and lengths only.
"""

from __future__ import annotations


class KeysError(Exception):
    """Base class of every error raised by :mod:`plcstack.keys`."""


class KeyFormatError(KeysError, ValueError):
    """A key, NID, MAC or hex string has the wrong length or syntax."""


class PayloadFormatError(KeysError, ValueError):
    """A CM_ENCRYPTED_PAYLOAD MMENTRY is too short or structurally impossible (before any key is tried)."""


class AuthenticationError(KeysError):
    """Decryption did not authenticate: wrong key, bad CRC-32, or PID/PRN/PMN not repeated inside.

    ``reason`` is a short machine-friendly tag: ``"rf-length"``, ``"length"``, ``"crc"`` or ``"trailer"``.
    """

    def __init__(self, message: str, reason: str = "crc") -> None:
        super().__init__(message)
        self.reason = reason


class PolicyError(KeysError, ValueError):
    """A password breaks the HomePlug AV password rules (12..64 printable ASCII characters)."""


class KeyStoreError(KeysError):
    """The key store cannot be read or written (I/O, lock, unknown entry)."""


class KeyStoreCorruptError(KeyStoreError):
    """The key store file is corrupt or was tampered with; it is left untouched."""


class KeyStorePassphraseError(KeyStoreError):
    """The key store is encrypted and the passphrase is missing or wrong."""
