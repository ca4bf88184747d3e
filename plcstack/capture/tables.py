"""Arrow tables of decoded capture chunks: one ``frames`` table and one table per message layout.

``frames``: one row per HomePlug frame (AV and 1.0): ``frame`` (1-based number in the file),
``time_ns``, ``length``, ``src``, ``dst`` (``aa:bb:cc:dd:ee:ff``), ``vlan``, ``mmv``, ``mmtype``,
``name``, ``oui`` (hex), ``fmi``, ``error`` (text, null when the frame decoded).

``<NAME>`` (e.g. ``CM_SLAC_PARM.REQ``; a second layout of the same name adds its class suffix,
``VS_NW_INFO.CNF_V0``): ``frame``, then every declared field -- integers with their declared
width, byte strings as binary, MACs and text as strings, arrays as lists of structs -- then ``trailing`` (bytes after the layout) and
``truncated`` (what is missing when the frame ends inside its layout).  Absent conditional
fields are null.  ``<NAME>.raw``: frames of types without a declared layout (``frame``,
``body``).  A reassembled message is a row of its table, numbered by its last fragment.

The schemas come from the declarations (:func:`message_schema`), so every chunk of every capture
gives the same columns.  pyarrow is an optional dependency (``pip install 'plcstack[arrow]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from plcstack.capture.chunks import ChunkResult, counted_as
from plcstack.codec.batch import OK
from plcstack.codec.columnar import (
    Column,
    FixedColumn,
    IntColumn,
    RecordColumns,
    VarColumn,
    byte_windows,
    ragged_index,
)
from plcstack.codec.errors import DecodeError
from plcstack.codec.frame import Frame, RawMessage
from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, REST, TEXT, VARBYTES, Field, Layout, text_value
from plcstack.codec.mac import format_mac
from plcstack.codec.registry import MessageDef, definition_of

if TYPE_CHECKING:
    import pyarrow as pa

EXTRA = "arrow"
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


class MissingExtra(ImportError):
    """pyarrow (or pandas) is not installed."""


def require_pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise MissingExtra(f"columnar export needs pyarrow: pip install 'plcstack[{EXTRA}]'") from exc
    return pyarrow


# ----------------------------------------------------------------------------- schemas


def table_name(mdef: MessageDef) -> str:
    """``CM_SLAC_PARM.REQ``; a layout whose class is not named after the message adds its suffix."""
    base = mdef.name.replace(".", "_")
    cls = mdef.layout.name
    return mdef.name + cls[len(base):] if cls.startswith(base) and cls != base else mdef.name


def field_type(f: Field) -> pa.DataType:
    pa = require_pyarrow()
    if f.kind == INT:
        return pa.from_numpy_dtype(np.dtype("<" + f.fmt.lstrip("<>!=")).newbyteorder("="))
    if f.kind in (MAC, TEXT):
        return pa.string()
    if f.kind in (BYTES, VARBYTES, REST):  # variable width: a frame cut inside a field keeps what is there
        return pa.binary()
    if f.kind == ARRAY:
        assert f.item is not None
        return pa.list_(pa.struct([pa.field(g.name, field_type(g)) for g in f.item.fields]))
    raise TypeError(f"{f.name}: kind {f.kind!r}")


_SCHEMAS: dict[int, tuple[Layout, Any]] = {}


def message_schema(record: Layout) -> pa.Schema:
    """``frame``, every declared field, ``trailing``, ``truncated`` (cached per layout)."""
    hit = _SCHEMAS.get(id(record))
    if hit is not None and hit[0] is record:
        return hit[1]
    schema = _message_schema(record)
    _SCHEMAS[id(record)] = (record, schema)
    return schema


def _message_schema(record: Layout) -> pa.Schema:
    pa = require_pyarrow()
    reserved = {"frame", "trailing", "truncated"} & {f.name for f in record.fields}
    if reserved:
        raise ValueError(f"{record.name}: field names {sorted(reserved)} clash with table columns")
    return pa.schema([pa.field("frame", pa.int64(), nullable=False),
                      *[pa.field(f.name, field_type(f)) for f in record.fields],
                      pa.field("trailing", pa.binary()), pa.field("truncated", pa.string())])


def raw_schema() -> pa.Schema:
    pa = require_pyarrow()
    return pa.schema([pa.field("frame", pa.int64(), nullable=False), pa.field("body", pa.binary())])


def frames_schema() -> pa.Schema:
    pa = require_pyarrow()
    names = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([
        pa.field("frame", pa.int64(), nullable=False), pa.field("time_ns", pa.int64()),
        pa.field("length", pa.int32()), pa.field("src", pa.string()), pa.field("dst", pa.string()),
        pa.field("vlan", pa.int32()), pa.field("mmv", pa.uint8()), pa.field("mmtype", pa.uint16()),
        pa.field("name", names), pa.field("oui", pa.string()), pa.field("fmi", pa.uint16()),
        pa.field("error", names),
    ])


# ----------------------------------------------------------------------------- columns -> arrow


# Arrays are built from buffers: ``pa.array`` imports pandas on its first call (half a second).


def _bitmap(valid: np.ndarray | None) -> tuple[Any, int]:
    if valid is None or valid.all():
        return None, 0
    pa = require_pyarrow()
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int((~valid).sum())


def ints(values: np.ndarray, typ: Any, valid: np.ndarray | None = None) -> pa.Array:
    """A NumPy integer (or bool) column as an Arrow array of ``typ``, null where ``valid`` is False."""
    pa = require_pyarrow()
    if pa.types.is_boolean(typ):
        data = pa.py_buffer(np.packbits(np.asarray(values, dtype=bool), bitorder="little"))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values, dtype=np.dtype(typ.to_pandas_dtype()).newbyteorder("=")))
    bitmap, nulls = _bitmap(valid)
    return pa.Array.from_buffers(typ, len(values), [bitmap, data], nulls)


def strings(values: Sequence[str | bytes | None], typ: Any = None) -> pa.Array:
    """Python strings (or byte strings for a binary ``typ``) as an Arrow array, None as null."""
    pa = require_pyarrow()
    typ = typ or pa.string()
    raw = [v.encode() if isinstance(v, str) else b"" if v is None else bytes(v) for v in values]
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in raw], out=offsets[1:])
    valid = np.array([v is not None for v in values], dtype=bool)
    bitmap, nulls = _bitmap(valid)
    if offsets[-1] >= 1 << 31:
        typ = pa.large_string() if typ == pa.string() else pa.large_binary()
    else:
        offsets = offsets.astype(np.int32)
    return pa.Array.from_buffers(typ, len(raw), [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(raw))], nulls)


def mac_strings(data: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """(n, 6) uint8 -> ``aa:bb:cc:dd:ee:ff`` strings, vectorised."""
    pa = require_pyarrow()
    n = data.shape[0]
    out = np.full((n, 17), ord(":"), dtype=np.uint8)
    out[:, 0::3] = _HEX[data >> 4]
    out[:, 1::3] = _HEX[data & 15]
    offsets = np.arange(0, 17 * (n + 1), 17, dtype=np.int32)
    bitmap, nulls = _bitmap(valid)
    return pa.Array.from_buffers(pa.string(), n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(out)], nulls)


def _binary(starts: np.ndarray, lengths: np.ndarray, raw: np.ndarray, valid: np.ndarray | None,
            typ: Any = None) -> pa.Array:
    """Byte strings ``raw[starts[i]:starts[i] + lengths[i]]`` as one Arrow binary (or string) array."""
    pa = require_pyarrow()
    lengths = np.where(valid, lengths, 0) if valid is not None else lengths
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    n, total = len(starts), int(offsets[-1])
    if total == 0:
        data: Any = b""
    elif total > 32 * n:  # long values (tone maps, firmware blocks)
        widest = int(lengths.max())
        if widest * n > 2 * total or int((starts + widest).max()) > raw.size:
            return _views(starts, lengths, raw, valid, typ or pa.binary())  # Arrow copies from views of the chunk
        rows = byte_windows(raw, widest)[starts].view(np.uint8).reshape(n, widest)  # one memcpy per value
        data = rows if (lengths == widest).all() else rows[np.arange(widest)[None, :] < lengths[:, None]]
    else:  # short values: one vectorised gather of every byte
        data = raw[ragged_index(starts, lengths)]
    bitmap, nulls = _bitmap(valid)
    if total < 1 << 31:
        return pa.Array.from_buffers(typ or pa.binary(), n, [bitmap, pa.py_buffer(offsets.astype(np.int32)),
                                                             pa.py_buffer(data)], nulls)
    large = pa.large_string() if typ == pa.string() else pa.large_binary()
    return pa.Array.from_buffers(large, n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)], nulls)


def _views(starts: np.ndarray, lengths: np.ndarray, raw: np.ndarray, valid: np.ndarray | None, typ: Any
           ) -> pa.Array:
    """A binary-view array pointing into the chunk (no copy), cast to ``typ`` by Arrow (one memcpy per value)."""
    pa = require_pyarrow()
    n = len(starts)
    views = np.zeros((n, 16), dtype=np.uint8)
    words = views.view(np.int32)
    words[:, 0] = lengths
    at = np.clip(starts, 0, max(raw.size - 12, 0))
    window = byte_windows(raw, 12)[at].view(np.uint8).reshape(n, 12) if raw.size >= 12 else np.zeros((n, 12), np.uint8)
    short = lengths <= 12
    keep = np.arange(12)[None, :] < lengths[:, None]
    views[:, 4:16] = np.where(short[:, None] & keep, window, 0)  # values of up to 12 bytes are inline
    long_ = np.flatnonzero(~short)
    views[long_, 4:8] = window[long_, 0:4]  # prefix, buffer 0, offset
    words[long_, 2] = 0
    words[long_, 3] = starts[long_]
    bitmap, nulls = _bitmap(valid)
    view_type = pa.string_view() if typ == pa.string() else pa.binary_view()
    arr = pa.Array.from_buffers(view_type, n, [bitmap, pa.py_buffer(views), pa.py_buffer(raw)], nulls)
    return arr.cast(typ)


def _text(data: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """NUL-padded text -> strings (as the JSON output shows them: up to the first NUL, latin-1)."""
    pa = require_pyarrow()
    n, size = data.shape
    nul = data == 0
    lengths = np.where(nul.any(axis=1), nul.argmax(axis=1), size).astype(np.int64)
    if data.size and data.max() >= 0x80:  # latin-1 beyond ASCII: re-encode row by row
        rows = [bytes(r[:k]).decode("latin-1") for r, k in zip(data, lengths.tolist(), strict=True)]
        return strings(rows if valid is None else [r if ok else None for r, ok in zip(rows, valid, strict=True)])
    flat = np.ascontiguousarray(data).reshape(-1)
    return _binary(np.arange(n, dtype=np.int64) * size, lengths, flat, valid, pa.string())


def column_to_arrow(f: Field, c: Column) -> pa.Array:
    pa = require_pyarrow()
    typ = field_type(f)
    if isinstance(c, IntColumn):
        return ints(c.values, typ, c.valid)
    if isinstance(c, FixedColumn):
        data = np.ascontiguousarray(c.data)
        if f.kind == MAC:
            return mac_strings(data, c.valid)
        if f.kind == TEXT:
            return _text(data, c.valid)
        n, size = data.shape
        return _binary(np.arange(n, dtype=np.int64) * size, np.full(n, size, np.int64), data.reshape(-1), c.valid)
    if isinstance(c, VarColumn):
        return _binary(c.starts, c.lengths, c.buf, c.valid)
    assert f.item is not None
    counts = np.where(c.valid, c.counts, 0) if c.valid is not None else c.counts
    offsets = ints(np.concatenate(([0], np.cumsum(counts))), pa.int32())
    items = record_arrays(f.item, c.items)
    child = pa.StructArray.from_arrays(items, fields=list(typ.value_type))
    mask = None if c.valid is None else ints(~c.valid, pa.bool_())
    return pa.ListArray.from_arrays(offsets, child, type=typ, mask=mask)


def record_arrays(record: Layout, cols: RecordColumns) -> list[pa.Array]:
    return [column_to_arrow(f, cols.columns[f.name]) for f in record.fields]


# ----------------------------------------------------------------------------- python values -> arrow


def _py(f: Field, v: Any) -> Any:
    """A decoded value as the tables show it (what ``to_pylist`` gives back)."""
    if v is None:
        return None
    if f.kind == MAC:
        return format_mac(v)
    if f.kind == TEXT:
        return text_value(v)
    if f.kind == ARRAY:
        assert f.item is not None
        return [{g.name: _py(g, x) for g, x in zip(f.item.fields, item, strict=True)} for item in v]
    return v


def values_to_arrow(f: Field, values: Sequence[Any]) -> pa.Array:
    """Python values of one field (None: absent) as an Arrow array of the field's type."""
    pa = require_pyarrow()
    typ = field_type(f)
    if f.kind == INT:
        valid = np.array([v is not None for v in values], dtype=bool)
        return ints(np.array([0 if v is None else v for v in values], dtype=np.uint64), typ, valid)
    if f.kind == ARRAY:
        assert f.item is not None
        counts = np.array([0 if v is None else len(v) for v in values], dtype=np.int64)
        items = [it for v in values if v is not None for it in v]
        child = pa.StructArray.from_arrays([values_to_arrow(g, [it[k] for it in items])
                                            for k, g in enumerate(f.item.fields)], fields=list(typ.value_type))
        valid = np.array([v is not None for v in values], dtype=bool)
        return pa.ListArray.from_arrays(ints(np.concatenate(([0], np.cumsum(counts))), pa.int32()), child, type=typ,
                                        mask=None if valid.all() else ints(~valid, pa.bool_()))
    if f.kind in (MAC, TEXT):
        return strings([_py(f, v) for v in values])
    return strings(values, typ)


