"""Chip profiles: what an emulated Qualcomm modem says about itself.

The VS_SW_VER.CNF fields that open-plc-utils uses to name a chip (``plc/chipset.c``): the
DEVICE_CLASS byte and a STRAP/IDENT word stored right after the 254-byte version string
(``MVERSION[254]``, preceded by one reserved byte at ``MVERSION[253]``):

=========  =====  ==========  ==========================================
chip       class  IDENT       firmware string used here
=========  =====  ==========  ==========================================
QCA7000    0x22   0x001B58DC  MAC-QCA7000-1.1.0.730-04-20140815-CS
QCA7420    0x20   0x001CFCFC  MAC-QCA7420-1.4.0.20-00-20171027-CS
QCA7500    0x30   0x001D4C0F  MAC-QCA7500-2.8.0.30-01-20190627-CS
=========  =====  ==========  ==========================================

The parameter block (PIB) follows open-plc-utils ``pib/pib.h`` (``simple_pib`` / ``PIB3_0``: a
12-byte version header, then MAC, DAK, MFG, NMK, USR, NET HFIDs, CCo selection and preferred NID);
``VS_MODULE_OPERATION`` reads of module 0x7002 return it behind one ``nvm_header2`` (96 bytes,
``nvm/nvm.h``) as QCA7420-and-later firmware does, ``VS_RD_MOD`` of module 2 returns the bare PIB.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

#: CCoSelection values of the PIB (pibpeek2.c: Auto, Never, Always, User)
CCO_MODES = {"auto": 0, "never": 1, "always": 2, "user": 3}


@dataclass(frozen=True)
class ChipProfile:
    name: str
    device_class: int
    ident: int
    firmware: str
    pib_version: tuple[int, int]  # (FWVersion, PIBVersion) bytes of the PIB header
    nvm: tuple[int, int, int, int]  # VS_GET_NVM: type, page size, block size, memory size
    dram_mb: int
    green_phy: bool  # HomePlug Green PHY (QCA7000) rather than AV / AV2

    def attributes(self) -> tuple[int, int, int, int, int, str, str]:
        """(major, minor, composite, sustaining, build, build date, release type) from the firmware string."""
        m = re.match(r"MAC-[^-]+-(\d+)\.(\d+)\.(\d+)\.(\d+)-(\d+)-(\d{8})-(\w+)", self.firmware)
        if not m:
            return (0, 0, 0, 0, 0, "00000000", "CS")
        major, minor, comp, build, sust, date, rel = m.groups()
        return (int(major), int(minor), int(comp), int(sust), int(build), date, rel)


PROFILES: dict[str, ChipProfile] = {
    "QCA7000": ChipProfile("QCA7000", 0x22, 0x001B58DC, "MAC-QCA7000-1.1.0.730-04-20140815-CS", (7, 1),
                           (0x17, 256, 4096, 0x00100000), 1, True),
    "QCA7420": ChipProfile("QCA7420", 0x20, 0x001CFCFC, "MAC-QCA7420-1.4.0.20-00-20171027-CS", (7, 1),
                           (0x17, 256, 65536, 0x00200000), 32, False),
    "QCA7500": ChipProfile("QCA7500", 0x30, 0x001D4C0F, "MAC-QCA7500-2.8.0.30-01-20190627-CS", (9, 1),
                           (0x17, 256, 65536, 0x00400000), 64, False),
}


def profile(name: str) -> ChipProfile:
    try:
        return PROFILES[name.upper()]
    except KeyError:
        raise ValueError(f"unknown chip {name!r}; choose one of {', '.join(PROFILES)}") from None


# ------------------------------------------------------------------------------------------ PIB

PIB_SIZE = 1024  # bytes of PIB image the emulator exposes (enough for every field the tools read)
NVM_HEADER2 = struct.Struct("<HHIIIIIIIIIHHHH11I")  # nvm_header2 without its final HeaderChecksum
NVM_IMAGE_PIB = 0x000F
MODULE_ID_PIB = 0x7002


def checksum32(data: bytes) -> int:
    """open-plc-utils ``checksum32(data, len, 0)``: one's complement of the XOR of the LE 32-bit words."""
    acc = 0
    n = len(data) - len(data) % 4
    for (word,) in struct.iter_unpack("<I", data[:n]):
        acc ^= word
    return ~acc & 0xFFFFFFFF


@dataclass(frozen=True)
class PibFields:
    mac: bytes
    dak: bytes
    nmk: bytes
    nid: bytes
    mfg: str = "Qualcomm Atheros HomePlug AV Device (plcstack emulator)"
    usr: str = "plcstack emulated modem"
    net: str = "plcstack emulated network"
    cco_mode: int = 0


def build_pib(chip: ChipProfile, f: PibFields) -> bytes:
    """A PIB image of :data:`PIB_SIZE` bytes with a valid header checksum (``simple_pib`` layout)."""
    body = bytearray(PIB_SIZE)
    struct.pack_into("<BBHHHI", body, 0, chip.pib_version[0], chip.pib_version[1], 0, PIB_SIZE, 0, 0)
    body[12:18] = f.mac
    body[18:34] = f.dak
    body[36:100] = f.mfg.encode("ascii", "replace")[:63].ljust(64, b"\0")
    body[100:116] = f.nmk
    body[116:180] = f.usr.encode("ascii", "replace")[:63].ljust(64, b"\0")
    body[180:244] = f.net.encode("ascii", "replace")[:63].ljust(64, b"\0")
    body[244] = f.cco_mode & 0xFF
    body[248:255] = f.nid
    struct.pack_into("<I", body, 8, checksum32(bytes(body)))
    return bytes(body)


def build_parameter_chain(pib: bytes) -> bytes:
    """``nvm_header2`` (ImageType PIB, no next header) followed by the PIB image."""
    fields = (1, 1, 0, 0, 0, len(pib), checksum32(pib), 0, 0xFFFFFFFF, 0xFFFFFFFF, NVM_IMAGE_PIB,
              MODULE_ID_PIB, 0, 0, 0, *([0] * 11))
    head = NVM_HEADER2.pack(*fields)
    return head + struct.pack("<I", checksum32(head)) + pib
