"""Fast, streaming, dependency-free pcap / pcapng reader and classic pcap writer.

Reading
-------
::

    with open_capture("trace.pcapng") as reader:          # also .gz, pipes, sys.stdin.buffer
        for index, ts, buf, off, length, linktype in reader:
            frame = buf[off:off + length]        # or memoryview(buf)[off:off + length]

* ``index`` is the 1-based number of the packet record in the file (Wireshark's ``frame.number``),
* ``ts`` the timestamp in seconds (float),
* ``buf`` a ``bytes`` chunk shared by many records: the packet is ``buf[off:off + length]``. The chunk
  is never modified afterwards, so keeping a reference (or a memoryview slice) is safe,
* ``linktype`` the LINKTYPE_* value of the interface the packet was captured on.

``reader.packets()`` instead yields :class:`PacketRecord` named tuples with the exact timestamp in
integer nanoseconds, the original (wire) length and the FCS length -- what a decoder needs to tell a
frame cut by the snaplen from a short frame, and to drop an FCS. Either way of iterating is one pass.

Supported: classic pcap in both byte orders with microsecond (``a1b2c3d4``) and nanosecond (``a1b23c4d``)
timestamps, the "modified" (Kuznetzov) pcap variant (``a1b2cd34``), and pcapng with any number of sections
(each with its own byte order) and interfaces (per-interface link type, ``if_tsresol`` -- decimal or
power-of-two -- ``if_tsoffset`` and ``if_fcslen``). Enhanced, Simple and the obsolete Packet Blocks yield
records; all other block types (NRB, ISB, DSB, custom, ...) are skipped. gzip-compressed input is
recognised by its magic bytes and decompressed on the fly.

The data is read in chunks of at most ``chunk_size`` bytes, each read returning what the source has
now (a pipe's records come out as soon as they are complete); the partial record at the end of a chunk
is carried into the next one, records larger than a chunk are assembled as needed. Memory use is
therefore bounded by ``chunk_size`` plus the largest record, whatever the file size.

Corrupt data raises :class:`CaptureFormatError` whose message names the absolute byte offset (and the
number of the record, if known). A file cut off in the middle of its last record yields every complete
record first and raises at the end -- or, with ``strict=False``, stops quietly and sets
``reader.truncated = True``.

Writing
-------
:class:`PcapWriter` writes classic little-endian pcap (micro- or nanosecond timestamps, optional FCS
flag); :func:`write_pcap` is a one-call convenience wrapper.
"""

from plcstack.pcapio.linktypes import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    linktype_name,
)
from plcstack.pcapio.reader import (  # the magic numbers: the batch scanner of plcstack.capture.chunks
    _PCAP_MAGIC_NS,  # noqa: F401
    _PCAP_MAGIC_US,  # noqa: F401
    MAX_RECORD_SIZE,
    CaptureFormatError,
    CaptureReader,
    PacketRecord,
    RecordTuple,
    open_capture,
)
from plcstack.pcapio.writer import PcapWriter, write_pcap

__all__ = [
    "LINKTYPE_ETHERNET",
    "LINKTYPE_LINUX_SLL",
    "LINKTYPE_LINUX_SLL2",
    "MAX_RECORD_SIZE",
    "CaptureFormatError",
    "CaptureReader",
    "PacketRecord",
    "PcapWriter",
    "RecordTuple",
    "linktype_name",
    "open_capture",
    "write_pcap",
]
