"""What a capture gives away about its networks' keys: the report behind ``plcstack keys audit``.

Pure: :func:`audit` takes what :func:`plcstack.keys.scan.scan_records` found and, optionally, the
result of a dictionary search over its NIDs (:mod:`plcstack.keys.dictionary`), and returns an
:class:`AuditReport`, which renders itself as JSON (:meth:`AuditReport.to_json`) or as text lines
(:meth:`AuditReport.text_lines`). Reading the capture, running the search and printing are the
caller's (the CLI's) job.

Findings: factory-default networks (the NID of ``HomePlugAV`` / ``HomePlugAV0123``), passwords the
dictionary recovered, keys sent unencrypted, and NMKs sent with a NID that is not theirs. Key values
appear only with ``show_keys``; recovered passwords always do (that is what an audit is for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plcstack.codec.mac import format_mac
from plcstack.keys.derive import nid_security_level, nid_without_level
from plcstack.keys.dictionary import SearchResult
from plcstack.keys.scan import CaptureKeys, KeyDisclosure, PayloadResult, default_password_of_nid
from plcstack.keys.secret import Secret

#: Key types whose disclosure in clear is a finding (TEKs and hash keys are one-time values).
_LASTING_KEYS = ("NMK", "NEK", "DAK")


@dataclass(frozen=True)
class NidReport:
    """One NID seen in the capture and what is known about its password."""

    nid: bytes
    frames: tuple[int, ...]
    messages: tuple[str, ...]
    default_password: str | None
    nmk_disclosed_in_frame: int | None
    recovered_passwords: tuple[bytes, ...] = field(repr=False)

    @property
    def security_level(self) -> int:
        return nid_security_level(self.nid)

    def to_json(self) -> dict[str, Any]:
        return {
            "nid": _hex(self.nid), "security_level": self.security_level, "frames": list(self.frames),
            "messages": list(self.messages), "default_password": self.default_password,
            "nmk_disclosed_in_frame": self.nmk_disclosed_in_frame,
            "recovered_passwords": [p.decode("utf-8", "backslashreplace") for p in self.recovered_passwords],
        }


@dataclass(frozen=True)
class AuditReport:
    capture: str
    nids: tuple[NidReport, ...]
    keys: tuple[KeyDisclosure, ...]
    payloads: tuple[PayloadResult, ...]
    search: SearchResult | None
    findings: tuple[str, ...]

    def to_json(self, show_keys: bool = False) -> dict[str, Any]:
        return {
            "capture": self.capture,
            "nids": [n.to_json() for n in self.nids],
            "keys": [key_json(k, show_keys) for k in self.keys],
            "encrypted_payloads": [payload_json(p) | {"inner": p.inner.name if p.inner else None}
                                   for p in self.payloads],
            "search": None if self.search is None else search_json(self.search),
            "findings": list(self.findings),
        }

    def text_lines(self, show_keys: bool = False) -> list[str]:
        """The human-readable report, one string per line."""
        out = [f"NIDs disclosed: {len(self.nids)}"]
        for n in self.nids:
            out.append(f"  {_hex(n.nid)}  level {n.security_level}  {frames_text(list(n.frames))}  "
                       f"({', '.join(n.messages)})")
            if n.default_password:
                out.append(f"      FACTORY DEFAULT ({n.default_password})")
            if n.nmk_disclosed_in_frame:
                out.append(f"      NMK sent in clear in frame {n.nmk_disclosed_in_frame}")
            for pw in n.recovered_passwords:
                out.append(f"      password recovered: {pw.decode('utf-8', 'backslashreplace')!r}")
        out.append(f"Keys sent in clear: {len(self.keys)}" + ("" if show_keys else " (values: --show-keys)"))
        out.extend(_key_group_lines(self.keys, show_keys))
        if self.payloads:
            ok = sum(p.inner is not None for p in self.payloads)
            out.append(f"Encrypted payloads: {len(self.payloads)}, decrypted {ok} (details: plcstack keys decrypt)")
        if self.search is not None:
            s = search_json(self.search)
            out.append(f"Dictionary search: {s['candidates']} candidates in {s['seconds']} s on {s['processes']} "
                       f"processes: {s['passwords_per_s']} passwords/s ({s['passwords_per_s_per_process']}/s "
                       "per process)")
        if self.findings:
            out.append("Findings:")
            out.extend(f"  ! {f}" for f in self.findings)
        return out


def audit(scan: CaptureKeys, search: SearchResult | None = None, capture: str = "") -> AuditReport:
    """The audit report of a scanned capture (``search``: a dictionary search over its NIDs, if run)."""
    key_by_core: dict[bytes, KeyDisclosure] = {}
    for k in scan.keys:
        if k.nid is not None and k.nid_matches_key:
            key_by_core.setdefault(nid_without_level(k.nid), k)
    recovered: dict[bytes, list[bytes]] = {}
    for r in search.found if search is not None else ():
        recovered.setdefault(r.nid, []).append(r.password)
    nids = []
    for nid, sightings in scan.nid_frames().items():
        known = key_by_core.get(nid_without_level(nid))
        nids.append(NidReport(
            nid, tuple(sorted({s.frame for s in sightings})), tuple(sorted({s.message for s in sightings})),
            default_password_of_nid(nid), known.frame if known else None, tuple(recovered.get(nid, ())),
        ))
    return AuditReport(capture, tuple(nids), tuple(scan.keys), tuple(scan.payloads), search,
                       tuple(findings(nids, scan.keys)))


def findings(nids: list[NidReport], keys: list[KeyDisclosure]) -> list[str]:
    """The audit's conclusions, worst first per kind."""
    out = []
    for n in nids:
        if n.default_password:
            out.append(f"NID {_hex(n.nid)} is the factory-default network of {n.default_password!r}")
        elif n.recovered_passwords:
            out.append(f"NID {_hex(n.nid)}: weak network password found by dictionary search")
    cleartext = [k for k in keys if not k.inside_payload and k.key_type.name in _LASTING_KEYS]
    if cleartext:
        out.append(f"{len(cleartext)} key(s) sent unencrypted ({frames_text([k.frame for k in cleartext])}): "
                   "anyone on the wire can read them")
    mismatched: dict[tuple[str, str], list[int]] = {}
    for k in keys:
        if k.nid_matches_key is False and k.nid is not None:
            mismatched.setdefault((_hex(k.nid), k.message), []).append(k.frame)
    for (nid, message), frames in mismatched.items():
        why = " (a CM_GET_KEY.CNF echoes the requested NID: the station holds another network's NMK)" \
            if message.startswith("CM_GET_KEY.CNF") else ""
        out.append(f"{message} with NID {nid} carries an NMK of another NID in {frames_text(frames)}{why}")
    return out


