"""Decode, filter, summarise and verify pcap/pcapng captures of HomePlug traffic (streaming).

Every packet record is read once from a chunked reader (constant memory); HomePlug AV frames
(ethertype 0x88E1, optionally behind an 802.1Q tag) are decoded, everything else is counted and
skipped.  A malformed frame becomes a record with its ``error`` set (a typed
:class:`~plcstack.codec.DecodeError` naming frame and field) and decoding continues.  Fragmented
MMEs are reassembled on the side: the record that completes a message carries it in
``reassembled``.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from plcstack.codec import DecodeError, Frame, RawMessage, decode_frame, encode_frame, mmtype_name
from plcstack.codec.fragment import PushResult, Reassembler
from plcstack.codec.hp10 import HP10Frame, decode_hp10, encode_hp10
from plcstack.codec.layout import to_jsonable
from plcstack.codec.mac import format_mac
from plcstack.codec.registry import definition_of
from plcstack.pcapio import LINKTYPE_ETHERNET, CaptureReader, open_capture

_ET_AV = (0x88, 0xE1)


@dataclass(slots=True)
class Record:
    """One HomePlug frame of a capture."""

    index: int  # 1-based frame number in the file, counting every packet (like Wireshark)
    time: float
    data: bytes  # the frame's bytes
    frame: Frame | None
    error: DecodeError | None
    reassembled: Frame | None = None
    fragment: str | None = None  # e.g. "2/3 (spec)" for a fragment held for reassembly
    hp10: HP10Frame | None = None  # a HomePlug 1.0 (0x887B) frame


@dataclass
class CaptureStats:
    packets: int = 0
    homeplug: int = 0
    non_homeplug: int = 0
    errors: int = 0
    truncated: int = 0
    fragments: int = 0
    reassembled: int = 0
    mismatches: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        rate = self.homeplug / self.elapsed_s if self.elapsed_s > 0 else None
        return {
            "packets": self.packets, "homeplug_frames": self.homeplug, "non_homeplug_skipped": self.non_homeplug,
            "decode_errors": self.errors, "truncated": self.truncated, "fragments": self.fragments,
            "reassembled": self.reassembled, "verify_mismatches": self.mismatches,
            "by_type": dict(sorted(self.by_type.items())), "elapsed_s": round(self.elapsed_s, 4),
            "frames_per_s": round(rate) if rate else None,
        }


def type_matcher(spec: str | None) -> Callable[[int, bytes | None], bool] | None:
    """``CM_SLAC_PARM`` (any variant), ``CM_SLAC_PARM.REQ``, ``0x6064`` or ``24676`` -> predicate."""
    if not spec:
        return None
    wanted: list[Callable[[int, bytes | None], bool]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            value = int(item, 0)
        except ValueError:
            name = item.upper()
            if "." in name:
                wanted.append(lambda t, o, n=name: mmtype_name(t, o) == n)
            else:
                wanted.append(lambda t, o, n=name: mmtype_name(t, o).split(".")[0] == n)
        else:
            wanted.append(lambda t, o, v=value: t == v)
    return lambda t, o: any(w(t, o) for w in wanted)


class CaptureDecoder:
    """Iterate a capture's HomePlug frames as :class:`Record` objects; counts go to ``stats``."""

    def __init__(self, source: str | os.PathLike[str], *, types: str | None = None, verify: bool = False,
                 reassemble: bool = True) -> None:
        self.source = source
        self.match = type_matcher(types)
        self.verify = verify
        self.stats = CaptureStats()
        self.reassembler = Reassembler() if reassemble else None
        self.reader: CaptureReader | None = None
        self.mismatch_details: list[dict[str, Any]] = []

    def __iter__(self) -> Iterator[Record]:
        stats = self.stats
        match = self.match
        reasm = self.reassembler
        start = time.perf_counter()
        with open_capture(self.source) as reader:
            self.reader = reader
            for index, ts, buf, off, length, linktype in reader:
                stats.packets += 1
                end = off + length
                p = off + 12
                if linktype != LINKTYPE_ETHERNET or length < 14:
                    stats.non_homeplug += 1
                    continue
                if buf[p] == 0x81 and buf[p + 1] == 0x00 and length >= 18:
                    p += 4
                if (buf[p], buf[p + 1]) != _ET_AV:
                    if buf[p] == 0x88 and buf[p + 1] == 0x7B and (match is None or match(-1, None)):
                        stats.homeplug += 1
                        yield self._hp10(index, ts, buf[off:end])
                        continue
                    stats.non_homeplug += 1
                    continue
                if match is not None and length >= p - off + 5:
                    mmtype = buf[p + 3] | buf[p + 4] << 8
                    hdr = p + 5 + (2 if buf[p + 2] else 0)
                    oui = bytes(buf[hdr:hdr + 3]) if mmtype >= 0x8000 else None
                    if not match(mmtype, oui):
                        continue
                stats.homeplug += 1
                data = buf[off:end]
                rec = Record(index, ts, data, None, None)
                try:
                    rec.frame = decode_frame(data)
                except DecodeError as exc:
                    rec.error = exc.with_frame(index)
                if reasm is not None and buf[p + 2] and length >= p - off + 7 and (buf[p + 5] | buf[p + 6]):
                    result, whole = reasm.push(data, ts)
                    if result is PushResult.FRAGMENT or result is PushResult.COMPLETE:
                        stats.fragments += 1
                        rec.error = None  # a continuation fragment is not a malformed frame
                        rec.fragment = f"of MMTYPE 0x{data[p - off + 3] | data[p - off + 4] << 8:04X} ({reasm_convention(data, p - off)})"
                        if rec.frame is None or rec.frame.oui is not None and not isinstance(rec.frame.message, RawMessage):
                            rec.frame = None
                    if result is PushResult.COMPLETE and whole is not None:
                        rec.reassembled = whole
                        stats.reassembled += 1
                if rec.error is not None:
                    stats.errors += 1
                    stats.by_type["(decode error)"] += 1
                elif rec.frame is not None:
                    stats.by_type[rec.frame.name] += 1
                    if rec.frame.truncated:
                        stats.truncated += 1
                    if self.verify and encode_frame(rec.frame) != data:
                        stats.mismatches += 1
                        self.mismatch_details.append({"frame": index, "name": rec.frame.name})
                else:
                    stats.by_type["(fragment)"] += 1
                yield rec
        stats.elapsed_s = time.perf_counter() - start


    def _hp10(self, index: int, ts: float, data: bytes) -> Record:
        rec = Record(index, ts, data, None, None)
        try:
            rec.hp10 = decode_hp10(data)
        except DecodeError as exc:
            rec.error = exc.with_frame(index)
            self.stats.errors += 1
            self.stats.by_type["(decode error)"] += 1
            return rec
        self.stats.by_type[rec.hp10.name] += 1
        if self.verify and encode_hp10(rec.hp10) != data:
            self.stats.mismatches += 1
            self.mismatch_details.append({"frame": index, "name": rec.hp10.name})
        return rec