def message_rows_table(mdef: MessageDef, rows: Sequence[tuple[int, Frame]]) -> pa.Table:
    """Rows decoded one by one (truncated bodies, reassembled messages) in the layout's schema."""
    pa = require_pyarrow()
    arrays = [ints(np.array([n for n, _ in rows], dtype=np.int64), pa.int64())]
    arrays += [values_to_arrow(f, [fr.message[k] for _, fr in rows]) for k, f in enumerate(mdef.fields)]
    arrays += [strings([fr.trailing for _, fr in rows], pa.binary()), strings([fr.truncated for _, fr in rows])]
    return pa.Table.from_arrays(arrays, schema=message_schema(mdef.layout))


# ----------------------------------------------------------------------------- chunk -> tables


def _dictionary(index: np.ndarray, words: list[str | None]) -> pa.Array:
    """Per-row index into ``words`` (-1 or a None word: null) as a dictionary array."""
    pa = require_pyarrow()
    uniq = {w: i for i, w in enumerate(dict.fromkeys(w for w in words if w is not None))}
    remap = np.array([uniq[w] if w is not None else -1 for w in words] + [-1], dtype=np.int32)
    idx = remap[index]
    return pa.DictionaryArray.from_arrays(ints(idx, pa.int32(), idx >= 0), strings(list(uniq)))


