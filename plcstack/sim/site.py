"""The site description: a TOML file of cable runs, chargers and PLC modules.

A minimal site plus optional knobs, every one with a default::

    [site]
    grid = "TN"                 # TN, TT or IT
    mains_hz = 50
    noise_class = "industrial"  # residential, commercial or industrial (the default: EV-charging sites)
    cross_phase_loss_db = 10    # dB between phases on TN/TT
    gateway_policy = "hysteresis"   # "none", "hysteresis" or "sticky" (charger firmware)
    lone_policy = "become_cco"  # or "stay_unassociated" (rule book, docs/avln.md)

    [[cable]]
    name = "run-A"
    type = "Cu-10mm2"
    length_m = 80

    [[breaker]]                 # optional series element (MCB, RCD, AFCI) on a run
    cable = "run-A"
    at_m = 0
    insertion_loss_db = 3

    [[charger]]
    name = "C1"
    cable = "run-A"
    at_m = 10
    phase = "L1"                # TN/TT: L1, L2, L3 (to N); IT: "L1-L3", "L1-L2" or "L2-L3"
    wifi_rssi_dbm = -70
    bridge = true
    network_password = "..."
    charging = ["18:00-23:00"]

    [[plc_module]]
    name = "M1"
    cable = "run-A"
    at_m = 40
    network_password = "..."

    [[link]]                    # optional per-pair calibration from field readings (plcrate, plctone)
    a = "C1"
    b = "M1"
    extra_loss_db = 6           # added to the bottom-up channel (both directions unless directed = true)
    multipath = "4path"         # or replace the channel by a Zimmermann-Dostert model: 4path, 15path,
                                # 5path, 17path -- coupling loss still applies

Every ``[site]`` parameter, its unit, default and source: ``docs/sim-parameters.md``.

Parsing is strict: unknown keys, unknown cables and impossible positions raise :class:`SiteError`
naming the table and key, because a silently ignored typo changes what the simulation predicts.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..avln.rules import DEFAULT_LONE_POLICY, CcoMode, LonePolicy
from ..codec.mac import format_mac
from .channel import CABLES, ZIMMERMANN_MEASURED_A1_S_PER_M
from .noise import RECEIVER_FLOOR_DBM_PER_HZ
from .noiseclass import DEFAULT_NOISE_CLASS, NOISE_CLASSES

GRIDS = ("TN", "TT", "IT")
TN_PHASES = ("L1", "L2", "L3")
IT_PAIRS = ("L1-L2", "L1-L3", "L2-L3")
GATEWAY_POLICIES = ("none", "hysteresis", "sticky")
TECHNOLOGIES = ("GP", "AV", "AV2")
DAY_S = 86_400.0


class SiteError(ValueError):
    """The site file is inconsistent; the message names the table and the key."""


@dataclass(frozen=True)
class CableRun:
    """One cable run from the distribution board (position 0 m) to its far end."""

    name: str
    type: str
    length_m: float
    end_load_ohm: float | None = None  # None: open end (last outlet); else a resistive load


@dataclass(frozen=True)
class SeriesElement:
    """A two-port in the run (breaker, RCD, AFCI, meter): flat insertion loss [E] 0-20 dB."""

    cable: str
    at_m: float
    insertion_loss_db: float
    kind: str = "breaker"


@dataclass(frozen=True)
class LinkOverride:
    """Per-pair calibration: extra loss (dB) and/or a multipath model replacing the channel."""

    a: str
    b: str
    extra_loss_db: float = 0.0
    multipath: str | None = None
    directed: bool = False


MULTIPATH_MODELS = ("4path", "15path", "5path", "17path")
NARROWBAND_MODELS = ("benyoucef", "shortwave", "none")


@dataclass(frozen=True)
class Node:
    """A HomePlug node: a charger's PLC modem or an Ethernet-to-PLC module wired to the router."""

    name: str
    kind: str  # "charger" or "plc_module"
    cable: str
    at_m: float
    phase: str  # conductor pair, normalised: "L1-N", "L1-L3", ...
    network_password: str
    wifi_rssi_dbm: float | None = None
    bridge: bool = False  # a charger that bridges its Wi-Fi to PLC (a gateway for the others)
    charging: tuple[tuple[float, float], ...] = ()  # (start_s, end_s) within a day, may wrap midnight
    technology: str = "AV"
    cco_capability: int = 1
    mac: bytes = b""
    noise_dbm_hz: float | None = None  # dBm/Hz at 1 MHz of the charging emission; None: CISPR-relative default
    gateway_policy: str | None = None  # None: the site default
    cco_mode: str = "auto"  # the PIB's CCo selection: auto, always or never (rule book CcoMode)

    @property
    def is_gateway(self) -> bool:
        return self.kind == "plc_module" or self.bridge

    @property
    def mac_text(self) -> str:
        return format_mac(self.mac)


