"""Chip profiles: what an emulated Qualcomm modem says about itself, taken from real modems.

Each :class:`ChipProfile` is read off real frames (capture file and frame numbers in
``docs/modem-profiles.md``) where a capture shows it, and says so where none does:

* VS_SW_VER.CNF: DEVICE_CLASS, the STRAP/IDENT word open-plc-utils names the chip by
  (``plc/chipset.c``: the word after the 254-byte version field), the firmware string, the bytes the
  firmware leaves after the string's NUL (0xFF on QCA7420, 0xCC on older QCA7000/7005 firmware), the
  word in the COOKIE position, and 8 more bytes after it (``3F 00 00 00 00 00 00 00``): 297 bytes in all;
* VS_GET_NVM.CNF: the flash type (a code ``plctool -f`` names, open-plc-utils ``ram/nvram.c``), page,
  block and memory size;
* the parameter block: its size and the chain it is read as (module 0x7002);
* which SLAC indications the chip sends its host for each CM_MNBC_SOUND.IND heard;
* how long it is silent after a reset and after a key change.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from plcstack.avln.rules import CcoMode
from plcstack.codec.codes import DeviceClass
from plcstack.sim import phy
from plcstack.sim.carriers import AV2_USABLE, AV_DEFAULT_USABLE

#: PIB CCoSelection byte (open-plc-utils pib/pibpeek2.c: Auto, Never, Always, User)
CCO_SELECTION: dict[CcoMode, int] = {CcoMode.AUTO: 0, CcoMode.NEVER: 1, CcoMode.ALWAYS: 2}
SLAC_INDICATIONS = ("atten_profile", "a14e")


@dataclass(frozen=True)
class ChipProfile:
    name: str
    device_class: int
    ident: int
    firmware: str
    version_pad: bytes  # bytes after the version string's NUL (the rest of the 254 is zeros)
    sw_ver_cookie: int | None  # value in the COOKIE position of VS_SW_VER.CNF (None: echo the request's)
    nvm: tuple[int, int, int, int]  # VS_GET_NVM: flash type, page size, block size, memory size
    pib_size: int  # bytes of the PIB image (ImageType 0x0F)
    dram_mb: int
    green_phy: bool  # HomePlug Green PHY (QCA7000/7005) rather than AV / AV2
    slac_indications: tuple[str, ...]  # per CM_MNBC_SOUND.IND heard, in this order (SLAC_INDICATIONS)
    reset_s: float  # silent after VS_RS_DEV / VS_FAC_DEFAULTS before it answers again
    set_key_s: float  # power line down after a key change (it rejoins a moment later)
    host_during_key_restart: bool  # answers its host while the power line restarts after a key change
    carriers: int  # active carriers of its tone maps (default tone mask)
    max_rate_mbps: float  # the highest coded PHY rate it can report (its PHY, all carriers at the top constellation)

    def attributes(self) -> tuple[int, int, int, int, int, str, str]:
        """(major, minor, composite, sustaining, build, build date, release type) from the firmware string."""
        m = re.match(r"MAC-[^-]+-(\d+)\.(\d+)\.(\d+)\.(\d+)-(\d+)-(\d{8})-(\w+)", self.firmware)
        if not m:
            return (0, 0, 0, 0, 0, "00000000", "CS")
        major, minor, comp, build, sust, date, rel = m.groups()
        return (int(major), int(minor), int(comp), int(sust), int(build), date, rel)


#: Flash parts of the reference designs (open-plc-utils ram/nvram.c names): type, page, block, size.
_M25P80 = (0x1420, 256, 65536, 0x00100000)  # 1 MB
_M25P16 = (0x1520, 256, 65536, 0x00200000)  # 2 MB
_M25P32 = (0x1620, 256, 65536, 0x00400000)  # 4 MB

# The highest coded PHY rate of each PHY (plcstack.sim.phy): Green PHY links run HS-ROBO only (real QCA7000
# links report 9 Mbit/s, pyPLC captures); HomePlug AV 917 carriers x 10 bits; AV2 2880 carriers x 12 bits (SISO).
GP_MAX_MBPS = phy.robo_rate_mbps("HS")
AV_MAX_MBPS = AV_DEFAULT_USABLE * 10 * phy.FEC_AV / phy.AV_SYMBOL_S / 1e6
AV2_MAX_MBPS = AV2_USABLE * 12 * phy.FEC_AV2 / phy.AV_SYMBOL_S / 1e6

# Reset and key-change times: docs/modem-profiles.md (measured on the pyPLC and slac-binding-rs captures).
PROFILES: dict[str, ChipProfile] = {
    "QCA7000": ChipProfile("QCA7000", DeviceClass.QCA7000, 0x001B58DC, "MAC-QCA7000-1.1.0.727-02-20130826-FINAL", b"\xcc" * 6, 1,
                           _M25P80, 8080, 1, True, ("atten_profile", "a14e"), 4.0, 2.0, False, 917, GP_MAX_MBPS),
    "QCA7005": ChipProfile("QCA7005", DeviceClass.QCA7000, 0x001B587C, "MAC-QCA7005-1.2.5.3207-00-20180927-CS", b"\xff" * 9, 1,
                           _M25P80, 8080, 1, True, ("atten_profile", "a14e"), 4.0, 2.0, False, 917, GP_MAX_MBPS),
    "QCA7420": ChipProfile("QCA7420", DeviceClass.QCA7420, 0x001CFCFC, "MAC-QCA7420-1.4.0.20-00-20171027-CS", b"\xff" * 9, None,
                           _M25P16, 8836, 1, False, ("a14e", "atten_profile"), 4.0, 5.9, True, 917, AV_MAX_MBPS),
    "AR7420": ChipProfile("AR7420", DeviceClass.QCA7420, 0x001CFCFC, "MAC-QCA7420-1.3.0.2134-00-20151212-CS", b"\xff" * 9, None,
                          _M25P16, 8836, 1, False, ("a14e",), 4.0, 5.9, True, 917, AV_MAX_MBPS),
    "QCA7500": ChipProfile("QCA7500", DeviceClass.QCA7500, 0x001D4C0F, "MAC-QCA7500-2.8.0.30-01-20190627-CS", b"\xff" * 9, None,
                           _M25P32, 8836, 64, False, ("atten_profile",), 4.0, 2.0, False, 2880, AV2_MAX_MBPS),
}


def profile(name: str) -> ChipProfile:
    try:
        return PROFILES[name.upper()]
    except KeyError:
        raise ValueError(f"unknown chip {name!r}; choose one of {', '.join(PROFILES)}") from None


def version_field(chip: ChipProfile, firmware: str) -> tuple[int, bytes]:
    """(MVERLENGTH, the 254-byte MVERSION field): string, NUL, the chip's padding, zeros."""
    text = firmware.encode("ascii", "replace")[:253 - len(chip.version_pad)]
    return len(text) + 1, (text + b"\0" + chip.version_pad).ljust(254, b"\0")