def frames_table(result: ChunkResult) -> pa.Table:
    pa = require_pyarrow()
    chunk, h = result.records, result.headers
    rows = result.homeplug
    n = rows.size
    shape = h.shape[rows]
    words: list[str | None] = []
    errors: list[str | None] = []
    for s in h.shapes:
        problem = s.error if s.status != OK else s.frame_error
        words.append(None if problem is not None else s.name)
        errors.append(None if problem is None else str(problem))
    name_idx = shape.copy()
    err_idx = shape.copy()
    mmv, mmtype, vlan = h.mmv[rows].copy(), h.mmtype[rows].copy(), h.vlan[rows].copy()
    extra: dict[int, tuple[str | None, str | None]] = {}
    for row, hp in result.hp10.items():
        extra[row] = (None, str(hp)) if isinstance(hp, DecodeError) else (hp.name, None)
        if not isinstance(hp, DecodeError) and hp.vlan is not None:
            vlan[int(np.searchsorted(rows, row))] = hp.vlan
    for row in h.single:
        i = int(np.searchsorted(rows, row))
        if i >= n or rows[i] != row:  # not a HomePlug frame
            continue
        one = result.decoded.single.get(row) or h.single[row]
        key = counted_as(result, row)  # the name, "(fragment)" or "(decode error)", as the statistics count it
        extra[row] = (None, str(one)) if key == "(decode error)" else (None if key.startswith("(") else key, None)
    for row, (word, err) in extra.items():
        i = int(np.searchsorted(rows, row))
        name_idx[i] = len(words)
        words.append(word)
        err_idx[i] = len(errors)
        errors.append(err)
    oui = h.oui[rows]
    uniq = np.unique(oui[oui >= 0])
    oui_words = [f"{int(v):06x}" for v in uniq.tolist()]
    oui_idx = np.where(oui >= 0, np.searchsorted(uniq, oui), -1)
    fmi = h.fmi[rows]
    cols = [
        ints(chunk.index[rows], pa.int64()), ints(chunk.time_ns[rows], pa.int64()), ints(chunk.length[rows], pa.int32()),
        mac_strings(np.ascontiguousarray(h.src[rows])), mac_strings(np.ascontiguousarray(h.dst[rows])),
        ints(vlan, pa.int32(), vlan >= 0), ints(mmv, pa.uint8(), mmv >= 0), ints(mmtype, pa.uint16(), mmtype >= 0),
        _dictionary(name_idx, words),
        strings(oui_words).take(ints(oui_idx, pa.int32(), oui_idx >= 0)) if n else strings([]),
        ints(fmi, pa.uint16(), fmi >= 0), _dictionary(err_idx, errors),
    ]
    return pa.Table.from_arrays(cols, schema=frames_schema())