@dataclass(frozen=True)
class SiteParams:
    """Site-wide model parameters.  Every default, its unit and its source: ``docs/sim-parameters.md``."""

    grid: str = "TN"
    mains_hz: float = 50.0
    cross_phase_loss_db: float = 10.0  # dB between phases on TN/TT (no published anchor; sweep 0-25)
    coupling_loss_db: float = 2.0  # dB per end: coupling transformer and capacitor (1-3 dB)
    board_loss_db: float = 3.0  # dB across the distribution board's busbars and terminals
    feeder_impedance_ohm: float = 30.0  # ohm, the supply side seen from the board at HF
    installation_a1_s_per_m: float = ZIMMERMANN_MEASURED_A1_S_PER_M  # s/m, excess loss a1 f of installed runs
    noise_class: str = DEFAULT_NOISE_CLASS  # residential, commercial or industrial (EV sites: industrial)
    background: str | None = None  # "quiet"/"noisy" overrides the class's Esmailian curve
    narrowband: str = "benyoucef"  # narrowband interferers: benyoucef (class statistics), shortwave, none
    narrowband_db: float = 15.0  # dB above the background of the shortwave bands (narrowband = "shortwave")
    receiver_floor_dbm_hz: float = RECEIVER_FLOOR_DBM_PER_HZ  # dBm/Hz, effective receiver floor (pyPLC limit)
    it_pair_noise_db: float = 3.0  # dB more line noise between two line conductors (IT) than phase-N
    noise_spread_db: float = 3.0  # dB, per-receiver random background offset (link asymmetry)
    charger_emission_margin_db: float = 20.0  # dB a charging vehicle's emission sits below CISPR 32 B average
    impulsive_index_a: float = 0.1  # Middleton class A index (kept for sweeps; not used by the engine)
    impulsive_gamma: float = 0.01
    fading_sigma_db: float = 2.0  # dB, slow link variation (loads switching), std of an OU process
    fading_tau_s: float = 600.0  # s, its correlation time
    wifi_sigma_db: float = 3.0  # dB, RSSI variation of a fixed installation (people, cars, doors), OU
    wifi_tau_s: float = 60.0  # s
    tx_psd_dbm_hz: float = -50.0  # dBm/Hz, HomePlug AV / AV2 transmit PSD, 1.8-30 MHz
    gp_tx_psd_dbm_hz: float = -75.0  # dBm/Hz, Green PHY typical (ISO 15118-3)
    av2_high_band_psd_dbm_hz: float = -80.0  # dBm/Hz, AV2 above 30 MHz (EN 50561-3 limits ~30 dB lower)
    snr_cap_db: float = 42.0  # dB, transmitter EVM / AGC limit (40-45 dB)
    target_ber: float = 1e-3  # pre-FEC BER of the bit-loading thresholds
    av2_mimo_gain: float = 1.0  # AV2 MIMO (L-N, L-PE, N-PE) rate gain over SISO; 2.0 = ideal 2x2 bound
    margin_db: float = 0.0  # dB bit-loading margin (0-3 dB)
    gateway_policy: str = "hysteresis"
    wifi_threshold_dbm: float = -75.0  # vendor manual
    wifi_hysteresis_db: float = 3.0  # Schmitt trigger +-3 dB around -75
    dwell_s: float = 60.0  # minimum dwell
    gateway_switch_ratio: float = 1.3  # a new gateway must be 30 % faster (hysteresis policy)
    reselect_interval_s: float = 10.0  # how often the charger firmware re-evaluates its uplink
    min_rate_mbps: float = 1.0  # below this a PLC route is unusable for the charger's traffic
    daily_bytes: float = 3e6  # vendor manual: about 3 MB a day per charger
    mqtt_keepalive_s: float = 60.0  # typical; a broker drops a dead client after 1.5x (MQTT 3.1.1)
    rtt_s: float = 0.08  # charger <-> backend round trip
    lone_policy: str = DEFAULT_LONE_POLICY.value  # rule book: a station hearing only other AVLNs becomes CCo


