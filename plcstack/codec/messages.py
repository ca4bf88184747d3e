"""Every typed HomePlug AV / Green PHY / QCA management message, declared once.

Field layouts and sources: ``../shared/reference/codecs.md`` (sections 2, 3 and 5) —
HomePlug AV 1.1 / 2.1 and GreenPHY 1.1 chapter 11, ISO 15118-3 (SLAC), open-plc-utils structs
(QCA vendor messages), Wireshark packet-homeplug-av.c.  Integers are little-endian; MACs, NIDs,
keys, nonces and RunIDs are byte strings.  Anything after a declared layout (padding, vendor
tails) is kept in ``Frame.trailing``.

Class names are the MME names with ``_`` for ``.``: ``CM_SLAC_PARM_REQ``.
"""

from __future__ import annotations

from plcstack.codec.layout import array, mac, raw, rest, text, u8, u16, u32, u64, varbytes, when
from plcstack.codec.names import OUI_NONE, OUI_QCA, OUI_SPIDCOM, OUI_ST
from plcstack.codec.registry import message

KEY_TYPES = {0: "DAK", 1: "NMK", 2: "NEK", 3: "TEK", 4: "hash key", 5: "nonce only"}
PIDS = {0: "auth request by new STA", 1: "provision with NEK by CCo", 2: "provision NMK using DAK",
        3: "provision NMK using UKE", 4: "HLE protocol"}
PEKS = {0x00: "destination DAK", 0x01: "NMK", 0x0F: "no key (clear)"}
STATION_ROLE = {0: "STA", 1: "PCo", 2: "CCo"}

# ============================================================== CC_* (station - CCo)

CC_DISCOVER_LIST_REQ = message(0x0014)
_discover_list = (
    u8("num_stations"),
    array("stations", "{num_stations}",
          mac("mac"), u8("tei"), u8("same_network"), u8("snid_access", "SNID bits 0-3, access bits 4-7"),
          u8("status_capability", "BCCo/PCo/CCo status and capability bits"),
          u8("signal_level", "0 n/a, 1 = > -10 dB ... 15 = <= -75 dB"),
          u8("average_ble", "mantissa bits 7-3, exponent bits 2-0")),
    u8("num_networks"),
    array("networks", "{num_networks}",
          raw("nid", 7), u8("snid_access"), u8("hybrid_mode"), u8("num_beacon_slots"),
          u8("coordinating_status"), u16("beacon_offset", "x 10.24 us")),
)
CC_DISCOVER_LIST_CNF = message(0x0015, *_discover_list)
CC_DISCOVER_LIST_IND = message(0x0016, *_discover_list)

CC_ASSOC_REQ = message(0x0030, u8("request_type", values={0: "new", 1: "renew"}), raw("nid", 7),
                       u8("cco_capability"), u8("proxy_network_capability"))
CC_ASSOC_CNF = message(0x0031, u8("result", values={0: "success", 1: "temporary resource exhaustion",
                                                    2: "permanent resource exhaustion", 3: "failure"}),
                       raw("nid", 7), u8("snid"), u8("tei"), u16("lease_time", "minutes"))

# CC_LEAVE: layout per HomePlug AV 1.1 13.x (reason code); no open implementation decodes it
CC_LEAVE_REQ = message(0x0034, u8("reason", values={0: "user request", 1: "power down", 2: "other"}))
CC_LEAVE_CNF = message(0x0035)
CC_LEAVE_IND = message(0x0036, u8("reason"), raw("nid", 7))
CC_LEAVE_RSP = message(0x0037)

CC_SET_TEI_MAP_IND = message(
    0x003A, u8("mode", values={0: "full update", 1: "add", 2: "remove"}), u8("num_stations"),
    array("stations", "{num_stations}", u8("tei"), mac("mac"),
          u8("status", values={0: "not authenticated", 1: "authenticated"})))

# ============================================================== CM_* (station - station)

CM_UNASSOCIATED_STA_IND = message(0x6002, raw("nid", 7), u8("cco_capability"))

CM_ENCRYPTED_PAYLOAD_IND = message(
    0x6006,
    u8("peks", values=PEKS), u8("avln_status"), u8("pid", values=PIDS), u16("prn"), u8("pmn"),
    raw("iv", 16, "AES-CBC IV, or UUID when PEKS = 0x0F"), u16("length", "length of the inner MME"),
    rest("encrypted", "random filler, MME, CRC, PID, PRN, PMN, padding, RF length (AES-128-CBC)"),
)
CM_ENCRYPTED_PAYLOAD_RSP = message(0x6007, u8("result"), u8("pid"), u16("prn"))

