"""The JSON object of ``plcstack decode --json``, one per frame (shape: ``docs/capture.md``)."""

from __future__ import annotations

from typing import Any

from plcstack.capture.fields import vlan_list
from plcstack.capture.records import CapturedFrame
from plcstack.capture.timefmt import epoch_string, seconds
from plcstack.codec import EthernetHeader, Frame, Header, RawMessage, VlanTag
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


def wire_mme_octets(data: bytes, eth: EthernetHeader) -> dict[str, Any]:
    """MMV and MMTYPE as they are on the wire, for a frame whose MME header did not decode: the
    error report keeps them (an MMV of 0x08 from a bit error is what the user must see)."""
    p = eth.payload_offset
    out: dict[str, Any] = {}
    if len(data) > p:
        out["mmv"] = data[p]
    if len(data) >= p + 3:
        out["mmtype"] = data[p + 1] | data[p + 2] << 8
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
            out.update(wire_mme_octets(d, rec.ethernet))
        if rec.header is not None:
            out.update(header_json(rec.header, rec.dst_known))
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