def message_tables(result: ChunkResult) -> dict[str, pa.Table]:
    """One table per layout (and per undeclared type) for the frames of a chunk, rows by frame number."""
    pa = require_pyarrow()
    chunk = result.records
    out: dict[str, list[Any]] = {}
    singles: dict[str, tuple[MessageDef, list[tuple[int, Frame]]]] = {}
    raw_rows: dict[str, list[tuple[int, bytes]]] = {}
    for block in result.decoded.blocks:
        schema = message_schema(block.mdef.layout)
        arrays = [ints(chunk.index[block.rows], pa.int64()), *record_arrays(block.mdef.layout, block.columns),
                  _binary(block.trailing.starts, block.trailing.lengths, block.trailing.buf, None),
                  pa.nulls(block.rows.size, pa.string())]
        out.setdefault(table_name(block.mdef), []).append(pa.Table.from_arrays(arrays, schema=schema))
    for raw in result.decoded.raw:
        body = _binary(raw.body.starts, raw.body.lengths, raw.body.buf, None)
        out.setdefault(raw.name + ".raw", []).append(
            pa.Table.from_arrays([ints(chunk.index[raw.rows], pa.int64()), body], schema=raw_schema()))
    pending = [(row, one) for row, one in result.decoded.single.items()
               if isinstance(one, Frame) and row not in result.fragments]
    pending += list(result.reassembled.items())
    for row, frame in pending:
        number = int(chunk.index[row])
        if type(frame.message) is RawMessage:
            raw_rows.setdefault(frame.name + ".raw", []).append((number, frame.message.body))
            continue
        mdef = definition_of(frame.message)
        singles.setdefault(table_name(mdef), (mdef, []))[1].append((number, frame))
    for name, (mdef, rows) in singles.items():
        out.setdefault(name, []).append(message_rows_table(mdef, rows))
    for name, bodies in raw_rows.items():
        out.setdefault(name, []).append(pa.Table.from_arrays(
            [ints(np.array([b[0] for b in bodies], dtype=np.int64), pa.int64()), strings([b[1] for b in bodies], pa.binary())],
            schema=raw_schema()))
    tables: dict[str, Any] = {}
    for name, parts in out.items():
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        tables[name] = table.sort_by("frame") if len(parts) > 1 else table
    return tables


def chunk_tables(result: ChunkResult) -> dict[str, pa.Table]:
    """``frames`` plus one table per message layout, for one decoded chunk."""
    return {"frames": frames_table(result), **message_tables(result)}
