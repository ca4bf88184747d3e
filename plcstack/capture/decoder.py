"""Decode the HomePlug frames of captures (files, pipes, live interfaces), streaming.

Every packet record is read once (constant memory).  Supported link types become Ethernet frames
(:mod:`plcstack.capture.inputs`); the codec's :func:`~plcstack.codec.decode_header` decides what
is HomePlug AV, :func:`~plcstack.codec.hp10.decode_hp10` what is HomePlug 1.0, everything else is
counted and skipped.  A malformed frame becomes a record with ``error`` set and decoding goes on.
Fragments go through the codec's reassembler; the record that completes a message carries it in
``reassembled``, and reassemblies that never complete are counted and listed in the stats.
"""

from __future__ import annotations

import os
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Protocol

from plcstack.capture.displayfilter import DisplayFilter, parse_display_filter
from plcstack.capture.fields import check_filter_fields, resolver
from plcstack.capture.inputs import LinkFrame, ethernet_frame, open_input
from plcstack.capture.records import CapturedFrame
from plcstack.capture.stats import CaptureStats
from plcstack.capture.typefilter import TypeFilter, parse_type_filter
from plcstack.codec import (
    DecodeError,
    Frame,
    Header,
    PartialHeader,
    decode_ethernet,
    decode_frame,
    decode_header,
    encode_frame,
)
from plcstack.codec.fragment import SPEC, Incomplete, PushResult, Reassembler
from plcstack.codec.hp10 import decode_hp10, encode_hp10
from plcstack.codec.mac import parse_mac
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_1_0, ETHERTYPE_HOMEPLUG_AV, mmtype_name
from plcstack.pcapio import CaptureFormatError, CaptureReader, PacketRecord

HOMEPLUG_ETHERTYPES = frozenset({ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_HOMEPLUG_1_0})
#: Reassembler answers that make a frame a fragment (not a message of its own).
_FRAGMENT_RESULTS = frozenset({PushResult.FRAGMENT, PushResult.COMPLETE, PushResult.ORPHAN, PushResult.DROPPED})
_MAX_REPORTS = 1000  # incomplete-reassembly reports kept in the stats
_MAX_SEQUENCES = 256  # fragment sequences remembered for the type filter


class PacketSource(Protocol):
    """Anything with packet records: a :class:`~plcstack.pcapio.CaptureReader`, a live capture."""

    name: str

    def packets(self) -> Iterator[PacketRecord]: ...

    def close(self) -> None: ...


Source = str | os.PathLike[str] | BinaryIO | PacketSource


