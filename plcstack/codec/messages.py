"""Every typed HomePlug AV / Green PHY / QCA management message, declared once.

Field layouts and their sources are listed in ``docs/codec-layouts.md``: HomePlug AV 1.1 / 2.1 and
GreenPHY 1.1 chapter 11, ISO 15118-3 (SLAC), open-plc-utils structs (QCA vendor messages),
Wireshark packet-homeplug-av.c; disagreements between them in ``docs/codec-disagreements.md``.
Coded fields carry their enum from :mod:`plcstack.codec.codes`; units are declared on the field.  Integers are little-endian; MACs, NIDs,
keys, nonces and RunIDs are byte strings.  Anything after a declared layout (padding, vendor
tails) is kept in ``Frame.trailing``.

Class names are the MME names with ``_`` for ``.``: ``CM_SLAC_PARM_REQ``.
"""

from __future__ import annotations

from plcstack.codec.codes import (
    AssocRequestType,
    AssocResult,
    AvlnStatus,
    AvVersion,
    CcoCapability,
    ClassifierControl,
    ClassifierVolatility,
    CoordinatingStatus,
    CpState,
    DeviceClass,
    Duplex,
    EncryptedPayloadResult,
    EthernetSpeed,
    GetKeyRequestType,
    GetKeyResult,
    HfidRequestType,
    HostAction,
    KeyType,
    LeaveReason,
    LinkControl,
    LinkDirection,
    LinkStatsStatus,
    LinkStatus,
    MmeErrorReason,
    ModuleId,
    ModuleOperation,
    NetworkAccess,
    Peks,
    PropertyFormat,
    ProtocolId,
    PushButtonAction,
    QcaStatus,
    ReportType,
    Result,
    SetKeyResult,
    SetKeyStatus,
    SlacApplicationType,
    SlacRespType,
    SlacSecurityType,
    SnifferControl,
    StationRole,
    TeiMapMode,
    TeiMapStatus,
    ToneMapCoupling,
    ToneMapStatus,
    ValidateResult,
    ValidateSignalType,
    WatchdogClear,
)
from plcstack.codec.layout import array, layout, mac, raw, rest, text, u8, u16, u32, u64, varbytes, when
from plcstack.codec.names import OUI_DSPACE, OUI_NONE, OUI_QCA, OUI_SPIDCOM, OUI_ST
from plcstack.codec.registry import message

# ============================================================== CC_* (station - CCo)

CC_DISCOVER_LIST_REQ = message(0x0014)
_discover_list = (
    u8("num_stations"),
    array("stations", "{num_stations}",
          mac("mac"), u8("tei"), u8("same_network"), u8("snid_access", "SNID bits 0-3, access bits 4-7"),
          u8("status_capability", "BCCo/PCo/CCo status and capability bits"),
          u8("signal_level", "0 n/a, 1 = > -10 dB ... 15 = <= -75 dB (5 dB steps)"),
          u8("average_ble", "mantissa bits 7-3, exponent bits 2-0")),
    u8("num_networks"),
    array("networks", "{num_networks}",
          raw("nid", 7), u8("snid_access"), u8("hybrid_mode"), u8("num_beacon_slots"),
          u8("coordinating_status", values=CoordinatingStatus),
          u16("beacon_offset", unit="us", scale=10.24)),
)
CC_DISCOVER_LIST_CNF = message(0x0015, *_discover_list)
CC_DISCOVER_LIST_IND = message(0x0016, *_discover_list)

CC_ASSOC_REQ = message(0x0030, u8("request_type", values=AssocRequestType), raw("nid", 7),
                       u8("cco_capability", values=CcoCapability), u8("proxy_network_capability"))
CC_ASSOC_CNF = message(0x0031, u8("result", values=AssocResult),
                       raw("nid", 7), u8("snid"), u8("tei"), u16("lease_time", "unit uncertain", unit="min"))

# CC_LEAVE: layout per HomePlug AV 1.1 13.x (reason code); no open implementation decodes it
CC_LEAVE_REQ = message(0x0034, u8("reason", values=LeaveReason))
CC_LEAVE_CNF = message(0x0035)
CC_LEAVE_IND = message(0x0036, u8("reason", values=LeaveReason), raw("nid", 7))
CC_LEAVE_RSP = message(0x0037)

CC_SET_TEI_MAP_IND = message(
    0x003A, u8("mode", values=TeiMapMode), u8("num_stations"),
    array("stations", "{num_stations}", u8("tei"), mac("mac"), u8("status", values=TeiMapStatus)))

