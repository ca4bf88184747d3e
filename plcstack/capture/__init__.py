"""Decode, filter, summarise and verify captures of HomePlug traffic (streaming, constant memory).

>>> from plcstack.capture import CaptureDecoder                       # doctest: +SKIP
>>> for rec in CaptureDecoder("capture.pcapng", types="SLAC"):       # doctest: +SKIP
...     if rec.is_message:
...         print(rec.index, rec.name, rec.frame.message)

Modules: :mod:`~plcstack.capture.inputs` (files, stdin, link layers), :mod:`~.decoder` (the
iteration), :mod:`~.records` (:class:`CapturedFrame`), :mod:`~.typefilter` (``--type``),
:mod:`~.displayfilter` and :mod:`~.fields` (``--filter``), :mod:`~.summary`, :mod:`~.jsonview`,
:mod:`~.timefmt` (views), :mod:`~.stats`, :mod:`~.live` (AF_PACKET capture).
"""

from __future__ import annotations

from typing import Any

from plcstack.capture.decoder import CaptureDecoder, PacketSource, count_decoded, iter_decoded
from plcstack.capture.displayfilter import DisplayFilter, DisplayFilterError, parse_display_filter
from plcstack.capture.inputs import INPUT_ERRORS, ethernet_frame, input_error_text, open_input
from plcstack.capture.jsonview import fields_of, frame_json, record_json
from plcstack.capture.records import ERROR, FRAGMENT, HP10, MESSAGE, CapturedFrame
from plcstack.capture.stats import CaptureStats
from plcstack.capture.summary import summary_line
from plcstack.capture.timefmt import format_time
from plcstack.capture.typefilter import TypeFilter, TypeFilterError, parse_type_filter

__all__ = [
    "ERROR", "FRAGMENT", "HP10", "INPUT_ERRORS", "MESSAGE", "CaptureDecoder", "CaptureStats",
    "CapturedFrame", "DisplayFilter", "DisplayFilterError", "PacketSource", "TypeFilter", "TypeFilterError",
    "count_decoded", "ethernet_frame", "fields_of", "format_time", "frame_json", "input_error_text",
    "iter_decoded", "open_input",
    "parse_display_filter", "parse_type_filter", "record_json", "summary_line",
]


def __getattr__(name: str) -> Any:
    # columnar export (pyarrow is optional): imported on first use
    if name in ("to_tables", "to_pandas"):
        from plcstack.capture import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
