"""Code points of HomePlug AV / Green PHY / QCA management messages, declared once as IntEnums.

The message declarations (:mod:`plcstack.codec.messages`) put these enums on their fields
(``u8("result", values=SetKeyResult)``); decoded JSON, ``describe`` views, the keys module and the
emulator all use the same classes.  Where one value means different things to different vendors the
member carries a note (:func:`value_note`), e.g. CM_SET_KEY.CNF result 1 is "failure" in the
HomePlug AV 1.1 / Green PHY text but Qualcomm firmware answers 1 on success.

Sources of every value set are in ``docs/codec-codes.md`` (HomePlug AV 1.1/2.1 and Green PHY 1.1
chapter 11 and 13 as quoted by Wireshark ``packet-homeplug-av.c``, open-plc-utils ``mme/*.h``,
``plc/chipset.h``, ``slac/slac.h``, ISO 15118-3).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

_NOTES: dict[tuple[type, int], str] = {}


def _note(enum_cls: type[IntEnum], value: int, text: str) -> None:
    _NOTES[(enum_cls, value)] = text


def value_name(enum_cls: Any, value: Any) -> str | None:
    """Member name of ``value`` in ``enum_cls`` (an IntEnum class or a dict), None if not a member."""
    if enum_cls is None or not isinstance(value, int):
        return None
    if isinstance(enum_cls, dict):
        return enum_cls.get(value)
    try:
        return str(enum_cls(value).name)
    except ValueError:
        return None


def value_note(enum_cls: Any, value: Any) -> str | None:
    """A vendor-dependent remark on ``value`` (e.g. QCA's CM_SET_KEY result polarity), or None."""
    if not isinstance(enum_cls, type) or not isinstance(value, int):
        return None
    return _NOTES.get((enum_cls, value))


def enum_items(enum_cls: Any) -> list[tuple[int, str]]:
    """(value, name) pairs of an enum class or dict, sorted by value (for docs and scapy)."""
    if isinstance(enum_cls, dict):
        return sorted(enum_cls.items())
    return sorted((int(m.value), str(m.name)) for m in enum_cls)


# ------------------------------------------------------------------ security (CM_SET_KEY, CM_GET_KEY, ...)


class KeyType(IntEnum):
    """CM_SET_KEY.REQ KeyType / CM_GET_KEY RequestedKeyType."""

    DAK = 0x00  # device access key
    NMK = 0x01  # network membership key
    NEK = 0x02  # network encryption key (AES key of the MPDU payload), selected by EKS
    TEK = 0x03  # temporary encryption key (UKE protocol)
    HASH_KEY = 0x04  # UKE hash key
    NONCE_ONLY = 0x05  # no key, nonces only


class Peks(IntEnum):
    """CM_ENCRYPTED_PAYLOAD PEKS: which key encrypts the payload (also VS_SET_KEY.REQ PEKS)."""

    DAK = 0x00  # the destination station's DAK
    NMK = 0x01  # the NMK known to the station
    TEK_0 = 0x02
    TEK_1 = 0x03
    TEK_2 = 0x04
    TEK_3 = 0x05
    TEK_4 = 0x06
    TEK_5 = 0x07
    TEK_6 = 0x08
    TEK_7 = 0x09
    TEK_8 = 0x0A
    TEK_9 = 0x0B
    TEK_10 = 0x0C
    TEK_11 = 0x0D
    TEK_12 = 0x0E
    NO_KEY = 0x0F  # payload in clear, the IV field is a UUID

    @classmethod
    def tek(cls, index: int) -> Peks:
        if not 0 <= index <= 12:
            raise ValueError(f"TEK index must be 0..12, got {index}")
        return cls(index + 2)


class ProtocolId(IntEnum):
    """PID of CM_SET_KEY / CM_GET_KEY / CM_ENCRYPTED_PAYLOAD."""

    AUTH_REQUEST = 0x00  # authentication request by a new STA (fetch the NEK)
    PROVISION_NEK = 0x01  # provision an authenticated STA with a new NEK by the CCo
    PROVISION_NMK_DAK = 0x02  # provision a STA with the NMK using its DAK
    PROVISION_NMK_UKE = 0x03  # provision a STA with the NMK using UKE
    HLE = 0x04  # HLE protocol (host to its local modem, e.g. ISO 15118-3 SLAC)


class AvlnStatus(IntEnum):
    """AVLN status of a station: CM_ENCRYPTED_PAYLOAD.IND sender status, MS_PB_ENC.CNF AVLN status."""

    UNASSOCIATED_LEVEL_0 = 0x00  # unassociated, CCo capability level 0
    UNASSOCIATED_LEVEL_1 = 0x01
    UNASSOCIATED_LEVEL_2 = 0x02
    UNASSOCIATED_LEVEL_3 = 0x03
    ASSOCIATED_NOT_PCO_CAPABLE = 0x04
    ASSOCIATED_PCO_CAPABLE = 0x05
    CCO = 0x08  # CCo of an AVLN


class SecurityLevel(IntEnum):
    """NID security level (bits 4-5 of NID octet 6); ``hpavkey -L``."""

    SIMPLE_CONNECT = 0  # push-button pairing allowed
    SECURE = 1


class SetKeyResult(IntEnum):
    """CM_SET_KEY.CNF Result (HomePlug AV 1.1 / Green PHY polarity; see the note on 1)."""

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_SUPPORTED = 0x02


_note(SetKeyResult, 0x01, "failure per HomePlug AV 1.1 / Green PHY, but Qualcomm firmware (AV 1.0 polarity) "
      "answers 1 on success")
_note(SetKeyResult, 0x00, "success per HomePlug AV 1.1 / Green PHY; remote QCA modems answer 0 when they "
      "refuse a key")


class GetKeyRequestType(IntEnum):
    """CM_GET_KEY.REQ RequestType."""

    DIRECT = 0x00
    RELAYED = 0x01


class GetKeyResult(IntEnum):
    """CM_GET_KEY.CNF Result."""

    GRANTED = 0x00
    REFUSED = 0x01
    UNSUPPORTED = 0x02  # unsupported method or key type


class EncryptedPayloadResult(IntEnum):
    """CM_ENCRYPTED_PAYLOAD.RSP Result."""

    SUCCESS = 0x00  # payload decrypted / accepted
    FAILURE = 0x01  # decryption or CRC check failed
    NOT_SUPPORTED = 0x02


# ------------------------------------------------------------------ association, network info


class StationRole(IntEnum):
    """Station role in an AVLN (CM_NW_INFO.CNF, VS_NW_INFO.CNF)."""

    STA = 0
    PCO = 1  # proxy coordinator
    CCO = 2  # central coordinator


class CcoCapability(IntEnum):
    """CCo capability level (CC_ASSOC.REQ, CM_STA_CAP.CNF, CM_SET_KEY CCoCap, CM_UNASSOCIATED_STA)."""

    LEVEL_0 = 0  # no QoS / TDMA support
    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3


class AssocRequestType(IntEnum):
    """CC_ASSOC.REQ RequestType."""

    NEW = 0
    RENEW = 1


class AssocResult(IntEnum):
    """CC_ASSOC.CNF Result."""

    SUCCESS = 0
    TEMPORARY_RESOURCE_EXHAUSTION = 1
    PERMANENT_RESOURCE_EXHAUSTION = 2
    FAILURE = 3  # other reasons (e.g. not authorised)


class LeaveReason(IntEnum):
    """CC_LEAVE.REQ Reason."""

    USER_REQUEST = 0
    POWER_DOWN = 1
    OTHER = 2


class TeiMapMode(IntEnum):
    """CC_SET_TEI_MAP.IND Mode."""

    FULL_UPDATE = 0
    ADD = 1
    REMOVE = 2


class TeiMapStatus(IntEnum):
    """CC_SET_TEI_MAP.IND per-station Status."""

    NOT_AUTHENTICATED = 0
    AUTHENTICATED = 1


class CoordinatingStatus(IntEnum):
    """CC_DISCOVER_LIST.CNF per-network CoordinatingStatus."""

    UNKNOWN = 0
    NON_COORDINATING = 1
    COORDINATING_GROUP_UNKNOWN = 2
    SAME_GROUP = 3
    OTHER_GROUP = 4


class NetworkAccess(IntEnum):
    """CM_NW_INFO.CNF Access: the kind of network."""

    IN_HOME = 0
    ACCESS = 1


class AvVersion(IntEnum):
    """CM_STA_CAP.CNF AV version."""

    AV_1_1 = 0
    AV_2_0 = 1


class HfidRequestType(IntEnum):
    """CM_HFID.REQ RequestType (the CNF echoes it; 0xFF = failure)."""

    GET_MANUFACTURER = 0
    GET_USER = 1
    GET_NETWORK = 2
    SET_USER = 3
    SET_NETWORK = 4
    FAILURE = 0xFF


class MmeErrorReason(IntEnum):
    """CM_MME_ERROR.IND ReasonCode."""

    NOT_SUPPORTED = 0  # MME not supported
    INVALID_FIELDS = 1  # invalid or unsupported fields; InvalidOffset says where
    UNSUPPORTED_FEATURE = 2


class Result(IntEnum):
    """A plain 0 = success result byte (CM_AMP_MAP.CNF ResType, CM_ATTEN_CHAR.RSP Result)."""

    SUCCESS = 0
    FAILURE = 1
    NOT_SUPPORTED = 2


# ------------------------------------------------------------------ Green PHY SLAC (ISO 15118-3)


class SlacApplicationType(IntEnum):
    """APPLICATION_TYPE of the SLAC messages."""

    PEV_EVSE = 0  # PEV - EVSE association (ISO 15118-3)


class SlacSecurityType(IntEnum):
    """SECURITY_TYPE of the SLAC messages."""

    NONE = 0
    PUBLIC_KEY = 1  # public-key signatures (CMS), not used by ISO 15118-3


class SlacRespType(IntEnum):
    """CM_SLAC_PARM.CNF / CM_START_ATTEN_CHAR.IND RESP_TYPE."""

    TO_HLE = 0  # other GP station hands results to its HLE
    TO_OTHER_STA = 1  # results go to the forwarding station (ISO 15118-3 uses 1)


class ValidateSignalType(IntEnum):
    """CM_VALIDATE SignalType."""

    PEV_S2_TOGGLES = 0  # the PEV toggles S2 on the control pilot


class ValidateResult(IntEnum):
    """CM_VALIDATE Result."""

    NOT_READY = 0
    READY = 1
    SUCCESS = 2
    FAILURE = 3
    NOT_REQUIRED = 4


# ------------------------------------------------------------------ Qualcomm Atheros (OUI 00:B0:52)


class DeviceClass(IntEnum):
    """VS_SW_VER.CNF MDEVICE_CLASS: chip family (open-plc-utils plc/chipset.h)."""

    UNKNOWN = 0x00
    INT6000 = 0x01
    INT6300 = 0x02
    INT6400 = 0x03
    AR7400 = 0x04
    AR6405 = 0x05
    PANTHER_LYNX = 0x06
    QCA7450 = 0x07
    QCA7451 = 0x08
    QCA7452 = 0x09
    QCA7420 = 0x20  # QCA7420 (open-plc-utils also reports QCA7450 boards here)
    QCA6410 = 0x21  # QCA6410 / QCA6411 / QCA7006AQ
    QCA7000 = 0x22  # QCA7000 / QCA7005
    QCA7500 = 0x30


class QcaStatus(IntEnum):
    """MSTATUS of QCA VS_*.CNF without a message-specific table (Wireshark's generic status values).

    0 is success in every open-plc-utils tool; VS_RS_DEV.CNF 1 means "NVM not present".
    """

    SUCCESS = 0x00
    FAILURE = 0x01
    NOT_SUPPORTED = 0x02


class ToneMapStatus(IntEnum):
    """VS_TONE_MAP_CHAR.CNF / VS_RX_TONE_MAP_CHAR.CNF MSTATUS (Wireshark tone_map_*_cnf.status)."""

    SUCCESS = 0x00
    UNKNOWN_MAC = 0x01  # no link to the station named in the request
    UNKNOWN_SLOT = 0x02  # no tone map in that slot (an idle link has none)


class PropertyFormat(IntEnum):
    """VS_GET_PROPERTY DATA_FORMAT: how the answer is to be shown (open-plc-utils plc/plc.h PLC_FORMAT_*)."""

    HEX = 0
    DECIMAL = 1
    BINARY = 2
    ASCII = 3


class WatchdogClear(IntEnum):
    """VS_WD_RPT.REQ CLR."""

    GET = 0
    GET_AND_CLEAR = 1


class ClassifierControl(IntEnum):
    """VS_CLASSIFICATION.REQ MCONTROL (open-plc-utils plc/rules.h CONTROL_*)."""

    ADD = 0x00
    REMOVE = 0x01
    READ = 0x02


class ClassifierVolatility(IntEnum):
    """VS_CLASSIFICATION.REQ MVOLATILITY."""

    TEMPORARY = 0x00
    PERMANENT = 0x01


class Duplex(IntEnum):
    """VS_ENET_SETTINGS.CNF DUPLEX."""

    HALF = 0
    FULL = 1


class LinkStatsStatus(IntEnum):
    """VS_LNK_STATS.CNF MSTATUS (open-plc-utils plc/LinkStatistics.c)."""

    SUCCESS = 0x00
    BAD_CONTROL = 0x01
    BAD_DIRECTION = 0x02
    BAD_LID = 0x10
    BAD_MAC = 0x20


class SetKeyStatus(IntEnum):
    """VS_SET_KEY.CNF MSTATUS (open-plc-utils plc/SetNMK.c, faifa)."""

    SUCCESS = 0x00
    INVALID_EKS = 0x10
    INVALID_PKS = 0x11
    UNKNOWN_EKS = 0x12


class LinkControl(IntEnum):
    """VS_LNK_STATS.REQ MCONTROL."""

    READ = 0
    CLEAR = 1


class LinkDirection(IntEnum):
    """VS_LNK_STATS DIRECTION."""

    TX = 0
    RX = 1
    BOTH = 2


class SnifferControl(IntEnum):
    """VS_SNIFFER.REQ CONTROL."""

    OFF = 0
    ON = 1
    NO_CHANGE = 2


class ModuleId(IntEnum):
    """VS_RD_MOD / VS_WR_MOD MODULEID."""

    SOFTLOADER = 0x00
    FIRMWARE = 0x01
    PIB = 0x02
    ALTERNATE_FLASH = 0x10


class ModuleOperation(IntEnum):
    """VS_MODULE_OPERATION MOD_OP (open-plc-utils plc/plc.h)."""

    READ_MEMORY = 0x00
    READ_FLASH = 0x01
    START_SESSION = 0x10
    WRITE_MODULE = 0x11
    COMMIT = 0x12  # close session / commit


class ReportType(IntEnum):
    """VS_OP_ATTRIBUTES RTYPE."""

    BINARY = 0
    XML = 1


class EthernetSpeed(IntEnum):
    """VS_ENET_SETTINGS.CNF SPEED."""

    MBIT_10 = 0
    MBIT_100 = 1
    GBIT_1 = 2


class HostAction(IntEnum):
    """VS_HOST_ACTION.IND ACTION."""

    LOADER = 0
    FIRMWARE_UPGRADE_READY = 1
    PIB_UPDATE_READY = 2
    FIRMWARE_AND_PIB_READY = 3
    BOOTLOADER = 4


class LinkStatus(IntEnum):
    """VS_PL_LINK_STATUS.CNF LINKSTATUS."""

    NO_LINK = 0
    LINK = 1


class PushButtonAction(IntEnum):
    """MS_PB_ENC.REQ PBACTION (open-plc-utils plc/PushButton.c)."""

    JOIN = 1
    LEAVE = 2
    STATUS = 3


class ToneMapCoupling(IntEnum):
    """VS_TONE_MAP_CHAR / VS_RX_TONE_MAP_CHAR COUPLING (open-plc-utils plc/ToneMaps2.c)."""

    PRIMARY = 0
    ALTERNATE = 1


# ------------------------------------------------------------------ ST/IoTecha


class CpState(IntEnum):
    """STP_CPSTATE.IND control-pilot state (IEC 61851-1 states)."""

    A = 0
    B = 1
    C = 2
    D = 3
    E = 4
    F = 5
    AMBIGUOUS_C_D = 6
