"""Column-wise (vectorised) decoders generated from the message declarations.

The same :class:`~plcstack.codec.layout.Layout` declarations that drive the per-frame decoder are
compiled here into *plans* that decode many bodies of one layout at once:

* each run of consecutive fixed fields (integers with their declared byte order, bytes, MACs,
  text) becomes one NumPy structured dtype; the bodies of a group are gathered with one
  fancy-indexing operation on a strided view of the chunk (one memcpy per row), so every fixed
  field of every row is decoded by a single call;
* conditions (``when="{direction} in (1, 2)"``) and counts (``count="({amlen} + 1) // 2"``) are
  compiled from the same expressions into NumPy expressions over earlier columns;
* counted byte strings and ``rest`` fields become (start, length) pairs into the chunk (no copy);
* counted arrays of fixed items are decoded for every item of every row at once; arrays of
  variable items (VS_NW_INFO networks) are decoded item position by item position, still over all
  rows at once.

A row whose body ends inside its layout, or whose condition depends on an absent field, is marked
``bad``: the caller decodes it with the per-frame decoder (which reports what is missing), so the
columns never disagree with :func:`plcstack.codec.decode_frame`.  ``tests/codec/test_batch.py``
checks the two on every real frame and on fuzzed frames.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, REST, TEXT, VARBYTES, Field, Layout

I64 = np.int64
Expr = Callable[[dict[str, "Column"]], tuple[np.ndarray, np.ndarray | None]]


class UnsupportedLayout(ValueError):
    """A declaration this module cannot vectorise (the caller decodes such rows one by one)."""


# ----------------------------------------------------------------------------- columns


@dataclass
class IntColumn:
    values: np.ndarray  # declared width and signedness
    valid: np.ndarray | None = None  # None: present in every row


@dataclass
class FixedColumn:
    data: np.ndarray  # (rows, size) uint8
    valid: np.ndarray | None = None


@dataclass
class VarColumn:
    starts: np.ndarray  # absolute offsets into ``buf``
    lengths: np.ndarray
    buf: np.ndarray  # the chunk, uint8
    valid: np.ndarray | None = None


@dataclass
class ListColumn:
    counts: np.ndarray  # items per row (0 where absent)
    items: RecordColumns  # the items of row 0, then those of row 1, ...
    valid: np.ndarray | None = None


Column = IntColumn | FixedColumn | VarColumn | ListColumn


@dataclass
class RecordColumns:
    """The decoded fields of ``n`` rows of one record, in declaration order."""

    record: Layout
    n: int
    columns: dict[str, Column]

    def take(self, idx: np.ndarray) -> RecordColumns:
        return RecordColumns(self.record, int(idx.size), {k: take(c, idx) for k, c in self.columns.items()})

    def rows(self) -> list[Any]:
        """Every row as the message object the per-frame decoder returns (same class, same values)."""
        per_field = [column_values(c) for c in self.columns.values()]
        new, cls = tuple.__new__, self.record.cls
        if not per_field:
            return [new(cls, ()) for _ in range(self.n)]
        return [new(cls, vals) for vals in zip(*per_field, strict=True)]


def _valid_list(valid: np.ndarray | None, n: int) -> list[bool] | None:
    return None if valid is None else valid.tolist()


def column_values(c: Column) -> list[Any]:
    """Python values of a column, exactly as the per-frame decoder produces them (None = absent)."""
    if isinstance(c, IntColumn):
        out: list[Any] = c.values.tolist()
    elif isinstance(c, FixedColumn):
        size = c.data.shape[1]
        blob = np.ascontiguousarray(c.data).tobytes()
        out = [blob[i:i + size] for i in range(0, len(blob), size)] if size else [b""] * c.data.shape[0]
    elif isinstance(c, VarColumn):
        raw = c.buf
        out = [raw[s:s + n].tobytes() for s, n in zip(c.starts.tolist(), c.lengths.tolist(), strict=True)]
    else:
        items = c.items.rows()
        out, k = [], 0
        for n in c.counts.tolist():
            out.append(items[k:k + n])
            k += n
    valid = _valid_list(c.valid, len(out))
    if valid is not None:
        out = [v if ok else None for v, ok in zip(out, valid, strict=True)]
    return out


def _take_valid(valid: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
    return None if valid is None else valid[idx]


def take(c: Column, idx: np.ndarray) -> Column:
    """Rows ``idx`` of a column (any order, repeats allowed)."""
    if isinstance(c, IntColumn):
        return IntColumn(c.values[idx], _take_valid(c.valid, idx))
    if isinstance(c, FixedColumn):
        return FixedColumn(c.data[idx], _take_valid(c.valid, idx))
    if isinstance(c, VarColumn):
        return VarColumn(c.starts[idx], c.lengths[idx], c.buf, _take_valid(c.valid, idx))
    first = np.concatenate(([0], np.cumsum(c.counts)))[:-1]
    counts = c.counts[idx]
    return ListColumn(counts, c.items.take(ragged_index(first[idx], counts)), _take_valid(c.valid, idx))


def ragged_index(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every (s, n): the flat index of ragged runs."""
    counts = counts.astype(I64, copy=False)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=I64)
    run_start = np.cumsum(counts) - counts
    return np.repeat(starts.astype(I64, copy=False) - run_start, counts) + np.arange(total, dtype=I64)


