"""Network description files (TOML) for ``plcstack emulate`` and ``plcstack replay --into-emulator``.

::

    [network]
    latency_ms = 0.5          # power-line delivery delay
    seed = 1                  # random seed (nonces, NEKs): same seed, same run

    [link]                    # default ConstantLinkModel for every pair of modems
    tx_rate_mbps = 120
    rx_rate_mbps = 110
    attenuation_db = 21       # mean of the 58 SLAC groups, or a list of 58 values
    [[link.pair]]             # optional per-pair override (as seen from a)
    a = "00:b0:52:00:00:0a"
    b = "00:b0:52:00:00:0b"
    tx_rate_mbps = 90
    reachable = true

    # or: let the site simulator give every pair its rates, SLAC attenuation and reachability
    # [link]
    # site = "../../sites/module-middle.toml"   # relative to this file
    # start = "18:00"                          # simulated time of day when the emulation starts
    # seed = 0
    # and map modems to site nodes with  node = "C1"  in each [[modem]] (default: same MAC)

    [timers]                  # optional, every modem (plcstack.emu.state.Timers; docs/emulator.md)
    reset_s = 4.0             # silent after VS_RS_DEV (default: the chip profile's)
    set_key_s = 2.0           # power line down after a key change (default: the chip profile's)

    [[fault]]                 # optional fault injection (plcstack.emu.faults, docs/emulator.md)
    modem = "garage"          # every link of this modem (or a = ..., b = ... for one link)
    loss = 0.1
    set_key_s = 5             # this modem needs 5 s to come back after a key change

    [[modem]]
    name = "house"
    mac = "00:b0:52:00:00:0a"
    iface = "veth-h0"         # host interface (plcstack emulate); omit for a modem only on the power line
    chip = "QCA7420"          # QCA7000, QCA7005, QCA7420, AR7420 or QCA7500 (docs/modem-profiles.md)
    password = "HomePlugAV"   # network password (NPW); or nmk = "hex" (16 bytes)
    security_level = 0
    cco = "auto"              # auto, always, never
    cco_capability = 0
    set_key_result = 1        # CM_SET_KEY.CNF RESULT on success: 1 Qualcomm firmware, 0 HomePlug AV spec
    device_password = "..."   # DPW -> DAK (or dak = "hex")
    firmware = "MAC-QCA7420-1.4.0.20-00-20171027-CS"
    slac = true               # SLAC indications (CM_ATTEN_PROFILE.IND, VS 0xA14E) for every CM_MNBC_SOUND.IND
    sound_spread_db = 1.0     # sound-to-sound spread of the reported attenuation (s.d., dB)
    timers = { reset_s = 8 }  # this modem's own timers, on top of [timers]
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plcstack.codec import mac_bytes
from plcstack.codec.mac import format_mac
from plcstack.emu.events import Event
from plcstack.emu.faults import Fault, FaultError, FaultInjector, fault_from_dict, modem_timer_overrides
from plcstack.emu.link import ConstantLinkModel, LinkModel, link_model_from_config
from plcstack.emu.modem import FACTORY_PASSWORD, ModemConfig
from plcstack.emu.state import Timers

if TYPE_CHECKING:
    from plcstack.emu.powerline import PowerLine, Recorder

DEFAULT_MAC = bytes.fromhex("00B052EE0001")


class ConfigError(ValueError):
    """A network file that cannot be used; the message names the file and the entry."""


@dataclass
class ModemSpec:
    config: ModemConfig
    iface: str | None = None


@dataclass
class NetworkConfig:
    modems: list[ModemSpec]
    link: LinkModel = field(default_factory=ConstantLinkModel)
    latency_s: float = 0.0005
    seed: int | None = None
    source: str = "<built-in>"
    faults: list[Fault] = field(default_factory=list)

    def fault_injector(self) -> FaultInjector | None:
        """The network's faults with their own seeded random stream (None without ``[[fault]]``)."""
        if not self.faults:
            return None
        return FaultInjector(self.faults, random.Random(f"plcstack-faults/{self.seed or 0}"))

    def powerline(self, *, start_time: float = 0.0, start: bool = True, recorder: Recorder | None = None,
                  on_event: Callable[[bytes, Event], None] | None = None, record_plc: bool = False) -> PowerLine:
        """A :class:`~plcstack.emu.powerline.PowerLine` with every modem of this network plugged in."""
        from plcstack.emu.powerline import PowerLine

        pl = PowerLine(link=self.link, latency_s=self.latency_s, start_time=start_time, recorder=recorder,
                       on_event=on_event, record_plc=record_plc, faults=self.fault_injector())
        for i, spec in enumerate(self.modems):
            pl.add(spec.config, start=start, seed=None if self.seed is None else self.seed * 1000 + i)
        return pl


