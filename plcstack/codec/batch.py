"""Batch decoding: the frames of a capture chunk decoded together, column by column (no I/O).

Design and checks: ``docs/batch.md``.

The input is one buffer and the (offset, length) of every Ethernet frame in it -- what the
capture layer reads from a file.  Nothing here opens files.

**Headers.**  The header rules live in one place, :func:`plcstack.codec.frame.decode_header`.
This module does not repeat them: it reads, for every frame at once, the few header bytes those
rules look at (tag protocol identifiers, ethertype, MMV, MMTYPE, the OUI candidate of vendor and
manufacturer types, the length while it is shorter than any header), packs them into one integer
per frame -- the frame's *header shape* -- and asks ``decode_header`` (and ``decode_frame`` for the
message layout) once per distinct shape.  Every frame of a shape then gets that answer, with its
own MAC addresses, VLAN tag and body offset.  Frames whose outcome could depend on more bytes
(non-zero FMI: possible fragments; three or more tags) are decoded one by one.  A capture has a
few dozen shapes, so the rules cost nothing per frame and cannot drift from the per-frame path.

**Bodies.**  Frames are grouped by message layout and each group is decoded by the column plan
generated from the declaration (:mod:`plcstack.codec.columnar`).  A body that ends inside its
layout is decoded by :func:`~plcstack.codec.frame.decode_frame` (which says what is missing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plcstack.codec.columnar import (
    RecordColumns,
    UnsupportedLayout,
    VarColumn,
    byte_windows,
    column_values,
    decode_rows,
    plan_of,
)
from plcstack.codec.errors import DecodeError
from plcstack.codec.frame import (
    VLAN_TPIDS,
    Frame,
    Header,
    RawMessage,
    VlanTag,
    decode_ethernet,
    decode_frame,
    decode_header,
)
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV
from plcstack.codec.registry import MessageDef, definition_of

I64 = np.int64
HEAD = 32  # header bytes read per frame: Ethernet + two tags + MME header + FMI + OUI
SHORT = 63  # below this length the length itself is part of the shape (length checks)

# row status
OK, ERROR, OTHER = 0, 1, 2


@dataclass(frozen=True)
class Shape:
    """What the per-frame decoder says about every frame of one header shape."""

    status: int  # OK, ERROR or OTHER (not a HomePlug AV frame)
    error: DecodeError | None = None
    mmv: int = -1
    mmtype: int = -1
    fmi: int | None = None
    oui: bytes | None = None
    body: int = 0  # MMENTRY offset from the start of the frame
    tpids: tuple[int, ...] = ()  # the frame's VLAN tags (their TCIs are read per frame)
    frame_error: DecodeError | None = None  # the header is fine but decode_frame rejects the frame (MMTYPE)
    mdef: MessageDef | None = None  # typed layout (None: raw body or error)
    name: str | None = None
    per_frame: bool = False  # decode these frames one by one


@dataclass
class HeaderColumns:
    """The headers of the frames of one chunk, one array per header field."""

    buf: bytes
    offset: np.ndarray
    length: np.ndarray
    status: np.ndarray  # OK / ERROR / OTHER
    shape: np.ndarray  # index into ``shapes``, -1 for frames decoded one by one
    shapes: list[Shape]
    dst: np.ndarray  # (n, 6) uint8
    src: np.ndarray
    vlan: np.ndarray  # TCI of the outermost VLAN tag, -1: untagged
    tci: np.ndarray  # (n, 2): TCIs of the first two tags
    ethertype: np.ndarray  # after up to two 802.1Q / 802.1ad tags
    mmv: np.ndarray  # the MMV byte (also on error rows when the frame has one), -1 otherwise
    mmtype: np.ndarray
    fmi: np.ndarray  # -1: none (MMV 0)
    oui: np.ndarray  # 24-bit value, -1: none
    body: np.ndarray  # absolute MMENTRY offset in ``buf``, -1 on error rows
    single: dict[int, Header | DecodeError] = field(default_factory=dict)  # rows decoded one by one

    def __len__(self) -> int:
        return int(self.offset.size)

    def error_of(self, row: int) -> DecodeError | None:
        s = int(self.shape[row])
        if s < 0:
            one = self.single[row]
            return one if isinstance(one, DecodeError) else None
        return self.shapes[s].error

    def header(self, row: int) -> Header | DecodeError:
        """Row ``row`` as ``decode_header`` returns it (or the error it raises)."""
        s = int(self.shape[row])
        if s < 0:
            return self.single[row]
        shape = self.shapes[s]
        if shape.error is not None:
            return shape.error
        off = int(self.offset[row])
        return Header(self.buf[off:off + 6], self.buf[off + 6:off + 12], self.vlan_tags(row, shape), shape.mmv,
                      shape.mmtype, shape.fmi, shape.oui, off + shape.body, None)

    def vlan_tags(self, row: int, shape: Shape) -> tuple[VlanTag, ...]:
        if not shape.tpids:
            return ()
        return tuple(VlanTag(tpid, int(self.tci[row, k])) for k, tpid in enumerate(shape.tpids))


@dataclass
class MessageBlock:
    """The frames of one chunk with one declared layout, decoded column-wise."""

    mdef: MessageDef
    rows: np.ndarray  # chunk rows, ascending
    columns: RecordColumns
    trailing: VarColumn  # bytes after the layout


@dataclass
class RawBlock:
    """Frames of one undeclared type (body kept as bytes)."""

    name: str
    rows: np.ndarray
    body: VarColumn


@dataclass
class DecodedChunk:
    headers: HeaderColumns
    blocks: list[MessageBlock]
    raw: list[RawBlock]
    single: dict[int, Frame | DecodeError]  # rows decoded one by one (fragments, truncated bodies ...)

    def frames(self) -> Iterator[tuple[int, Frame | DecodeError | None]]:
        """(row, Frame or DecodeError; None for non-HomePlug-AV frames), in row order."""
        h = self.headers
        out: dict[int, Frame | DecodeError | None] = dict(self.single)
        for b in self.blocks:
            msgs = b.columns.rows()
            trailing = column_values(b.trailing)
            for row, msg, tail in zip(b.rows.tolist(), msgs, trailing, strict=True):
                out[row] = self._frame(row, msg, tail)
        for r in self.raw:
            for row, body in zip(r.rows.tolist(), column_values(r.body), strict=True):
                out[row] = self._frame(row, RawMessage(body), b"")
        for row in range(len(h)):
            if row not in out:
                s = int(h.shape[row])
                if s < 0:  # decoded one by one: not HomePlug AV
                    out[row] = None
                else:
                    shape = h.shapes[s]
                    out[row] = shape.error if shape.status == ERROR else shape.frame_error
        for row in sorted(out):
            yield row, out[row]

    def _frame(self, row: int, msg: Any, trailing: bytes) -> Frame:
        hdr = self.headers.header(row)
        assert isinstance(hdr, Header)
        return Frame(hdr.dst, hdr.src, hdr.vlan_tags, hdr.mmv, hdr.mmtype, hdr.fmi, hdr.oui, msg, trailing, None,
                     hdr.fmi_anomaly)


_TPIDS = sorted(VLAN_TPIDS)  # tag protocol identifiers the header reader knows; code k + 1 in a shape


def _tag_code(tpid: np.ndarray) -> np.ndarray:
    code = np.zeros(tpid.shape, dtype=I64)
    for k, value in enumerate(_TPIDS):
        code[tpid == value] = k + 1
    return code


# the header bytes of an untagged frame; a tagged frame's MME header is read 4 or 8 bytes further
class _ShapeTable:
    """The header shapes learnt so far, as sorted keys and per-shape arrays (immutable: chunks keep theirs)."""

    def __init__(self, shapes: dict[int, Shape]) -> None:
        self.by_key = shapes
        self.keys = np.array(sorted(shapes), dtype=I64)
        ordered = [shapes[k] for k in self.keys.tolist()]
        self.shapes = [s for s in ordered if not s.per_frame]
        where = iter(range(len(self.shapes)))
        self.index = np.array([-1 if s.per_frame else next(where) for s in ordered] + [-1], dtype=I64)
        live = self.shapes
        self.status_of = np.array([s.status for s in live] + [OK], dtype=np.int8)
        self.body_of = np.array([s.body for s in live] + [0], dtype=I64)
        self.tagged_of = np.array([bool(s.tpids) for s in live] + [False], dtype=bool)
        self.fmi_of = np.array([-1 if s.fmi is None else s.fmi for s in live] + [-1], dtype=I64)
        self.oui_of = np.array([-1 if s.oui is None else int.from_bytes(s.oui, "big") for s in live] + [-1], dtype=I64)

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``index``, known?) of every key; unknown keys point at the sentinel -1."""
        if self.keys.size == 0:
            return np.full(keys.shape, 0, dtype=I64), np.zeros(keys.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        hit = self.keys[pos] == keys
        return np.where(hit, pos, self.keys.size), hit

    def adding(self, learnt: dict[int, Shape], limit: int) -> _ShapeTable:
        shapes = dict(self.by_key) if len(self.by_key) + len(learnt) <= limit else {}
        shapes.update(learnt)
        return _ShapeTable(shapes)


_HEAD_DTYPE = np.dtype({
    "names": ["dst", "src", "t1", "et", "tci1", "mmv", "mmtype", "w16", "t2", "w18", "tci2", "t3"],
    "formats": [(np.uint8, (6,)), (np.uint8, (6,)), ">u2", ">u2", ">u2", "u1", "<u2", ">u4", ">u2", ">u4",
                ">u2", ">u2"],
    "offsets": [0, 6, 12, 12, 14, 14, 15, 16, 16, 18, 18, 20],
    "itemsize": HEAD,
})




class BatchDecoder:
    """Decodes chunks of frames column-wise; remembers header shapes from chunk to chunk."""

    def __init__(self, max_shapes: int = 1 << 16, timings: Any = None) -> None:
        self._table = _ShapeTable({})
        self.max_shapes = max_shapes
        # an object with float attributes headers, grouping, decode: seconds are added to them
        self.timings = timings

    # ------------------------------------------------------------------ headers

    def headers(self, buf: bytes, offsets: np.ndarray, lengths: np.ndarray) -> HeaderColumns:
        """The Ethernet + MME header of every frame ``buf[offsets[i]:offsets[i] + lengths[i]]``."""
        raw = np.frombuffer(buf, dtype=np.uint8)
        off = np.asarray(offsets, dtype=I64)
        length = np.asarray(lengths, dtype=I64)
        n = off.size
        fits = off + HEAD <= raw.size
        at = np.where(fits, off, 0)
        view = byte_windows(raw, HEAD)
        head = view[at].view(_HEAD_DTYPE) if view.size else np.zeros(n, dtype=_HEAD_DTYPE)
        k1 = _tag_code(head["t1"])
        tagged = np.flatnonzero(k1)
        k2 = np.zeros(n, dtype=I64)
        k3 = np.zeros(n, dtype=I64)
        mme = head[["et", "mmv", "mmtype", "w16", "w18"]].copy() if tagged.size else head
        if tagged.size:  # the MME header sits 4 or 8 bytes further: read it there
            k2[tagged] = _tag_code(head["t2"][tagged])
            k3[tagged] = np.where(k2[tagged] > 0, _tag_code(head["t3"][tagged]), 0)
            shift = 4 + 4 * (k2[tagged] > 0)
            ok = off[tagged] + shift + HEAD <= raw.size
            fits[tagged] &= ok
            moved = view[np.where(ok, off[tagged] + shift, 0)].view(_HEAD_DTYPE) if view.size else head[tagged]
            mme[tagged] = moved[["et", "mmv", "mmtype", "w16", "w18"]]
        et = mme["et"].astype(I64)
        mmv = mme["mmv"].astype(I64)
        mmtype = mme["mmtype"].astype(I64)
        w16 = mme["w16"].astype(I64)  # bytes 16-19: MMTYPE high byte, FMI (MMV >= 1) or OUI (MMV 0)
        w18 = mme["w18"].astype(I64)  # bytes 18-21: FMI low byte, OUI (MMV >= 1)
        fmi = (w16 >> 8) & 0xFFFF
        cand = np.where(mmv == 0, w16, w18) & 0xFFFFFF
        h = 14 + 4 * ((k1 > 0).astype(I64) + (k2 > 0))
        # the OUI candidate matters only where the rules may read an OUI (vendor/manufacturer types)
        oui_key = np.where((mmtype >= 0x8000) & (mmtype < 0xC000), cand, 0)
        lencls = np.minimum(length, SHORT)
        av = (et == ETHERTYPE_HOMEPLUG_AV) & (length >= h)  # the ethertype inside the frame
        kinds = (k1 << 2) | k2
        key = np.where(av, (1 << 62) | (kinds << 56) | (mmv << 48) | (mmtype << 32) | (oui_key << 8) | lencls,
                       (kinds << 56) | (et << 8) | lencls)
        one_by_one = ~fits | (k3 > 0) | (av & (mmv != 0) & (fmi != 0))
        k = np.where(one_by_one, -1, key)  # real keys are >= 0
        table = self._table
        pos, hit = table.find(k)
        miss = ~hit & ~one_by_one
        if miss.any():  # new header shapes: ask the per-frame decoder once each
            missed = np.flatnonzero(miss)
            uniq, first = np.unique(k[missed], return_index=True)
            learnt: dict[int, Shape] = {}
            for kk, row in zip(uniq.tolist(), missed[first].tolist(), strict=True):
                o0 = int(off[row])
                tags = tuple(_TPIDS[int(c) - 1] for c in (k1[row], k2[row]) if c)
                learnt[kk] = self._learn(buf, o0, o0 + int(length[row]), tags, bool(av[row]))
            table = self._table = table.adding(learnt, self.max_shapes)
            pos, hit = table.find(k)
        sidx = np.where(one_by_one, -1, table.index[pos])
        shapes = table.shapes
        status_of, body_of, tagged_of, fmi_of, oui_of = (table.status_of, table.body_of, table.tagged_of,
                                                         table.fmi_of, table.oui_of)
        status = status_of[sidx]
        tci = np.stack([head["tci1"], head["tci2"]], axis=1).astype(I64)
        vlan = np.where(tagged_of[sidx], tci[:, 0], -1)
        known = status == OK
        cols = HeaderColumns(
            buf, off, length, status, sidx, shapes, head["dst"], head["src"], vlan, tci, et,
            np.where(av, mmv, -1), np.where(av, mmtype, -1), np.where(known, fmi_of[sidx], -1),
            np.where(known, oui_of[sidx], -1), np.where(known, off + body_of[sidx], -1))
        for row in np.flatnonzero(sidx < 0).tolist():
            self._single_header(cols, row)
        return cols

    def _learn(self, buf: bytes, off: int, end: int, tags: tuple[int, ...], av: bool) -> Shape:
        """Ask the per-frame decoder about one frame of a new header shape (``tags``: its TPIDs)."""
        try:
            hdr = decode_header(buf, off, end)
        except DecodeError as exc:
            return Shape(OTHER if exc.field == "ethertype" or not av else ERROR, _detached(exc))
        if tuple(t.tpid for t in hdr.vlan_tags) != tags or hdr.fmi_anomaly is not None:
            return Shape(OK, per_frame=True)  # the rules saw other tags than this module: ask frame by frame
        base = dict(mmv=hdr.mmv, mmtype=hdr.mmtype, fmi=hdr.fmi, oui=hdr.oui, body=hdr.body_offset - off,
                    tpids=tags)
        try:
            frame = decode_frame(buf, off, end)
        except DecodeError as exc:
            return Shape(OK, frame_error=_detached(exc), **base)  # type: ignore[arg-type]
        msg = frame.message
        if type(msg) is RawMessage:
            return Shape(OK, name=frame.name, **base)  # type: ignore[arg-type]
        mdef = definition_of(msg)
        try:
            plan_of(mdef.layout)
        except UnsupportedLayout:
            return Shape(OK, name=frame.name, per_frame=True, **base)  # type: ignore[arg-type]
        return Shape(OK, mdef=mdef, name=frame.name, **base)  # type: ignore[arg-type]

    def _single_header(self, cols: HeaderColumns, row: int) -> None:
        off = int(cols.offset[row])
        end = off + int(cols.length[row])
        try:
            hdr = decode_header(cols.buf, off, end)
        except DecodeError as exc:
            cols.single[row] = _detached(exc)
            try:
                et = decode_ethernet(cols.buf, off, end).ethertype
            except DecodeError:
                et = -1
            cols.ethertype[row] = et
            cols.status[row] = OTHER if exc.field == "ethertype" or et != ETHERTYPE_HOMEPLUG_AV else ERROR
            cols.fmi[row] = cols.oui[row] = cols.body[row] = -1
            return
        cols.single[row] = hdr
        cols.status[row] = OK
        cols.vlan[row] = -1 if hdr.vlan is None else hdr.vlan
        cols.ethertype[row] = ETHERTYPE_HOMEPLUG_AV
        cols.mmv[row], cols.mmtype[row] = hdr.mmv, hdr.mmtype
        cols.fmi[row] = -1 if hdr.fmi is None else hdr.fmi
        cols.oui[row] = -1 if hdr.oui is None else int.from_bytes(hdr.oui, "big")
        cols.body[row] = hdr.body_offset

    # ------------------------------------------------------------------ whole frames

    def decode(self, buf: bytes, offsets: np.ndarray, lengths: np.ndarray) -> DecodedChunk:
        """Every field of every frame, column-wise per message layout."""
        clock = self.timings
        t0 = time.perf_counter()
        h = self.headers(buf, offsets, lengths)
        t1 = time.perf_counter()
        raw = np.frombuffer(buf, dtype=np.uint8)
        single: dict[int, Frame | DecodeError] = {}
        blocks: list[MessageBlock] = []
        raw_blocks: list[RawBlock] = []
        for row in h.single:
            if h.status[row] != OTHER:
                off = int(h.offset[row])
                single[row] = _decode_one(buf, off, off + int(h.length[row]))
        if not h.shapes:
            return DecodedChunk(h, blocks, raw_blocks, single)
        # group the rows of typed shapes by layout, the rows of raw shapes by name
        group_of_shape: list[int] = []
        groups: list[tuple[MessageDef | None, str]] = []
        index: dict[tuple[int, str], int] = {}
        for s in h.shapes:
            if s.status != OK or s.frame_error is not None:
                group_of_shape.append(-1)
                continue
            gkey = (id(s.mdef), "" if s.mdef is not None else str(s.name))
            if gkey not in index:
                index[gkey] = len(groups)
                groups.append((s.mdef, str(s.name)))
            group_of_shape.append(index[gkey])
        gid = np.array(group_of_shape + [-1], dtype=I64)[h.shape]
        order = np.argsort(gid, kind="stable")
        bounds = np.searchsorted(gid[order], np.arange(len(groups) + 1))
        end_all = h.offset + h.length
        t2 = time.perf_counter()
        for g, (mdef, name) in enumerate(groups):
            rows = order[bounds[g]:bounds[g + 1]]
            p, end = h.body[rows], end_all[rows]
            if mdef is None:
                raw_blocks.append(RawBlock(name, rows, VarColumn(p, end - p, raw)))
                continue
            cols, q, bad = decode_rows(plan_of(mdef.layout), raw, p, end)
            if bad.any():
                for row in rows[bad].tolist():
                    off = int(h.offset[row])
                    single[row] = _decode_one(buf, off, off + int(h.length[row]))
                keep = np.flatnonzero(~bad)
                rows, cols, q, end = rows[keep], cols.take(keep), q[keep], end[keep]
            blocks.append(MessageBlock(mdef, rows, cols, VarColumn(q, end - q, raw)))
        if clock is not None:
            clock.headers += t1 - t0
            clock.grouping += t2 - t1
            clock.decode += time.perf_counter() - t2
        return DecodedChunk(h, blocks, raw_blocks, single)


def _detached(exc: DecodeError) -> DecodeError:
    """The error without its traceback: a remembered shape must not keep the chunk it was seen in alive."""
    return exc.with_traceback(None)


def _decode_one(buf: bytes, off: int, end: int) -> Frame | DecodeError:
    try:
        return decode_frame(buf, off, end)
    except DecodeError as exc:
        return _detached(exc)


def decode_headers(buf: bytes, offsets: np.ndarray, lengths: np.ndarray) -> HeaderColumns:
    """One-shot :meth:`BatchDecoder.headers` (a long-lived decoder reuses what it learnt)."""
    return BatchDecoder().headers(buf, offsets, lengths)


def decode_batch(buf: bytes, offsets: np.ndarray, lengths: np.ndarray) -> DecodedChunk:
    """One-shot :meth:`BatchDecoder.decode`."""
    return BatchDecoder().decode(buf, offsets, lengths)