#: The 8 bytes real QCA7000/7005/7420 firmware sends after VS_SW_VER.CNF's COOKIE (all captures).
SW_VER_TAIL = bytes.fromhex("3f00000000000000")

# ------------------------------------------------------------------------------------------ PIB

NVM_HEADER2 = struct.Struct("<HHIIIIIIIIIHHHH11I")  # nvm_header2 without its final HeaderChecksum
NVM_HEADER_LEN = NVM_HEADER2.size + 4
NVM_IMAGE_CONFIG = 0x000E  # the 768-byte parameter image that precedes the PIB in real chains
NVM_IMAGE_PIB = 0x000F
CONFIG_IMAGE_LEN = 768
CONFIG_MAGIC = 0x1234ABCD
MODULE_ID_PIB = 0x7002
NO_NEXT = 0xFFFFFFFF
# simple_pib offsets (open-plc-utils pib/pib.h), the same in the real QCA7000 and QCA7420 PIBs
PIB_MAC, PIB_DAK, PIB_MFG, PIB_NMK, PIB_USR, PIB_NET, PIB_CCO, PIB_NID = 12, 18, 36, 100, 116, 180, 244, 248
HFID_LEN = 64


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
    cco: CcoMode = CcoMode.AUTO


def _hfid(text: str) -> bytes:
    return text.encode("ascii", "replace")[:HFID_LEN - 1].ljust(HFID_LEN, b"\0")