# ============================================================== CM_* (station - station)

CM_UNASSOCIATED_STA_IND = message(0x6002, raw("nid", 7), u8("cco_capability", values=CcoCapability))

_encrypted_payload_header = (
    u8("peks", values=Peks), u8("avln_status", values=AvlnStatus), u8("pid", values=ProtocolId), u16("prn"),
    u8("pmn", "protocol message number; 0xFF = last"),
    raw("iv", 16, "AES-CBC IV, or UUID when PEKS = 0x0F"), u16("length", "length of the inner MME", unit="bytes"),
)
#: The 24-byte clear header of CM_ENCRYPTED_PAYLOAD.IND as a layout of its own, for the key manager:
#: ``ENCRYPTED_PAYLOAD_HEADER.unpack(mmentry)`` / ``.pack(ENCRYPTED_PAYLOAD_HEADER.cls(peks=..., ...))``.
ENCRYPTED_PAYLOAD_HEADER = layout("EncryptedPayloadHeader", *_encrypted_payload_header)
CM_ENCRYPTED_PAYLOAD_IND = message(
    0x6006, *_encrypted_payload_header,
    rest("encrypted", "random filler, MME, CRC, PID, PRN, PMN, padding, RF length (AES-128-CBC)"),
)
CM_ENCRYPTED_PAYLOAD_RSP = message(0x6007, u8("result", values=EncryptedPayloadResult),
                                   u8("pid", values=ProtocolId), u16("prn"))

CM_SET_KEY_REQ = message(
    0x6008,
    u8("key_type", values=KeyType), raw("my_nonce", 4), raw("your_nonce", 4), u8("pid", values=ProtocolId),
    u16("prn"), u8("pmn"), u8("cco_capability", values=CcoCapability), raw("nid", 7, "54-bit NID, 2 MSBs 0"),
    u8("new_eks"),
    when("{key_type} != 5", raw("new_key", 16)),
)
CM_SET_KEY_CNF = message(
    0x6009,
    u8("result", "0 = success per AV 1.1/GreenPHY; QCA firmware answers 1 on success", values=SetKeyResult),
    raw("my_nonce", 4), raw("your_nonce", 4), u8("pid", values=ProtocolId), u16("prn"), u8("pmn"),
    u8("cco_capability", values=CcoCapability),
)
# CM_SC_JOIN (simple connect / push-button join, HomePlug AV 1.1 message list).  No open implementation
# decodes it; the fields follow the HomePlug AV 1.1 / IEEE 1901 tables as we read them (uncertain, see
# docs/codec-disagreements.md): the joining station announces its CCo capability, the station that
# holds the AVLN answers with the NID and its AVLN status.
CM_SC_JOIN_REQ = message(0x6010, u8("cco_capability", values=CcoCapability))
CM_SC_JOIN_CNF = message(0x6011, raw("nid", 7), u8("avln_status", values=AvlnStatus))

CM_GET_KEY_REQ = message(
    0x600C,
    u8("request_type", values=GetKeyRequestType), u8("requested_key_type", values=KeyType),
    raw("nid", 7), raw("my_nonce", 4), u8("pid", values=ProtocolId), u16("prn"), u8("pmn"),
    when("{requested_key_type} == 4", rest("hash_key")),
)
CM_GET_KEY_CNF = message(
    0x600D,
    u8("result", values=GetKeyResult),
    u8("requested_key_type", values=KeyType), raw("my_nonce", 4), raw("your_nonce", 4),
    raw("nid", 7), u8("eks"), u8("pid", values=ProtocolId), u16("prn"), u8("pmn"), rest("key"),
)

CM_AMP_MAP_REQ = message(0x601C, u16("amlen", "number of 4-bit amplitude entries"),
                         varbytes("amdata", "({amlen} + 1) // 2"))
CM_AMP_MAP_CNF = message(0x601D, u8("result", values=Result))

CM_BRG_INFO_REQ = message(0x6020)
CM_BRG_INFO_CNF = message(
    0x6021, u8("bsf", "1 = the station bridges"),
    when("{bsf} != 0", u8("btei"), u8("nbda")),
    when("{bsf} != 0", array("bda", "{nbda}", mac("mac"))),
)