def reasm_convention(data: bytes, p: int) -> str:
    a, b = data[p + 5], data[p + 6]
    return "spec order" if a >> 4 else "open-plc-utils order" if b >> 4 else "unfragmented"


def iter_decoded(path: str | os.PathLike[str], **kwargs: Any) -> Iterator[Record]:
    """Convenience: iterate the HomePlug frames of a capture."""
    return iter(CaptureDecoder(path, **kwargs))


def count_decoded(path: str | os.PathLike[str]) -> int:
    """Hot path used by benchmarks: full decode of every HomePlug frame, nothing else."""
    n = 0
    with open_capture(path) as reader:
        for _index, _ts, buf, off, length, _lt in reader:
            if buf[off + 12] == 0x88 and buf[off + 13] == 0xE1:
                decode_frame(buf, off, off + length)
                n += 1
    return n


# ----------------------------------------------------------------------------- presentation


def fields_of(frame: Frame) -> dict[str, Any]:
    msg = frame.message
    if isinstance(msg, RawMessage):
        return {"body": msg.body.hex()}
    return to_jsonable(definition_of(msg).record, msg)


def frame_json(frame: Frame) -> dict[str, Any]:
    out: dict[str, Any] = {
        "src": format_mac(frame.src), "dst": format_mac(frame.dst), "vlan": frame.vlan, "mmv": frame.mmv,
        "mmtype": frame.mmtype, "name": frame.name, "oui": frame.oui.hex() if frame.oui is not None else None,
        "fmi": ({"raw": f"{frame.fmi:04x}", "nf_mi": frame.nf_mi, "fn_mi": frame.fn_mi, "fmsn": frame.fmsn}
                if frame.fmi is not None else None),
        "fields": fields_of(frame),
    }
    if frame.trailing:
        out["trailing"] = frame.trailing.hex()
    if frame.truncated:
        out["truncated"] = frame.truncated
    return out


