"""The default one-line view of a frame, tshark-like: number, time, MACs, length, name, what matters.

``    12   0.532100 02:00:00:00:00:01 → ff:ff:ff:ff:ff:ff  60 CM_SLAC_MATCH.CNF run_id=... nid=...``

For the messages people look at most (SLAC, keys, Qualcomm status) :data:`KEY_FIELDS` lists the
fields worth a place on the line; other messages show their first few informative fields
(reserved fields and fields that are 0 or empty are left out).  Coded values carry their name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from plcstack.capture.fields import record_vlan_tags
from plcstack.capture.records import CapturedFrame
from plcstack.capture.timefmt import format_time
from plcstack.codec import Frame, RawMessage, VlanTag
from plcstack.codec.codes import enum_items, value_note
from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, TEXT, Field, text_value
from plcstack.codec.mac import format_mac
from plcstack.codec.names import mmtype_name
from plcstack.codec.registry import definition_of

#: Fields shown on the summary line, per message name (``.REQ`` etc.) or base name.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "CM_SLAC_PARM.REQ": ("run_id",),
    "CM_SLAC_PARM.CNF": ("run_id", "msound_target", "num_sounds", "time_out", "forwarding_sta"),
    "CM_START_ATTEN_CHAR.IND": ("run_id", "num_sounds", "time_out", "forwarding_sta"),
    "CM_MNBC_SOUND.IND": ("run_id", "cnt"),
    "CM_ATTEN_CHAR.IND": ("run_id", "source_address", "num_sounds", "num_groups", "aag"),
    "CM_ATTEN_CHAR.RSP": ("run_id", "source_address", "result"),
    "CM_ATTEN_PROFILE.IND": ("pev_mac", "num_groups", "aag"),
    "CM_VALIDATE.REQ": ("signal_type", "timer", "result"),
    "CM_VALIDATE.CNF": ("signal_type", "toggle_num", "result"),
    "CM_SLAC_MATCH.REQ": ("run_id", "pev_mac", "evse_mac"),
    "CM_SLAC_MATCH.CNF": ("run_id", "pev_mac", "evse_mac", "nid"),
    "CM_SET_KEY.REQ": ("key_type", "nid", "new_eks", "pid"),
    "CM_SET_KEY.CNF": ("result", "pid"),
    "CM_GET_KEY.REQ": ("requested_key_type", "nid", "pid"),
    "CM_GET_KEY.CNF": ("result", "requested_key_type", "nid", "eks"),
    "CM_ENCRYPTED_PAYLOAD.IND": ("peks", "avln_status", "pid", "prn", "length"),
    "CM_NW_INFO.CNF": ("networks",),
    "CM_NW_STATS.CNF": ("stations",),
    "VS_SW_VER.CNF": ("mstatus", "device_class", "version"),
    "VS_NW_INFO.CNF": ("networks",),
    "VS_SET_KEY.REQ": ("eks", "peks", "rda"),
    "VS_ATTENUATION_CHARACTERISTICS.IND": ("pev_mac", "num_groups", "aag"),
}

#: Fields that are the same in nearly every frame of their type: never worth the space.
BOILERPLATE = frozenset({"application_type", "security_type", "mvf_length", "cipher_suite_set_size",
                         "version_length", "data_len", "sub_version"})

_MAX_DEFAULT_FIELDS = 4
_MAX_VALUE = 40


def _short(text: str) -> str:
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def format_value(f: Field, v: Any) -> str:
    """One field's value for the summary line: names of coded integers, units, MACs, hex, text."""
    return _formatter(f)(v)


def _names(values: Any) -> dict[int, str]:
    """Value -> member name of a field's code points (an IntEnum or a dict); built once per field."""
    return dict(enum_items(values)) if values is not None else {}


def _notes(values: Any) -> dict[int, str]:
    """Value -> vendor note of a field's code points (``value_note``); built once per message type."""
    if values is None:
        return {}
    return {v: note for v, _ in enum_items(values) if (note := value_note(values, v)) is not None}


