"""HomePlug 1.0.1 management frames (ethertype 0x887B).

Layout (Wireshark packet-homeplug.c, faifa homeplug.h, devolo hpmmes.h; ``docs/codec-header.md``):
``MCTRL(1)`` — bit 7 reserved, bits 0-6 NE = number of MAC management entries — then NE entries
of ``MEHDR(1)`` (bits 7-5 MEV version, bits 4-0 METYPE), ``MELEN(1)``, ``MEDATA[MELEN]``.  Entry
payloads are kept as bytes (their integer byte order differs between implementations).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from plcstack.codec.errors import DecodeError
from plcstack.codec.frame import VlanTag, decode_ethernet, vlan_tags_of
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0

METYPE_NAMES = {
    0x00: "REQUEST_CHANNEL_ESTIMATION", 0x01: "CHANNEL_ESTIMATION_RESPONSE", 0x04: "SET_NETWORK_ENCRYPTION_KEY",
    0x06: "SET_NETWORK_ENCRYPTION_KEY_CONFIRM", 0x07: "REQUEST_PARAMETERS_AND_STATISTICS",
    0x08: "PARAMETERS_AND_STATISTICS_RESPONSE", 0x19: "SET_LOCAL_PARAMETERS", 0x1A: "NETWORK_STATISTICS_BASIC",
    0x1C: "EXTENDED_NETWORK_STATISTICS", 0x1D: "SET_LOCAL_OVERRIDES", 0x1E: "BRIDGING_CHARACTERISTICS",
    0x1F: "SET_TRANSMIT_CHARACTERISTICS",
}


class HP10Entry(NamedTuple):
    mev: int
    metype: int
    data: bytes

    @property
    def name(self) -> str:
        return METYPE_NAMES.get(self.metype, f"METYPE_0x{self.metype:02X}")


class HP10Frame(NamedTuple):
    dst: bytes
    src: bytes
    vlan_tags: tuple[VlanTag, ...]
    mctrl_reserved: int
    entries: list[HP10Entry]
    trailing: bytes

    @property
    def vlan(self) -> int | None:
        """TCI of the outermost VLAN tag (None when untagged)."""
        return self.vlan_tags[0].tci if self.vlan_tags else None

    @property
    def vlan_id(self) -> int | None:
        return self.vlan_tags[0].vid if self.vlan_tags else None

    @property
    def name(self) -> str:
        return "HP1.0 " + "+".join(e.name for e in self.entries) if self.entries else "HP1.0 (no entries)"


def decode_hp10(buf: bytes, offset: int = 0, end: int | None = None) -> HP10Frame:
    end = len(buf) if end is None else end
    eth = decode_ethernet(buf, offset, end)
    p = eth.payload_offset
    if eth.ethertype != ETHERTYPE_HOMEPLUG_1_0:
        raise DecodeError(f"ethertype 0x{eth.ethertype:04X} is not HomePlug 1.0", field="ethertype",
                          offset=p - 2 - offset)
    if end - p < 1:
        raise DecodeError("HomePlug 1.0 frame shorter than its header", field="length", offset=p - offset)
    mctrl = buf[p]
    p += 1
    entries = []
    for i in range(mctrl & 0x7F):
        if end - p < 2:
            raise DecodeError(f"entry {i + 1} of {mctrl & 0x7F} missing", field="mehdr", offset=p - offset)
        mehdr, melen = buf[p], buf[p + 1]
        if end - p - 2 < melen:
            raise DecodeError(f"entry {i + 1} declares {melen} bytes, {end - p - 2} present", field="melen",
                              offset=p + 1 - offset)
        entries.append(HP10Entry(mehdr >> 5, mehdr & 0x1F, bytes(buf[p + 2:p + 2 + melen])))
        p += 2 + melen
    return HP10Frame(eth.dst, eth.src, eth.vlan_tags, mctrl & 0x80, entries, bytes(buf[p:end]))


def encode_hp10(frame: HP10Frame) -> bytes:
    tags = vlan_tags_of(frame.vlan_tags)  # also takes None or one 802.1Q TCI
    head = frame.dst + frame.src + b"".join(struct.pack("!HH", t.tpid, t.tci) for t in tags)
    out = [head, struct.pack("!H", ETHERTYPE_HOMEPLUG_1_0), bytes([frame.mctrl_reserved | len(frame.entries)])]
    for e in frame.entries:
        out.append(bytes([(e.mev << 5) | e.metype, len(e.data)]) + e.data)
    return b"".join(out) + frame.trailing
