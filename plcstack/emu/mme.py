"""Small helpers over the message declarations (:mod:`plcstack.codec.messages`) for the emulator."""

from __future__ import annotations

from functools import cache
from typing import Any

from plcstack.codec import definition_of


@cache
def mmtype_of(msg_cls: type) -> int:
    """The MMTYPE a declared message class is sent with."""
    return definition_of(msg_cls).mmtype


@cache
def item_class(msg_cls: type, *path: str) -> Any:
    """The generated class of the items of array field ``path`` (e.g. ``"networks", "stations"``)."""
    fields = definition_of(msg_cls).fields
    item = None
    for name in path:
        f = next(f for f in fields if f.name == name)
        item = f.item
        if item is None:
            raise TypeError(f"{name} of {msg_cls.__name__} is not an array field")
        fields = item.fields
    if item is None:
        raise TypeError("item_class needs a field path")
    return item.cls
