"""Where captured frames come from: files (``-`` for stdin), and link layers turned into Ethernet.

:func:`open_input` opens one capture (a path, ``-`` for standard input, a stream); what it and the
reader can raise is :data:`INPUT_ERRORS`, worded for the user by :func:`input_error_text`.  :func:`ethernet_frame` turns one packet
record of a supported link type into the Ethernet frame the codec reads:

* Ethernet (LINKTYPE 1): as captured, minus the FCS when the file says one is there (pcap link-type
  FCS bits, pcapng ``if_fcslen`` / ``epb_flags``; ``docs/capture.md``, "Inputs");
* Linux cooked capture v1 (113) and v2 (276), what ``tcpdump -i any`` writes: the pseudo header
  gives the source MAC and the ethertype; the destination MAC is not recorded, so the frame gets
  ``00:00:00:00:00:00`` (``ff:ff:ff:ff:ff:ff`` for broadcast packets) and ``dst_known`` is False.

Any other link type returns None, and the caller counts it.
"""

from __future__ import annotations

import errno
import os
import struct
import sys
from typing import Any, BinaryIO, NamedTuple

from plcstack.codec.mac import BROADCAST_MAC
from plcstack.pcapio import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    CaptureFormatError,
    CaptureReader,
    PacketRecord,
)
from plcstack.pcapio.linktypes import PACKET_BROADCAST, PACKET_OUTGOING

SUPPORTED_LINKTYPES = frozenset({LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2})

_ARPHRD_ETHER = 1  # Linux if_arp.h: the cooked header's address is an Ethernet MAC
_SLL = struct.Struct("!HHH8sH")  # packet type, ARPHRD type, address length, address, protocol
_SLL2 = struct.Struct("!HHIHBB8s")  # protocol, reserved, ifindex, ARPHRD type, packet type, addr len, addr
_NO_MAC = bytes(6)


#: What reading a capture can raise: the file cannot be opened (OSError, with ``filename``), or its
#: data is not a capture, corrupt or cut short (CaptureFormatError, with ``source`` and ``offset``).
INPUT_ERRORS: tuple[type[Exception], ...] = (OSError, CaptureFormatError)


def input_error_text(exc: BaseException) -> str:
    """One line for the user: ``capture.pcap: no such file``, ``x.pcap: truncated capture: ...``."""
    if isinstance(exc, CaptureFormatError):
        return f"{exc.source}: {exc}" if exc.source else str(exc)
    if isinstance(exc, OSError):
        what = {errno.ENOENT: "no such file", errno.EISDIR: "is a directory, not a capture file",
                errno.EACCES: "permission denied"}.get(exc.errno or 0, exc.strerror or str(exc))
        return f"{exc.filename}: {what}" if exc.filename else what
    return str(exc)


class LinkFrame(NamedTuple):
    """The Ethernet frame of one packet record.

    ``data`` is the frame without FCS; ``fcs`` the FCS bytes when the file included them;
    ``cut`` is True when the snaplen cut the packet (``orig_len`` bytes were on the wire);
    ``dst_known`` is False for cooked captures (no destination MAC); ``outgoing`` is True, False or
    None (unknown) for packets this host sent (cooked captures and live capture say so);
    ``interface`` is the pcapng interface the packet was captured on (0 for pcap).
    """

    data: bytes
    fcs: bytes | None
    orig_len: int
    cut: bool
    dst_known: bool = True
    outgoing: bool | None = None
    interface: int = 0


def ethernet_frame(pkt: PacketRecord) -> LinkFrame | None:
    """The Ethernet frame of ``pkt``, or None when its link type is not supported."""
    link = _ethernet_frame(pkt)
    return link._replace(interface=pkt.interface) if pkt.interface and link is not None else link


def _ethernet_frame(pkt: PacketRecord) -> LinkFrame | None:
    buf, off, caplen, orig = pkt.buf, pkt.offset, pkt.length, pkt.orig_len
    if pkt.linktype == LINKTYPE_ETHERNET:
        fcs_len = pkt.fcs_len
        cut = caplen < orig
        if not fcs_len:
            return LinkFrame(buf[off:off + caplen], None, orig, cut)
        frame_len = min(caplen, max(orig - fcs_len, 0))  # the FCS ends the frame on the wire
        fcs = buf[off + frame_len:off + caplen] if caplen > frame_len else None
        return LinkFrame(buf[off:off + frame_len], fcs, orig - fcs_len, cut and caplen < orig - fcs_len)
    if pkt.linktype == LINKTYPE_LINUX_SLL:
        if caplen < _SLL.size:
            return LinkFrame(b"", None, orig, True, False)
        ptype, hatype, halen, addr, _ = _SLL.unpack_from(buf, off)
        body = buf[off + 14:off + caplen]  # from the protocol field on: ethertype + payload
        return _cooked(ptype, hatype, halen, addr, body, orig - 2, caplen < orig)
    if pkt.linktype == LINKTYPE_LINUX_SLL2:
        if caplen < _SLL2.size:
            return LinkFrame(b"", None, orig, True, False)
        proto, _, _, hatype, ptype, halen, addr = _SLL2.unpack_from(buf, off)
        body = struct.pack("!H", proto) + buf[off + 20:off + caplen]
        return _cooked(ptype, hatype, halen, addr, body, orig - 6, caplen < orig)
    return None


def _cooked(ptype: int, hatype: int, halen: int, addr: bytes, body: bytes, orig: int, cut: bool) -> LinkFrame:
    src = addr[:6] if hatype == _ARPHRD_ETHER and halen == 6 else _NO_MAC
    dst = BROADCAST_MAC if ptype == PACKET_BROADCAST else _NO_MAC
    return LinkFrame(dst + src + body, None, orig, cut, ptype == PACKET_BROADCAST, ptype == PACKET_OUTGOING)


def open_input(source: str | os.PathLike[str] | BinaryIO, **kwargs: Any) -> CaptureReader:
    """Open one capture: a path, ``"-"`` for standard input, or a binary stream.

    Raises OSError (missing file, a directory, no permission; ``filename`` set) or
    CaptureFormatError (not a capture; ``source`` set): :func:`input_error_text` words them.
    """
    if source == "-":
        name, stream = "<stdin>", sys.stdin.buffer
        try:
            return _named(CaptureReader(stream, **kwargs), name)
        except CaptureFormatError as exc:
            exc.source = name
            raise
    if isinstance(source, (str, os.PathLike)):
        name = os.fsdecode(source)
        if os.path.isdir(name):
            raise IsADirectoryError(errno.EISDIR, "is a directory", name)
    else:
        name = str(getattr(source, "name", "<stream>"))
    try:
        return CaptureReader(source, **kwargs)
    except CaptureFormatError as exc:
        exc.source = name
        raise


def _named(reader: CaptureReader, name: str) -> CaptureReader:
    reader.name = name
    return reader
