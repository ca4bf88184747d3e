"""Frames on the emulated power line (the modems' PLC port).

A real modem turns Ethernet frames and management messages into MPDUs (frame control, PHY blocks,
NEK encryption); the emulator keeps only what decides who hears what.  One envelope is::

    MAGIC "PLC\\x01" (4) KIND (1) TX_MAC (6) RX_MAC (6) NID (7) KEY_TAG (4) PAYLOAD (rest)

* ``KIND`` -- :class:`Kind`: a beacon, a clear management message between modems (CC_ASSOC,
  CM_UNASSOCIATED_STA, CM_ENCRYPTED_PAYLOAD...), bridged data of one AVLN, or a SLAC message (Green PHY
  sends those unencrypted so that modems of different networks hear them);
* ``TX_MAC`` / ``RX_MAC`` -- transmitting and addressed modem (``ff:ff:ff:ff:ff:ff`` for broadcast);
* ``NID`` -- the transmitter's network identifier;
* ``KEY_TAG`` -- for DATA, a 4-byte fingerprint of the NEK that would have encrypted the MPDU;
  receivers whose NEK differs drop the frame, which is what AES with another key amounts to
  ("modems with different NMKs do not hear each other's data");
* ``PAYLOAD`` -- an Ethernet frame (bytes as on the wire, unpadded) or a beacon body.
"""

from __future__ import annotations

import hashlib
import struct
from enum import IntEnum
from typing import NamedTuple

MAGIC = b"PLC\x01"
_HEAD = struct.Struct("!4sB6s6s7s4s")
HEADER_LEN = _HEAD.size
RX_SLICE = slice(11, 17)  # where RX_MAC sits in an envelope
BROADCAST = b"\xff" * 6
NO_NID = bytes(7)
NO_TAG = bytes(4)


class Kind(IntEnum):
    BEACON = 1
    MGMT = 2
    DATA = 3
    SLAC = 4


class Envelope(NamedTuple):
    kind: Kind
    tx: bytes
    rx: bytes
    nid: bytes
    key_tag: bytes
    payload: bytes

    @property
    def broadcast(self) -> bool:
        return self.rx == BROADCAST


class EnvelopeError(ValueError):
    """Bytes on the PLC port that are not an emulator envelope."""


def pack(kind: Kind, tx: bytes, rx: bytes, payload: bytes, nid: bytes = NO_NID, key_tag: bytes = NO_TAG) -> bytes:
    return _HEAD.pack(MAGIC, int(kind), tx, rx, nid, key_tag) + payload


def unpack(buf: bytes) -> Envelope:
    if len(buf) < HEADER_LEN:
        raise EnvelopeError(f"{len(buf)} bytes is shorter than an envelope header ({HEADER_LEN})")
    magic, kind, tx, rx, nid, tag = _HEAD.unpack_from(buf)
    if magic != MAGIC:
        raise EnvelopeError("bad envelope magic")
    try:
        k = Kind(kind)
    except ValueError:
        raise EnvelopeError(f"unknown envelope kind {kind}") from None
    return Envelope(k, tx, rx, nid, tag, buf[HEADER_LEN:])


def key_tag(nek: bytes | None) -> bytes:
    """Fingerprint of a NEK (never the key itself)."""
    if not nek:
        return NO_TAG
    return hashlib.sha256(b"plcstack-emu-nek" + nek).digest()[:4]


# ------------------------------------------------------------------------------------ beacons

_BEACON = struct.Struct("!7sB6sBBB6sBB")
BEACON_GREEN_PHY = 0x01  # flags: the transmitter is a Green PHY (ROBO-only) station


class Beacon(NamedTuple):
    """Central beacon (from the CCo) or discover beacon (from an associated station)."""

    nid: bytes
    snid: int
    cco_mac: bytes
    tei: int  # transmitter's TEI
    cco_capability: int
    central: int  # 1 central (CCo), 0 discover (station)
    bda: bytes  # first bridged host address behind the transmitter (FF:FF:FF:FF:FF:FF: none)
    cco_tei: int
    flags: int = 0  # BEACON_GREEN_PHY

    def pack(self) -> bytes:
        return _BEACON.pack(self.nid, self.snid, self.cco_mac, self.tei, self.cco_capability, self.central,
                            self.bda, self.cco_tei, self.flags)

    @classmethod
    def unpack(cls, buf: bytes) -> Beacon:
        if len(buf) < _BEACON.size:
            raise EnvelopeError("short beacon")
        return cls(*_BEACON.unpack_from(buf))