CM_STA_CAP_REQ = message(0x6034)
CM_STA_CAP_CNF = message(
    0x6035,
    u8("av_version", values=AvVersion), mac("mac"), raw("oui", 3), u8("auto_connect"),
    u8("smoothing"), u8("cco_capability", values=CcoCapability), u8("proxy_capability"), u8("backup_cco_capability"),
    u8("soft_handover"), u8("two_symbol_fc"), u16("max_frame_length", unit="us", scale=1.28),
    u8("hpav11_capability"), u8("hp101_interop"), u8("regulatory_capability"),
    u8("bidirectional_bursting"), u16("implementation_version"),
)

CM_NW_INFO_REQ = message(0x6038)
CM_NW_INFO_CNF = message(
    0x6039, u8("num_networks"),
    array("networks", "{num_networks}", raw("nid", 7), u8("snid"), u8("tei"),
          u8("station_role", values=StationRole), mac("cco_mac"), u8("access", values=NetworkAccess),
          u8("num_coord_networks")),
)

CM_HFID_REQ = message(
    0x6040,
    u8("request_type", values=HfidRequestType),
    when("{request_type} in (2, 4)", raw("nid", 7)),
    when("{request_type} in (3, 4)", text("hfid", 64)),
)
CM_HFID_CNF = message(0x6041, u8("request_type", "echo; 0xFF = failure", values=HfidRequestType),
                      text("hfid", 64))

CM_MME_ERROR_IND = message(
    0x6046, u8("reason_code", values=MmeErrorReason),
    u8("rx_mmv"), u16("rx_mmtype"), u16("invalid_offset"),
)

CM_NW_STATS_REQ = message(0x6048)
CM_NW_STATS_CNF = message(
    0x6049, u8("num_stations"),
    array("stations", "{num_stations}", mac("da"), u8("avg_phy_rate_tx", unit="Mbit/s"),
          u8("avg_phy_rate_rx", unit="Mbit/s")),
    mmv=1, also_oui=(), default_mmv=1,
)
message(0x6049, u8("num_stations"),
        array("stations", "{num_stations}", mac("da"), u16("avg_phy_rate_tx", unit="Mbit/s"),
              u16("avg_phy_rate_rx", unit="Mbit/s"), item_name="StationV2"),
        mmv=2, cls_name="CM_NW_STATS_CNF_V2", doc="AV2 layout with 16-bit rates")
message(0x6049, u8("num_stations"),
        array("stations", "{num_stations}", mac("da"), u8("avg_phy_rate_tx", unit="Mbit/s"),
              u8("avg_phy_rate_rx", unit="Mbit/s")),
        mmv=0, cls_name="CM_NW_STATS_CNF_V0")

CM_STA_IDENTIFY_REQ = message(0x6060)
_sta_identify = (
    u8("green_phy_capability"), u8("power_save_capability"), u8("gp_preferred_allocation_capability"),
    u8("repeating_routing_capability"), u8("hpav_version", "station type; 1 = AV2 extended fields"),
    u8("efl", "extended fields length"), varbytes("extended_fields", "{efl}"),
)
CM_STA_IDENTIFY_CNF = message(0x6061, *_sta_identify)
CM_STA_IDENTIFY_IND = message(0x6062, *_sta_identify)

# ---------------------------------------------------------------- Green PHY SLAC (ISO 15118-3)

CM_SLAC_PARM_REQ = message(
    0x6064, u8("application_type", values=SlacApplicationType),
    u8("security_type", values=SlacSecurityType), raw("run_id", 8),
    when("{security_type} == 1", u8("cipher_suite_set_size")),
    when("{security_type} == 1", array("cipher_suites", "{cipher_suite_set_size}", u16("suite"))),
)
CM_SLAC_PARM_CNF = message(
    0x6065, mac("msound_target"), u8("num_sounds"), u8("time_out", unit="ms", scale=100),
    u8("resp_type", values=SlacRespType), mac("forwarding_sta"),
    u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    raw("run_id", 8),
    when("{security_type} == 1", u16("cipher_suite")),
)
CM_START_ATTEN_CHAR_IND = message(
    0x606A, u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    u8("num_sounds"), u8("time_out", unit="ms", scale=100), u8("resp_type", values=SlacRespType),
    mac("forwarding_sta"), raw("run_id", 8),
)
CM_MNBC_SOUND_IND = message(
    0x6076, u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    raw("sender_id", 17, "PEV VIN or zeros"),
    u8("cnt", "sounds remaining"), raw("run_id", 8), raw("rsvd", 8), raw("rnd", 16),
)
CM_ATTEN_CHAR_IND = message(
    0x606E, u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    mac("source_address", "PEV MAC"), raw("run_id", 8), raw("source_id", 17), raw("resp_id", 17),
    u8("num_sounds"), u8("num_groups"),
    varbytes("aag", "{num_groups}", "average attenuation per group", unit="dB"),
)
CM_ATTEN_CHAR_RSP = message(
    0x606F, u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    mac("source_address"), raw("run_id", 8), raw("source_id", 17), raw("resp_id", 17),
    u8("result", values=Result),
)
CM_ATTEN_PROFILE_IND = message(
    0x6086, mac("pev_mac"), u8("num_groups"), u8("rsvd"),
    varbytes("aag", "{num_groups}", "average attenuation per group", unit="dB"),
)
CM_VALIDATE_REQ = message(0x6078, u8("signal_type", values=ValidateSignalType),
                          u8("timer", "toggle window", unit="ms", scale=100),
                          u8("result", values=ValidateResult))
