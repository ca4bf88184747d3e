"""Code points and sizes of the HomePlug AV security MMEs (CM_SET_KEY, CM_GET_KEY, CM_ENCRYPTED_PAYLOAD).

Source: HomePlug AV 1.1 / GreenPHY 1.1 security chapter as quoted by Wireshark packet-homeplug-av.c,
ffainelli/faifa and Vertexcom libhpav; see ``docs/codec-codes.md``.
"""

from __future__ import annotations

# The code points are declared once, in plcstack.codec.codes (the enums on the message fields);
# they are re-exported here so existing imports keep working.
from plcstack.codec.codes import (
    AvlnStatus,
    GetKeyResult,
    KeyType,
    Peks,
    ProtocolId,
    SecurityLevel,
)

__all__ = ["DAK_LEN", "EKS_NONE", "NEK_EKS_COUNT", "NEK_LEN", "NID_LEN", "NID_MASK_LAST", "NMK_LEN", "NONCE_LEN",
           "PMN_LAST", "AvlnStatus", "GetKeyResult", "KeyType", "Peks", "ProtocolId", "SecurityLevel"]

NMK_LEN = 16
DAK_LEN = 16
NEK_LEN = 16
NID_LEN = 7
NONCE_LEN = 4
#: The 54 NID bits occupy octets 0..5 and the low 6 bits of octet 6 (bits 4-5 = security level).
NID_MASK_LAST = 0x3F
#: PMN value marking the last message of a protocol run.
PMN_LAST = 0xFF
#: EKS values 0..7 select a NEK; 8..14 a PPEK; 15 means unencrypted.
NEK_EKS_COUNT = 8
EKS_NONE = 0x0F