def _per_field(build: Callable[[Field], Any]) -> Callable[[Field], Any]:
    """Cache ``build(field)`` per declared field (by identity: fields are the declarations' constants)."""
    cache: dict[int, tuple[Field, Any]] = {}

    def get(f: Field) -> Any:
        hit = cache.get(id(f))
        if hit is None or hit[0] is not f:
            hit = cache[id(f)] = (f, build(f))
        return hit[1]

    return get


@_per_field
def _formatter(f: Field) -> Callable[[Any], str]:
    """``format_value`` for one field, with its kind, value names and unit resolved once."""
    if f.name == "aag":
        return _aag
    if f.kind == INT:
        names = _names(f.values)
        scale, unit = f.scale, f.unit

        def fmt_int(v: Any) -> str:
            if v is None:
                return "-"
            text = str(v)
            name = names.get(v)
            if name is not None:
                text += f" {name}"
            if unit is not None:
                text += f" ({v * scale:g} {unit})" if scale is not None else f" {unit}"
            return text

        return fmt_int
    if f.kind == MAC:
        return lambda v: "-" if v is None else format_mac(v)
    if f.kind == TEXT:
        return lambda v: "-" if v is None else _short(text_value(v))
    if f.kind == ARRAY:
        return lambda v: "-" if v is None else _array(f, v)
    return lambda v: "-" if v is None else _short(bytes(v).hex())


def _array(f: Field, items: list[Any]) -> str:
    if f.item is None and f.kind == BYTES:
        return _short(str(len(items)))
    if f.item is None:
        return f"[{len(items)}]"
    parts = []
    for it in items[:3]:
        sub = [f"{g.name}={format_value(g, x)}" for g, x in zip(f.item.fields, it, strict=True)
               if _informative(g)(x)]
        parts.append("{" + " ".join(sub[:4]) + "}")
    more = f" +{len(items) - 3}" if len(items) > 3 else ""
    return f"[{len(items)}] " + " ".join(parts) + more


def _never(_v: Any) -> bool:
    return False


@_per_field
def _informative(f: Field) -> Callable[[Any], bool]:
    """Whether a value of ``f`` is worth a place on the line (reserved, boilerplate, zero and empty are not)."""
    if f.name.startswith("rsvd") or f.name.startswith("reserved") or f.name in BOILERPLATE:
        return _never
    named = _names(f.values) if f.kind == INT else {}
    blank_bytes = f.kind in (BYTES, MAC)

    def informative(v: Any) -> bool:
        if named and v in named:
            return True  # a named code point says something even when it is 0 (FULL_UPDATE, SUCCESS)
        if v is None or v == 0 or v == b"" or v == []:
            return False
        return not (blank_bytes and not any(bytes(v)))

    return informative


def _aag(values: bytes | list[int] | None) -> str:
    if values is None:
        return "-"  # a frame cut before the groups
    data = list(values)
    if not data:
        return "[]"
    return f"{len(data)} groups, {min(data)}..{max(data)} dB (mean {sum(data) / len(data):.1f})"


_Part = tuple[int, str, Callable[[Any], str], dict[int, str]]  # index, name, formatter, vendor notes


@functools.lru_cache(maxsize=1024)
def _plan(name: str, cls: Any) -> tuple[tuple[_Part, ...], tuple[tuple[_Part, Callable[[Any], bool]], ...] | None]:
    """What the line shows for one message type, worked out once: the KEY_FIELDS parts (mstatus first),
    or (when KEY_FIELDS does not list the type) every field with its informativeness test."""
    fields = tuple(definition_of(cls).layout.fields)
    parts = tuple((i, f.name, _formatter(f), _notes(f.values) if f.kind == INT else {}) for i, f in enumerate(fields))
    wanted = KEY_FIELDS.get(name) or KEY_FIELDS.get(name.rsplit(".", 1)[0])
    if wanted is None:
        status = [(p, _always) for p in parts if p[1] == "mstatus"]
        rest = [(p, _informative(fields[p[0]])) for p in parts if p[1] != "mstatus"]
        return (), tuple(status + rest)
    if "mstatus" not in wanted:
        wanted = ("mstatus", *wanted)
    return tuple(p for w in wanted for p in parts if p[1] == w), None