CM_VALIDATE_CNF = message(0x6079, u8("signal_type", values=ValidateSignalType), u8("toggle_num"),
                          u8("result", values=ValidateResult))
_slac_match = (
    u8("application_type", values=SlacApplicationType), u8("security_type", values=SlacSecurityType),
    u16("mvf_length", unit="bytes"), raw("pev_id", 17), mac("pev_mac"),
    raw("evse_id", 17), mac("evse_mac"), raw("run_id", 8), raw("rsvd", 8),
)
CM_SLAC_MATCH_REQ = message(0x607C, *_slac_match)
CM_SLAC_MATCH_CNF = message(0x607D, *_slac_match, raw("nid", 7), u8("rsvd2"), raw("nmk", 16))

# ============================================================== MS_* (manufacturer specific, QCA)

MS_PB_ENC_REQ = message(0x8000, u8("pb_action", values=PushButtonAction))
MS_PB_ENC_CNF = message(0x8001, u8("mstatus", values=QcaStatus), u8("avln_status", values=AvlnStatus))

# ============================================================== VS_* (Qualcomm Atheros, OUI 00:B0:52)

VS_SW_VER_REQ = message(0xA000, u32("cookie"), oui=OUI_QCA)
VS_SW_VER_CNF = message(
    0xA001, u8("mstatus", values=QcaStatus), u8("device_class", values=DeviceClass),
    u8("version_length"), text("version", 254), u32("ident", "STRAP/IDENT word"), u32("stepping"),
    u32("cookie"), oui=OUI_QCA,
)
VS_RD_MEM_REQ = message(0xA008, u32("address"), u32("length"), oui=OUI_QCA)
VS_RD_MEM_CNF = message(0xA009, u8("mstatus", values=QcaStatus), u32("address"), u32("length"), varbytes("data", "{length}"),
                        oui=OUI_QCA)
VS_GET_NVM_REQ = message(0xA010, oui=OUI_QCA)
VS_GET_NVM_CNF = message(0xA011, u8("mstatus", values=QcaStatus), u32("nvm_type"), u32("page_size"), u32("block_size"),
                         u32("memory_size"), oui=OUI_QCA)
VS_RS_DEV_REQ = message(0xA01C, oui=OUI_QCA)
VS_RS_DEV_CNF = message(0xA01D, u8("mstatus", values=QcaStatus), oui=OUI_QCA)
VS_RD_MOD_REQ = message(0xA024, u8("module_id", values=ModuleId),
                        u8("rsvd"), u16("length"), u32("offset"), oui=OUI_QCA)
VS_RD_MOD_CNF = message(0xA025, u8("mstatus", values=QcaStatus), raw("rsvd", 3), u8("module_id", values=ModuleId), u8("rsvd2"), u16("length"),
                        u32("offset"), u32("checksum"), varbytes("data", "{length}"), oui=OUI_QCA)
VS_LNK_STATS_REQ = message(
    0xA030, u8("mcontrol", values=LinkControl), u8("direction", values=LinkDirection),
    u8("lid"), mac("peer"), oui=OUI_QCA,
)
VS_LNK_STATS_CNF = message(
    0xA031, u8("mstatus", values=LinkStatsStatus), u8("direction", values=LinkDirection), u8("lid"), u8("tei"),
    when("{direction} in (0, 2)", u64("tx_mpdu_acked"), u64("tx_mpdu_collisions"), u64("tx_mpdu_failed"),
         u64("tx_pb_passed"), u64("tx_pb_failed")),
    when("{direction} in (1, 2)", u64("rx_mpdu_acked"), u64("rx_mpdu_failed"), u64("rx_pb_passed"),
         u64("rx_pb_failed"), u64("rx_tbe_passed"), u64("rx_tbe_failed"), u8("num_rx_intervals")),
    when("{direction} in (1, 2)",
         array("rx_intervals", "{num_rx_intervals}", u8("phy_rate", unit="Mbit/s"), u64("pb_passed"),
               u64("pb_failed"), u64("tbe_passed"), u64("tbe_failed"))),
    oui=OUI_QCA,
)
VS_SNIFFER_REQ = message(0xA034, u8("control", values=SnifferControl), oui=OUI_QCA)
VS_SNIFFER_CNF = message(0xA035, u8("mstatus", values=QcaStatus), u8("state"), mac("da"), oui=OUI_QCA)

