"""Declarative message layouts and the code generated from them.

Each management message is declared once as a sequence of :class:`Field` values.  From that one
declaration this module generates, at import time:

* a ``NamedTuple``-like class (tuple-backed, so decoding allocates one tuple per message),
* a fast decoder ``decode(buf, offset, end) -> (message, end_of_layout)`` built from
  ``struct.Struct`` groups with one length check per fixed group,
* a fast encoder ``encode(message) -> bytes``,
* a tolerant interpreter used only for truncated input (it decodes what is there and reports
  what is missing) and for encoding such partial messages back to the identical bytes,
* JSON rendering and documentation rows.

Count and condition expressions refer to earlier fields as ``{name}``, e.g. ``count="{num_groups}"``
or ``when="{security_type} == 1"``.
"""

from __future__ import annotations

import re
import struct
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from plcstack.codec.codes import value_name, value_note
from plcstack.codec.errors import DecodeError
from plcstack.codec.mac import format_mac

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

# kinds of field
INT = "int"  # fixed-size integer, struct code in fmt
BYTES = "bytes"  # fixed-size opaque bytes (hex in JSON)
MAC = "mac"  # 6-byte MAC address
TEXT = "text"  # fixed-size NUL-padded ASCII string (kept as bytes)
VARBYTES = "varbytes"  # bytes whose length is given by an earlier field
REST = "rest"  # every remaining byte of the message
ARRAY = "array"  # count-prefixed array of records


#: A field's code points: an IntEnum class from :mod:`plcstack.codec.codes` (or a plain dict).
Values = type[IntEnum] | dict[int, str]


@dataclass(frozen=True)
class Field:
    """One declared field.

    ``values`` names the code points (an IntEnum from :mod:`plcstack.codec.codes`); ``unit`` is the
    unit of ``value * scale`` where the specification defines one (``time_out``: scale 100, unit
    ``ms``; ``avg_tx``: unit ``Mbit/s``).
    """

    name: str
    kind: str
    fmt: str = ""
    size: int = 0
    count: str | None = None
    item: Layout | None = None
    when: str | None = None
    doc: str = ""
    values: Values | None = None
    unit: str | None = None
    scale: float | None = None


@dataclass(frozen=True)
class Layout:
    """A sequence of fields: a message body (MMENTRY) or one element of an array."""

    name: str
    fields: tuple[Field, ...]
    cls: Any = field(default=None, compare=False)
    decode: Callable[..., Any] = field(default=None, compare=False)  # type: ignore[assignment]
    encode: Callable[..., bytes] = field(default=None, compare=False)  # type: ignore[assignment]
    fixed_size: int | None = field(default=None, compare=False)
    struct: struct.Struct | None = field(default=None, compare=False)

    def unpack(self, buf: bytes | bytearray | memoryview, offset: int = 0) -> Any:
        """Decode this layout from ``buf[offset:]``; bytes after it are ignored.

        Raises :class:`~plcstack.codec.errors.DecodeError` (``field="length"``) when ``buf`` ends
        inside the layout.
        """
        data = bytes(buf)
        try:
            return self.decode(data, offset, len(data))[0]
        except Short:
            need = f"{self.fixed_size} bytes" if self.fixed_size is not None else "more bytes"
            raise DecodeError(f"{self.name} needs {need}, got {len(data) - offset}", field="length",
                              offset=offset) from None

    def pack(self, msg: Any) -> bytes:
        """Encode a message of this layout (counts left None are filled in from their data)."""
        return self.encode(msg)


# ----------------------------------------------------------------------------- field helpers


def u8(name: str, doc: str = "", values: Values | None = None, *, unit: str | None = None,
       scale: float | None = None) -> Field:
    return Field(name, INT, "B", 1, doc=doc, values=values, unit=unit, scale=scale)


def u16(name: str, doc: str = "", values: Values | None = None, *, unit: str | None = None,
        scale: float | None = None) -> Field:
    """Little-endian 16-bit integer (HomePlug MMENTRY integers are little-endian)."""
    return Field(name, INT, "H", 2, doc=doc, values=values, unit=unit, scale=scale)


def u32(name: str, doc: str = "", values: Values | None = None, *, unit: str | None = None,
        scale: float | None = None) -> Field:
    return Field(name, INT, "I", 4, doc=doc, values=values, unit=unit, scale=scale)


def u64(name: str, doc: str = "", *, unit: str | None = None) -> Field:
    return Field(name, INT, "Q", 8, doc=doc, unit=unit)


