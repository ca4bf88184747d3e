"""The JSON object of ``plcstack decode --json``, one per frame (shape: ``docs/capture.md``)."""

from __future__ import annotations

from typing import Any

from plcstack.capture.fields import vlan_list
from plcstack.capture.records import CapturedFrame
from plcstack.capture.timefmt import epoch_string, seconds
from plcstack.codec import Frame, Header, PartialHeader, RawMessage, VlanTag
from plcstack.codec.layout import to_jsonable
from plcstack.codec.mac import format_mac
from plcstack.codec.names import mmtype_name
from plcstack.codec.registry import definition_of


def fields_of(frame: Frame) -> dict[str, Any]:
    """The message's fields as JSON values (bytes as hex, MACs as aa:bb:cc:dd:ee:ff)."""
    msg = frame.message
    if isinstance(msg, RawMessage):
        return {"body": msg.body.hex()}
    return to_jsonable(definition_of(msg).record, msg)


def _fmi(fmi: int | None) -> dict[str, Any] | None:
    if fmi is None:
        return None
    return {"raw": f"{fmi:04x}", "nf_mi": fmi >> 12, "fn_mi": (fmi >> 8) & 0x0F, "fmsn": fmi & 0xFF}


def _vlan(tags: tuple[VlanTag, ...]) -> list[dict[str, int]] | None:
    return vlan_list(tags) or None


def partial_header_json(known: PartialHeader, dst_known: bool = True) -> dict[str, Any]:
    """The header keys of a frame whose header did not decode: what the codec had read before the fault
    (``DecodeError.header``).  A bad MMV keeps its value and the MMTYPE octets after it (a bit error
    that turns MMV into 0x08 is what the user must see); the name is given only under a valid MMV."""
    out: dict[str, Any] = {}
    if known.src is not None:
        out["src"] = format_mac(known.src)
    if known.dst is not None:
        out["dst"] = format_mac(known.dst) if dst_known else None
    if known.vlan_tags:
        out["vlan"] = _vlan(known.vlan_tags)
    out.update({"mmv": known.mmv, "mmtype": known.mmtype,
                "oui": known.oui.hex() if known.oui is not None else None, "fmi": _fmi(known.fmi)})
    if known.mmtype is not None and known.mmv in (0, 1, 2):
        out["name"] = mmtype_name(known.mmtype, known.oui)
    return out


def header_json(h: Header | Frame, dst_known: bool = True) -> dict[str, Any]:
    """The header keys every record has when its header could be read."""
    return {
        "src": format_mac(h.src), "dst": format_mac(h.dst) if dst_known else None, "vlan": _vlan(h.vlan_tags),
        "mmv": h.mmv, "mmtype": h.mmtype, "name": mmtype_name(h.mmtype, h.oui),
        "oui": h.oui.hex() if h.oui is not None else None, "fmi": _fmi(h.fmi),
    }


def frame_json(frame: Frame, dst_known: bool = True) -> dict[str, Any]:
    """Header keys plus ``fields`` (and ``trailing`` / ``truncated`` when there are any)."""
    out = header_json(frame, dst_known)
    out["fields"] = fields_of(frame)
    if frame.trailing:
        out["trailing"] = frame.trailing.hex()
    if frame.truncated:
        out["truncated"] = frame.truncated
    return out


def record_json(rec: CapturedFrame) -> dict[str, Any]:
    """The JSON object of one record (``plcstack decode --json``)."""
    out: dict[str, Any] = {"frame": rec.index}
    if rec.file is not None:
        out["file"] = rec.file
    out.update({"time": epoch_string(rec.time_ns), "time_ns": rec.time_ns,
                "time_relative": seconds(rec.rel_ns), "kind": rec.kind, "len": rec.orig_len})
    d = rec.data
    blank: dict[str, Any] = {
        "src": format_mac(d[6:12]) if len(d) >= 12 else None,
        "dst": format_mac(d[0:6]) if len(d) >= 6 and rec.dst_known else None,
        "vlan": None, "mmv": None, "mmtype": None, "name": None, "oui": None, "fmi": None, "fields": {},
    }
    if rec.frame is not None:
        out.update(frame_json(rec.frame, rec.dst_known))
    elif rec.hp10 is not None:
        h = rec.hp10
        out.update(blank)
        out.update({"src": format_mac(h.src), "dst": format_mac(h.dst) if rec.dst_known else None,
                    "vlan": _vlan(h.vlan_tags), "name": h.name, "ethertype": "0x887b",
                    "fields": {"entries": [{"mev": e.mev, "metype": e.metype, "name": e.name,
                                            "data": e.data.hex()} for e in h.entries]}})
    else:
        out.update(blank)
        if rec.ethernet is not None:
            out["vlan"] = _vlan(rec.ethernet.vlan_tags)
        if rec.header is not None:
            out.update(header_json(rec.header, rec.dst_known))
        elif rec.error is not None and rec.error.header is not None:
            out.update(partial_header_json(rec.error.header, rec.dst_known))
        out["raw"] = bytes(d).hex()
    if rec.error is not None:
        out["error"] = str(rec.error)
        out["error_field"] = rec.error.field
        out["error_offset"] = rec.error.offset
    else:
        out["error"] = None
    if rec.cut:
        out["cut"] = {"captured": len(d), "on_wire": rec.orig_len}
    if rec.fcs is not None:
        out["fcs"] = rec.fcs.hex()
        out["fcs_ok"] = rec.fcs_ok
    if rec.outgoing is not None:
        out["outgoing"] = rec.outgoing
    if rec.fragment:
        out["fragment"] = rec.fragment
    if rec.reassembled is not None:
        out["reassembled"] = frame_json(rec.reassembled, rec.dst_known)
    return out