def concat(cols: Sequence[Column]) -> Column:
    """Rows of several columns of the same field, one after the other."""
    c0 = cols[0]

    def valid() -> np.ndarray | None:
        if all(c.valid is None for c in cols):
            return None
        return np.concatenate([c.valid if c.valid is not None else np.ones(_rows(c), bool) for c in cols])

    if isinstance(c0, IntColumn):
        return IntColumn(np.concatenate([c.values for c in cols]), valid())  # type: ignore[union-attr]
    if isinstance(c0, FixedColumn):
        return FixedColumn(np.concatenate([c.data for c in cols]), valid())  # type: ignore[union-attr]
    if isinstance(c0, VarColumn):
        return VarColumn(np.concatenate([c.starts for c in cols]),  # type: ignore[union-attr]
                         np.concatenate([c.lengths for c in cols]), c0.buf, valid())  # type: ignore[union-attr]
    lists: list[ListColumn] = list(cols)  # type: ignore[arg-type]
    return ListColumn(np.concatenate([c.counts for c in lists]), concat_records([c.items for c in lists]), valid())


def concat_records(parts: Sequence[RecordColumns]) -> RecordColumns:
    rec = parts[0].record
    n = sum(p.n for p in parts)
    return RecordColumns(rec, n, {f.name: concat([p.columns[f.name] for p in parts]) for f in rec.fields})


def _rows(c: Column) -> int:
    if isinstance(c, IntColumn):
        return int(c.values.shape[0])
    if isinstance(c, FixedColumn):
        return int(c.data.shape[0])
    if isinstance(c, VarColumn):
        return int(c.starts.shape[0])
    return int(c.counts.shape[0])


# ----------------------------------------------------------------------------- expressions


_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
    ast.Gt: np.greater, ast.GtE: np.greater_equal,
}
_BIN: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.FloorDiv: np.floor_divide,
    ast.Mod: np.mod, ast.BitAnd: np.bitwise_and, ast.BitOr: np.bitwise_or, ast.BitXor: np.bitwise_xor,
    ast.LShift: np.left_shift, ast.RShift: np.right_shift,
}