def frame_to_json(rec: Record) -> dict[str, Any]:
    """The JSON object of ``plcstack decode --json`` for one record."""
    if rec.frame is not None:
        out = {"frame": rec.index, "time": rec.time, **frame_json(rec.frame), "error": None}
    elif rec.hp10 is not None:
        h = rec.hp10
        out = {"frame": rec.index, "time": rec.time, "src": format_mac(h.src), "dst": format_mac(h.dst),
               "vlan": h.vlan, "mmv": None, "mmtype": None, "name": h.name, "oui": None, "fmi": None,
               "fields": {"entries": [{"mev": e.mev, "metype": e.metype, "name": e.name, "data": e.data.hex()}
                                      for e in h.entries]}, "error": None, "ethertype": "0x887b"}
    else:
        d = rec.data
        out = {
            "frame": rec.index, "time": rec.time,
            "src": format_mac(d[6:12]) if len(d) >= 12 else None,
            "dst": format_mac(d[0:6]) if len(d) >= 6 else None,
            "mmv": None, "mmtype": None, "name": None, "oui": None, "fmi": None, "fields": {},
            "raw": bytes(d).hex(), "error": str(rec.error) if rec.error else None,
        }
    if rec.fragment:
        out["fragment"] = rec.fragment
    if rec.reassembled is not None:
        out["reassembled"] = frame_json(rec.reassembled)
    return out


def _short(value: Any) -> str:
    s = str(value)
    return s if len(s) <= 34 else s[:31] + "..."


def summary_line(rec: Record, t0: float) -> str:
    """A one-line summary like tshark's default output."""
    t = rec.time - t0
    if rec.hp10 is not None:
        h = rec.hp10
        return f"{rec.index:7d} {t:12.6f} {format_mac(h.src):17} → {format_mac(h.dst):17} {h.name}"
    if rec.frame is None:
        what = f"fragment {rec.fragment}" if rec.fragment else f"[error] {rec.error}"
        d = rec.data
        return f"{rec.index:7d} {t:12.6f} {format_mac(d[6:12]):17} → {format_mac(d[0:6]):17} {what}"
    f = rec.frame
    fields = fields_of(f)
    items = []
    for k, v in fields.items():
        if k.startswith("rsvd") or v in (None, "", []):
            continue
        if isinstance(v, list):
            v = f"[{len(v)}]"
        items.append(f"{k}={_short(v)}")
        if len(items) == 5:
            break
    extra = []
    if f.truncated:
        extra.append("[truncated]")
    if rec.reassembled is not None:
        extra.append(f"[reassembled {rec.reassembled.name}]")
    mmv = f"MMV{f.mmv}"
    return (f"{rec.index:7d} {t:12.6f} {format_mac(f.src):17} → {format_mac(f.dst):17} {f.name:34} {mmv} "
            + " ".join(items + extra))


def __getattr__(name: str) -> Any:
    # columnar export (pyarrow is optional): imported on first use
    if name in ("to_tables", "to_pandas"):
        from plcstack.capture import export

        return getattr(export, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