VS_NW_INFO_REQ = message(0xA038, oui=OUI_QCA)
VS_NW_INFO_CNF_V0 = message(
    0xA039, u8("num_avlns"),
    array("networks", "{num_avlns}", raw("nid", 7), u8("snid"), u8("tei"), u8("role", values=StationRole),
          mac("cco_mac"), u8("cco_tei"), u8("num_stations"),
          array("stations", "{num_stations}", mac("mac"), u8("tei"), mac("bda"), u8("avg_tx", unit="Mbit/s"),
                u8("avg_rx", unit="Mbit/s"), item_name="StationV0"),
          item_name="NetworkV0"),
    oui=OUI_QCA, mmv=0, cls_name="VS_NW_INFO_CNF_V0", doc="INT6x00 layout (open-plc-utils NetInfo1.c)",
)
VS_NW_INFO_CNF = message(
    0xA039, u8("sub_version"), u8("rsvd"), u16("data_len"), u8("rsvd2"), u8("num_avlns"),
    array("networks", "{num_avlns}", raw("nid", 7), raw("rsvd", 2), u8("snid"), u8("tei"), raw("rsvd2", 4),
          u8("role", values=StationRole), mac("cco_mac"), u8("cco_tei"), raw("rsvd3", 3), u8("num_stations"),
          raw("rsvd4", 5),
          array("stations", "{num_stations}", mac("mac"), u8("tei"), raw("rsvd", 3), mac("bda"),
                u16("avg_tx", unit="Mbit/s"), u8("coupling", "TX/RX nibbles"), u8("rsvd2"),
                u16("avg_rx", unit="Mbit/s"),
                u16("rsvd3"), item_name="Station"),
          item_name="Network"),
    oui=OUI_QCA, mmv=1, doc="AR7x00/QCA74xx layout (open-plc-utils NetInfo2.c)",
)

VS_FR_LBK_REQ = message(0xA048, u8("duration", unit="s"), u8("rsvd"), u16("length"),
                        varbytes("packet", "{length}"), oui=OUI_QCA)
VS_FR_LBK_CNF = message(0xA049, u8("mstatus", values=QcaStatus), u8("duration", unit="s"), u16("length"), oui=OUI_QCA)

VS_SET_KEY_REQ = message(
    0xA050, u8("eks"), raw("nmk", 16),
    u8("peks", "NO_KEY (0x0F): set on the addressed local device; DAK (0): push to RDA via its DAK",
       values=Peks),
    mac("rda"), raw("dak", 16), oui=OUI_QCA,
)
VS_SET_KEY_CNF = message(0xA051, u8("mstatus", values=SetKeyStatus),
                         oui=OUI_QCA)
VS_MFG_STRING_REQ = message(0xA054, oui=OUI_QCA)
# open-plc-utils plc/PLCTopology.c vs_mfg_string_confirm: MSTRING is always 64 bytes (Wireshark agrees)
VS_MFG_STRING_CNF = message(0xA055, u8("mstatus", values=QcaStatus), u8("length", "characters used", unit="bytes"),
                            text("string", 64), oui=OUI_QCA)
VS_HOST_ACTION_IND = message(0xA062, u8("action", values=HostAction), oui=OUI_QCA)
VS_HOST_ACTION_RSP = message(0xA063, u8("mstatus", values=QcaStatus), oui=OUI_QCA)

VS_OP_ATTRIBUTES_REQ = message(0xA068, u32("cookie"), u8("report_type", values=ReportType),
                               oui=OUI_QCA)
VS_OP_ATTRIBUTES_CNF = message(
    0xA069, u16("mstatus", values=QcaStatus), u32("cookie"), u8("report_type", values=ReportType), u16("length"),
    varbytes("report", "{length}", "attribute block (open-plc-utils Attributes2.c)"), oui=OUI_QCA,
)
VS_ENET_SETTINGS_REQ = message(0xA06C, u8("mcontrol"), u8("add_caps"), raw("rsvd", 3), oui=OUI_QCA)
VS_ENET_SETTINGS_CNF = message(0xA06D, u8("mstatus", values=QcaStatus), u8("speed", values=EthernetSpeed),
                               u8("duplex", values=Duplex), oui=OUI_QCA)