@dataclass(frozen=True)
class Site:
    params: SiteParams
    cables: tuple[CableRun, ...]
    nodes: tuple[Node, ...]
    series: tuple[SeriesElement, ...] = ()
    links: tuple[LinkOverride, ...] = ()
    name: str = "site"
    source: str = ""

    def cable(self, name: str) -> CableRun:
        for c in self.cables:
            if c.name == name:
                return c
        raise SiteError(f"no cable named {name!r}")

    def node_index(self, name: str) -> int:
        for i, n in enumerate(self.nodes):
            if n.name == name:
                return i
        raise SiteError(f"no node named {name!r}")

    @property
    def chargers(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind == "charger")

    def with_params(self, **changes: Any) -> Site:
        return replace(self, params=replace(self.params, **changes))

    def with_node(self, name: str, **changes: Any) -> Site:
        idx = self.node_index(name)
        nodes = list(self.nodes)
        nodes[idx] = replace(nodes[idx], **changes)
        return replace(self, nodes=tuple(nodes))


# -- parsing ----------------------------------------------------------------------------------------


def parse_clock_windows(windows: Any, where: str) -> tuple[tuple[float, float], ...]:
    """``["18:00-23:00", "07:30-08:15"]`` -> ((64800, 82800), ...) seconds of the day."""
    if isinstance(windows, str):
        windows = [windows]
    if not isinstance(windows, list):
        raise SiteError(f"{where}: charging must be a list of 'HH:MM-HH:MM' strings")
    out = []
    for w in windows:
        try:
            a, b = str(w).split("-")
            start, end = _clock(a), _clock(b)
        except ValueError as exc:
            raise SiteError(f"{where}: bad charging window {w!r} (want 'HH:MM-HH:MM')") from exc
        if start == end:
            raise SiteError(f"{where}: empty charging window {w!r}")
        out.append((start, end))
    return tuple(out)


