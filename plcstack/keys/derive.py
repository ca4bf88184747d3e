"""HomePlug AV key derivation, bit-exact with open-plc-utils ``hpavkey``.

Source: open-plc-utils key/HPAVKeyNMK.c, HPAVKeyDAK.c, HPAVKeyNID.c (PBKDF1 with SHA-256);
HomePlug AV 1.1 section 13.5. The algorithm, its sources and the published known answers:
``docs/keys.md`` section 1.

Passwords are hashed as given (any bytes, any length, like ``hpavkey`` without ``-e``); ``str`` passwords
are UTF-8 encoded. The HomePlug password rules live in :mod:`plcstack.keys.policy`.
"""

from __future__ import annotations

from hashlib import sha256
from itertools import repeat

from plcstack.keys.constants import NID_LEN, NMK_LEN
from plcstack.keys.errors import KeyFormatError
from plcstack.keys.secret import KeyLike, reveal

try:  # the builtin implementation has ~8 % less call overhead than OpenSSL's for 32-byte inputs
    from _sha256 import sha256 as _fast_sha256
except ImportError:  # pragma: no cover - interpreter built without it
    _fast_sha256 = sha256

NMK_SALT = bytes.fromhex("08856DAF7CF58186")
DAK_SALT = bytes.fromhex("08856DAF7CF58185")
PBKDF1_ITERATIONS = 1000
NID_ITERATIONS = 5


def _as_bytes(password: bytes | str) -> bytes:
    return password.encode("utf-8") if isinstance(password, str) else bytes(password)


def pbkdf1_sha256(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """PBKDF1 with SHA-256: T1 = H(P || S), Ti = H(Ti-1); returns Tc[:length]."""
    h = _fast_sha256
    digest = h(password + salt).digest()
    for _ in repeat(None, iterations - 1):
        digest = h(digest).digest()
    return digest[:length]


def nmk_from_password(password: bytes | str) -> bytes:
    """Network membership key (16 bytes) from a network password (NPW); ``hpavkey -M``."""
    return pbkdf1_sha256(_as_bytes(password), NMK_SALT, PBKDF1_ITERATIONS, 16)


def dak_from_password(password: bytes | str) -> bytes:
    """Device access key (16 bytes) from a device password (DPW); ``hpavkey -D``."""
    return pbkdf1_sha256(_as_bytes(password), DAK_SALT, PBKDF1_ITERATIONS, 16)


def nid_from_nmk(nmk: KeyLike, security_level: int = 0) -> bytes:
    """Network identifier (7 bytes, 54 bits) from an NMK and a security level (0 or 1; 2-3 reserved)."""
    nmk = reveal(nmk)
    if len(nmk) != NMK_LEN:
        raise KeyFormatError(f"NMK must be 16 bytes, got {len(nmk)}")
    if not 0 <= security_level <= 3:
        raise ValueError("security level must be 0..3")
    digest = pbkdf1_sha256(nmk, b"", NID_ITERATIONS, 32)
    return digest[:6] + bytes([(digest[6] >> 4) | (security_level << 4)])


def nid_from_password(password: bytes | str, security_level: int = 0) -> bytes:
    """NID of the network whose NMK derives from ``password``; ``hpavkey -N -L level``."""
    return nid_from_nmk(nmk_from_password(password), security_level)


def nid_security_level(nid: bytes) -> int:
    """Security level stored in bits 4-5 of NID octet 6."""
    _check_nid(nid)
    return (nid[6] >> 4) & 0x03


def nid_without_level(nid: bytes) -> bytes:
    """The 52 hash bits of a NID (octet 6 reduced to its low nibble): equal for both security levels."""
    _check_nid(nid)
    return nid[:6] + bytes((nid[6] & 0x0F,))


def nid_matches_nmk(nid: bytes, nmk: KeyLike) -> bool:
    """True if ``nid`` is the NID of ``nmk`` at any security level."""
    return nid_without_level(nid) == nid_without_level(nid_from_nmk(nmk, 0))


def _check_nid(nid: bytes) -> None:
    if len(nid) != NID_LEN:
        raise KeyFormatError(f"NID must be 7 bytes, got {len(nid)}")


def mac_default_password(mac: bytes | str, letters: int = 16, group: int = 4) -> str:
    """The MAC-derived device password of open-plc-utils ``mac2pw -m -l 16 -b 4`` (key/MACPasswords.c).

    Some vendors print such passwords (DPW) on labels; they follow from the MAC alone, so a DAK built
    from one is no secret. A 64-bit LCG (x * 0x41C64E6D + 0x3029, output bits 16..46) seeded with the
    vendor half picks a 255-letter alphabet; seeded with the device half it picks ``letters`` letters.
    """
    if isinstance(mac, str):
        mac = parse_hex(mac, 6, "MAC address")
    if len(mac) != 6:
        raise KeyFormatError(f"a MAC address has 6 bytes, got {len(mac)}")
    mask = (1 << 64) - 1
    seed = int.from_bytes(mac[:3], "big")
    alphabet: list[str] = []
    while len(alphabet) < 255:
        seed = (seed * 0x41C64E6D + 0x3029) & mask
        c = ((seed >> 16) & 0x7FFFFFFF) % 128
        if 0x41 <= c <= 0x5A:
            alphabet.append(chr(c))
    seed = int.from_bytes(mac[3:], "big")
    out = []
    for remaining in range(letters - 1, -1, -1):
        seed = (seed * 0x41C64E6D + 0x3029) & mask
        out.append(alphabet[((seed >> 16) & 0x7FFFFFFF) % 255])
        if remaining and group and remaining % group == 0:
            out.append("-")
    return "".join(out)


def parse_hex(text: str, length: int, what: str = "key") -> bytes:
    """Parse ``length`` bytes of hex; accepts ``:``/``-``/space separators and a ``0x`` prefix."""
    clean = text.strip().lower().removeprefix("0x")
    for sep in ":- ":
        clean = clean.replace(sep, "")
    try:
        value = bytes.fromhex(clean)
    except ValueError:
        raise KeyFormatError(f"{what} is not hex ({len(text)} characters)") from None
    if len(value) != length:
        raise KeyFormatError(f"{what} must be {length} bytes ({2 * length} hex digits), got {len(value)}")
    return value


def format_key(key: KeyLike) -> str:
    """Upper-case hex without separators, exactly as ``hpavkey`` prints keys and NIDs."""
    return reveal(key).hex().upper()