def default_network(iface: str | None, mac: bytes = DEFAULT_MAC, chip: str = "QCA7420") -> NetworkConfig:
    """One QCA7420-like station on the factory network password ``HomePlugAV``."""
    return NetworkConfig([ModemSpec(ModemConfig(mac=mac, chip=chip, password=FACTORY_PASSWORD, name="modem"),
                                    iface)])


def _hex(value: Any, size: int, what: str) -> bytes:
    raw = bytes.fromhex(str(value).replace(":", "").replace(" ", ""))
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes of hex, got {len(raw)}")
    return raw


_MODEM_KEYS = {"node", "name", "mac", "iface", "chip", "password", "nmk", "nid", "security_level", "cco",
               "cco_capability", "set_key_result", "device_password", "dak", "firmware", "slac", "sound_spread_db",
               "mfg", "usr", "net", "stay_unassociated_near_networks", "timers"}
_DEFAULT = ModemConfig(mac=bytes(6))


def _timers(base: Timers, table: Any, what: str) -> Timers:
    """``[timers]`` (or a modem's ``timers = {...}``) on top of ``base``; unknown keys are an error."""
    if not isinstance(table, dict):
        raise ConfigError(f"{what} must be a table")
    known = set(Timers.names())
    bad = set(table) - known
    if bad:
        raise ConfigError(f"{what}: unknown keys {sorted(bad)}; known: {sorted(known)}")
    try:
        return replace(base, **table)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what}: {exc}") from exc


def _site_link(cfg: dict[str, Any], modems: list[dict[str, Any]], source: str) -> LinkModel:
    """A :class:`plcstack.emu.simlink.SimLinkModel` from ``[link] site = ...`` (imports the simulator)."""
    from plcstack.emu.simlink import SimLinkModel
    from plcstack.sim.site import load_site

    unknown = set(cfg) - {"site", "start", "seed"}
    if unknown:
        raise ValueError(f"with site = ..., only start and seed may be given, not {sorted(unknown)}")
    path = Path(str(cfg["site"]))
    if not path.is_absolute() and source not in ("<dict>", ""):
        path = Path(source).parent / path
    hh, _, mm = str(cfg.get("start", "00:00")).partition(":")
    start_s = int(hh) * 3600 + int(mm or 0) * 60
    mac_map = {mac_bytes(str(m["mac"])): str(m["node"]) for m in modems if "node" in m and "mac" in m}
    site = load_site(path)
    if mac_map:  # modems without ``node`` keep their own MAC when it is a site node's
        for nd in site.nodes:
            mac_map.setdefault(nd.mac, nd.name)
    return SimLinkModel(site, seed=int(cfg.get("seed", 0)), mac_map=mac_map or None, start_s=start_s)


