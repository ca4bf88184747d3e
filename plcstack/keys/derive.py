"""HomePlug AV key derivation, bit-exact with open-plc-utils ``hpavkey``.

Source: open-plc-utils key/HPAVKeyNMK.c, HPAVKeyDAK.c, HPAVKeyNID.c (PBKDF1 with SHA-256);
HomePlug AV 1.1 section 13.5.  See ``../shared/reference/real-clients.md`` section 1.
"""

from __future__ import annotations

from hashlib import sha256

NMK_SALT = bytes.fromhex("08856DAF7CF58186")
DAK_SALT = bytes.fromhex("08856DAF7CF58185")


def _as_bytes(password: bytes | str) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def pbkdf1_sha256(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF1 with SHA-256: T1 = H(P || S), Ti = H(Ti-1); returns Tc[:length]."""
    digest = sha256(password + salt).digest()
    for _ in range(iterations - 1):
        digest = sha256(digest).digest()
    return digest[:length]


def nmk_from_password(password: bytes | str) -> bytes:
    """Network membership key (16 bytes) from a network password (NPW)."""
    return pbkdf1_sha256(_as_bytes(password), NMK_SALT, 1000, 16)


def dak_from_password(password: bytes | str) -> bytes:
    """Device access key (16 bytes) from a device password (DPW)."""
    return pbkdf1_sha256(_as_bytes(password), DAK_SALT, 1000, 16)


def nid_from_nmk(nmk: bytes, security_level: int = 0) -> bytes:
    """Network identifier (7 bytes, 54 bits) from an NMK and a security level (0 or 1)."""
    if len(nmk) != 16:
        raise ValueError(f"NMK must be 16 bytes, got {len(nmk)}")
    if not 0 <= security_level <= 3:
        raise ValueError("security level must be 0..3")
    digest = pbkdf1_sha256(bytes(nmk), b"", 5, 32)
    return digest[:6] + bytes([(digest[6] >> 4) | (security_level << 4)])