CM_SET_KEY_REQ = message(
    0x6008,
    u8("key_type", values=KEY_TYPES), raw("my_nonce", 4), raw("your_nonce", 4), u8("pid", values=PIDS),
    u16("prn"), u8("pmn"), u8("cco_capability"), raw("nid", 7, "54-bit NID, 2 MSBs 0"), u8("new_eks"),
    when("{key_type} != 5", raw("new_key", 16)),
)
CM_SET_KEY_CNF = message(
    0x6009,
    u8("result", "0 = success per AV 1.1/GreenPHY; QCA firmware answers 1 on success"),
    raw("my_nonce", 4), raw("your_nonce", 4), u8("pid", values=PIDS), u16("prn"), u8("pmn"),
    u8("cco_capability"),
)
CM_GET_KEY_REQ = message(
    0x600C,
    u8("request_type", values={0: "direct", 1: "relayed"}), u8("requested_key_type", values=KEY_TYPES),
    raw("nid", 7), raw("my_nonce", 4), u8("pid", values=PIDS), u16("prn"), u8("pmn"),
    when("{requested_key_type} == 4", rest("hash_key")),
)
CM_GET_KEY_CNF = message(
    0x600D,
    u8("result", values={0: "key granted", 1: "refused", 2: "unsupported method"}),
    u8("requested_key_type", values=KEY_TYPES), raw("my_nonce", 4), raw("your_nonce", 4),
    raw("nid", 7), u8("eks"), u8("pid", values=PIDS), u16("prn"), u8("pmn"), rest("key"),
)

CM_AMP_MAP_REQ = message(0x601C, u16("amlen", "number of 4-bit amplitude entries"),
                         varbytes("amdata", "({amlen} + 1) // 2"))
CM_AMP_MAP_CNF = message(0x601D, u8("result"))

CM_BRG_INFO_REQ = message(0x6020)
CM_BRG_INFO_CNF = message(
    0x6021, u8("bsf", "1 = the station bridges"),
    when("{bsf} != 0", u8("btei"), u8("nbda")),
    when("{bsf} != 0", array("bda", "{nbda}", mac("mac"))),
)

CM_STA_CAP_REQ = message(0x6034)
CM_STA_CAP_CNF = message(
    0x6035,
    u8("av_version", values={0: "AV 1.1", 1: "AV 2.0"}), mac("mac"), raw("oui", 3), u8("auto_connect"),
    u8("smoothing"), u8("cco_capability"), u8("proxy_capability"), u8("backup_cco_capability"),
    u8("soft_handover"), u8("two_symbol_fc"), u16("max_frame_length", "x 1.28 us"),
    u8("hpav11_capability"), u8("hp101_interop"), u8("regulatory_capability"),
    u8("bidirectional_bursting"), u16("implementation_version"),
)

CM_NW_INFO_REQ = message(0x6038)
CM_NW_INFO_CNF = message(
    0x6039, u8("num_networks"),
    array("networks", "{num_networks}", raw("nid", 7), u8("snid"), u8("tei"),
          u8("station_role", values=STATION_ROLE), mac("cco_mac"), u8("access"), u8("num_coord_networks")),
)

CM_HFID_REQ = message(
    0x6040,
    u8("request_type", values={0: "get manufacturer HFID", 1: "get user HFID", 2: "get network HFID",
                               3: "set user HFID", 4: "set network HFID"}),
    when("{request_type} in (2, 4)", raw("nid", 7)),
    when("{request_type} in (3, 4)", text("hfid", 64)),
)
CM_HFID_CNF = message(0x6041, u8("request_type", "echo; 0xFF = failure"), text("hfid", 64))

CM_MME_ERROR_IND = message(
    0x6046, u8("reason_code", values={0: "MME not supported", 1: "invalid fields", 2: "unsupported feature"}),
    u8("rx_mmv"), u16("rx_mmtype"), u16("invalid_offset"),
)

CM_NW_STATS_REQ = message(0x6048)
CM_NW_STATS_CNF = message(
    0x6049, u8("num_stations"),
    array("stations", "{num_stations}", mac("da"), u8("avg_phy_rate_tx", "Mbit/s"),
          u8("avg_phy_rate_rx", "Mbit/s")),
    mmv=1, also_oui=(), default_mmv=1,
)
message(0x6049, u8("num_stations"),
        array("stations", "{num_stations}", mac("da"), u16("avg_phy_rate_tx", "Mbit/s"),
              u16("avg_phy_rate_rx", "Mbit/s"), item_name="StationV2"),
        mmv=2, cls_name="CM_NW_STATS_CNF_V2", doc="AV2 layout with 16-bit rates")
