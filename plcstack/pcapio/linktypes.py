"""LINKTYPE_* values used by pcap and pcapng (tcpdump.org "Link-layer header types" registry)."""

from __future__ import annotations

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_IEEE802_11 = 105
LINKTYPE_LINUX_SLL = 113  # Linux "cooked" capture v1: 16-byte pseudo header
LINKTYPE_IEEE802_11_RADIOTAP = 127
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276  # Linux "cooked" capture v2: 20-byte pseudo header

#: Names for messages ("3 frames of link type 105 (IEEE802_11) skipped").
LINKTYPE_NAMES: dict[int, str] = {
    LINKTYPE_NULL: "NULL", LINKTYPE_ETHERNET: "ETHERNET", LINKTYPE_RAW: "RAW", LINKTYPE_IEEE802_11: "IEEE802_11",
    LINKTYPE_LINUX_SLL: "LINUX_SLL", LINKTYPE_IEEE802_11_RADIOTAP: "IEEE802_11_RADIOTAP",
    LINKTYPE_IPV4: "IPV4", LINKTYPE_IPV6: "IPV6", LINKTYPE_LINUX_SLL2: "LINUX_SLL2",
}


def linktype_name(linktype: int) -> str:
    name = LINKTYPE_NAMES.get(linktype)
    return f"{linktype} ({name})" if name else str(linktype)


# Linux packet types (if_packet.h): what an AF_PACKET socket reports for a frame and what the
# pkttype field of a cooked (SLL, SLL2) capture records.
PACKET_BROADCAST = 1
PACKET_OUTGOING = 4  # a frame this host sent
