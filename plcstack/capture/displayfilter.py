"""A small, safe display-filter language on decoded fields (``--filter``), in Wireshark's spirit.

::

    nid == 0x026bcba5354e08 and result != 0
    name contains "SLAC" or (mmtype >= 0xA000 and not error)
    src == 00:b0:52:00:00:01 && stations.mac == 02:00:00:00:00:01
    result == "success"            # an integer field compared with its value name

Grammar (a tokenizer and a recursive-descent parser; nothing is ever evaluated as Python)::

    expr       := or_expr
    or_expr    := and_expr (("or" | "||") and_expr)*
    and_expr   := not_expr (("and" | "&&") not_expr)*
    not_expr   := ("not" | "!") not_expr | primary
    primary    := "(" expr ")" | operand [relation operand]
    relation   := "==" | "!=" | "<" | ">" | "<=" | ">=" | "contains"   (also eq ne lt gt le ge)
    operand    := field | literal
    field      := name ("." name | "[" integer "]")*
    literal    := 0x1f | 42 | 3.5 | aa:bb:cc:dd:ee:ff (bytes, any length >= 2) | "text" | 'text'

A field alone tests that it is present.  A field can have several values (``stations.mac`` has one
per station): a relation holds when some value satisfies it, except ``!=`` which holds when no value
equals the literal (Wireshark 4 semantics); on an absent field every relation is false.

Comparisons: integers numerically; byte strings with byte literals, or with integer literals as
big-endian numbers (so ``nid == 0x026bcba5354e08`` works on a 7-byte NID); text with strings;
integers with strings through their value names (case-insensitive); ``contains`` is a substring
test on text and bytes.  What a field name means is up to the resolver the caller passes in
(:mod:`plcstack.capture.fields` for capture records).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

Path = tuple[str | int, ...]


class FieldValue(NamedTuple):
    """One value of a field: the raw value and, for coded integers, its name (``"success"``)."""

    value: int | float | bytes | str | bool
    name: str | None = None


#: Resolves a field path to its values; None or [] when the field is absent.
Resolver = Callable[[Path], Sequence[FieldValue] | None]


class DisplayFilterError(ValueError):
    """A filter expression that does not parse; ``position`` is the character offset at fault."""

    def __init__(self, message: str, text: str, position: int) -> None:
        pointer = f"\n  {text}\n  {' ' * position}^"
        super().__init__(f"bad filter: {message} at character {position + 1}{pointer}")
        self.position = position


class _Tok(NamedTuple):
    kind: str  # "(" ")" "and" "or" "not" "rel" "str" "bytes" "int" "float" "field" "end"
    text: str
    pos: int
    value: object = None


_WORDS = {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
          "le": "<=", "ge": ">=", "contains": "contains"}
_SYMBOLS = (("&&", "and"), ("||", "or"), ("==", "=="), ("!=", "!="), ("<=", "<="), (">=", ">="),
            ("<", "<"), (">", ">"), ("!", "not"), ("(", "("), (")", ")"))
_BYTES = re.compile(r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2})+(?![0-9A-Za-z_])")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+(?![0-9A-Za-z_])")
_FLOAT = re.compile(r"-?\d+\.\d+(?![0-9A-Za-z_.])")
_INT = re.compile(r"-?\d+(?![0-9A-Za-z_.])")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "\"'":
            j, out = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    out.append(_STRING_ESCAPES.get(text[j + 1], text[j + 1]))
                    j += 2
                    continue
                out.append(text[j])
                j += 1
            if j >= n:
                raise DisplayFilterError("unterminated string", text, i)
            toks.append(_Tok("str", text[i:j + 1], i, "".join(out)))
            i = j + 1
            continue
        for sym, kind in _SYMBOLS:
            if text.startswith(sym, i):
                toks.append(_Tok(kind if kind in ("and", "or", "not", "(", ")") else "rel", sym, i, kind))
                i += len(sym)
                break
        else:
            for regex, kind in ((_BYTES, "bytes"), (_HEX, "int"), (_FLOAT, "float"), (_INT, "int"),
                                (_FIELD, "field")):
                m = regex.match(text, i)
                if m:
                    word = m.group()
                    if kind == "field" and word.lower() in _WORDS:
                        w = _WORDS[word.lower()]
                        toks.append(_Tok(w if w in ("and", "or", "not") else "rel", word, i, w))
                    else:
                        toks.append(_Tok(kind, word, i, _literal(kind, word)))
                    i = m.end()
                    break
            else:
                raise DisplayFilterError(f"unexpected character {c!r}", text, i)
    toks.append(_Tok("end", "", n))
    return toks


def _literal(kind: str, word: str) -> object:
    if kind == "bytes":
        return bytes.fromhex(re.sub(r"[:-]", "", word))
    if kind == "int":
        return int(word, 0) if word.lower().startswith(("0x", "-0x")) else int(word)
    if kind == "float":
        return float(word)
    return _field_path(word)


def _field_path(word: str) -> Path:
    parts: list[str | int] = []
    for name, index in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", word):
        parts.append(name if name else int(index))
    return tuple(parts)


# ------------------------------------------------------------------------------------------------ AST


class Node:
    def evaluate(self, resolve: Resolver) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Or(Node):
    parts: tuple[Node, ...]

    def evaluate(self, resolve: Resolver) -> bool:
        return any(p.evaluate(resolve) for p in self.parts)


@dataclass(frozen=True)
class And(Node):
    parts: tuple[Node, ...]

    def evaluate(self, resolve: Resolver) -> bool:
        return all(p.evaluate(resolve) for p in self.parts)


@dataclass(frozen=True)
class Not(Node):
    part: Node

    def evaluate(self, resolve: Resolver) -> bool:
        return not self.part.evaluate(resolve)


@dataclass(frozen=True)
class Present(Node):
    path: Path

    def evaluate(self, resolve: Resolver) -> bool:
        values = resolve(self.path) or ()
        return any(v.value is not False for v in values)


@dataclass(frozen=True)
class Operand:
    path: Path | None = None  # a field, or
    literal: object = None  # a literal value

    def values(self, resolve: Resolver) -> Sequence[FieldValue]:
        if self.path is not None:
            return resolve(self.path) or ()
        return (FieldValue(self.literal),)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Relation(Node):
    left: Operand
    op: str
    right: Operand

    def evaluate(self, resolve: Resolver) -> bool:
        lefts = self.left.values(resolve)
        rights = self.right.values(resolve)
        if not lefts or not rights:
            return False
        if self.op == "!=":
            return not any(_compare(a, "==", b) for a in lefts for b in rights)
        return any(_compare(a, self.op, b) for a in lefts for b in rights)


def _compare(a: FieldValue, op: str, b: FieldValue) -> bool:
    x, y = a.value, b.value
    if op == "contains":
        return _contains(a, b)
    if isinstance(x, str) or isinstance(y, str):
        if isinstance(x, str) and isinstance(y, str):
            return _order(x, op, y)
        named = a if not isinstance(x, str) else b
        text = y if isinstance(y, str) else x
        return op == "==" and named.name is not None and named.name.lower() == str(text).lower()
    if isinstance(x, bytes) and isinstance(y, bytes):
        if op == "==":
            return x == y
        return _order(int.from_bytes(x, "big"), op, int.from_bytes(y, "big"))
    return _order(_number(x), op, _number(y))


def _number(v: object) -> int | float:
    if isinstance(v, bytes):
        return int.from_bytes(v, "big")
    if isinstance(v, (int, float)):
        return v
    raise TypeError(v)


def _order(x: object, op: str, y: object) -> bool:
    if op == "==":
        return x == y
    try:
        if op == "<":
            return x < y  # type: ignore[operator]
        if op == ">":
            return x > y  # type: ignore[operator]
        if op == "<=":
            return x <= y  # type: ignore[operator]
        if op == ">=":
            return x >= y  # type: ignore[operator]
    except TypeError:
        return False
    return False


def _contains(a: FieldValue, b: FieldValue) -> bool:
    x, y = a.value, b.value
    if isinstance(x, bytes):
        if isinstance(y, bytes):
            return y in x
        if isinstance(y, str):
            return y.encode("latin-1", "replace") in x
        if isinstance(y, int) and 0 <= y <= 255:
            return y in x
        return False
    if isinstance(x, str) and isinstance(y, str):
        return y in x
    if a.name is not None and isinstance(y, str):
        return y.lower() in a.name.lower()
    return False


# --------------------------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str | None = None) -> _Tok:
        tok = self.toks[self.i]
        if kind is not None and tok.kind != kind:
            want = {"(": "'('", ")": "')'", "end": "end of the filter"}.get(kind, kind)
            raise DisplayFilterError(f"expected {want}, found {tok.text or 'the end'!r}", self.text, tok.pos)
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise DisplayFilterError("empty filter", self.text, 0)
        node = self.or_expr()
        self.take("end")
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek().kind == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.peek().kind == "and":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Node:
        if self.peek().kind == "not":
            self.take()
            return Not(self.not_expr())
        return self.primary()

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "(":
            self.take()
            node = self.or_expr()
            self.take(")")
            return node
        left = self.operand()
        if self.peek().kind != "rel":
            if left.path is None:
                raise DisplayFilterError("a literal alone is not a test; compare it with a field",
                                         self.text, tok.pos)
            return Present(left.path)
        op = str(self.take().value)
        right = self.operand()
        if left.path is None and right.path is None:
            raise DisplayFilterError("compare a field, not two literals", self.text, tok.pos)
        return Relation(left, op, right)

    def operand(self) -> Operand:
        tok = self.take()
        if tok.kind == "field":
            return Operand(path=tok.value)  # type: ignore[arg-type]
        if tok.kind in ("int", "float", "bytes", "str"):
            return Operand(literal=tok.value)
        raise DisplayFilterError(f"expected a field or a value, found {tok.text or 'the end'!r}",
                                 self.text, tok.pos)


@dataclass(frozen=True)
class DisplayFilter:
    """A parsed filter; ``matches(resolve)`` evaluates it against one frame's fields."""

    text: str
    root: Node

    def matches(self, resolve: Resolver) -> bool:
        return self.root.evaluate(resolve)

    def fields(self) -> list[Path]:
        """The field paths the filter uses (to check them against known names)."""
        out: list[Path] = []

        def walk(n: Node) -> None:
            if isinstance(n, (Or, And)):
                for p in n.parts:
                    walk(p)
            elif isinstance(n, Not):
                walk(n.part)
            elif isinstance(n, Present):
                out.append(n.path)
            elif isinstance(n, Relation):
                out.extend(o.path for o in (n.left, n.right) if o.path is not None)

        walk(self.root)
        return out

    def __str__(self) -> str:
        return self.text


def parse_display_filter(text: str) -> DisplayFilter:
    """Parse a ``--filter`` expression; raises :class:`DisplayFilterError` naming the position."""
    return DisplayFilter(text, _Parser(text).parse())
