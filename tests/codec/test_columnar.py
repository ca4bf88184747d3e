"""Column plans generated from the declarations: every layout vectorises, expressions mean what they say."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.codec.columnar import (
    FixedColumn,
    IntColumn,
    ListColumn,
    UnsupportedLayout,
    VarColumn,
    column_values,
    compile_expr,
    concat,
    decode_rows,
    plan_of,
    ragged_index,
    take,
)
from plcstack.codec.layout import ARRAY, Field, Layout, _eval, array, compile_layout, u8, u16, u64, varbytes
from plcstack.codec.registry import MessageDef, all_definitions


def _records(rec: Layout) -> list[Layout]:
    out = [rec]
    for f in rec.fields:
        if f.kind == ARRAY and f.item is not None:
            out += _records(f.item)
    return out


@pytest.mark.parametrize("mdef", all_definitions(), ids=lambda d: d.layout.name)
def test_every_declared_layout_has_a_column_plan(mdef: MessageDef):
    plan = plan_of(mdef.layout)
    assert plan.field_names == [f.name for f in mdef.fields]
    assert plan_of(mdef.layout) is plan  # cached
    for rec in _records(mdef.layout):
        p = plan_of(rec)
        if rec.fixed_size is not None:
            assert p.fixed_size == rec.fixed_size


def _expressions() -> list[tuple[str, dict[str, Field]]]:
    out = []
    for mdef in all_definitions():
        for rec in _records(mdef.layout):
            known: dict[str, Field] = {}
            for f in rec.fields:
                for expr in (f.when, f.count):
                    if expr:
                        out.append((expr, dict(known)))
                known[f.name] = f
    return out


EXPRS = _expressions()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(EXPRS), st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=8), st.data())
def test_declared_expressions_match_python(case, seeds, data):
    expr, known = case
    fn = compile_expr(expr, known)
    names = [n for n, f in known.items() if f.kind == "int"]
    rows = [{n: data.draw(st.integers(0, (1 << (8 * known[n].size)) - 1)) for n in names} for _ in seeds]
    cols = {n: IntColumn(np.array([r[n] for r in rows], dtype=np.uint64 if known[n].size == 8 else np.int64))
            for n in names}
    values, valid = fn(cols)
    assert valid is None
    assert values.tolist() == [int(_eval(expr, r)) for r in rows]


def test_expressions_mark_absent_references_and_reject_what_they_cannot_do():
    fields = {"a": u8("a"), "b": u16("b"), "big": u64("big")}
    fn = compile_expr("{a} in (1, 2) and {b} > 3", fields)
    values, valid = fn({"a": IntColumn(np.array([1, 2, 0])), "b": IntColumn(np.array([4, 1, 9]),
                                                                          np.array([True, True, False]))})
    assert values.tolist() == [1, 0, 0] and valid is not None and valid.tolist() == [True, True, False]
    assert compile_expr("({b} + 1) // 2", fields)({"b": IntColumn(np.array([65535], np.uint16))})[0].tolist() \
        == [32768]  # int64 arithmetic, no uint16 overflow
    for bad in ("{big} + 1", "{missing}", "{a}.bit_length()", "{a} in range(3)", "{a} +"):
        with pytest.raises(UnsupportedLayout):
            compile_expr(bad, fields)


def test_decode_rows_flags_short_rows_and_keeps_the_rest():
    rec = compile_layout(Layout("T", (u8("n"), varbytes("data", "{n}"),
                                      array("items", "{n}", u16("v")))))
    plan = plan_of(rec)
    bodies = [bytes([2]) + b"ab" + b"\x01\x00\x02\x00", bytes([3]) + b"abc" + b"\x01\x00", bytes([0])]
    buf = b"".join(bodies)
    starts = np.cumsum([0] + [len(b) for b in bodies])
    cols, end, bad = decode_rows(plan, np.frombuffer(buf, np.uint8), starts[:-1], starts[1:])
    assert bad.tolist() == [False, True, False]
    good = cols.take(np.flatnonzero(~bad)).rows()
    assert [tuple(m) for m in good] == [(2, b"ab", [(1,), (2,)]), (0, b"", [])]
    assert [rec.decode(b, 0, len(b))[0] for i, b in enumerate(bodies) if i != 1] == good
    assert end[~bad].tolist() == [len(bodies[0]), len(bodies[0]) + len(bodies[1]) + 1]


def test_column_take_concat_and_ragged_index():
    raw = np.frombuffer(b"0123456789", np.uint8)
    var = VarColumn(np.array([0, 4, 8]), np.array([2, 0, 2]), raw, np.array([True, False, True]))
    assert column_values(var) == [b"01", None, b"89"]
    assert column_values(take(var, np.array([2, 0]))) == [b"89", b"01"]
    fixed = FixedColumn(np.array([[1, 2], [3, 4]], np.uint8))
    assert column_values(concat([fixed, fixed])) == [b"\x01\x02", b"\x03\x04"] * 2
    assert ragged_index(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]
    rec = compile_layout(Layout("I", (u8("x"),)))
    items = decode_rows(plan_of(rec), np.frombuffer(b"\x07\x08\x09", np.uint8), np.array([0, 1, 2]),
                        np.array([3, 3, 3]))[0]
    lst = ListColumn(np.array([1, 0, 2]), items)
    assert [[tuple(i) for i in v] for v in column_values(take(lst, np.array([2, 0])))] == [[(8,), (9,)], [(7,)]]
