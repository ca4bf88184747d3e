"""Human-readable documentation of every declared message, generated from the declarations."""

from __future__ import annotations

from plcstack.codec.codes import enum_items
from plcstack.codec.layout import ARRAY, INT, REST, VARBYTES, Field
from plcstack.codec.registry import MessageDef, all_definitions


def _size(f: Field) -> str:
    if f.kind == INT:
        return f"{f.size} (LE)" if f.size > 1 else "1"
    if f.kind == VARBYTES:
        return f"{f.count}"
    if f.kind == REST:
        return "rest"
    if f.kind == ARRAY:
        return f"{f.count} x"
    return str(f.size)


def _rows(fields: tuple[Field, ...], indent: str = "") -> list[str]:
    rows = []
    for f in fields:
        note = f.doc
        if f.unit:
            unit = f"x {f.scale:g} {f.unit}" if f.scale else f.unit
            note = (note + "; " if note else "") + f"unit: {unit}"
        if f.values:
            label = f"`{f.values.__name__}`: " if isinstance(f.values, type) else ""
            note = (note + "; " if note else "") + label + ", ".join(f"{k}={v}" for k, v in enum_items(f.values))
        if f.when:
            note = (note + "; " if note else "") + f"present when {f.when}"
        rows.append(f"| {indent}{f.name} | {f.kind} | {_size(f)} | {note} |")
        if f.kind == ARRAY and f.item is not None:
            rows.extend(_rows(f.item.fields, indent + "&nbsp;&nbsp;"))
    return rows


def message_markdown(d: MessageDef) -> str:
    oui = d.oui.hex(":") if d.oui is not None else "none"
    mmv = "any" if d.mmv is None else str(d.mmv)
    head = [f"### {d.name} — `{d.layout.name}`", "",
            f"MMTYPE 0x{d.mmtype:04X}, OUI {oui}, MMV {mmv} (built with MMV {d.default_mmv})."]
    if d.doc:
        head += ["", d.doc]
    if not d.fields:
        return "\n".join(head + ["", "Empty MMENTRY.", ""])
    return "\n".join(head + ["", "| field | kind | bytes | notes |", "|---|---|---|---|", *_rows(d.fields), ""])


def all_markdown() -> str:
    parts = ["# HomePlug management messages declared in plcstack", "",
             "Generated from `plcstack/codec/messages.py` by `plcstack messages --markdown`.", ""]
    for d in sorted(all_definitions(), key=lambda d: (d.mmtype, d.mmv or 0)):
        parts.append(message_markdown(d))
    return "\n".join(parts)