message(0x6049, u8("num_stations"),
        array("stations", "{num_stations}", mac("da"), u8("avg_phy_rate_tx"), u8("avg_phy_rate_rx")),
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
    0x6064, u8("application_type", values={0: "PEV-EVSE association"}),
    u8("security_type", values={0: "no security", 1: "public key"}), raw("run_id", 8),
    when("{security_type} == 1", u8("cipher_suite_set_size")),
    when("{security_type} == 1", array("cipher_suites", "{cipher_suite_set_size}", u16("suite"))),
)
CM_SLAC_PARM_CNF = message(
    0x6065, mac("msound_target"), u8("num_sounds"), u8("time_out", "x 100 ms"),
    u8("resp_type", values={0: "to HLE", 1: "to other GP STA"}), mac("forwarding_sta"),
    u8("application_type"), u8("security_type"), raw("run_id", 8),
    when("{security_type} == 1", u16("cipher_suite")),
)
CM_START_ATTEN_CHAR_IND = message(
    0x606A, u8("application_type"), u8("security_type"), u8("num_sounds"), u8("time_out", "x 100 ms"),
    u8("resp_type"), mac("forwarding_sta"), raw("run_id", 8),
)
CM_MNBC_SOUND_IND = message(
    0x6076, u8("application_type"), u8("security_type"), raw("sender_id", 17, "PEV VIN or zeros"),
    u8("cnt", "sounds remaining"), raw("run_id", 8), raw("rsvd", 8), raw("rnd", 16),
)
CM_ATTEN_CHAR_IND = message(
    0x606E, u8("application_type"), u8("security_type"), mac("source_address", "PEV MAC"),
    raw("run_id", 8), raw("source_id", 17), raw("resp_id", 17), u8("num_sounds"), u8("num_groups"),
    varbytes("aag", "{num_groups}", "average attenuation per group, dB"),
)
CM_ATTEN_CHAR_RSP = message(
    0x606F, u8("application_type"), u8("security_type"), mac("source_address"), raw("run_id", 8),
    raw("source_id", 17), raw("resp_id", 17), u8("result", values={0: "success"}),
)
CM_ATTEN_PROFILE_IND = message(
    0x6086, mac("pev_mac"), u8("num_groups"), u8("rsvd"),
    varbytes("aag", "{num_groups}", "average attenuation per group, dB"),
)
CM_VALIDATE_REQ = message(0x6078, u8("signal_type"), u8("timer"), u8("result"))
CM_VALIDATE_CNF = message(0x6079, u8("signal_type"), u8("toggle_num"),
                          u8("result", values={0: "not ready", 1: "ready", 2: "success", 3: "failure",
                                               4: "not required"}))
_slac_match = (
    u8("application_type"), u8("security_type"), u16("mvf_length"), raw("pev_id", 17), mac("pev_mac"),
    raw("evse_id", 17), mac("evse_mac"), raw("run_id", 8), raw("rsvd", 8),
)
CM_SLAC_MATCH_REQ = message(0x607C, *_slac_match)
CM_SLAC_MATCH_CNF = message(0x607D, *_slac_match, raw("nid", 7), u8("rsvd2"), raw("nmk", 16))

# ============================================================== MS_* (manufacturer specific, QCA)

MS_PB_ENC_REQ = message(0x8000, u8("pb_action", values={1: "join", 2: "leave", 3: "status"}))
MS_PB_ENC_CNF = message(0x8001, u8("mstatus"), u8("avln_status"))

# ============================================================== VS_* (Qualcomm Atheros, OUI 00:B0:52)

VS_SW_VER_REQ = message(0xA000, u32("cookie"), oui=OUI_QCA)
VS_SW_VER_CNF = message(
    0xA001, u8("mstatus"),
    u8("device_class", values={0x01: "INT6000", 0x02: "INT6300", 0x03: "INT6400", 0x04: "AR7400",
                               0x05: "AR6405", 0x20: "QCA7420/QCA7450", 0x21: "QCA6410/6411/7006AQ",
                               0x22: "QCA7000/7005", 0x30: "QCA7500"}),
    u8("version_length"), text("version", 254), u32("ident", "STRAP/IDENT word"), u32("stepping"),
    u32("cookie"), oui=OUI_QCA,
)
VS_RD_MEM_REQ = message(0xA008, u32("address"), u32("length"), oui=OUI_QCA)
VS_RD_MEM_CNF = message(0xA009, u8("mstatus"), u32("address"), u32("length"), varbytes("data", "{length}"),
                        oui=OUI_QCA)