def raw(name: str, size: int, doc: str = "") -> Field:
    return Field(name, BYTES, f"{size}s", size, doc=doc)


def mac(name: str, doc: str = "") -> Field:
    return Field(name, MAC, "6s", 6, doc=doc)


def text(name: str, size: int, doc: str = "") -> Field:
    return Field(name, TEXT, f"{size}s", size, doc=doc)


def varbytes(name: str, count: str, doc: str = "", *, unit: str | None = None) -> Field:
    """Bytes whose count is an expression over earlier fields; ``unit`` applies to each byte."""
    return Field(name, VARBYTES, count=count, doc=doc, unit=unit)


def rest(name: str, doc: str = "") -> Field:
    return Field(name, REST, doc=doc)


def array(name: str, count: str, *fields: Field, doc: str = "", item_name: str | None = None) -> Field:
    item = Layout(item_name or _camel(name) + "Item", tuple(fields))
    return Field(name, ARRAY, count=count, item=compile_layout(item), doc=doc)


def layout(name: str, *fields: Field | Sequence[Field]) -> Layout:
    """A compiled layout that is not a message of its own (e.g. the CM_ENCRYPTED_PAYLOAD header)."""
    return compile_layout(Layout(name, flatten(fields)))


def when(condition: str, *fields: Field) -> list[Field]:
    """Fields present only when ``condition`` (over earlier fields) holds; ``None`` otherwise."""
    return [replace(f, when=condition) for f in fields]


def flatten(items: Sequence[Field | Sequence[Field]]) -> tuple[Field, ...]:
    out: list[Field] = []
    for it in items:
        if isinstance(it, Field):
            out.append(it)
        else:
            out.extend(it)
    return tuple(out)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _expr(expr: str) -> str:
    return _PLACEHOLDER.sub(lambda m: f"v_{m.group(1)}", expr)


def _simple_ref(expr: str) -> str | None:
    m = re.fullmatch(r"\{([a-z_][a-z0-9_]*)\}", expr.strip())
    return m.group(1) if m else None


# ----------------------------------------------------------------------------- code generation


class Short(Exception):
    """Internal: the buffer ends inside the layout (handled by the tolerant interpreter)."""


def _is_fixed(f: Field) -> bool:
    return f.kind in (INT, BYTES, MAC, TEXT) and f.when is None


def _segments(fields: Sequence[Field]) -> list[list[Field]]:
    """Group consecutive unconditional fixed fields so each group is one struct call."""
    segs: list[list[Field]] = []
    for f in fields:
        if _is_fixed(f) and segs and _is_fixed(segs[-1][0]):
            segs[-1].append(f)
        else:
            segs.append([f])
    return segs


def _struct_fmt(fields: Sequence[Field]) -> str:
    return "<" + "".join(f.fmt for f in fields)


def compile_layout(rec: Layout) -> Layout:
    """Generate the class, fast decoder and fast encoder of a record."""
    names = [f.name for f in rec.fields]
    counts = _count_refs(rec.fields)
    # count fields default to None (filled in from the data on encode); absent conditional fields
    # decode as None but default to their kind's zero value so a message can be built field by field
    defaults = [None if f.name in counts else _default(f) for f in rec.fields]
    cls = namedtuple(rec.name, names, defaults=defaults)  # type: ignore[misc]
    cls.__doc__ = f"{rec.name}({', '.join(names)})"
    env: dict[str, Any] = {"_new": tuple.__new__, "CLS": cls, "Short": Short, "len": len, "max": max}
    fixed_size: int | None = None
    rec_struct = None
    all_fixed = all(f.kind in (INT, BYTES, MAC, TEXT) and f.when is None for f in rec.fields)
    if all_fixed and rec.fields:
        rec_struct = struct.Struct(_struct_fmt(rec.fields))
        fixed_size = rec_struct.size
        env["S"] = rec_struct
        dec_src = (
            "def decode(buf, p, end):\n"
            f"    if p + {fixed_size} > end:\n"
            "        raise Short\n"
            f"    return _new(CLS, S.unpack_from(buf, p)), p + {fixed_size}\n"
        )
        enc_src = "def encode(m):\n    return S.pack(*m)\n"
    elif not rec.fields:
        fixed_size = 0
        rec_struct = struct.Struct("<")
        dec_src = "def decode(buf, p, end):\n    return _new(CLS, ()), p\n"
        enc_src = "def encode(m):\n    return b''\n"
    else:
        dec_src = _gen_decoder(rec.fields, env)
        enc_src = _gen_encoder(rec.fields, env)
    exec(compile(dec_src, f"<decode {rec.name}>", "exec"), env)  # noqa: S102 - generated from our declarations
    exec(compile(enc_src, f"<encode {rec.name}>", "exec"), env)  # noqa: S102
    return replace(rec, cls=cls, decode=env["decode"], encode=env["encode"], fixed_size=fixed_size,
                   struct=rec_struct)