# Tone maps, MMV 0 (INT6x00 firmware): Wireshark's 1.0 dissection; open-plc-utils plc/ToneMaps1.c for
# the RX confirm (carriers of INT_CARRIERS = 1155 carriers, 4 bits each, then GIL and AGC).
VS_TONE_MAP_CHAR_REQ = message(0xA070, mac("mac"), u8("tmslot"), oui=OUI_QCA)
VS_TONE_MAP_CHAR_CNF = message(
    0xA071, u8("mstatus", values=ToneMapStatus), u8("tmslot"), u8("num_tms"), u16("num_active_carriers"),
    rest("mod_carriers", "4 bits per carrier, two carriers per byte"), oui=OUI_QCA,
)
VS_RX_TONE_MAP_CHAR_REQ = message(0xA090, mac("mac"), u8("tmslot"), u8("coupling", values=ToneMapCoupling),
                                  oui=OUI_QCA)
VS_RX_TONE_MAP_CHAR_CNF = message(
    0xA091, u8("mstatus", values=ToneMapStatus), u8("tmslot"), u8("num_tms"), u16("num_active_carriers"),
    raw("mod_carriers", 577, "1155 carriers, 4 bits each, two per byte"), u8("gil", "guard interval length"),
    u8("agc", "automatic gain control"), oui=OUI_QCA, mmv=0,
)
# MMV 1 (AR7x00/QCA74xx/QCA7000 firmware).  Requests: open-plc-utils ToneMaps2.c / SignalToNoise2.c.
# Confirms start with MSTATUS (open-plc-utils vs_tonemap_char_confirm / vs_rx_tonemap_char_confirm,
# Wireshark agrees); MME_LEN counts the bytes after itself.  TX: the real frames (QCA7000, pyPLC alpi
# capture frame 1157) carry 18 header bytes after MME_LEN, not the 24 of open-plc-utils' struct.
# RX: GIL and AGC follow the carrier count (open-plc-utils vs_rx_tonemap_char_confirm).
_tm_req_v1 = (u8("sub_version"), raw("rsvd", 3), mac("mac"), u8("tmslot"), u8("coupling", values=ToneMapCoupling))
_tm_cnf_v1_head = (
    u8("mstatus", values=ToneMapStatus), u8("rsvd"), u16("mme_len", "bytes after this field", unit="bytes"),
    u8("sub_version"), u8("rsvd2"), mac("mac"), u8("tmslot"), u8("coupling", values=ToneMapCoupling),
    u8("num_tms", "tone maps in use"), u8("rsvd3"), u16("num_active_carriers"),
)
_mod_carriers = varbytes("mod_carriers", "({num_active_carriers} + 1) // 2",
                         "4 bits per carrier, two carriers per byte")
VS_TONE_MAP_CHAR_REQ_V1 = message(0xA070, *_tm_req_v1, oui=OUI_QCA, mmv=1, cls_name="VS_TONE_MAP_CHAR_REQ_V1")
VS_TONE_MAP_CHAR_CNF_V1 = message(0xA071, *_tm_cnf_v1_head, raw("rsvd4", 4), _mod_carriers, oui=OUI_QCA, mmv=1,
                                  cls_name="VS_TONE_MAP_CHAR_CNF_V1")
VS_RX_TONE_MAP_CHAR_REQ_V1 = message(0xA090, *_tm_req_v1, oui=OUI_QCA, mmv=1, cls_name="VS_RX_TONE_MAP_CHAR_REQ_V1")
VS_RX_TONE_MAP_CHAR_CNF_V1 = message(
    0xA091, *_tm_cnf_v1_head, raw("rsvd4", 4), u8("gil", "guard interval length"), u8("rsvd5"),
    u8("agc", "automatic gain control"), u8("rsvd6"), _mod_carriers, oui=OUI_QCA, mmv=1,
    cls_name="VS_RX_TONE_MAP_CHAR_CNF_V1")
VS_FAC_DEFAULTS_REQ = message(0xA07C, oui=OUI_QCA)
VS_FAC_DEFAULTS_CNF = message(0xA07D, u8("mstatus", values=QcaStatus), oui=OUI_QCA)