def _and(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def compile_expr(expr: str, fields: dict[str, Field]) -> Expr:
    """Compile a declaration expression over earlier fields into a column function.

    The function returns (int64 values, rows where every referenced value was present or None).
    Only integer fields (and ``len()`` of byte strings / arrays) narrower than 64 bits may be used,
    so int64 arithmetic equals Python's.
    """
    src = expr.replace("{", "").replace("}", "")
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError as exc:
        raise UnsupportedLayout(f"cannot parse {expr!r}") from exc

    def build(node: ast.AST) -> Callable[[dict[str, Column]], tuple[Any, np.ndarray | None]]:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            v = node.value
            return lambda cols: (v, None)
        if isinstance(node, ast.Name):
            f = fields.get(node.id)
            if f is None or f.kind != INT or f.size >= 8:
                raise UnsupportedLayout(f"{expr!r}: {node.id} is not an integer field narrower than 64 bits")
            name = node.id

            def name_value(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                c = cols[name]
                assert isinstance(c, IntColumn)
                return c.values.astype(I64), c.valid
            return name_value
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name)):
            ref = node.args[0].id
            if ref not in fields or fields[ref].kind not in (VARBYTES, REST, ARRAY, BYTES, MAC, TEXT):
                raise UnsupportedLayout(f"{expr!r}: len() of {ref}")

            def length(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                c = cols[ref]
                if isinstance(c, VarColumn):
                    return c.lengths.astype(I64), c.valid
                if isinstance(c, ListColumn):
                    return c.counts.astype(I64), c.valid
                assert isinstance(c, FixedColumn)
                return np.full(c.data.shape[0], c.data.shape[1], I64), c.valid
            return length
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            op, a, b = _BIN[type(node.op)], build(node.left), build(node.right)

            def binop(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                (x, vx), (y, vy) = a(cols), b(cols)
                if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and np.any(np.asarray(y) == 0):
                    raise UnsupportedLayout(f"{expr!r}: division by zero")
                return op(x, y), _and(vx, vy)
            return binop
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            inner = build(node.operand)
            neg = isinstance(node.op, ast.USub)

            def unary(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                x, v = inner(cols)
                return (np.negative(x) if neg else np.logical_not(x)), v
            return unary
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            is_and = isinstance(node.op, ast.And)

            def boolop(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                acc, valid = None, None
                for part in parts:
                    x, v = part(cols)
                    x = np.asarray(x).astype(bool)
                    acc = x if acc is None else (acc & x if is_and else acc | x)
                    valid = _and(valid, v)
                return acc, valid
            return boolop
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, cmp_op, right = build(node.left), node.ops[0], node.comparators[0]
            if isinstance(cmp_op, (ast.In, ast.NotIn)):
                if not (isinstance(right, (ast.Tuple, ast.List, ast.Set))
                        and all(isinstance(e, ast.Constant) and type(e.value) is int for e in right.elts)):
                    raise UnsupportedLayout(f"{expr!r}: 'in' needs a literal tuple of integers")
                choices = np.array([e.value for e in right.elts], dtype=I64)  # type: ignore[attr-defined]
                invert = isinstance(cmp_op, ast.NotIn)

                def member(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                    x, v = left(cols)
                    return np.isin(x, choices, invert=invert), v
                return member
            if type(cmp_op) in _CMP:
                cmp, rhs = _CMP[type(cmp_op)], build(right)

                def compare(cols: dict[str, Column]) -> tuple[Any, np.ndarray | None]:
                    (x, vx), (y, vy) = left(cols), rhs(cols)
                    return cmp(x, y), _and(vx, vy)
                return compare
        raise UnsupportedLayout(f"{expr!r}: unsupported expression {ast.dump(node)}")

    fn = build(tree)

    def evaluate(cols: dict[str, Column]) -> tuple[np.ndarray, np.ndarray | None]:
        value, valid = fn(cols)
        return np.asarray(value, dtype=I64), valid
    return evaluate


# ----------------------------------------------------------------------------- plans


def _numpy_format(f: Field) -> Any:
    if f.kind == INT:
        code = f.fmt.lstrip("<>!=")
        order = ">" if f.fmt.startswith((">", "!")) else "<"
        dt = np.dtype(order + code)
        if dt.kind not in "iu" or dt.itemsize != struct.calcsize("<" + code):
            raise UnsupportedLayout(f"{f.name}: struct code {f.fmt!r}")
        return dt
    return np.dtype((np.uint8, (f.size,)))


@dataclass
class _Fixed:
    fields: tuple[Field, ...]
    dtype: np.dtype[Any]
    size: int
    when: Expr | None


@dataclass
class _Var:
    field: Field
    count: Expr | None  # None for REST
    when: Expr | None


@dataclass
class _Array:
    field: Field
    count: Expr
    item: RecordPlan
    when: Expr | None


Step = _Fixed | _Var | _Array


@dataclass
class RecordPlan:
    record: Layout
    steps: list[Step]
    fixed_size: int | None  # every row the same size (a plain fixed struct)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.record.fields]


_PLANS: dict[int, RecordPlan] = {}


def plan_of(record: Layout) -> RecordPlan:
    """The (cached) column plan of a declared record; raises :class:`UnsupportedLayout`."""
    plan = _PLANS.get(id(record))
    if plan is None or plan.record is not record:
        plan = _compile(record)
        _PLANS[id(record)] = plan
    return plan


def _compile(record: Layout) -> RecordPlan:
    known: dict[str, Field] = {}
    steps: list[Step] = []
    conds: dict[str, Expr] = {}

    def cond(f: Field) -> Expr | None:
        if f.when is None:
            return None
        if f.when not in conds:
            conds[f.when] = compile_expr(f.when, known)
        return conds[f.when]

    for f in record.fields:
        if f.kind in (INT, BYTES, MAC, TEXT):
            last = steps[-1] if steps else None
            if isinstance(last, _Fixed) and last.fields[-1].when == f.when:
                steps[-1] = _Fixed((*last.fields, f), np.dtype(np.uint8), 0, last.when)
            else:
                steps.append(_Fixed((f,), np.dtype(np.uint8), 0, cond(f)))
        elif f.kind == VARBYTES:
            steps.append(_Var(f, compile_expr(f.count or "0", known), cond(f)))
        elif f.kind == REST:
            steps.append(_Var(f, None, cond(f)))
        elif f.kind == ARRAY:
            if f.item is None:
                raise UnsupportedLayout(f"{f.name}: array without item record")
            steps.append(_Array(f, compile_expr(f.count or "0", known), plan_of(f.item), cond(f)))
        else:
            raise UnsupportedLayout(f"{f.name}: unknown kind {f.kind!r}")
        known[f.name] = f
    for i, step in enumerate(steps):
        if isinstance(step, _Fixed):
            formats = [_numpy_format(f) for f in step.fields]
            dt = np.dtype({"names": [f.name for f in step.fields], "formats": formats})
            steps[i] = _Fixed(step.fields, dt, dt.itemsize, step.when)
    fixed = None
    if all(isinstance(s, _Fixed) and s.when is None for s in steps):
        fixed = sum(s.size for s in steps if isinstance(s, _Fixed))
    return RecordPlan(record, steps, fixed)


# ----------------------------------------------------------------------------- decoding


def byte_windows(raw: np.ndarray, size: int) -> np.ndarray:
    """Element i is the ``size`` bytes starting at byte i of ``raw`` (dtype ``V<size>``, no copy).

    Indexing it with row offsets gathers one ``size``-byte record per row (a memcpy each); the
    result is then viewed as a structured dtype of that size.
    """
    count = raw.size - size + 1
    if count <= 0 or size == 0:
        return np.zeros(0, dtype=f"V{max(size, 1)}")
    return np.ndarray(shape=(count,), dtype=f"V{size}", buffer=raw, offset=0, strides=(1,))


def _masked(mask: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n, dtype=bool) if mask is None else mask


def decode_rows(plan: RecordPlan, raw: np.ndarray, p: np.ndarray, end: np.ndarray
                ) -> tuple[RecordColumns, np.ndarray, np.ndarray]:
    """Decode ``plan`` for every row: the body of row i starts at ``p[i]`` and the frame ends at ``end[i]``.

    Returns (columns, end of layout per row, bad rows).  Values in bad rows are meaningless; decode
    those rows one by one.
    """
    n = p.size
    p = p.astype(I64, copy=True)
    bad = np.zeros(n, dtype=bool)
    cols: dict[str, Column] = {}
    for step in plan.steps:
        active: np.ndarray | None = None
        if step.when is not None:
            present, valid = step.when(cols)
            active = present.astype(bool)
            if valid is not None:
                bad |= ~valid
                active &= valid
        if isinstance(step, _Fixed):
            _decode_fixed(step, raw, p, end, active, bad, cols)
        elif isinstance(step, _Var):
            _decode_var(step, raw, p, end, active, bad, cols)
        else:
            _decode_array(step, raw, p, end, active, bad, cols)
    return RecordColumns(plan.record, n, cols), p, bad


def _decode_fixed(step: _Fixed, raw: np.ndarray, p: np.ndarray, end: np.ndarray, active: np.ndarray | None,
                  bad: np.ndarray, cols: dict[str, Column]) -> None:
    size = step.size
    short = p + size > end
    if active is not None:
        short &= active
    bad |= short
    ok = ~short if active is None else active & ~short
    at = np.where(ok, p, 0)
    if size == 0 or raw.size < size:
        rows = np.zeros(p.size, dtype=step.dtype)
    else:
        rows = byte_windows(raw, size)[at].view(step.dtype)
    valid = active
    for f in step.fields:
        v = rows[f.name]
        if f.kind == INT:
            cols[f.name] = IntColumn(v, valid)
        else:
            cols[f.name] = FixedColumn(v, valid)
    p += np.where(ok, size, 0)


def _decode_var(step: _Var, raw: np.ndarray, p: np.ndarray, end: np.ndarray, active: np.ndarray | None,
                bad: np.ndarray, cols: dict[str, Column]) -> None:
    if step.count is None:  # REST: every remaining byte
        length = np.maximum(end - p, 0)
    else:
        length, valid = step.count(cols)
        if valid is not None:
            bad |= ~valid & _masked(active, p.size)
        short = (length < 0) | (p + length > end)
        if active is not None:
            short &= active
        bad |= short
        length = np.where(short, 0, length)
    if active is not None:
        length = np.where(active, length, 0)
    cols[step.field.name] = VarColumn(p.copy(), length, raw, active)
    p += length


def _decode_array(step: _Array, raw: np.ndarray, p: np.ndarray, end: np.ndarray, active: np.ndarray | None,
                  bad: np.ndarray, cols: dict[str, Column]) -> None:
    count, valid = step.count(cols)
    on = _masked(active, p.size)
    if valid is not None:
        bad |= ~valid & on
    bad |= on & (count < 0)
    count = np.where(on & (count > 0) & ~bad, count, 0)
    item = step.item
    if item.fixed_size is not None:
        size = item.fixed_size
        short = p + count * size > end
        bad |= short
        count = np.where(short, 0, count)
        starts = np.repeat(p, count) + size * (np.arange(int(count.sum()), dtype=I64)
                                               - np.repeat(np.cumsum(count) - count, count))
        items, _q, item_bad = decode_rows(item, raw, starts, np.repeat(end, count))
        if item_bad.any():  # cannot happen for fixed items inside the checked span
            bad[np.repeat(np.arange(p.size), count)[item_bad]] = True
        p += count * size
    else:
        items, count = _decode_variable_items(item, raw, p, end, count, bad)
    cols[step.field.name] = ListColumn(count, items, active)


def _decode_variable_items(item: RecordPlan, raw: np.ndarray, p: np.ndarray, end: np.ndarray,
                           count: np.ndarray, bad: np.ndarray) -> tuple[RecordColumns, np.ndarray]:
    """Items of variable size: position j of every row at once, for j = 0, 1, ..."""
    parts: list[RecordColumns] = []
    owners: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    j = 0
    while True:
        rows = np.flatnonzero((count > j) & ~bad)
        if rows.size == 0:
            break
        cols, q, item_bad = decode_rows(item, raw, p[rows], end[rows])
        bad[rows[item_bad]] = True
        p[rows] = q
        parts.append(cols)
        owners.append(rows)
        ranks.append(np.full(rows.size, j, dtype=I64))
        j += 1
    count = np.where(bad, 0, count)
    if not parts:
        empty = decode_rows(item, raw, np.zeros(0, I64), np.zeros(0, I64))[0]
        return empty, count
    flat = concat_records(parts)
    owner = np.concatenate(owners)
    keep = ~bad[owner]
    order = np.lexsort((np.concatenate(ranks)[keep], owner[keep]))
    return flat.take(np.flatnonzero(keep)[order]), count
