"""The default one-line view of a frame, tshark-like: number, time, MACs, length, name, what matters.

``    12   0.532100 02:00:00:00:00:01 → ff:ff:ff:ff:ff:ff  60 CM_SLAC_MATCH.CNF run_id=... nid=...``

For the messages people look at most (SLAC, keys, Qualcomm status) :data:`KEY_FIELDS` lists the
fields worth a place on the line; other messages show their first few informative fields
(reserved fields and fields that are 0 or empty are left out).  Coded values carry their name.
"""

from __future__ import annotations

import functools
from typing import Any

from plcstack.capture.fields import record_vlan_tags
from plcstack.capture.records import CapturedFrame
from plcstack.capture.timefmt import format_time
from plcstack.codec import Frame, RawMessage
from plcstack.codec.codes import value_name, value_note
from plcstack.codec.layout import ARRAY, BYTES, INT, MAC, TEXT, Field
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
    if v is None:
        return "-"
    if f.kind == INT:
        text = str(v)
        name = value_name(f.values, v)
        if name is not None:
            text += f" {name}"
        if f.unit is not None:
            q = v * f.scale if f.scale is not None else v
            text += f" ({q:g} {f.unit})" if f.scale is not None else f" {f.unit}"
        return text
    if f.kind == MAC:
        return format_mac(v)
    if f.kind == TEXT:
        return _short(bytes(v).split(b"\0", 1)[0].decode("latin-1"))
    if f.kind == ARRAY:
        return _array(f, v)
    return _short(bytes(v).hex())


def _array(f: Field, items: list[Any]) -> str:
    if f.name == "aag" or (f.item is None and f.kind == BYTES):
        return _short(str(len(items)))
    if f.item is None:
        return f"[{len(items)}]"
    parts = []
    for it in items[:3]:
        sub = [f"{g.name}={format_value(g, x)}" for g, x in zip(f.item.fields, it, strict=True)
               if _informative(g, x)]
        parts.append("{" + " ".join(sub[:4]) + "}")
    more = f" +{len(items) - 3}" if len(items) > 3 else ""
    return f"[{len(items)}] " + " ".join(parts) + more


def _informative(f: Field, v: Any) -> bool:
    if f.name.startswith("rsvd") or f.name.startswith("reserved") or f.name in BOILERPLATE:
        return False
    if f.kind == INT and value_name(f.values, v) is not None:
        return True  # a named code point says something even when it is 0 (FULL_UPDATE, SUCCESS)
    if v is None or v == 0 or v == b"" or v == []:
        return False
    return not (f.kind in (BYTES, MAC) and not any(bytes(v)))


def _aag(values: bytes | list[int]) -> str:
    data = list(values)
    if not data:
        return "[]"
    return f"{len(data)} groups, {min(data)}..{max(data)} dB (mean {sum(data) / len(data):.1f})"


@functools.lru_cache(maxsize=1024)
def _plan(name: str, cls: Any) -> tuple[tuple[Field, ...], tuple[int, ...] | None]:
    """Fields of a message class and, when KEY_FIELDS lists it, the indices to show (mstatus first)."""
    fields = tuple(definition_of(cls).layout.fields)
    wanted = KEY_FIELDS.get(name) or KEY_FIELDS.get(name.rsplit(".", 1)[0])
    if wanted is None:
        return fields, None
    if "mstatus" not in wanted:
        wanted = ("mstatus", *wanted)
    return fields, tuple(i for w in wanted for i, f in enumerate(fields) if f.name == w)


def message_details(frame: Frame) -> str:
    """``run_id=... nid=...`` for the summary line, with vendor notes on coded values at the end."""
    msg = frame.message
    if isinstance(msg, RawMessage):
        return f"[{len(msg.body)} bytes]" if msg.body else ""
    cls: Any = type(msg)
    fields, plan = _plan(frame.name, cls)
    if plan is not None:
        chosen = [(fields[i], msg[i]) for i in plan]
    else:
        pairs = list(zip(fields, msg, strict=True))
        chosen = [(f, v) for f, v in pairs if f.name == "mstatus"]
        chosen += [(f, v) for f, v in pairs if f.name != "mstatus" and _informative(f, v)]
        chosen = chosen[:_MAX_DEFAULT_FIELDS]
    out, notes = [], []
    for f, v in chosen:
        out.append(f"{f.name}={_aag(v) if f.name == 'aag' else format_value(f, v)}")
        note = value_note(f.values, v) if f.kind == INT and f.values is not None else None
        if note is not None:
            notes.append(f"[{f.name} {v}: {note}]")
    return " ".join(out + notes)


def _vlan_text(rec: CapturedFrame) -> str:
    return " ".join(f"[VLAN {t.vid} pcp {t.pcp}]" for t in record_vlan_tags(rec))


def summary_line(rec: CapturedFrame, time_format: str = "r", digits: int = 6) -> str:
    """One line per record, like tshark's default output."""
    t = format_time(rec, time_format, digits)
    d = rec.data
    frame = rec.frame
    eth = frame if frame is not None else rec.header if rec.header is not None else rec.ethernet
    src, dst = (eth.src, eth.dst) if eth is not None else (d[6:12], d[0:6])
    dst_text = format_mac(dst) if rec.dst_known and len(dst) == 6 else "?"
    head = f"{rec.index:7d} {t:>12} {format_mac(src) if len(src) == 6 else '?':17} → {dst_text:17} {rec.orig_len:5d}"
    if frame is not None:
        what = f"{frame.name} {message_details(frame)}".rstrip()
    elif rec.hp10 is not None:
        what = rec.hp10.name
    elif rec.fragment is not None:
        what = f"fragment {rec.fragment}"
    else:
        name = mmtype_name(rec.header.mmtype, rec.header.oui) + " " if rec.header is not None else ""
        what = f"{name}[error] {rec.error}"
    extra = []
    if frame is not None and frame.fmi_anomaly:
        extra.append(f"[FMI not believed: {frame.fmi_anomaly}]")
    if record_vlan_tags(rec):
        extra.append(_vlan_text(rec))
    if rec.cut:
        extra.append(f"[cut by snaplen: {len(d)} of {rec.orig_len} bytes]")
    elif frame is not None and frame.truncated:
        extra.append("[truncated]")
    if rec.fcs_ok is False:
        extra.append("[bad FCS]")
    if rec.reassembled is not None:
        extra.append(f"[reassembled {rec.reassembled.name}: {message_details(rec.reassembled)}]")
    return " ".join([head, what, *extra])