# MODULE_OPERATION: reads (MOD_OP 0/1) and write sessions (start 0x10, write 0x11, close/commit 0x12),
# open-plc-utils plc/ModuleRead.c, ModuleSession.c, ModuleWrite.c, ModuleCommit.c
_MOD_SESSION = "{mod_op} in (0x10, 0x11, 0x12)"
_MOD_ADDRESSED = "{mod_op} in (0x00, 0x01, 0x11)"
_MOD_OTHER = "{mod_op} not in (0x00, 0x01, 0x10, 0x11, 0x12)"
VS_MODULE_OPERATION_REQ = message(
    0xA0B0, u32("reserved"), u8("num_op_data"),
    u16("mod_op", values=ModuleOperation),
    u16("mod_op_data_len"), u32("mod_op_rsvd"),
    when(_MOD_SESSION, u32("session_id")),
    when("{mod_op} == 0x10", u8("num_modules")),
    when("{mod_op} == 0x10", array("modules", "{num_modules}", u16("module_id"), u16("module_sub_id"),
                                   u32("module_length"), u32("module_checksum"))),
    when("{mod_op} == 0x11", u8("module_index")),
    when(_MOD_ADDRESSED, u16("module_id"), u16("module_sub_id"), u16("length"), u32("offset")),
    when("{mod_op} == 0x12", u32("commit_code", "bit 0 force, bit 1 no reset, bit 31 factory PIB")),
    when("{mod_op} == 0x11", rest("data", "module bytes: the first {length} are valid (plctool sends 1400)")),
    when(_MOD_OTHER, rest("op_data")),
    oui=OUI_QCA,
)
VS_MODULE_OPERATION_CNF = message(
    0xA0B1, u16("mstatus", values=QcaStatus), u16("err_rec_code"), u32("reserved"), u8("num_op_data"),
    u16("mod_op", values=ModuleOperation),
    u16("mod_op_data_len"), u32("mod_op_rsvd"),
    when(_MOD_SESSION, u32("session_id")),
    when("{mod_op} == 0x12", u32("commit_code")),
    when("{mod_op} in (0x10, 0x12)", u8("num_modules")),
    when("{mod_op} in (0x10, 0x12)", array("module_status", "{num_modules}", u16("status"), u16("err_rec_code"))),
    when("{mod_op} == 0x11", u8("module_index")),
    when(_MOD_ADDRESSED, u16("module_id"), u16("module_sub_id"), u16("length"), u32("offset")),
    when("{mod_op} in (0x00, 0x01)", varbytes("data", "{length}")),
    when(_MOD_OTHER, rest("op_data")),
    oui=OUI_QCA,
)
VS_PL_LINK_STATUS_REQ = message(0xA0B8, oui=OUI_QCA)
VS_PL_LINK_STATUS_CNF = message(0xA0B9, u8("mstatus", values=QcaStatus), u8("link_status", values=LinkStatus),
                                oui=OUI_QCA)
# open-plc-utils plc/GetProperty.c and plc/SetProperty.c
VS_GET_PROPERTY_REQ = message(
    0xA0F8, u32("cookie", "echoed by the confirm"), u8("data_format", values=PropertyFormat), u8("prop_format"),
    raw("rsvd", 2), u32("prop_version"), u32("prop_length", "size of the property value", unit="bytes"),
    u32("prop_number", "property identifier"), oui=OUI_QCA)
VS_GET_PROPERTY_CNF = message(
    0xA0F9, u32("mstatus", values=QcaStatus), u32("cookie"), u8("data_format", values=PropertyFormat),
    raw("rsvd", 3), u32("data_length", unit="bytes"), varbytes("data", "{data_length}"), oui=OUI_QCA)
VS_SET_PROPERTY_REQ = message(
    0xA100, u32("cookie"), u8("option"), raw("rsvd", 3), u32("prop_version"), u32("prop_number"),
    u32("data_length", unit="bytes"), varbytes("data", "{data_length}"), oui=OUI_QCA)
VS_SET_PROPERTY_CNF = message(0xA101, u32("mstatus", values=QcaStatus), u32("cookie"), oui=OUI_QCA)

# open-plc-utils plc/WatchdogReport.c; the report bytes start RDATAOFFSET bytes into RDATA
VS_WD_RPT_REQ = message(0xA02C, u16("session_id"), u8("clear", values=WatchdogClear), oui=OUI_QCA)
VS_WD_RPT_IND = message(
    0xA02E, u8("mstatus", values=QcaStatus), u16("session_id"), u8("num_parts"), u8("cur_part"),
    u16("rdata_length", unit="bytes"), u8("rdata_offset"), rest("rdata"), oui=OUI_QCA)