VS_GET_NVM_REQ = message(0xA010, oui=OUI_QCA)
VS_GET_NVM_CNF = message(0xA011, u8("mstatus"), u32("nvm_type"), u32("page_size"), u32("block_size"),
                         u32("memory_size"), oui=OUI_QCA)
VS_RS_DEV_REQ = message(0xA01C, oui=OUI_QCA)
VS_RS_DEV_CNF = message(0xA01D, u8("mstatus"), oui=OUI_QCA)
VS_RD_MOD_REQ = message(0xA024, u8("module_id", values={0: "soft-loader", 1: "firmware", 2: "PIB"}),
                        u8("rsvd"), u16("length"), u32("offset"), oui=OUI_QCA)
VS_RD_MOD_CNF = message(0xA025, u8("mstatus"), raw("rsvd", 3), u8("module_id"), u8("rsvd2"), u16("length"),
                        u32("offset"), u32("checksum"), varbytes("data", "{length}"), oui=OUI_QCA)
VS_LNK_STATS_REQ = message(
    0xA030, u8("mcontrol", values={0: "read", 1: "clear"}), u8("direction", values={0: "TX", 1: "RX", 2: "both"}),
    u8("lid"), mac("peer"), oui=OUI_QCA,
)
VS_LNK_STATS_CNF = message(
    0xA031, u8("mstatus"), u8("direction"), u8("lid"), u8("tei"),
    when("{direction} in (0, 2)", u64("tx_mpdu_acked"), u64("tx_mpdu_collisions"), u64("tx_mpdu_failed"),
         u64("tx_pb_passed"), u64("tx_pb_failed")),
    when("{direction} in (1, 2)", u64("rx_mpdu_acked"), u64("rx_mpdu_failed"), u64("rx_pb_passed"),
         u64("rx_pb_failed"), u64("rx_tbe_passed"), u64("rx_tbe_failed"), u8("num_rx_intervals")),
    when("{direction} in (1, 2)",
         array("rx_intervals", "{num_rx_intervals}", u8("phy_rate", "Mbit/s"), u64("pb_passed"),
               u64("pb_failed"), u64("tbe_passed"), u64("tbe_failed"))),
    oui=OUI_QCA,
)
VS_SNIFFER_REQ = message(0xA034, u8("control", values={0: "off", 1: "on", 2: "no change"}), oui=OUI_QCA)
VS_SNIFFER_CNF = message(0xA035, u8("mstatus"), u8("state"), mac("da"), oui=OUI_QCA)

VS_NW_INFO_REQ = message(0xA038, oui=OUI_QCA)
VS_NW_INFO_CNF_V0 = message(
    0xA039, u8("num_avlns"),
    array("networks", "{num_avlns}", raw("nid", 7), u8("snid"), u8("tei"), u8("role", values=STATION_ROLE),
          mac("cco_mac"), u8("cco_tei"), u8("num_stations"),
          array("stations", "{num_stations}", mac("mac"), u8("tei"), mac("bda"), u8("avg_tx", "Mbit/s"),
                u8("avg_rx", "Mbit/s"), item_name="StationV0"),
          item_name="NetworkV0"),
    oui=OUI_QCA, mmv=0, cls_name="VS_NW_INFO_CNF_V0", doc="INT6x00 layout (open-plc-utils NetInfo1.c)",
)
VS_NW_INFO_CNF = message(
    0xA039, u8("sub_version"), u8("rsvd"), u16("data_len"), u8("rsvd2"), u8("num_avlns"),
    array("networks", "{num_avlns}", raw("nid", 7), raw("rsvd", 2), u8("snid"), u8("tei"), raw("rsvd2", 4),
          u8("role", values=STATION_ROLE), mac("cco_mac"), u8("cco_tei"), raw("rsvd3", 3), u8("num_stations"),
          raw("rsvd4", 5),
          array("stations", "{num_stations}", mac("mac"), u8("tei"), raw("rsvd", 3), mac("bda"),
                u16("avg_tx", "Mbit/s"), u8("coupling", "TX/RX nibbles"), u8("rsvd2"), u16("avg_rx", "Mbit/s"),
                u16("rsvd3"), item_name="Station"),
          item_name="Network"),
    oui=OUI_QCA, mmv=1, doc="AR7x00/QCA74xx layout (open-plc-utils NetInfo2.c)",
)