def build_pib(chip: ChipProfile, f: PibFields) -> bytes:
    """A PIB image of the chip's size: the ``simple_pib`` fields, zeros elsewhere, a valid checksum."""
    body = bytearray(chip.pib_size)
    body[PIB_MAC:PIB_MAC + 6] = f.mac
    body[PIB_DAK:PIB_DAK + 16] = f.dak
    body[PIB_MFG:PIB_MFG + HFID_LEN] = _hfid(f.mfg)
    body[PIB_NMK:PIB_NMK + 16] = f.nmk
    body[PIB_USR:PIB_USR + HFID_LEN] = _hfid(f.usr)
    body[PIB_NET:PIB_NET + HFID_LEN] = _hfid(f.net)
    body[PIB_CCO] = CCO_SELECTION[f.cco]
    body[PIB_NID:PIB_NID + 7] = f.nid
    struct.pack_into("<I", body, 8, checksum32(bytes(body)))
    return bytes(body)


def read_pib(pib: bytes) -> PibFields:
    """The fields :func:`build_pib` writes, read back from a PIB image (e.g. one ``plctool -P`` wrote)."""
    if len(pib) < PIB_NID + 7:
        raise ValueError(f"a PIB of {len(pib)} bytes is too short")
    cco = {v: k for k, v in CCO_SELECTION.items()}.get(pib[PIB_CCO], CcoMode.AUTO)

    def text(at: int) -> str:
        return pib[at:at + HFID_LEN].split(b"\0", 1)[0].decode("ascii", "replace")

    return PibFields(pib[PIB_MAC:PIB_MAC + 6], pib[PIB_DAK:PIB_DAK + 16], pib[PIB_NMK:PIB_NMK + 16],
                     pib[PIB_NID:PIB_NID + 7], text(PIB_MFG), text(PIB_USR), text(PIB_NET), cco)


def _header(image: bytes, image_type: int, nvm_address: int, next_header: int, prev_header: int) -> bytes:
    fields = (1, 1, 0, nvm_address, 0, len(image), checksum32(image), 0, next_header, prev_header, image_type,
              0, 0, 0, 0, *([0] * 11))
    head = NVM_HEADER2.pack(*fields)
    return head + struct.pack("<I", checksum32(head))


def build_parameter_chain(pib: bytes) -> bytes:
    """Module 0x7002 as real QCA7000/7420 firmware returns it: a 768-byte config image, then the PIB,
    each behind an ``nvm_header2`` (open-plc-utils ``nvm/nvm.h``)."""
    config = struct.pack("<II", 0, 4) + struct.pack("<I", CONFIG_MAGIC)
    config = config.ljust(CONFIG_IMAGE_LEN, b"\0")
    second = NVM_HEADER_LEN + CONFIG_IMAGE_LEN
    return (_header(config, NVM_IMAGE_CONFIG, NVM_HEADER_LEN, second, NO_NEXT) + config
            + _header(pib, NVM_IMAGE_PIB, second + NVM_HEADER_LEN, NO_NEXT, 0) + pib)


def pib_of_chain(chain: bytes) -> bytes:
    """The PIB image (ImageType 0x0F) of a parameter chain, or the bytes themselves when they are a bare PIB."""
    p = 0
    while p + NVM_HEADER_LEN <= len(chain):
        fields = NVM_HEADER2.unpack_from(chain, p)
        major, image_len, next_header, image_type = fields[0], fields[5], fields[8], fields[10]
        if major != 1 or p + NVM_HEADER_LEN + image_len > len(chain):
            break
        if image_type == NVM_IMAGE_PIB:
            return chain[p + NVM_HEADER_LEN:p + NVM_HEADER_LEN + image_len]
        if next_header == NO_NEXT:
            break
        p = next_header
    return chain
