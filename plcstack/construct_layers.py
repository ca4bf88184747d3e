"""construct ``Struct``s for HomePlug AV management messages, generated from the codec's declarations.

Needs the ``construct`` extra (``pip install 'plcstack[construct]'``); nothing else in plcstack
imports it. Like :mod:`plcstack.scapy_layers`, every message declared in
:mod:`plcstack.codec.messages` gets one generated ``Struct`` of its MMENTRY, built from the same
:class:`~plcstack.codec.layout.Field` list the codec uses, so there is nothing per message to keep in
sync by hand::

    >>> from plcstack.construct_layers import STRUCTS, parse_frame
    >>> STRUCTS["CM_SLAC_PARM_REQ"].parse(bytes(2) + bytes.fromhex("0250455600010001")).run_id.hex()
    '0250455600010001'

Mapping of the declarations (``plcstack.codec.layout``):

* integers -> ``Int8ul`` / ``Int16ul`` / ``Int32ul`` / ``Int64ul`` (little-endian, as HomePlug MMENTRY
  integers are); code points stay plain ints (their names: :mod:`plcstack.codec.codes`);
* fixed bytes, MACs, NUL-padded text -> ``Bytes(n)`` (bytes, exactly as the codec keeps them);
* bytes counted by an earlier field (``count="{length}"``, or an expression such as
  ``"({amlen} + 1) // 2"``) -> ``Bytes(lambda ctx: ...)``; the rest of the MMENTRY -> ``GreedyBytes``;
* count-prefixed arrays -> ``Array(count, Struct(...))``; conditional fields -> ``If(condition, ...)``
  (``None`` when absent, as in the codec).

The Ethernet and MME header are read by :func:`plcstack.codec.frame.decode_header` (the one header
reader); :func:`parse_frame` combines it with the body ``Struct``. Counts are not recomputed on
``build``: give them as ``parse`` returns them. A body that ends inside its layout raises construct's
``StreamError`` (the codec's :func:`~plcstack.codec.decode_frame` decodes what is there instead).
"""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import Any

import construct as c

from plcstack.codec.frame import Header, decode_header
from plcstack.codec.layout import _PLACEHOLDER, ARRAY, BYTES, INT, MAC, REST, TEXT, VARBYTES, Field, Layout
from plcstack.codec.registry import MessageDef, all_definitions, lookup

__all__ = ["STRUCTS", "body_struct", "layout_struct", "parse_frame", "struct_for"]

_INTS: dict[str, c.Construct] = {"B": c.Int8ul, "H": c.Int16ul, "I": c.Int32ul, "Q": c.Int64ul, ">H": c.Int16ub}


def _context_expr(expr: str) -> Callable[[Any], Any]:
    """A declaration expression over earlier fields (``{num_groups}``) as a function of construct's context."""
    code: CodeType = compile(_PLACEHOLDER.sub(lambda m: f"ctx[{m.group(1)!r}]", expr), f"<{expr}>", "eval")

    def evaluate(ctx: Any) -> Any:
        return eval(code, {"__builtins__": {}, "len": len}, {"ctx": ctx})  # noqa: S307 - our own declarations

    return evaluate


def _field(f: Field) -> c.Construct:
    sub: c.Construct
    if f.kind == INT:
        if f.fmt not in _INTS:
            raise ValueError(f"field {f.name}: no construct integer for struct format {f.fmt!r}")
        sub = _INTS[f.fmt]
    elif f.kind in (BYTES, MAC, TEXT):
        sub = c.Bytes(f.size)
    elif f.kind == VARBYTES:
        sub = c.Bytes(_context_expr(f.count or "0"))
    elif f.kind == REST:
        sub = c.GreedyBytes
    elif f.kind == ARRAY:
        assert f.item is not None
        sub = c.Array(_context_expr(f.count or "0"), layout_struct(f.item))
    else:  # pragma: no cover - a new field kind must be mapped here
        raise ValueError(f"field {f.name}: unknown kind {f.kind!r}")
    if f.when is not None:
        sub = c.If(_context_expr(f.when), sub)
    return f.name / sub


def layout_struct(layout: Layout) -> c.Struct:
    """The ``Struct`` of one declared layout (a message body or an array element)."""
    return c.Struct(*(_field(f) for f in layout.fields))


def body_struct(mdef: MessageDef) -> c.Struct:
    """The ``Struct`` of a message definition's MMENTRY (from the cache :data:`STRUCTS`)."""
    return STRUCTS[mdef.cls.__name__]


#: Class name (``CM_SLAC_PARM_REQ``, ``VS_NW_INFO_CNF_V0`` ...) -> the ``Struct`` of its MMENTRY.
STRUCTS: dict[str, c.Struct] = {d.cls.__name__: layout_struct(d.layout) for d in all_definitions()}


def struct_for(mmv: int, mmtype: int, oui: bytes | None) -> c.Struct | None:
    """The body ``Struct`` for a header's (MMV, MMTYPE, OUI), None for undeclared types."""
    mdef = lookup(mmv, mmtype, oui)
    return None if mdef is None else body_struct(mdef)


def parse_frame(data: bytes) -> tuple[Header, c.Container | None]:
    """Header (by :func:`~plcstack.codec.frame.decode_header`) and the construct-parsed MMENTRY.

    The body is None for undeclared types and for fragments of a larger message (reassemble them
    with :class:`plcstack.codec.fragment.Reassembler` first). Raises
    :class:`~plcstack.codec.DecodeError` for a bad header and construct's errors for a short body.
    """
    header = decode_header(data)
    if header.is_fragment:
        return header, None
    body = struct_for(header.mmv, header.mmtype, header.oui)
    return header, None if body is None else body.parse(bytes(data[header.body_offset:]))
