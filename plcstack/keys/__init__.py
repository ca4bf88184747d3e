"""Key manager: NMK/DAK/NID derivation, password policy, key store, CM_ENCRYPTED_PAYLOAD crypto.

Layers (each module usable on its own):

* :mod:`~plcstack.keys.derive` -- NPW -> NMK, DPW -> DAK, NMK + level -> NID (bit-exact with hpavkey)
* :mod:`~plcstack.keys.policy` -- HomePlug password rules (``hpavkey -e``) and weak/default checks
* :mod:`~plcstack.keys.crypto` -- the only module touching ciphers (AES-CBC, AES-GCM, scrypt, CRC-32)
* :mod:`~plcstack.keys.payload` -- CM_ENCRYPTED_PAYLOAD at the byte level: :func:`seal`, :func:`open_payload`
* :mod:`~plcstack.keys.protocol` -- CM_SET_KEY / CM_GET_KEY / CM_ENCRYPTED_PAYLOAD on codec messages
* :mod:`~plcstack.keys.store` -- persistent key store (networks, devices, NEK rotation)
* :mod:`~plcstack.keys.scan`, :mod:`~plcstack.keys.dictionary` -- capture audit and NID password search

Keys travel as :class:`Secret` (redacted ``repr``); errors are :class:`KeysError` subclasses.

Randomness is passed in (:mod:`~plcstack.keys.rng`): builders that need nonces, PRNs, IVs or
padding take ``random_bytes``. :data:`random_bytes` (``secrets.token_bytes``) is the adapter for
real traffic; a seeded ``random.Random(seed).randbytes`` makes runs reproducible. The algorithms,
formats and their sources are in ``docs/keys.md``.
"""

from plcstack.codec.codes import AvlnStatus, GetKeyResult, KeyType, Peks, ProtocolId, SecurityLevel
from plcstack.keys.derive import (
    dak_from_password,
    format_key,
    nid_from_nmk,
    nid_from_password,
    nmk_from_password,
    parse_hex,
    pbkdf1_sha256,
)
from plcstack.keys.errors import (
    AuthenticationError,
    KeyFormatError,
    KeysError,
    KeyStoreCorruptError,
    KeyStoreError,
    KeyStorePassphraseError,
    PayloadFormatError,
    PolicyError,
)
from plcstack.keys.payload import PayloadHeader, open_payload, seal, unwrap
from plcstack.keys.policy import check_password, enforce_policy
from plcstack.keys.rng import RandomBytes, system_random_bytes
from plcstack.keys.secret import Secret

#: Default random source at the API boundary: pass it as ``random_bytes=`` for real traffic.
random_bytes: RandomBytes = system_random_bytes

__all__ = [
    "AuthenticationError", "AvlnStatus", "GetKeyResult", "KeyFormatError", "KeyStoreCorruptError",
    "KeyStoreError", "KeyStorePassphraseError", "KeyType", "KeysError", "PayloadFormatError", "PayloadHeader",
    "Peks", "PolicyError", "ProtocolId", "RandomBytes", "Secret", "SecurityLevel", "check_password", "dak_from_password",
    "enforce_policy", "format_key", "nid_from_nmk", "nid_from_password", "nmk_from_password", "open_payload",
    "parse_hex", "pbkdf1_sha256", "random_bytes", "seal", "unwrap",
]
