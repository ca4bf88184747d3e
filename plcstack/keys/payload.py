"""CM_ENCRYPTED_PAYLOAD.IND (MMTYPE 0x6006) at the byte level: MMENTRY bytes in, MMENTRY bytes out.

MMENTRY layout (``docs/keys.md``: HomePlug AV 1.1 section 13; Vertexcom libhpav ``hpav_encrypt_with_dak``)::

    clear, 24 bytes:  PEKS(1) AVLN_STATUS(1) PID(1) PRN(2 LE) PMN(1) IV(16) LEN(2 LE)   (codec declaration)
    AES-128-CBC:      RF(0..15) MM(LEN) CRC32(MM, 4 LE) PID(1) PRN(2 LE) PMN(1) PADDING(0..15) RF_LEN(1)

``MM`` is the whole inner Ethernet frame (ODA, OSA, ethertype, MMV, MMTYPE, FMI, MMENTRY) without
padding; RF is random filler, PADDING random bytes making the encrypted part a multiple of 16 bytes.
With PEKS 0x0F ("no key", open-plc-utils CMEncrypt) the IV field is a UUID and MM follows in clear.

:func:`seal` builds the MMENTRY, :func:`open_payload` returns the inner frame bytes; a wrong key, a bad
CRC or a trailer that does not repeat the header's PID/PRN/PMN raise :class:`AuthenticationError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from plcstack.codec import messages
from plcstack.codec.codes import Peks
from plcstack.codec.errors import DecodeError
from plcstack.keys import crypto
from plcstack.keys.errors import AuthenticationError, PayloadFormatError
from plcstack.keys.rng import RandomBytes, random_nibble
from plcstack.keys.secret import KeyLike, reveal

# The clear header is declared once, in plcstack.codec.messages (ENCRYPTED_PAYLOAD_HEADER, also the start
# of CM_ENCRYPTED_PAYLOAD_IND): the codec, the scapy and construct layers and this module share it.
_LAYOUT = messages.ENCRYPTED_PAYLOAD_HEADER
assert _LAYOUT.fixed_size is not None
HEADER_LEN: int = _LAYOUT.fixed_size  # 24
MAX_FILLER = 15
_TRAILER = struct.Struct("<IBHB")  # CRC32, PID, PRN, PMN: inside the encrypted part, no message of its own
_HeaderTuple: Any = _LAYOUT.cls  # the generated tuple: peks, avln_status, pid, prn, pmn, iv, length


class PayloadHeader(_HeaderTuple):  # type: ignore[misc]
    """The 24 clear bytes at the start of a CM_ENCRYPTED_PAYLOAD.IND MMENTRY.

    ``iv`` is the AES-CBC IV, or a UUID when ``peks == Peks.NO_KEY``; ``length`` that of the inner MM.
    """

    __slots__ = ()

    @property
    def encrypted(self) -> bool:
        return bool(self.peks != Peks.NO_KEY)

    def pack(self) -> bytes:
        if len(self.iv) != 16:
            raise PayloadFormatError(f"IV must be 16 bytes, got {len(self.iv)}")
        return _LAYOUT.pack(self)

    @classmethod
    def unpack(cls, mmentry: bytes) -> PayloadHeader:
        try:
            return cls(*_LAYOUT.unpack(mmentry))
        except DecodeError:
            raise PayloadFormatError(
                f"CM_ENCRYPTED_PAYLOAD MMENTRY needs {HEADER_LEN} bytes of header, got {len(mmentry)}"
            ) from None

    @classmethod
    def of(cls, message: object) -> PayloadHeader:
        """The header fields of a decoded ``CM_ENCRYPTED_PAYLOAD_IND`` message."""
        return cls(*(getattr(message, f.name) for f in _LAYOUT.fields))


@dataclass(frozen=True)
class OpenedPayload:
    """Result of :func:`unwrap`: the clear header and the inner MM (a whole Ethernet frame)."""

    header: PayloadHeader
    inner: bytes = field(repr=False)  # decrypted content may itself carry keys
    filler_length: int = 0
    padding_length: int = 0


def _plaintext_layout(mm_len: int, filler_len: int) -> int:
    """Padding length that makes RF + MM + CRC + PID/PRN/PMN + PAD + RF_LEN a multiple of 16."""
    return -(filler_len + mm_len + _TRAILER.size + 1) % crypto.AES_BLOCK


def _no_randomness(n: int) -> bytes:
    raise TypeError("seal() needs random_bytes (e.g. plcstack.keys.random_bytes) unless iv, filler and padding "
                    "are all given")


def seal(
    inner: bytes,
    key: KeyLike | None,
    *,
    peks: int = Peks.NMK,
    pid: int,
    prn: int,
    pmn: int,
    avln_status: int = 0,
    random_bytes: RandomBytes | None = None,
    iv: bytes | None = None,
    filler: bytes | None = None,
    padding: bytes | None = None,
) -> bytes:
    """Build a CM_ENCRYPTED_PAYLOAD.IND MMENTRY carrying ``inner`` (a whole Ethernet frame, unpadded).

    ``key`` is the 16-byte AES key that ``peks`` names (DAK, NMK or TEK); ``None`` with
    ``peks=Peks.NO_KEY`` sends ``inner`` in clear with ``iv`` as the UUID (default: SHA-256(inner)[:16],
    as open-plc-utils CMEncrypt does). The IV, the random filler (0..15 bytes) and the padding come
    from ``random_bytes`` (:mod:`plcstack.keys.rng`; ``plcstack.keys.random_bytes`` for real traffic,
    a seeded ``random.Random(...).randbytes`` for reproducible runs) unless ``iv``, ``filler`` and
    ``padding`` are given, which reproduces a test vector exactly.
    """
    if len(inner) > 0xFFFF:
        raise PayloadFormatError(f"inner MM too long: {len(inner)} bytes")
    if not 0 <= pid <= 0xFF or not 0 <= pmn <= 0xFF or not 0 <= prn <= 0xFFFF:
        raise PayloadFormatError("PID and PMN must fit one byte, PRN two bytes")
    if peks == Peks.NO_KEY:
        if iv is None:
            from hashlib import sha256

            iv = sha256(inner).digest()[:16]
        header = PayloadHeader(peks, avln_status, pid, prn, pmn, iv, len(inner))
        return header.pack() + inner
    if key is None:
        raise PayloadFormatError(f"PEKS 0x{peks:02X} needs a key")
    draw = random_bytes or _no_randomness
    iv = bytes(draw(16)) if iv is None else bytes(iv)
    filler = bytes(draw(random_nibble(draw))) if filler is None else bytes(filler)
    if len(filler) > MAX_FILLER:
        raise PayloadFormatError(f"random filler is 0..{MAX_FILLER} bytes, got {len(filler)}")
    pad_len = _plaintext_layout(len(inner), len(filler))
    padding = bytes(draw(pad_len)) if padding is None else bytes(padding)
    if len(padding) != pad_len:
        raise PayloadFormatError(f"padding must be {pad_len} bytes for this MM and filler, got {len(padding)}")
    header = PayloadHeader(peks, avln_status, pid, prn, pmn, iv, len(inner))
    plaintext = b"".join(
        (filler, inner, _TRAILER.pack(crypto.crc32(inner), pid, prn, pmn), padding, bytes((len(filler),)))
    )
    return header.pack() + crypto.aes_cbc_encrypt(reveal(key), iv, plaintext)


def unwrap(mmentry: bytes, key: KeyLike | None) -> OpenedPayload:
    """Decrypt and authenticate a CM_ENCRYPTED_PAYLOAD.IND MMENTRY; see :func:`open_payload`."""
    mmentry = bytes(mmentry)
    header = PayloadHeader.unpack(mmentry)
    body = mmentry[HEADER_LEN:]
    if header.peks == Peks.NO_KEY:
        if header.length > len(body):
            raise PayloadFormatError(f"clear payload announces {header.length} bytes, carries {len(body)}")
        return OpenedPayload(header, body[: header.length])
    if key is None:
        raise PayloadFormatError(f"PEKS 0x{header.peks:02X} payload needs a key")
    usable = len(body) - len(body) % crypto.AES_BLOCK  # ignore trailing bytes that are no whole block
    minimum = header.length + _TRAILER.size + 1
    if usable < minimum:
        raise PayloadFormatError(
            f"encrypted part holds {len(body)} bytes, a {header.length}-byte MM needs at least {minimum}"
        )
    plaintext = crypto.aes_cbc_decrypt(reveal(key), header.iv, body[:usable])
    filler_len = plaintext[-1]
    if filler_len > MAX_FILLER:
        raise AuthenticationError("decryption failed: random-filler length out of range (wrong key?)", "rf-length")
    end_mm = filler_len + header.length
    padding_len = len(plaintext) - 1 - end_mm - _TRAILER.size
    if padding_len < 0:
        raise AuthenticationError("decryption failed: lengths do not fit (wrong key?)", "length")
    inner = plaintext[filler_len:end_mm]
    crc, pid, prn, pmn = _TRAILER.unpack_from(plaintext, end_mm)
    if crc != crypto.crc32(inner):
        raise AuthenticationError("decryption failed: CRC-32 of the inner MM does not match (wrong key?)", "crc")
    if (pid, prn, pmn) != (header.pid, header.prn, header.pmn):
        raise AuthenticationError(
            f"decrypted trailer PID/PRN/PMN {pid}/{prn}/{pmn} differ from the header's "
            f"{header.pid}/{header.prn}/{header.pmn}",
            "trailer",
        )
    return OpenedPayload(header, inner, filler_len, padding_len)


def open_payload(mmentry: bytes, key: KeyLike | None) -> bytes:
    """The inner MM (whole Ethernet frame bytes) of a CM_ENCRYPTED_PAYLOAD.IND MMENTRY.

    Raises :class:`PayloadFormatError` if the MMENTRY cannot hold what its header announces and
    :class:`AuthenticationError` if the key is wrong or the CRC / trailer do not verify.
    """
    return unwrap(mmentry, key).inner