VS_FR_LBK_REQ = message(0xA048, u8("duration", "seconds"), u8("rsvd"), u16("length"),
                        varbytes("packet", "{length}"), oui=OUI_QCA)
VS_FR_LBK_CNF = message(0xA049, u8("mstatus"), u8("duration"), u16("length"), oui=OUI_QCA)

VS_SET_KEY_REQ = message(
    0xA050, u8("eks"), raw("nmk", 16),
    u8("peks", values={0x0F: "set on the addressed local device", 0x00: "remote device via its DAK"}),
    mac("rda"), raw("dak", 16), oui=OUI_QCA,
)
VS_SET_KEY_CNF = message(0xA051, u8("mstatus", values={0: "success", 0x10: "invalid EKS", 0x11: "invalid PKS"}),
                         oui=OUI_QCA)
VS_MFG_STRING_REQ = message(0xA054, oui=OUI_QCA)
VS_MFG_STRING_CNF = message(0xA055, u8("mstatus"), u8("length"), varbytes("string", "{length}"), oui=OUI_QCA)
VS_HOST_ACTION_IND = message(0xA062, u8("action"), oui=OUI_QCA)
VS_HOST_ACTION_RSP = message(0xA063, u8("mstatus"), oui=OUI_QCA)

VS_OP_ATTRIBUTES_REQ = message(0xA068, u32("cookie"), u8("report_type", values={0: "binary", 1: "XML"}),
                               oui=OUI_QCA)
VS_OP_ATTRIBUTES_CNF = message(
    0xA069, u16("mstatus"), u32("cookie"), u8("report_type"), u16("length"),
    varbytes("report", "{length}", "attribute block (open-plc-utils Attributes2.c)"), oui=OUI_QCA,
)
VS_ENET_SETTINGS_REQ = message(0xA06C, u8("mcontrol"), u8("add_caps"), raw("rsvd", 3), oui=OUI_QCA)
VS_ENET_SETTINGS_CNF = message(0xA06D, u8("mstatus"), u8("speed", values={0: "10M", 1: "100M", 2: "1G"}),
                               u8("duplex"), oui=OUI_QCA)

VS_TONE_MAP_CHAR_REQ = message(0xA070, mac("mac"), u8("tmslot"), oui=OUI_QCA)
VS_TONE_MAP_CHAR_CNF = message(
    0xA071, u8("mstatus"), u8("tmslot"), u8("num_tms"), u16("num_active_carriers"),
    rest("mod_carriers", "4 bits per carrier, two carriers per byte"), oui=OUI_QCA,
)
VS_RX_TONE_MAP_CHAR_REQ = message(0xA090, mac("mac"), u8("tmslot"), u8("coupling"), oui=OUI_QCA)
VS_RX_TONE_MAP_CHAR_CNF = message(
    0xA091, u8("mstatus"), u8("tmslot"), u8("num_tms"), u16("num_active_carriers"),
    rest("mod_carriers", "4 bits per carrier, two carriers per byte"), oui=OUI_QCA,
)
# MMV 1 tone-map layouts (AR7x00/QCA74xx firmware): read off real frames in the pyPLC captures and
# consistent with their lengths: LENGTH counts the bytes after itself, carriers are 4 bits each.
_tm_req_v1 = (u8("sub_version"), raw("rsvd", 3), mac("mac"), u8("tmslot"), u8("coupling"))
_tm_cnf_v1 = (
    u8("sub_version"), u8("rsvd"), u16("length", "bytes after this field"), u16("rsvd2"), mac("mac"),
    u8("tmslot"), u8("coupling"), u8("num_tms"), u8("rsvd3"), u16("num_active_carriers"), raw("rsvd4", 4),
    varbytes("mod_carriers", "({num_active_carriers} + 1) // 2", "4 bits per carrier, two carriers per byte"),
)
VS_TONE_MAP_CHAR_REQ_V1 = message(0xA070, *_tm_req_v1, oui=OUI_QCA, mmv=1, cls_name="VS_TONE_MAP_CHAR_REQ_V1")
VS_TONE_MAP_CHAR_CNF_V1 = message(0xA071, *_tm_cnf_v1, oui=OUI_QCA, mmv=1, cls_name="VS_TONE_MAP_CHAR_CNF_V1")
VS_RX_TONE_MAP_CHAR_REQ_V1 = message(0xA090, *_tm_req_v1, oui=OUI_QCA, mmv=1, cls_name="VS_RX_TONE_MAP_CHAR_REQ_V1")
VS_RX_TONE_MAP_CHAR_CNF_V1 = message(0xA091, *_tm_cnf_v1, oui=OUI_QCA, mmv=1,
                                     cls_name="VS_RX_TONE_MAP_CHAR_CNF_V1")
