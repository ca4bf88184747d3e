"""HomePlug AV / AV2 / Green PHY management-message codec.

>>> from plcstack.codec import decode_frame, encode_frame, make_frame, messages
>>> f = make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01",
...                messages.CM_SLAC_PARM_REQ(run_id=bytes(range(8))))
>>> decode_frame(encode_frame(f)).name
'CM_SLAC_PARM.REQ'
"""

from plcstack.codec import codes, messages
from plcstack.codec.errors import DecodeError, EncodeError, PartialHeader, ReassemblyError
from plcstack.codec.frame import (
    ETHERTYPE_HOMEPLUG_1_0,
    ETHERTYPE_HOMEPLUG_AV,
    EthernetHeader,
    Frame,
    Header,
    RawMessage,
    VlanTag,
    decode_ethernet,
    decode_frame,
    decode_header,
    encode,
    encode_frame,
    mac_bytes,
    make_frame,
)
from plcstack.codec.mac import BROADCAST_MAC, LOCAL_MAC, format_mac, parse_mac
from plcstack.codec.names import OUI_QCA, mmtype_name
from plcstack.codec.registry import MessageDef, all_definitions, by_name, definition_of, lookup

__all__ = [
    "BROADCAST_MAC", "DecodeError", "ETHERTYPE_HOMEPLUG_1_0", "ETHERTYPE_HOMEPLUG_AV", "EncodeError", "PartialHeader",
    "EthernetHeader", "Frame", "Header", "LOCAL_MAC", "MessageDef", "OUI_QCA", "RawMessage", "ReassemblyError",
    "VlanTag", "all_definitions", "by_name", "codes", "decode_ethernet", "decode_frame", "decode_header",
    "definition_of", "encode", "encode_frame", "format_mac", "lookup", "mac_bytes", "make_frame", "messages",
    "mmtype_name", "parse_mac",
]
