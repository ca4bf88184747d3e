"""Names of every known MMTYPE, by range and vendor.

Sources: Wireshark epan/dissectors/packet-homeplug-av.c (public, GreenPHY, QCA and ST/IoTecha
enums), open-plc-utils mme/homeplug.h and mme/qualcomm.h (QCA VS list, MS_*), HomePlug GreenPHY
1.1 chapter 11.  Bases are the .REQ value (two low bits zero); the variant comes from the two low
bits: 0 REQ, 1 CNF, 2 IND, 3 RSP.
"""

from __future__ import annotations

#: Ethertypes: the one place they are written (codec, capture, emulator and replay import them here).
ETHERTYPE_HOMEPLUG_AV = 0x88E1  # IEEE 1901 / HomePlug AV, AV2, Green PHY management
ETHERTYPE_HOMEPLUG_1_0 = 0x887B  # HomePlug 1.0
ETHERTYPE_VLAN = 0x8100  # IEEE 802.1Q customer tag
ETHERTYPE_QINQ = 0x88A8  # IEEE 802.1ad service tag
ETHERTYPE_QINQ_LEGACY = 0x9100  # pre-802.1ad double tagging (tshark reads it as a VLAN tag too)

OUI_QCA = bytes.fromhex("00B052")
OUI_ST = bytes.fromhex("0080E1")
OUI_SPIDCOM = bytes.fromhex("0013D7")
OUI_BROADCOM = bytes.fromhex("001F84")
OUI_DSPACE = bytes.fromhex("644D70")  # dSPACE GmbH: manufacturer-range 0x8000-0x9FFF messages with this OUI
OUI_NONE = bytes(3)  # QCA 0xA14E is seen with OUI 00:00:00 from some firmware

KNOWN_OUIS: dict[bytes, str] = {
    OUI_QCA: "Qualcomm Atheros",
    OUI_ST: "ST/IoTecha",
    OUI_SPIDCOM: "SPiDCOM",
    OUI_BROADCOM: "Gigle/Broadcom",
    OUI_DSPACE: "dSPACE",
}


PUBLIC_BASES: dict[int, str] = {
    # STA - CCo
    0x0000: "CC_CCO_APPOINT", 0x0004: "CC_BACKUP_APPOINT", 0x0008: "CC_LINK_INFO",
    0x000C: "CC_HANDOVER", 0x0010: "CC_HANDOVER_INFO", 0x0014: "CC_DISCOVER_LIST",
    0x0018: "CC_LINK_NEW", 0x001C: "CC_LINK_MOD", 0x0020: "CC_LINK_SQZ", 0x0024: "CC_LINK_REL",
    0x0028: "CC_DETECT_REPORT", 0x002C: "CC_WHO_RU", 0x0030: "CC_ASSOC", 0x0034: "CC_LEAVE",
    0x0038: "CC_SET_TEI_MAP", 0x003C: "CC_RELAY", 0x0040: "CC_BEACON_RELIABILITY",
    0x0044: "CC_ALLOC_MOVE", 0x0048: "CC_ACCESS_NEW", 0x004C: "CC_ACCESS_REL", 0x0050: "CC_DCPPC",
    0x0054: "CC_HP1_DET", 0x0058: "CC_BLE_UPDATE",
    # GreenPHY STA - CCo
    0x005C: "CC_BCAST_REPEAT", 0x0060: "CC_MH_LINK_NEW", 0x0064: "CC_ISP_DETECTION_REPORT",
    0x0068: "CC_ISP_START_RESYNC", 0x006C: "CC_ISP_FINISH_RESYNC", 0x0070: "CC_ISP_DETECTED_RESYNC",
    0x0074: "CC_ISP_TRANSMIT_RESYNC", 0x0078: "CC_POWERSAVE", 0x007C: "CC_POWERSAVE_EXIT",
    0x0080: "CC_POWERSAVE_LIST", 0x0084: "CC_POWERSAVE_STOP",
    # proxy coordinator
    0x2000: "CP_PROXY_APPOINT", 0x2004: "PH_PROXY_APPOINT", 0x2008: "CP_PROXY_WAKE",
    # CCo - CCo
    0x4000: "NN_INL", 0x4004: "NN_NEW_NET", 0x4008: "NN_ADD_ALLOC", 0x400C: "NN_REL_ALLOC",
    0x4010: "NN_REL_NET",
    # STA - STA
    0x6000: "CM_UNASSOCIATED_STA", 0x6004: "CM_ENCRYPTED_PAYLOAD", 0x6008: "CM_SET_KEY",
    0x600C: "CM_GET_KEY", 0x6010: "CM_SC_JOIN", 0x6014: "CM_CHAN_EST", 0x6018: "CM_TM_UPDATE",
    0x601C: "CM_AMP_MAP", 0x6020: "CM_BRG_INFO", 0x6024: "CM_CONN_NEW", 0x6028: "CM_CONN_REL",
    0x602C: "CM_CONN_MOD", 0x6030: "CM_CONN_INFO", 0x6034: "CM_STA_CAP", 0x6038: "CM_NW_INFO",
    0x603C: "CM_GET_BEACON", 0x6040: "CM_HFID", 0x6044: "CM_MME_ERROR", 0x6048: "CM_NW_STATS",
    0x604C: "CM_LINK_STATS",
    # GreenPHY STA - STA
    0x6050: "CM_ROUTE_INFO", 0x6054: "CM_UNREACHABLE", 0x6058: "CM_MH_CONN_NEW",
    0x605C: "CM_EXTENDED_TONEMASK", 0x6060: "CM_STA_IDENTIFY", 0x6064: "CM_SLAC_PARM",
    0x6068: "CM_START_ATTEN_CHAR", 0x606C: "CM_ATTEN_CHAR", 0x6070: "CM_PKCS_CERT",
    0x6074: "CM_MNBC_SOUND", 0x6078: "CM_VALIDATE", 0x607C: "CM_SLAC_MATCH",
    0x6080: "CM_SLAC_USER_DATA", 0x6084: "CM_ATTEN_PROFILE",
}