VS_FAC_DEFAULTS_REQ = message(0xA07C, oui=OUI_QCA)
VS_FAC_DEFAULTS_CNF = message(0xA07D, u8("mstatus"), oui=OUI_QCA)

# MODULE_OPERATION: reads (MOD_OP 0/1) and write sessions (start 0x10, write 0x11, close/commit 0x12),
# open-plc-utils plc/ModuleRead.c, ModuleSession.c, ModuleWrite.c, ModuleCommit.c
_MOD_SESSION = "{mod_op} in (0x10, 0x11, 0x12)"
_MOD_ADDRESSED = "{mod_op} in (0x00, 0x01, 0x11)"
_MOD_OTHER = "{mod_op} not in (0x00, 0x01, 0x10, 0x11, 0x12)"
VS_MODULE_OPERATION_REQ = message(
    0xA0B0, u32("reserved"), u8("num_op_data"),
    u16("mod_op", values={0x00: "read memory", 0x01: "read flash", 0x10: "start session",
                          0x11: "write module", 0x12: "close session / commit"}),
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
    0xA0B1, u16("mstatus"), u16("err_rec_code"), u32("reserved"), u8("num_op_data"), u16("mod_op"),
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
VS_PL_LINK_STATUS_CNF = message(0xA0B9, u8("mstatus"), u8("link_status", values={0: "no link", 1: "link"}),
                                oui=OUI_QCA)
VS_GET_PROPERTY_REQ = message(0xA0F8, u32("cookie"), u8("prop_format"), u8("prop_version"), raw("rsvd", 2),
                              u32("prop_id"), u32("data_length"), varbytes("data", "{data_length}"), oui=OUI_QCA)
VS_GET_PROPERTY_CNF = message(0xA0F9, u32("mstatus"), u32("cookie"), u8("prop_format"), u8("prop_version"),
                              raw("rsvd", 2), u32("prop_id"), u32("data_length"),
                              varbytes("data", "{data_length}"), oui=OUI_QCA)

# 0xA14E: seen from QCA modems during SLAC sounding (pyPLC captures); layout read off real frames:
# PEV MAC, group count, a reserved byte, carriers per group (16), 7 reserved bytes, groups.
VS_ATTENUATION_CHARACTERISTICS_IND = message(
    0xA14E, mac("pev_mac"), u8("num_groups"), u8("rsvd"), u8("carriers_per_group"), raw("rsvd2", 7),
    varbytes("aag", "{num_groups}", "attenuation per group, dB"),
    oui=OUI_QCA, also_oui=(OUI_NONE,),
)

# ============================================================== ST/IoTecha (OUI 00:80:E1)

# Control-pilot state indication.  Layout as Wireshark 4.0 dissects STP_CPSTATE.IND (checked with tshark
# on a crafted frame: vendor MME version, 3 reserved bytes, message version, then the CP fields) and as
# dSPACE dsV2Gshark v2gllc.lua reads it (duty at MMENTRY offset 6, frequency at 7, voltage at 9).
STP_CPSTATE_IND = message(
    0xA22E, u8("mme_version"), raw("rsvd", 3), u8("msg_version"),
    u8("state", values={0: "A", 1: "B", 2: "C", 3: "D", 4: "E", 5: "F", 6: "ambiguous C-D"}),
    u8("pwm_duty", "percent"), u16("pwm_freq", "Hz"), u16("voltage", "mV"),
    u8("adc_bitmask", "bit n set: ADC channel n+1 valid"), u16("adc_voltage_1", "mV"),
    u16("adc_voltage_2", "mV"), u16("adc_voltage_3", "mV"), oui=OUI_ST, default_mmv=1,
)

# SPiDCOM CP state (dsV2Gshark: result at 0, frequency at 1, duty x 10 at 3, voltage mV at 5)
SPC_CP_STATE_IND = message(0xA10E, u8("result"), u16("pwm_freq", "Hz"), u16("pwm_duty", "0.1 %"),
                           u16("voltage", "mV"), oui=OUI_SPIDCOM, default_mmv=1)