# open-plc-utils plc/plclog.c PrintCheckpointReport: the checkpoint report, also an indication
VS_CP_RPT_REQ = message(0xA040, u16("session_id"), u8("clear", values=WatchdogClear), oui=OUI_QCA)
VS_CP_RPT_IND = message(
    0xA042, u8("mstatus", values=QcaStatus), u8("major_version"), u8("minor_version"), raw("rsvd", 14),
    u16("session_id"), u32("total_buffer_size", unit="bytes"), u32("block_offset"),
    u32("next_position", "byte index of the next position"), u8("num_parts"), u8("cur_part"),
    u16("rdata_length", unit="bytes"), u8("rdata_offset"), rest("rdata"), oui=OUI_QCA)

# open-plc-utils plc/rules.h (MMERule), MakeRule.c (add/remove) and ReadRules.c (read, MCONTROL 2)
VS_CLASSIFICATION_REQ = message(
    0xA088, u8("mcontrol", values=ClassifierControl),
    when("{mcontrol} != 2", u8("mvolatility", values=ClassifierVolatility), u8("maction"), u8("moperand"),
         u8("num_classifiers")),
    when("{mcontrol} != 2", raw("classifiers", 54, "always 3 x (CR_PID, CR_OPERAND, CR_VALUE[16]); the first "
                                                    "num_classifiers are used")),
    when("{mcontrol} != 2", u16("cspec_version"), u32("vlan_tag"), u32("cspec_rsvd")),
    when("{mcontrol} == 2", u8("rsvd"), u8("offset"), u8("count")),
    oui=OUI_QCA)
VS_CLASSIFICATION_CNF = message(
    0xA089, u8("mstatus", values=QcaStatus),
    rest("rules", "after a read: TOTAL_CLASSIFIERS, OFFSET, COUNT, then COUNT rules of 67 bytes"), oui=OUI_QCA)

# 0xA14E: seen from QCA modems during SLAC sounding (pyPLC captures); layout read off real frames:
# PEV MAC, group count, a reserved byte, carriers per group (16), 7 reserved bytes, groups.
VS_ATTENUATION_CHARACTERISTICS_IND = message(
    0xA14E, mac("pev_mac"), u8("num_groups"), u8("rsvd"), u8("carriers_per_group"), raw("rsvd2", 7),
    varbytes("aag", "{num_groups}", "attenuation per group", unit="dB"),
    oui=OUI_QCA, also_oui=(OUI_NONE,),
)

# ============================================================== dSPACE (OUI 64:4D:70)

# dSPACE SCS diagnostic indication (dspace-group/dsV2Gshark Wireshark/plugins/v2ghpscs.lua): MMV 1,
# manufacturer type 0x8002 with an OUI; the MMENTRY is text "dSPACE SCS Diag|<tool>|v<n>|<info>|<json>".
DSPACE_SCS_DIAG_IND = message(0x8002, rest("text", "dSPACE SCS Diag|<tool>|v<version>|<info>|<json>"),
                              oui=OUI_DSPACE, default_mmv=1)

# ============================================================== ST/IoTecha (OUI 00:80:E1)

# Control-pilot state indication.  Layout as Wireshark 4.0 dissects STP_CPSTATE.IND (checked with tshark
# on a crafted frame: vendor MME version, 3 reserved bytes, message version, then the CP fields) and as
# dSPACE dsV2Gshark v2gllc.lua reads it (duty at MMENTRY offset 6, frequency at 7, voltage at 9).
STP_CPSTATE_IND = message(
    0xA22E, u8("mme_version"), raw("rsvd", 3), u8("msg_version"),
    u8("state", values=CpState),
    u8("pwm_duty", unit="%"), u16("pwm_freq", unit="Hz"), u16("voltage", unit="mV"),
    u8("adc_bitmask", "bit n set: ADC channel n+1 valid"), u16("adc_voltage_1", unit="mV"),
    u16("adc_voltage_2", unit="mV"), u16("adc_voltage_3", unit="mV"), oui=OUI_ST, default_mmv=1,
)

# SPiDCOM CP state (dsV2Gshark: result at 0, frequency at 1, duty x 10 at 3, voltage mV at 5)
SPC_CP_STATE_IND = message(0xA10E, u8("result"), u16("pwm_freq", unit="Hz"), u16("pwm_duty", unit="%", scale=0.1),
                           u16("voltage", unit="mV"), oui=OUI_SPIDCOM, default_mmv=1)