QCA_BASES: dict[int, str] = {
    0xA000: "VS_SW_VER", 0xA004: "VS_WR_MEM", 0xA008: "VS_RD_MEM", 0xA00C: "VS_ST_MAC",
    0xA010: "VS_GET_NVM", 0xA014: "VS_RSVD_A014", 0xA018: "VS_RSVD_A018", 0xA01C: "VS_RS_DEV",
    0xA020: "VS_WR_MOD", 0xA024: "VS_RD_MOD", 0xA028: "VS_MOD_NVM", 0xA02C: "VS_WD_RPT",
    0xA030: "VS_LNK_STATS", 0xA034: "VS_SNIFFER", 0xA038: "VS_NW_INFO", 0xA03C: "VS_RSVD_A03C",
    0xA040: "VS_CP_RPT", 0xA044: "VS_ARPC", 0xA048: "VS_FR_LBK", 0xA04C: "VS_LBK_STAT",
    0xA050: "VS_SET_KEY", 0xA054: "VS_MFG_STRING", 0xA058: "VS_RD_CBLOCK", 0xA05C: "VS_SET_SDRAM",
    0xA060: "VS_HOST_ACTION", 0xA068: "VS_OP_ATTRIBUTES", 0xA06C: "VS_ENET_SETTINGS",
    0xA070: "VS_TONE_MAP_CHAR", 0xA074: "VS_NW_INFO_STATS", 0xA078: "VS_SLAVE_MEM",
    0xA07C: "VS_FAC_DEFAULTS", 0xA084: "VS_MULTICAST_INFO", 0xA088: "VS_CLASSIFICATION",
    0xA090: "VS_RX_TONE_MAP_CHAR", 0xA094: "VS_SET_LED_BEHAVIOR", 0xA098: "VS_WRITE_AND_EXECUTE_APPLET",
    0xA09C: "VS_MDIO_COMMAND", 0xA0A0: "VS_SLAVE_REG", 0xA0A4: "VS_BANDWIDTH_LIMITING",
    0xA0A8: "VS_SNID_OPERATION", 0xA0AC: "VS_NN_MITIGATE", 0xA0B0: "VS_MODULE_OPERATION",
    0xA0B4: "VS_DIAG_NETWORK_PROBE", 0xA0B8: "VS_PL_LINK_STATUS", 0xA0BC: "VS_GPIO_STATE_CHANGE",
    0xA0C0: "VS_CONN_ADD", 0xA0C4: "VS_CONN_MOD", 0xA0C8: "VS_CONN_REL", 0xA0CC: "VS_CONN_INFO",
    0xA0D0: "VS_MULTIPORT_LNK_STA", 0xA0DC: "VS_EM_ID_TABLE", 0xA0E0: "VS_STANDBY",
    0xA0E4: "VS_SLEEPSCHEDULE", 0xA0E8: "VS_SLEEPSCHEDULE_NOTIFICATION", 0xA0F0: "VS_MICROCONTROLLER_DIAG",
    0xA0F8: "VS_GET_PROPERTY", 0xA100: "VS_SET_PROPERTY", 0xA104: "VS_PHYSWITCH_MDIO",
    0xA10C: "VS_SELFTEST_ONETIME_CONFIG", 0xA110: "VS_SELFTEST_RESULTS", 0xA114: "VS_MDU_TRAFFIC_STATS",
    0xA118: "VS_FORWARD_CONFIG", 0xA14C: "VS_ATTENUATION_CHARACTERISTICS", 0xA200: "VS_HYBRID_INFO",
}