class CaptureDecoder:
    """Iterate the HomePlug frames of one or more captures as :class:`CapturedFrame` records.

    ``sources``: a path (``"-"`` is standard input), a binary stream, a packet source (live
    capture, an open reader), or a list of them, read one after the other.  Filters: ``types``
    (``--type`` terms, a string or a list, or a parsed :class:`TypeFilter`), ``src`` / ``dst``
    (MACs), ``display_filter`` (``--filter`` text or a parsed :class:`DisplayFilter`).  Frames
    they hide are counted in ``stats.filtered``.  ``verify`` re-encodes every shown frame and
    counts byte mismatches.

    A file that cannot be opened, or that is corrupt or cut, does not stop the other files: its
    error is kept in ``errors`` (everything before the cut was decoded and counted) and, once
    every source has been read, the first one is raised again: OSError (``filename`` set) or
    :class:`~plcstack.pcapio.CaptureFormatError` (``source`` and ``offset`` set).
    """

    def __init__(
        self,
        sources: Source | Iterable[Source],
        *,
        types: str | Iterable[str] | TypeFilter | None = None,
        src: str | bytes | None = None,
        dst: str | bytes | None = None,
        display_filter: str | DisplayFilter | None = None,
        verify: bool = False,
        reassemble: bool = True,
        strict: bool = True,
    ) -> None:
        if isinstance(sources, (str, os.PathLike)) or hasattr(sources, "read") or hasattr(sources, "packets"):
            self.sources: list[Source] = [sources]  # type: ignore[list-item]
        else:
            self.sources = list(sources)  # type: ignore[arg-type]
        self.type_filter = types if isinstance(types, TypeFilter) or types is None else parse_type_filter(types)
        self.src = parse_mac(src) if src is not None else None
        self.dst = parse_mac(dst) if dst is not None else None
        self.display_filter = (parse_display_filter(display_filter) if isinstance(display_filter, str)
                               else display_filter)
        if self.display_filter is not None:
            check_filter_fields(self.display_filter)  # a misspelt field must not silently match nothing
        self.verify = verify
        self.strict = strict
        # filters that judge the header before any MMENTRY work
        self._header_filters = self.type_filter is not None or self.src is not None or self.dst is not None
        self.stats = CaptureStats()
        self.reassembler = Reassembler() if reassemble else None
        self.reader: PacketSource | None = None
        self.errors: list[OSError | CaptureFormatError] = []
        self.incomplete_lines: list[str] = []  # one line per incomplete reassembly, for the end of the run
        # (src, dst, MMTYPE) of fragment sequences that passed --type, so their continuations do too
        self._sequences: OrderedDict[tuple[bytes | None, bytes | None, int], None] = OrderedDict()
        self.time_digits = 6
        self.mismatch_details = self.stats.mismatch_details

    # -- iteration ---------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[CapturedFrame]:
        start = time.perf_counter()
        several = len(self.sources) > 1
        try:
            for source in self.sources:
                try:
                    reader = self._open(source)
                except (OSError, CaptureFormatError) as exc:
                    self.errors.append(exc)
                    continue
                self.reader = reader
                self.stats.files += 1
                self.time_digits = max(self.time_digits, getattr(reader, "time_digits", 6))
                try:
                    yield from self._decode(reader, reader.name if several else None)
                except CaptureFormatError as exc:
                    exc.source = exc.source or reader.name
                    self.errors.append(exc)
                finally:
                    if reader is not source:
                        reader.close()
                self._flush_reassembler()
        finally:
            self.stats.elapsed_s = time.perf_counter() - start
        if self.errors:
            raise self.errors[0]

    def _open(self, source: Source) -> PacketSource:
        if hasattr(source, "packets"):
            return source  # type: ignore[return-value]
        reader: CaptureReader = open_input(source, strict=self.strict)  # type: ignore[arg-type]
        return reader

    def _decode(self, reader: PacketSource, file: str | None) -> Iterator[CapturedFrame]:
        stats = self.stats
        first_ns: int | None = None
        prev_ns = 0
        prev_shown_ns: int | None = None
        for pkt in reader.packets():
            stats.packets += 1
            t = pkt.time_ns
            if first_ns is None:
                first_ns = prev_ns = t
            delta, prev_ns = t - prev_ns, t
            link = ethernet_frame(pkt)
            if link is None:
                stats.unsupported_linktypes[pkt.linktype] += 1
                continue
            rec = self._record(pkt.number, t, link)
            if rec is None:
                continue
            rec.rel_ns, rec.delta_ns, rec.file = t - first_ns, delta, file
            rec.delta_shown_ns = 0 if prev_shown_ns is None else t - prev_shown_ns
            prev_shown_ns = t
            yield rec

    def _record(self, index: int, t: int, link: LinkFrame) -> CapturedFrame | None:
        """Decode one Ethernet frame; None when it is not HomePlug or a filter hides it."""
        data = link.data
        if not self._header_filters:
            # Fast path: one decode_frame does it all for a valid HomePlug AV frame (its header is
            # the Frame's); everything else takes the careful path below.
            try:
                frame = decode_frame(data)
            except DecodeError:
                pass
            else:
                self.stats.homeplug += 1
                rec = self._new(index, t, link)
                rec.frame = frame
                if frame.mmv and frame.fmi:
                    self._reassemble(rec, frame, t)
                return self._shown(rec)
        stats = self.stats
        try:
            eth = decode_ethernet(data)
        except DecodeError:  # shorter than an Ethernet header, or cut inside a VLAN tag
            stats.non_homeplug += 1
            return None
        if eth.ethertype not in HOMEPLUG_ETHERTYPES:
            stats.non_homeplug += 1
            return None
        stats.homeplug += 1
        rec = self._new(index, t, link)
        rec.ethernet = eth
        if eth.ethertype == ETHERTYPE_HOMEPLUG_1_0:
            return self._hp10(rec)
        known: Header | PartialHeader | None = None
        try:
            rec.header = known = decode_header(data)
        except DecodeError as exc:
            rec.error = exc.with_frame(index)
            partial = exc.header
            if exc.field == "oui" and partial is not None and self._header_wanted(rec, partial._replace(oui=None)):
                # no OUI where the spec reading of the FMI wants one: maybe a continuation fragment in
                # the open-plc-utils octet order, which carries none; the reassembler decides
                self._reassemble(rec, partial, t)
                if rec.fragment is not None:
                    known = partial._replace(oui=None)
        if not self._header_wanted(rec, known):
            stats.filtered += 1
            return None
        if rec.header is not None:
            try:
                rec.frame = decode_frame(data)
            except DecodeError as exc:
                rec.error = exc.with_frame(index)
            self._reassemble(rec, rec.header, t)
        return self._shown(rec)

    def _new(self, index: int, t: int, link: LinkFrame) -> CapturedFrame:
        rec = CapturedFrame(index, t, link.data, orig_len=link.orig_len, dst_known=link.dst_known, fcs=link.fcs,
                            outgoing=link.outgoing)
        if link.fcs is not None and len(link.fcs) == 4:
            rec.fcs_ok = zlib.crc32(link.data) == int.from_bytes(link.fcs, "little")
        return rec

    def _shown(self, rec: CapturedFrame) -> CapturedFrame | None:
        """The display filter's verdict, then the counts of a shown record."""
        if self.display_filter is not None and not self.display_filter.matches(resolver(rec)):
            self.stats.filtered += 1
            return None
        self._count(rec)
        return rec

    def _header_wanted(self, rec: CapturedFrame, header: Header | PartialHeader | None) -> bool:
        """``--type``, ``--src``, ``--dst`` on what the header says (before any MMENTRY work)."""
        tf, eth = self.type_filter, rec.ethernet
        assert eth is not None
        if tf is not None and (header is None or header.mmtype is None or not tf.matches(header.mmtype, header.oui)):
            # a header that does not decode has no type to match; a continuation fragment (no OUI) is
            # wanted when a fragment of its sender's sequence was
            if header is None or header.mmtype is None or (eth.src, eth.dst, header.mmtype) not in self._sequences:
                return False
        return (self.src is None or eth.src == self.src) and (self.dst is None or eth.dst == self.dst)

    def _reassemble(self, rec: CapturedFrame, header: Header | Frame | PartialHeader, t: int) -> None:
        reasm = self.reassembler
        if reasm is None or not header.mmv or not header.fmi or header.mmtype is None:
            return
        result, whole = reasm.push(rec.data, t / 1e9, index=rec.index)
        self._collect_incomplete(reasm.pop_incomplete())
        if result not in _FRAGMENT_RESULTS or reasm.last_reading is None:
            return  # a whole message (the codec's plausibility rules), or an invalid header
        self.stats.fragments += 1
        conv, nf, fn, fmsn = reasm.last_reading
        if self.type_filter is not None and result is PushResult.FRAGMENT:  # its continuations pass --type too
            key = (header.src, header.dst, header.mmtype)
            self._sequences[key] = None
            self._sequences.move_to_end(key)
            if len(self._sequences) > _MAX_SEQUENCES:
                self._sequences.popitem(last=False)
        what = {PushResult.ORPHAN: "orphan fragment", PushResult.DROPPED: "fragment over the memory bound",
                PushResult.COMPLETE: "last fragment"}.get(result, "fragment")
        # the name the sequence's first fragment gives (a continuation carries no OUI)
        oui = header.oui if fn == 0 else None
        order = "" if conv == SPEC else f", {conv} octet order"
        rec.fragment = (f"{what} {fn + 1}/{nf + 1} of {mmtype_name(header.mmtype, oui)}, FMSN {fmsn} "
                        f"(FMI {header.fmi:04x}{order})")
        rec.error = None  # a continuation fragment is not a malformed frame
        rec.frame = None
        if rec.header is None:  # the fast path decoded the frame; a fragment keeps its header
            try:
                rec.header = decode_header(rec.data)
            except DecodeError:  # a continuation in the other octet order has no OUI where one is due
                rec.ethernet = decode_ethernet(rec.data)
        if whole is not None:
            rec.reassembled = whole
            self.stats.reassembled += 1

    def _collect_incomplete(self, reports: list[Incomplete]) -> None:
        for rep in reports:
            self.stats.incomplete += 1
            if len(self.stats.incomplete_details) < _MAX_REPORTS:
                self.stats.incomplete_details.append(rep.to_json())
            self.incomplete_lines.append(rep.summary())

    def _flush_reassembler(self) -> None:
        if self.reassembler is not None:
            self.reassembler.finish()
            self._collect_incomplete(self.reassembler.pop_incomplete())

    def _count(self, rec: CapturedFrame) -> None:
        stats = self.stats
        if rec.fcs_ok is False:
            stats.fcs_errors += 1
        if rec.cut:
            stats.cut += 1
        if rec.error is not None:
            stats.errors += 1
            stats.by_type["(decode error)"] += 1
        elif rec.frame is not None:
            stats.by_type[rec.frame.name] += 1
            if rec.frame.truncated and not rec.cut:
                stats.truncated += 1
            if self.verify and not rec.cut and encode_frame(rec.frame) != rec.data:
                stats.mismatches += 1
                stats.mismatch_details.append({"frame": rec.index, "name": rec.frame.name, "file": rec.file})
        elif rec.hp10 is None:
            stats.by_type["(fragment)"] += 1

    def _hp10(self, rec: CapturedFrame) -> CapturedFrame | None:
        stats = self.stats
        try:
            rec.hp10 = decode_hp10(rec.data)
        except DecodeError as exc:
            rec.error = exc.with_frame(rec.index)
        eth = rec.ethernet
        assert eth is not None
        tf = self.type_filter
        if ((tf is not None and not tf.includes_hp10) or (self.src is not None and eth.src != self.src)
                or (self.dst is not None and eth.dst != self.dst)
                or (self.display_filter is not None and not self.display_filter.matches(resolver(rec)))):
            stats.filtered += 1
            return None
        if rec.hp10 is None:
            stats.errors += 1
            stats.by_type["(decode error)"] += 1
            return rec
        if rec.cut:
            stats.cut += 1
        stats.by_type[rec.hp10.name] += 1
        if self.verify and not rec.cut and encode_hp10(rec.hp10) != rec.data:
            stats.mismatches += 1
            stats.mismatch_details.append({"frame": rec.index, "name": rec.hp10.name, "file": rec.file})
        return rec


def iter_decoded(sources: Source | Iterable[Source], **kwargs: Any) -> Iterator[CapturedFrame]:
    """Convenience: iterate the HomePlug frames of one or more captures (keywords as CaptureDecoder)."""
    return iter(CaptureDecoder(sources, **kwargs))


def count_decoded(path: str | os.PathLike[str]) -> int:
    """Hot path used by benchmarks: full decode of every HomePlug AV frame, nothing else."""
    n = 0
    with CaptureReader(path) as reader:
        for _index, _ts, buf, off, length, _lt in reader:
            try:
                decode_frame(buf, off, off + length)
            except DecodeError:
                continue
            n += 1
    return n
