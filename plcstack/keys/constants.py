"""Code points of the HomePlug AV security MMEs (CM_SET_KEY, CM_GET_KEY, CM_ENCRYPTED_PAYLOAD).

Source: HomePlug AV 1.1 / GreenPHY 1.1 security chapter as quoted by Wireshark packet-homeplug-av.c,
ffainelli/faifa and Vertexcom libhpav; see ``/work/shared/reference/codecs.md`` sections 2.2 and 5.
"""

from __future__ import annotations

from enum import IntEnum

NMK_LEN = 16
DAK_LEN = 16
NEK_LEN = 16
NID_LEN = 7
NONCE_LEN = 4
#: The 54 NID bits occupy octets 0..5 and the low 6 bits of octet 6 (bits 4-5 = security level).
NID_MASK_LAST = 0x3F


class KeyType(IntEnum):
    """CM_SET_KEY.REQ KeyType / CM_GET_KEY RequestedKeyType."""

    DAK = 0x00  # device access key
    NMK = 0x01  # network membership key
    NEK = 0x02  # network encryption key (AES key of the MPDU payload), selected by EKS
    TEK = 0x03  # temporary encryption key (UKE protocol)
    HASH_KEY = 0x04  # UKE hash key
    NONCE_ONLY = 0x05  # no key, nonces only


class Peks(IntEnum):
    """CM_ENCRYPTED_PAYLOAD PEKS: which key encrypts the payload."""

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
    """CM_ENCRYPTED_PAYLOAD AVLN status of the sender."""

    UNASSOCIATED_LEVEL_0 = 0x00
    UNASSOCIATED_LEVEL_1 = 0x01
    UNASSOCIATED_LEVEL_2 = 0x02
    UNASSOCIATED_LEVEL_3 = 0x03
    ASSOCIATED_NOT_PCO_CAPABLE = 0x04
    ASSOCIATED_PCO_CAPABLE = 0x05
    CCO = 0x08


class SecurityLevel(IntEnum):
    """NID security level (bits 4-5 of NID octet 6); ``hpavkey -L``."""

    SIMPLE_CONNECT = 0  # push-button pairing allowed
    SECURE = 1


class GetKeyResult(IntEnum):
    """CM_GET_KEY.CNF Result."""

    GRANTED = 0x00
    REFUSED = 0x01
    UNSUPPORTED = 0x02


#: PMN value marking the last message of a protocol run.
PMN_LAST = 0xFF
#: EKS values 0..7 select a NEK; 8..14 a PPEK; 15 means unencrypted.
NEK_EKS_COUNT = 8
EKS_NONE = 0x0F
