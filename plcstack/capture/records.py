"""What the capture decoder yields: one :class:`CapturedFrame` per HomePlug frame shown."""

from __future__ import annotations

from dataclasses import dataclass

from plcstack.codec import DecodeError, EthernetHeader, Frame, Header
from plcstack.codec.hp10 import HP10Frame

#: ``CapturedFrame.kind`` values
MESSAGE = "message"  # a decoded management message (``frame``)
FRAGMENT = "fragment"  # one fragment of a fragmented MME, held for reassembly (``fragment``)
ERROR = "error"  # a malformed frame (``error``)
HP10 = "hp10"  # a HomePlug 1.0 frame, ethertype 0x887B (``hp10``)


@dataclass(slots=True)
class CapturedFrame:
    """One HomePlug frame of a capture and what decoding made of it.

    Exactly one of ``frame`` (a decoded message), ``error`` (malformed), ``hp10`` (HomePlug 1.0) is
    set, or none of them for a fragment held for reassembly (``fragment`` says which one); ``kind``
    names the case.  The record that completes a fragmented message carries it in ``reassembled``.

    Times are integer nanoseconds: ``time_ns`` since the epoch, ``rel_ns`` since the first packet
    of the file (every packet counts, HomePlug or not, like Wireshark's ``frame.time_relative``),
    ``delta_ns`` since the previous packet of the file, ``delta_shown_ns`` since the previous frame
    the decoder yielded.  ``index`` is the frame number in the file, counting every packet.
    """

    index: int
    time_ns: int
    data: bytes  # the Ethernet frame (FCS removed; cooked captures rewritten as Ethernet)
    frame: Frame | None = None
    error: DecodeError | None = None
    header: Header | None = None  # the Ethernet + MME header, also for fragments and most errors
    ethernet: EthernetHeader | None = None  # addresses, VLAN tags, ethertype: known for every record
    reassembled: Frame | None = None
    fragment: str | None = None  # e.g. "fragment 2/3 of VS_RD_MEM.CNF, FMSN 5 (FMI 2105)" for a fragment
    hp10: HP10Frame | None = None
    orig_len: int = 0  # length on the wire (without FCS); > len(data) when the snaplen cut the frame
    rel_ns: int = 0
    delta_ns: int = 0
    delta_shown_ns: int = 0
    file: str | None = None  # the capture's name when several are read
    dst_known: bool = True  # False for Linux cooked captures (no destination MAC)
    fcs: bytes | None = None  # the frame check sequence when the capture kept it
    fcs_ok: bool | None = None  # CRC-32 of the FCS checked (None: no FCS)
    outgoing: bool | None = None  # sent by the capturing host (cooked and live captures say so)

    @property
    def kind(self) -> str:
        if self.frame is not None:
            return MESSAGE
        if self.hp10 is not None:
            return HP10
        if self.error is not None:
            return ERROR
        return FRAGMENT

    @property
    def name(self) -> str | None:
        """``CM_SLAC_PARM.REQ``, ``HP1.0 ...``, or None for errors and held fragments."""
        if self.frame is not None:
            return self.frame.name
        if self.hp10 is not None:
            return self.hp10.name
        return None

    @property
    def message(self) -> Frame | None:
        """The whole message: the reassembled one when this fragment completed it, else ``frame``."""
        return self.reassembled if self.reassembled is not None else self.frame

    @property
    def is_message(self) -> bool:
        return self.frame is not None

    @property
    def is_error(self) -> bool:
        return self.error is not None

    @property
    def is_fragment(self) -> bool:
        return self.fragment is not None

    @property
    def cut(self) -> bool:
        """The capture holds fewer bytes than were on the wire (snaplen)."""
        return self.orig_len > len(self.data)

    @property
    def time(self) -> float:
        """Seconds since the epoch (a float: use ``time_ns`` for the exact value)."""
        return self.time_ns / 1e9
