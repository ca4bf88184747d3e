"""The message registry: (MMV, MMTYPE, OUI) -> message definition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from plcstack.codec.layout import Field, Layout, compile_layout, flatten
from plcstack.codec.names import OUI_NONE, OUI_QCA, mmtype_name


@dataclass(frozen=True)
class MessageDef:
    """One declared message: its MMTYPE, name, layout and header defaults."""

    mmtype: int
    name: str  # e.g. "CM_SLAC_PARM.REQ"
    layout: Layout
    oui: bytes | None  # vendor OUI the message is sent with (None: no OUI)
    mmv: int | None  # layout only valid for this MMV (None: any)
    default_mmv: int  # MMV used when building a new frame
    doc: str = ""

    @property
    def record(self) -> Layout:
        """Old spelling of :attr:`layout`."""
        return self.layout

    @property
    def cls(self) -> Any:
        return self.layout.cls

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.layout.fields


_DEFS: list[MessageDef] = []
# (mmv, mmtype, oui) -> MessageDef; oui None for non-vendor messages
_BY_KEY: dict[tuple[int, int, bytes | None], MessageDef] = {}
_BY_CLASS: dict[type, MessageDef] = {}
_BY_NAME: dict[str, MessageDef] = {}


def message(
    mmtype: int,
    *fields: Field | Iterable[Field],
    oui: bytes | None = None,
    mmv: int | None = None,
    default_mmv: int | None = None,
    cls_name: str | None = None,
    also_oui: tuple[bytes, ...] = (),
    doc: str = "",
) -> Any:
    """Declare a message; returns its generated class."""
    name = mmtype_name(mmtype, oui)
    cname = cls_name or name.replace(".", "_")
    layout = compile_layout(Layout(cname, flatten(fields)))  # type: ignore[arg-type]
    _check_json_names(layout)
    if default_mmv is None:
        default_mmv = mmv if mmv is not None else (0 if oui == OUI_QCA or 0x8000 <= mmtype < 0xA000 else 1)
    mdef = MessageDef(mmtype, name, layout, oui, mmv, default_mmv, doc)
    _DEFS.append(mdef)
    for o in (oui, *also_oui):
        for v in (0, 1, 2) if mmv is None else (mmv,):
            key = (v, mmtype, o)
            # an MMV-specific layout wins over an any-MMV one
            if key not in _BY_KEY or mmv is not None:
                _BY_KEY[key] = mdef
    _BY_CLASS[layout.cls] = mdef
    _BY_NAME.setdefault(name, mdef)
    _BY_NAME[cname] = mdef
    return layout.cls


def _check_json_names(layout: Layout) -> None:
    """JSON puts ``f_name`` / ``f_note`` beside a coded field ``f``: no declared field may use those keys."""
    names = {f.name for f in layout.fields}
    for f in layout.fields:
        if f.values is not None and ({f.name + "_name", f.name + "_note"} & names):
            raise ValueError(f"{layout.name}: field {f.name!r} collides with the JSON name of a coded field")
        if f.item is not None:
            _check_json_names(f.item)


def lookup(mmv: int, mmtype: int, oui: bytes | None) -> MessageDef | None:
    return _BY_KEY.get((mmv, mmtype, oui))


def definition_of(msg_or_cls: Any) -> MessageDef:
    cls = msg_or_cls if isinstance(msg_or_cls, type) else type(msg_or_cls)
    try:
        return _BY_CLASS[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} is not a registered HomePlug message") from None


def by_name(name: str) -> MessageDef | None:
    """Definition by name: ``CM_SLAC_PARM.REQ`` or class name ``CM_SLAC_PARM_REQ``."""
    return _BY_NAME.get(name) or _BY_NAME.get(name.upper())


def all_definitions() -> list[MessageDef]:
    return list(_DEFS)


def key_table() -> dict[tuple[int, int, bytes | None], MessageDef]:
    return _BY_KEY


__all__ = ["MessageDef", "OUI_NONE", "all_definitions", "by_name", "definition_of", "lookup", "message"]