def load_network(path: str | Path) -> NetworkConfig:
    """Read a network TOML file (format in the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return network_from_dict(data, str(path))


def network_from_dict(data: dict[str, Any], source: str = "<dict>") -> NetworkConfig:
    net = data.get("network", {})
    timers = _timers(Timers(), data.get("timers", {}), f"{source}: [timers]")
    entries = data.get("modem", [])
    try:
        link_cfg = data.get("link") or {}
        if "site" in link_cfg:
            link = _site_link(link_cfg, entries, source)
        else:
            link = link_model_from_config(data.get("link"))
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise ConfigError(f"{source}: [link]: {exc}") from exc
    modems: list[ModemSpec] = []
    if not entries:
        raise ConfigError(f"{source}: no [[modem]] entries")
    seen: set[bytes] = set()
    for i, m in enumerate(entries, 1):
        where = f"{source}: modem #{i}" + (f" ({m['name']})" if "name" in m else "")
        unknown = set(m) - _MODEM_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
        try:
            mac = mac_bytes(str(m["mac"]))
            cfg = ModemConfig(
                mac=mac, chip=str(m.get("chip", "QCA7420")), password=str(m.get("password", FACTORY_PASSWORD)),
                nmk=_hex(m["nmk"], 16, "nmk") if "nmk" in m else None,
                nid=_hex(m["nid"], 7, "nid") if "nid" in m else None,
                security_level=int(m.get("security_level", 0)), cco=str(m.get("cco", "auto")),
                cco_capability=int(m.get("cco_capability", 0)),
                set_key_success_result=int(m.get("set_key_result", 1)),
                device_password=m.get("device_password"), dak=_hex(m["dak"], 16, "dak") if "dak" in m else None,
                firmware=m.get("firmware"), slac=bool(m.get("slac", True)),
                sound_spread_db=float(m.get("sound_spread_db", _DEFAULT.sound_spread_db)),
                stay_unassociated_near_networks=bool(m.get("stay_unassociated_near_networks", False)),
                name=str(m.get("name", f"modem{i}")),
                timers=_timers(timers, m["timers"], f"{where}: timers") if "timers" in m else timers,
                mfg=str(m.get("mfg", _DEFAULT.mfg)), usr=str(m.get("usr", _DEFAULT.usr)),
                net=str(m.get("net", _DEFAULT.net)),
            )
        except KeyError as exc:
            raise ConfigError(f"{where}: missing {exc}") from exc
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        if mac in seen:
            raise ConfigError(f"{where}: duplicate MAC {format_mac(mac)}")
        seen.add(mac)
        modems.append(ModemSpec(cfg, m.get("iface")))
    faults = _faults(data.get("fault", []), modems, source)
    for spec in modems:
        extra = modem_timer_overrides(faults).get(spec.config.mac)
        if extra:
            spec.config.timers = replace(spec.config.timers, **extra)  # type: ignore[arg-type]
    return NetworkConfig(modems, link, float(net.get("latency_ms", 0.5)) / 1000.0,
                         int(net["seed"]) if "seed" in net else None, source, faults)


def _faults(entries: Any, modems: list[ModemSpec], source: str) -> list[Fault]:
    """``[[fault]]`` tables -> faults; modems are named by MAC or by their ``name``."""
    by_name = {spec.config.name: spec.config.mac for spec in modems if spec.config.name}
    known = {spec.config.mac for spec in modems}

    def resolve(text: str) -> bytes:
        if text in by_name:
            return by_name[text]
        try:
            mac = mac_bytes(text)
        except ValueError:
            raise FaultError(f"{text!r} is neither a modem name nor a MAC") from None
        if mac not in known:
            raise FaultError(f"no modem {text} in this network")
        return mac

    if not isinstance(entries, list):
        raise ConfigError(f"{source}: fault must be an array of tables ([[fault]])")
    out = []
    for i, entry in enumerate(entries, 1):
        try:
            out.append(fault_from_dict(entry, resolve))
        except FaultError as exc:
            raise ConfigError(f"{source}: fault #{i}: {exc}") from exc
    try:
        modem_timer_overrides(out)
    except FaultError as exc:
        raise ConfigError(f"{source}: [[fault]]: {exc}") from exc
    return out
