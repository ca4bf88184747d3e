"""MAC addresses: the one parser and formatter (codec, capture, keys, emulator and simulator use it)."""

from __future__ import annotations

BROADCAST_MAC = b"\xff" * 6
LOCAL_MAC = bytes.fromhex("00B052000001")  # QCA "local device" address: the host's own modem


def parse_mac(value: bytes | bytearray | str) -> bytes:
    """``aa:bb:cc:dd:ee:ff`` / ``AA-BB-CC-DD-EE-FF`` / ``aabb.ccdd.eeff`` / ``aabbccddeeff`` / 6 bytes -> 6 bytes.

    Raises :class:`ValueError` naming the input when it is not a 6-byte MAC address.
    """
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 6:
            raise ValueError(f"a MAC address has 6 bytes, got {len(value)}")
        return bytes(value)
    clean = value.strip().replace(":", "").replace("-", "").replace(".", "")
    try:
        out = bytes.fromhex(clean)
    except ValueError:
        raise ValueError(f"not a MAC address: {value!r}") from None
    if len(out) != 6:
        raise ValueError(f"not a MAC address: {value!r}")
    return out


def format_mac(mac: bytes, sep: str = ":") -> str:
    """6 bytes -> ``aa:bb:cc:dd:ee:ff`` (lower case, like tshark and ``ip link``); other lengths as hex."""
    return bytes(mac).hex(sep) if len(mac) == 6 else bytes(mac).hex()


def is_multicast(mac: bytes) -> bool:
    """Group address (broadcast included): the I/G bit of the first octet."""
    return bool(mac[0] & 1)