QCA_MS_BASES: dict[int, str] = {0x8000: "MS_PB_ENC", 0x8004: "MS_ADC_CAP", 0x8008: "MS_DISCOVER"}

ST_BASES: dict[int, str] = {
    0x8000: "STP_AUTH_SET_NMK", 0x8004: "STP_LINK_STATUS", 0x8008: "STP_DISCOVER_LOCAL",
    0x800C: "STP_SET_MAXGAIN", 0xA000: "STP_DISCOVER", 0xA00C: "STP_GET_TEI_LIST",
    0xA010: "STP_GET_TEI_SNAPSHOT", 0xA014: "STP_GET_BSS_LIST", 0xA018: "STP_CHANQUAL_REPORT",
    0xA100: "STP_TEST_CHAN_ATTEN_START_RX", 0xA104: "STP_TEST_CHAN_ATTEN_DATA",
    0xA108: "STP_TEST_CHAN_ATTEN_START_TX", 0xA10C: "STP_TEST_SOUND_QUIET",
    0xA200: "STP_MFCT_UPDATE_STAGE", 0xA204: "STP_MFCT_UPDATE_FINISH", 0xA208: "STP_MFCT_GET_ITEM",
    0xA20C: "STP_MFCT_GET_KEYLIST", 0xA210: "STP_FUP", 0xA214: "STP_RESERVED", 0xA22C: "STP_CPSTATE",
    0xA230: "STP_USER_MESSAGE",
}

SPIDCOM_BASES: dict[int, str] = {0xA10C: "SPC_CP_STATE"}

DSPACE_BASES: dict[int, str] = {0x8000: "DSPACE_SCS_DIAG"}

VENDOR_BASES: dict[bytes, dict[int, str]] = {
    OUI_QCA: QCA_BASES,
    OUI_NONE: QCA_BASES,
    OUI_ST: ST_BASES,
    OUI_SPIDCOM: SPIDCOM_BASES,
    OUI_DSPACE: DSPACE_BASES,
}

_SUFFIX = (".REQ", ".CNF", ".IND", ".RSP")
_RANGE_PREFIX = ((0x0000, "CC"), (0x2000, "CP"), (0x4000, "NN"), (0x6000, "CM"), (0x8000, "MS"),
                 (0xA000, "VS"), (0xC000, "HA"))


def range_prefix(mmtype: int) -> str:
    prefix = "CC"
    for start, name in _RANGE_PREFIX:
        if mmtype >= start:
            prefix = name
    return prefix


def base_name(mmtype: int, oui: bytes | None = None) -> str | None:
    """The known base name (without .REQ/.CNF) of an MMTYPE, or None if it is not known."""
    base = mmtype & ~3
    if mmtype >= 0x8000:
        if oui is not None and oui in VENDOR_BASES:
            name = VENDOR_BASES[oui].get(base)
            if name:
                return name
        if oui is None:
            # no OUI: QCA's MS_* types, or a continuation fragment of a (most often QCA) VS_* message
            return QCA_MS_BASES.get(base) if mmtype < 0xA000 else QCA_BASES.get(base)
        return None
    return PUBLIC_BASES.get(base)


def mmtype_name(mmtype: int, oui: bytes | None = None) -> str:
    """``CM_SLAC_PARM.REQ``; unknown types get a name from their range, e.g. ``VS_0xA1F0.CNF``."""
    name = base_name(mmtype, oui) or f"{range_prefix(mmtype)}_0x{mmtype & ~3:04X}"
    return name + _SUFFIX[mmtype & 3]


def is_known(mmtype: int, oui: bytes | None = None) -> bool:
    return base_name(mmtype, oui) is not None