def _default(f: Field) -> Any:
    if f.kind == INT:
        return 0
    if f.kind in (BYTES, MAC, TEXT):
        return bytes(f.size)
    if f.kind in (VARBYTES, REST):
        return b""
    if f.kind == ARRAY:
        return ()
    return None


def _count_refs(fields: Sequence[Field]) -> dict[str, Field]:
    """Count fields that the encoder fills in when left as None (``count="{name}"``)."""
    refs: dict[str, Field] = {}
    for f in fields:
        if f.kind in (VARBYTES, ARRAY) and f.count is not None:
            ref = _simple_ref(f.count)
            if ref is not None:
                refs[ref] = f
    return refs


@dataclass(frozen=True)
class FramePrefix:
    """What a fused frame decoder reads before the MMENTRY (see :func:`frame_decoder`).

    ``fmt`` is a ``struct`` format without byte-order prefix covering the frame header (skipped
    octets as ``x``), ``targets`` the names it unpacks into (``h_*``), ``checks`` source lines run
    first and ``after`` right after the first unpack (``return None`` to refuse the frame),
    ``result`` the returned expression with ``{msg}`` standing for the decoded message tuple and
    ``p`` for the end of the layout.
    """

    fmt: str
    targets: tuple[str, ...]
    checks: tuple[str, ...]
    result: str
    after: tuple[str, ...] = ()  # source lines run right after the first unpack


def _gen_decoder(fields: Sequence[Field], env: dict[str, Any], head: FramePrefix | None = None) -> str:
    lines = ["def decode(buf, p, end):"] if head is None else ["def decode(buf, o, end):", *head.checks]
    k = 0

    def emit(f: Field, ind: str) -> None:
        nonlocal k
        if f.kind in (INT, BYTES, MAC, TEXT):
            s = struct.Struct("<" + f.fmt)
            env[f"S{k}"] = s
            lines.append(f"{ind}if p + {s.size} > end: raise Short")
            lines.append(f"{ind}v_{f.name}, = S{k}.unpack_from(buf, p); p += {s.size}")
            k += 1
        elif f.kind == VARBYTES:
            lines.append(f"{ind}n = {_expr(f.count or '0')}")
            lines.append(f"{ind}if n < 0 or p + n > end: raise Short")
            lines.append(f"{ind}v_{f.name} = buf[p:p + n]; p += n")
        elif f.kind == REST:
            lines.append(f"{ind}v_{f.name} = buf[p:end]; p = end")
        elif f.kind == ARRAY:
            item = f.item
            assert item is not None
            env[f"I{k}"] = item
            lines.append(f"{ind}n = {_expr(f.count or '0')}")
            if item.fixed_size is not None:
                env[f"IS{k}"] = item.struct
                env[f"IC{k}"] = item.cls
                lines.append(f"{ind}if p + n * {item.fixed_size} > end: raise Short")
                lines.append(
                    f"{ind}v_{f.name} = [_new(IC{k}, IS{k}.unpack_from(buf, p + i * {item.fixed_size}))"
                    f" for i in range(n)]; p += n * {item.fixed_size}"
                )
            else:
                lines.append(f"{ind}v_{f.name} = []")
                lines.append(f"{ind}for _ in range(n):")
                lines.append(f"{ind}    it, p = I{k}.decode(buf, p, end); v_{f.name}.append(it)")
            k += 1

    def unpack(fmt: str, targets: list[str], start: str = "p") -> None:
        nonlocal k
        s = struct.Struct("<" + fmt)
        env[f"S{k}"] = s
        lines.append(f"    if {start} + {s.size} > end: raise Short")
        lines.append(f"    {', '.join(targets)}, = S{k}.unpack_from(buf, {start}); p = {start} + {s.size}")
        k += 1

    segs = _segments(fields)
    if head is not None:  # the header and the first fixed group of fields in one unpack
        if segs and _is_fixed(segs[0][0]):
            first = segs.pop(0)
            unpack(head.fmt + _struct_fmt(first)[1:], [*head.targets, *(f"v_{f.name}" for f in first)], "o")
        else:
            unpack(head.fmt, list(head.targets), "o")
        lines.extend(head.after)
    for seg in segs:
        f0 = seg[0]
        if _is_fixed(f0):
            unpack(_struct_fmt(seg)[1:], [f"v_{f.name}" for f in seg])
        elif f0.when is not None:
            lines.append(f"    if {_expr(f0.when)}:")
            emit(f0, "        ")
            lines.append("    else:")
            lines.append(f"        v_{f0.name} = None")
        else:
            emit(f0, "    ")
    values = ", ".join(f"v_{f.name}" for f in fields)
    msg = f"_new(CLS, ({values},))" if fields else "_new(CLS, ())"
    lines.append(f"    return {msg}, p" if head is None else f"    return {head.result.format(msg=msg)}")
    return "\n".join(lines) + "\n"