# ------------------------------------------------------------------------------------ rendering


def key_json(k: KeyDisclosure, show_keys: bool = False) -> dict[str, Any]:
    return {
        "frame": k.frame, "time": k.time, "message": k.message, "src": format_mac(k.src), "dst": format_mac(k.dst),
        "key_type": k.key_type.name, "key": _show(k.key, show_keys), "nid": _hex(k.nid) if k.nid else None,
        "eks": k.eks, "nid_matches_key": k.nid_matches_key, "default_password": k.default_password,
        "inside_encrypted_payload": k.inside_payload,
    }


def payload_json(p: PayloadResult) -> dict[str, Any]:
    """The outer CM_ENCRYPTED_PAYLOAD.IND and which key opened it (its source, never its value)."""
    m = p.outer.message
    return {"frame": p.frame, "src": format_mac(p.outer.src), "dst": format_mac(p.outer.dst), "peks": m.peks,
            "avln_status": m.avln_status, "pid": m.pid, "prn": m.prn, "pmn": m.pmn, "length": m.length,
            "key": p.key_source, "error": p.error}


def search_json(s: SearchResult) -> dict[str, Any]:
    return {"candidates": s.tried, "seconds": round(s.seconds, 3), "processes": s.processes,
            "passwords_per_s": round(s.rate), "passwords_per_s_per_process": round(s.rate_per_process)}


def frames_text(frames: list[int], limit: int = 10) -> str:
    """``frame 3`` / ``frames 3,36`` / ``frames 1,...,10,... (42 in all)``."""
    shown = ",".join(map(str, frames[:limit]))
    more = f",... ({len(frames)} in all)" if len(frames) > limit else ""
    return f"frame{'s' if len(frames) > 1 else ''} {shown}{more}"


def _key_group_lines(keys: tuple[KeyDisclosure, ...], show_keys: bool) -> list[str]:
    """The same key in the same kind of message between the same stations: one line with all its frames."""
    groups: dict[tuple[Any, ...], list[KeyDisclosure]] = {}
    for k in keys:
        groups.setdefault((k.key.reveal(), k.key_type, k.message, k.src, k.dst, k.nid, k.nid_matches_key, k.eks),
                          []).append(k)
    out = []
    for members in groups.values():
        k = members[0]
        extra = []
        if k.nid:
            extra.append(f"NID {_hex(k.nid)}" + ("" if k.nid_matches_key in (None, True)
                                                 else " (does NOT match the NMK)"))
        if k.eks is not None:
            extra.append(f"EKS {k.eks}")
        if k.default_password:
            extra.append(f"FACTORY DEFAULT ({k.default_password})")
        out.append(f"  {frames_text([m.frame for m in members])}  {k.key_type.name:<4} {_show(k.key, show_keys)}  "
                   f"{k.message}  {format_mac(k.src)} -> {format_mac(k.dst)}  " + "  ".join(extra))
    return out


def _show(key: Secret, show_keys: bool) -> str:
    return key.reveal_hex() if show_keys else "<redacted>"


def _hex(b: bytes) -> str:
    return b.hex().upper()