def _always(_v: Any) -> bool:
    return True


def message_details(frame: Frame) -> str:
    """``run_id=... nid=...`` for the summary line, with vendor notes on coded values at the end."""
    return _details(frame.message, frame.name)


def _details(msg: Any, name: str) -> str:
    if type(msg) is RawMessage or isinstance(msg, RawMessage):
        return f"[{len(msg.body)} bytes]" if msg.body else ""
    cls: Any = type(msg)
    chosen, candidates = _plan(name, cls)
    if candidates is not None:
        chosen = tuple(p for p, useful in candidates if useful(msg[p[0]]))[:_MAX_DEFAULT_FIELDS]
    out, notes = [], []
    for i, field_name, fmt, vendor_notes in chosen:
        v = msg[i]
        out.append(f"{field_name}={fmt(v)}")
        if vendor_notes:
            note = vendor_notes.get(v)
            if note is not None:
                notes.append(f"[{field_name} {v}: {note}]")
    return " ".join(out + notes)


_MAC_TEXT: dict[bytes, str] = {}


def _mac_text(mac: bytes) -> str:
    """``format_mac`` with a small cache: a capture has few stations and every line shows two."""
    text = _MAC_TEXT.get(mac)
    if text is None:
        if len(_MAC_TEXT) >= 4096:
            _MAC_TEXT.clear()
        text = _MAC_TEXT[mac] = format_mac(mac) if len(mac) == 6 else "?"
    return text


def _vlan_text(tags: tuple[VlanTag, ...]) -> str:
    return " ".join(f"[VLAN {t.vid} pcp {t.pcp}]" for t in tags)


def summary_line(rec: CapturedFrame, time_format: str = "r", digits: int = 6) -> str:
    """One line per record, like tshark's default output."""
    t = format_time(rec, time_format, digits)
    d = rec.data
    frame = rec.frame
    eth = frame if frame is not None else rec.header if rec.header is not None else rec.ethernet
    src, dst = (eth.src, eth.dst) if eth is not None else (d[6:12], d[0:6])
    dst_text = _mac_text(dst) if rec.dst_known else "?"
    head = f"{rec.index:7d} {t:>12} {_mac_text(src):17} → {dst_text:17} {rec.orig_len:5d}"
    if frame is not None:
        name = frame.name
        what = f"{name} {_details(frame.message, name)}".rstrip()
    elif rec.hp10 is not None:
        what = rec.hp10.name
    elif rec.fragment is not None:
        what = rec.fragment
    else:
        known: Any = rec.header if rec.header is not None else rec.error.header if rec.error is not None else None
        name = (mmtype_name(known.mmtype, known.oui) + " "
                if known is not None and known.mmtype is not None and known.mmv in (0, 1, 2) else "")
        what = f"{name}[error] {rec.error}"
    line = f"{head} {what}"
    if frame is not None and frame.fmi_anomaly:
        line += f" [FMI not believed: {frame.fmi_anomaly}]"
    tags = record_vlan_tags(rec)
    if tags:
        line += " " + _vlan_text(tags)
    if rec.orig_len > len(d):
        line += f" [cut by snaplen: {len(d)} of {rec.orig_len} bytes]"
    elif frame is not None and frame.truncated:
        line += " [truncated]"
    if rec.fcs_ok is False:
        line += " [bad FCS]"
    if rec.reassembled is not None:
        line += f" [reassembled {rec.reassembled.name}: {message_details(rec.reassembled)}]"
    return line