def frame_decoder(rec: Layout, head: FramePrefix, env: dict[str, Any]) -> Callable[..., Any]:
    """A decoder of a whole frame of this layout, header fused into the first ``struct`` call.

    ``env`` supplies the names ``head.result`` uses.  The function takes ``(buf, offset, end)`` and
    returns what ``head.result`` builds, None when a check refuses the frame, or raises
    :class:`Short` when the frame ends inside the layout.
    """
    env = {**env, "_new": tuple.__new__, "CLS": rec.cls, "Short": Short, "len": len, "max": max}
    src = _gen_decoder(rec.fields, env, head)
    exec(compile(src, f"<frame decode {rec.name}>", "exec"), env)  # noqa: S102 - generated from our declarations
    fn: Callable[..., Any] = env["decode"]
    return fn


def _gen_encoder(fields: Sequence[Field], env: dict[str, Any]) -> str:
    lines = ["def encode(m):"]
    names = ", ".join(f"v_{f.name}" for f in fields)
    lines.append(f"    {names}, = m")
    for ref, target in _count_refs(fields).items():
        lines.append(f"    if v_{ref} is None and v_{target.name} is not None: v_{ref} = len(v_{target.name})")
    lines.append("    out = []")
    k = 0

    def emit(f: Field, ind: str) -> None:
        nonlocal k
        if f.kind in (INT, BYTES, MAC, TEXT):
            s = struct.Struct("<" + f.fmt)
            env[f"E{k}"] = s
            lines.append(f"{ind}out.append(E{k}.pack(v_{f.name}))")
            k += 1
        elif f.kind in (VARBYTES, REST):
            lines.append(f"{ind}out.append(v_{f.name})")
        elif f.kind == ARRAY:
            item = f.item
            assert item is not None
            env[f"J{k}"] = item.encode
            lines.append(f"{ind}for it in v_{f.name}: out.append(J{k}(it))")
            k += 1

    for seg in _segments(fields):
        f0 = seg[0]
        if _is_fixed(f0):
            s = struct.Struct(_struct_fmt(seg))
            env[f"E{k}"] = s
            args = ", ".join(f"v_{f.name}" for f in seg)
            lines.append(f"    out.append(E{k}.pack({args}))")
            k += 1
        elif f0.when is not None:
            lines.append(f"    if {_expr(f0.when)}:")
            emit(f0, "        ")
        else:
            emit(f0, "    ")
    lines.append("    return b''.join(out)")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- tolerant interpreter


def _eval(expr: str, values: dict[str, Any]) -> Any:
    return eval(_expr(expr), {"__builtins__": {}, "len": len, "max": max},  # noqa: S307 - our own declarations
                {f"v_{k}": v for k, v in values.items()})