def _clock(text: str) -> float:
    hh, mm = text.strip().split(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(text)
    return h * 3600.0 + m * 60.0


def is_charging(windows: tuple[tuple[float, float], ...], t_s: float) -> bool:
    """True when ``t_s`` (seconds since the simulation's midnight) falls inside a window."""
    tod = t_s % DAY_S
    for start, end in windows:
        if start < end:
            if start <= tod < end:
                return True
        elif tod >= start or tod < end:  # wraps midnight
            return True
    return False


def charging_at(site: Site, t_s: float) -> list[bool]:
    """Per node (site order): is it charging at ``t_s`` seconds after the simulation's midnight."""
    return [is_charging(nd.charging, t_s) for nd in site.nodes]


def charging_edges(site: Site) -> list[float]:
    """Sorted times of day (s, 0 <= t < 86400) at which some charging window starts or ends."""
    return sorted({x % DAY_S for nd in site.nodes for window in nd.charging for x in window})


def normalise_phase(phase: str, grid: str, where: str) -> str:
    p = phase.strip().upper().replace("–", "-").replace("/", "-")
    if grid == "IT":
        if p in IT_PAIRS:
            return p
        parts = p.split("-")
        if len(parts) == 2 and "-".join(sorted(parts)) in IT_PAIRS:
            return "-".join(sorted(parts))
        raise SiteError(f"{where}: on an IT grid phase must be a conductor pair {IT_PAIRS}, got {phase!r}")
    if p.endswith("-N"):
        p = p[:-2]
    if p not in TN_PHASES:
        raise SiteError(f"{where}: on a {grid} grid phase must be one of {TN_PHASES} (coupled to N), got {phase!r}")
    return f"{p}-N"


def mac_for(name: str, kind: str) -> bytes:
    """A stable, locally administered MAC derived from the node name (used for CCo tie-breaks)."""
    digest = hashlib.sha256(f"{kind}:{name}".encode()).digest()
    return bytes([0x02, 0xB0, 0x52]) + digest[:3]


_PARAM_FIELDS = {f for f in SiteParams.__dataclass_fields__}
_NODE_KEYS = {
    "name", "cable", "at_m", "phase", "wifi_rssi_dbm", "bridge", "network_password", "charging",
    "technology", "cco_capability", "mac", "noise_dbm_hz", "gateway_policy", "cco_mode",
}
_CABLE_KEYS = {"name", "type", "length_m", "end_load_ohm"}
_SERIES_KEYS = {"cable", "at_m", "insertion_loss_db", "kind"}


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SiteError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _number(table: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    if key not in table:
        if default is None:
            raise SiteError(f"{where}: missing {key!r}")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SiteError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _parse_params(table: Mapping[str, Any]) -> SiteParams:
    """``[site]`` -> :class:`SiteParams` (integers given for float parameters become floats)."""
    kwargs: dict[str, Any] = {}
    for k, v in table.items():
        if isinstance(v, int) and not isinstance(v, bool) and isinstance(getattr(SiteParams, k), float):
            v = float(v)
        kwargs[k] = v
    params = SiteParams(**kwargs)
    params = replace(params, grid=str(params.grid).upper())
    choices: tuple[tuple[str, Any, Any], ...] = (
        ("grid", params.grid, GRIDS), ("mains_hz", params.mains_hz, (50.0, 60.0)),
        ("gateway_policy", params.gateway_policy, GATEWAY_POLICIES),
        ("background", params.background, (None, "quiet", "noisy")),
        ("noise_class", params.noise_class, tuple(NOISE_CLASSES)),
        ("narrowband", params.narrowband, NARROWBAND_MODELS),
        ("lone_policy", params.lone_policy, tuple(x.value for x in LonePolicy)))
    for key, value, allowed in choices:
        if value not in allowed:
            raise SiteError(f"[site]: {key} must be one of {[a for a in allowed if a is not None]}, got {value!r}")
    return params


def _parse_cables(data: Mapping[str, Any]) -> list[CableRun]:
    cables = []
    for i, c in enumerate(data.get("cable", [])):
        where = f"[[cable]] #{i + 1}"
        _check_keys(c, _CABLE_KEYS, where)
        if "name" not in c or "type" not in c:
            raise SiteError(f"{where}: needs 'name' and 'type'")
        if str(c["type"]) not in CABLES:
            raise SiteError(f"{where}: unknown cable type {c['type']!r}; known: {', '.join(sorted(CABLES))}")
        length = _number(c, "length_m", where)
        if length <= 0:
            raise SiteError(f"{where}: length_m must be > 0")
        end = c.get("end_load_ohm")
        cables.append(CableRun(str(c["name"]), str(c["type"]), length, None if end is None else float(end)))
    names = [c.name for c in cables]
    if len(set(names)) != len(names):
        raise SiteError("[[cable]]: duplicate cable names")
    if not cables:
        raise SiteError("the site has no [[cable]]")
    return cables


def _position(table: Mapping[str, Any], where: str, cables: Mapping[str, CableRun]) -> tuple[str, float]:
    cable = str(table.get("cable", ""))
    if cable not in cables:
        raise SiteError(f"{where}: cable {cable!r} is not a [[cable]] (known: {list(cables)})")
    at = _number(table, "at_m", where)
    if not 0.0 <= at <= cables[cable].length_m:
        raise SiteError(f"{where}: at_m={at} outside cable {cable!r} (0..{cables[cable].length_m} m)")
    return cable, at


def _choice(t: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str, default: str | None) -> str | None:
    value = t.get(key, default)
    if value is not None and value not in allowed:
        raise SiteError(f"{where}: {key} must be one of {allowed}, got {value!r}")
    return None if value is None else str(value)


def _parse_node(t: Mapping[str, Any], kind: str, where: str, params: SiteParams,
                cables: Mapping[str, CableRun]) -> Node:
    _check_keys(t, _NODE_KEYS, where)
    for key, why in (("name", ""), ("network_password", " (same password -> same AVLN)")):
        if key not in t:
            raise SiteError(f"{where}: missing {key!r}{why}")
    cable, at = _position(t, where, cables)
    tech = str(t.get("technology", "AV")).upper()
    if tech not in TECHNOLOGIES:
        raise SiteError(f"{where}: technology must be one of {TECHNOLOGIES}")
    policy = _choice(t, "gateway_policy", GATEWAY_POLICIES, where, None)
    mode = _choice(t, "cco_mode", tuple(x.value for x in CcoMode), where, "auto")
    rssi = _number(t, "wifi_rssi_dbm", where) if t.get("wifi_rssi_dbm") is not None else None
    if rssi is not None and not -100.0 <= rssi <= -20.0:
        raise SiteError(f"{where}: wifi_rssi_dbm={rssi} is not a plausible RSSI (-100..-20 dBm)")
    bridge = bool(t.get("bridge", False)) and kind == "charger"
    if bridge and rssi is None:
        raise SiteError(f"{where}: a bridge charger needs wifi_rssi_dbm (its Wi-Fi uplink)")
    mac = bytes.fromhex(str(t["mac"]).replace(":", "")) if "mac" in t else mac_for(str(t["name"]), kind)
    if len(mac) != 6:
        raise SiteError(f"{where}: mac must have 6 octets")
    default_phase = "L1-L3" if params.grid == "IT" else "L1"
    return Node(
        name=str(t["name"]), kind=kind, cable=cable, at_m=at,
        phase=normalise_phase(str(t.get("phase", default_phase)), params.grid, where),
        network_password=str(t["network_password"]), wifi_rssi_dbm=rssi, bridge=bridge,
        charging=parse_clock_windows(t.get("charging", []), where) if kind == "charger" else (),
        technology=tech, cco_capability=int(t.get("cco_capability", 2 if kind == "plc_module" else 1)),
        mac=mac, noise_dbm_hz=_number(t, "noise_dbm_hz", where) if "noise_dbm_hz" in t else None,
        gateway_policy=policy, cco_mode=mode or "auto")


def _parse_nodes(data: Mapping[str, Any], params: SiteParams, cables: Mapping[str, CableRun]) -> list[Node]:
    nodes = [_parse_node(t, kind, f"[[{kind}]] #{i + 1} ({t.get('name', '?')})", params, cables)
             for kind in ("charger", "plc_module") for i, t in enumerate(data.get(kind, []))]
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise SiteError("duplicate node names among [[charger]] and [[plc_module]]")
    if not nodes:
        raise SiteError("the site has no [[charger]] or [[plc_module]]")
    return nodes


def _parse_series(data: Mapping[str, Any], cables: Mapping[str, CableRun]) -> list[SeriesElement]:
    series = []
    for i, s in enumerate(data.get("breaker", [])):
        where = f"[[breaker]] #{i + 1}"
        _check_keys(s, _SERIES_KEYS, where)
        cable, at = _position(s, where, cables)
        loss = _number(s, "insertion_loss_db", where)
        if not 0 <= loss <= 60:
            raise SiteError(f"{where}: insertion_loss_db must be 0..60 dB")
        series.append(SeriesElement(cable, at, loss, str(s.get("kind", "breaker"))))
    return series


def _parse_links(data: Mapping[str, Any], node_names: list[str]) -> list[LinkOverride]:
    links = []
    for i, t in enumerate(data.get("link", [])):
        where = f"[[link]] #{i + 1}"
        _check_keys(t, {"a", "b", "extra_loss_db", "multipath", "directed"}, where)
        a, b = str(t.get("a", "")), str(t.get("b", ""))
        for end in (a, b):
            if end not in node_names:
                raise SiteError(f"{where}: {end!r} is not a node (known: {node_names})")
        if a == b:
            raise SiteError(f"{where}: a and b are the same node")
        mp = _choice(t, "multipath", MULTIPATH_MODELS, where, None)
        links.append(LinkOverride(a, b, _number(t, "extra_loss_db", where, 0.0), mp, bool(t.get("directed", False))))
    return links


def site_from_dict(data: Mapping[str, Any], name: str = "site", source: str = "") -> Site:
    """Build and validate a :class:`Site` from parsed TOML."""
    _check_keys(data, {"site", "cable", "charger", "plc_module", "breaker", "link"}, "top level")
    site_table = dict(data.get("site", {}))
    _check_keys(site_table, _PARAM_FIELDS | {"name"}, "[site]")
    name = str(site_table.pop("name", name))
    params = _parse_params(site_table)
    cables = {c.name: c for c in _parse_cables(data)}
    nodes = _parse_nodes(data, params, cables)
    return Site(params=params, cables=tuple(cables.values()), nodes=tuple(nodes),
                series=tuple(_parse_series(data, cables)), links=tuple(_parse_links(data, [n.name for n in nodes])),
                name=name, source=source)


def load_site(path: str | Path) -> Site:
    """Read and validate a site TOML file."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{p}: not valid TOML: {exc}") from exc
    return site_from_dict(data, name=p.stem, source=str(p))


def site_to_dict(site: Site) -> dict[str, Any]:
    """The inverse of :func:`site_from_dict` (for sweeps that ship sites to worker processes)."""
    def clock(s: float) -> str:
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}"

    params = {k: getattr(site.params, k) for k in _PARAM_FIELDS if getattr(site.params, k) is not None}
    params["name"] = site.name
    out: dict[str, Any] = {"site": params, "cable": [], "charger": [], "plc_module": [], "breaker": [],
                           "link": [{"a": lk.a, "b": lk.b, "extra_loss_db": lk.extra_loss_db, "directed": lk.directed,
                                     **({"multipath": lk.multipath} if lk.multipath else {})} for lk in site.links]}
    for c in site.cables:
        d: dict[str, Any] = {"name": c.name, "type": c.type, "length_m": c.length_m}
        if c.end_load_ohm is not None:
            d["end_load_ohm"] = c.end_load_ohm
        out["cable"].append(d)
    for n in site.nodes:
        d = {"name": n.name, "cable": n.cable, "at_m": n.at_m,
             "phase": n.phase[:-2] if n.phase.endswith("-N") else n.phase,
             "network_password": n.network_password, "technology": n.technology,
             "cco_capability": n.cco_capability, "mac": n.mac.hex(), "cco_mode": n.cco_mode}
        if n.noise_dbm_hz is not None:
            d["noise_dbm_hz"] = n.noise_dbm_hz
        if n.wifi_rssi_dbm is not None:
            d["wifi_rssi_dbm"] = n.wifi_rssi_dbm
        if n.gateway_policy is not None:
            d["gateway_policy"] = n.gateway_policy
        if n.kind == "charger":
            d["bridge"] = n.bridge
            d["charging"] = [f"{clock(a)}-{clock(b)}" for a, b in n.charging]
            out["charger"].append(d)
        else:
            out["plc_module"].append(d)
    for s in site.series:
        out["breaker"].append({"cable": s.cable, "at_m": s.at_m, "insertion_loss_db": s.insertion_loss_db,
                               "kind": s.kind})
    return out


def set_path(data: dict[str, Any], key: str, value: Any) -> None:
    """Apply a sweep override such as ``site.cross_phase_loss_db=15``, ``charger.C2.bridge=false``
    or ``plc_module.M1.at_m=40`` to parsed TOML data (in place)."""
    parts = key.split(".")
    if parts[0] == "site" and len(parts) == 2:
        data.setdefault("site", {})[parts[1]] = value
        return
    if parts[0] in ("charger", "plc_module", "cable") and len(parts) == 3:
        for table in data.get(parts[0], []):
            if table.get("name") == parts[1]:
                table[parts[2]] = value
                return
        raise SiteError(f"--vary {key}: no [[{parts[0]}]] named {parts[1]!r}")
    if parts[0] in ("charger", "plc_module") and len(parts) == 2:  # every node of that kind
        for table in data.get(parts[0], []):
            table[parts[1]] = value
        return
    raise SiteError(f"--vary {key}: use site.KEY, charger.NAME.KEY, charger.KEY, plc_module.NAME.KEY "
                    "or cable.NAME.KEY")


__all__ = [
    "CableRun", "LinkOverride", "Node", "SeriesElement", "Site", "SiteError", "SiteParams", "charging_at",
    "charging_edges", "is_charging",
    "load_site", "mac_for", "parse_clock_windows", "set_path", "site_from_dict", "site_to_dict",
]