def decode_partial(rec: Layout, buf: bytes, p: int, end: int) -> tuple[Any, int, list[str]]:
    """Decode as much of ``rec`` as ``buf[p:end]`` holds.

    Returns (message with missing fields set to None, end of what was consumed, descriptions of
    what is missing).  A fixed bytes field cut short keeps the bytes that are there.
    """
    values: dict[str, Any] = {}
    missing: list[str] = []
    stopped = False
    for f in rec.fields:
        if stopped:
            values[f.name] = None
            missing.append(f.name)
            continue
        if f.when is not None and not _eval(f.when, values):
            values[f.name] = None
            continue
        avail = end - p
        if f.kind == INT:
            s = struct.Struct("<" + f.fmt)
            if avail < s.size:
                values[f.name] = None
                missing.append(f"{f.name} ({s.size} bytes, {avail} present)")
                stopped = True
                continue
            values[f.name] = s.unpack_from(buf, p)[0]
            p += s.size
        elif f.kind in (BYTES, MAC, TEXT):
            if avail < f.size:
                values[f.name] = bytes(buf[p:end])
                missing.append(f"{f.name} ({f.size - avail} of {f.size} bytes)")
                p = end
                stopped = True
                continue
            values[f.name] = bytes(buf[p:p + f.size])
            p += f.size
        elif f.kind == VARBYTES:
            n = _eval(f.count or "0", values)
            if n is None or avail < n:
                values[f.name] = bytes(buf[p:end])
                missing.append(f"{f.name} ({n - avail if n is not None else '?'} of {n} bytes)")
                p = end
                stopped = True
                continue
            values[f.name] = bytes(buf[p:p + n])
            p += n
        elif f.kind == REST:
            values[f.name] = bytes(buf[p:end])
            p = end
        elif f.kind == ARRAY:
            assert f.item is not None
            n = _eval(f.count or "0", values) or 0
            items = []
            for i in range(n):
                try:
                    it, p = f.item.decode(buf, p, end)
                except Short:
                    missing.append(f"{f.name} ({n - i} of {n} entries)")
                    stopped = True
                    break
                items.append(it)
            values[f.name] = items
    msg = tuple.__new__(rec.cls, tuple(values[f.name] for f in rec.fields))
    return msg, p, missing


def encode_partial(rec: Layout, msg: Any) -> bytes:
    """Encode a message that may be partial (None = absent from there on); inverse of decode_partial."""
    values: dict[str, Any] = {}
    out: list[bytes] = []
    for f, v in zip(rec.fields, msg, strict=True):
        values[f.name] = v
        if f.when is not None and not _eval(f.when, values):
            continue
        if v is None:
            break
        if f.kind == INT:
            s = struct.Struct("<" + f.fmt)
            out.append(s.pack(v))
        elif f.kind in (BYTES, MAC, TEXT, VARBYTES, REST):
            out.append(bytes(v))
        elif f.kind == ARRAY:
            assert f.item is not None
            out.extend(f.item.encode(it) for it in v)
    return b"".join(out)


# ----------------------------------------------------------------------------- JSON


def to_jsonable(rec: Layout, msg: Any, names: bool = True) -> dict[str, Any]:
    """JSON form of a message: integers stay integers; a coded field ``f`` gets ``f_name`` beside it
    (the enum member name, when the value is a member) and ``f_note`` where the meaning depends on the
    vendor (``docs/codec-describe.md``)."""
    out: dict[str, Any] = {}
    for f, v in zip(rec.fields, msg, strict=True):
        out[f.name] = _json_value(f, v, names)
        if names and f.values is not None and isinstance(v, int):
            name = value_name(f.values, v)
            if name is not None:
                out[f.name + "_name"] = name
            note = value_note(f.values, v)
            if note is not None:
                out[f.name + "_note"] = note
    return out


def text_value(v: bytes | bytearray | memoryview) -> str:
    """A TEXT field as it is shown everywhere (JSON, views, tables): up to the first NUL, latin-1."""
    return bytes(v).split(b"\0", 1)[0].decode("latin-1")


def _json_value(f: Field, v: Any, names: bool = True) -> Any:
    if v is None:
        return None
    if f.kind == INT:
        return v
    if f.kind == MAC:
        return format_mac(v)
    if f.kind == TEXT:
        return text_value(v)
    if f.kind == ARRAY:
        assert f.item is not None
        return [to_jsonable(f.item, it, names) for it in v]
    return bytes(v).hex()


def from_jsonable(rec: Layout, data: dict[str, Any]) -> Any:
    """Build a message from the JSON form produced by :func:`to_jsonable`."""
    values = []
    for f in rec.fields:
        v = data.get(f.name)
        if v is None:
            values.append(None if f.when is not None or f.name in _count_refs(rec.fields) else _default(f))
            continue
        if f.kind == INT:
            values.append(int(v))
        elif f.kind == MAC:
            values.append(bytes.fromhex(v.replace(":", "")))
        elif f.kind == TEXT:
            values.append(v.encode("latin-1").ljust(f.size, b"\0"))
        elif f.kind == ARRAY:
            assert f.item is not None
            values.append([from_jsonable(f.item, it) for it in v])
        else:
            values.append(bytes.fromhex(v))
    return tuple.__new__(rec.cls, tuple(values))
