"""A Qualcomm-like HomePlug AV / Green PHY modem as a sans-I/O state machine.

The modem has two ports: ``HOST`` (its Ethernet side, where plctool, pev or pyslac run) and ``PLC``
(the emulated power line, see :mod:`plcstack.emu.envelope`).  It is driven by the caller::

    modem = Modem(ModemConfig(mac=bytes.fromhex("00B052000042")))
    outputs, events = modem.start(t=0.0)
    outputs, events = modem.receive(Port.HOST, frame_bytes, t=0.01)
    outputs, events = modem.poll(t=modem.next_deadline())

``outputs`` is a list of ``(port, frame bytes)`` to deliver; ``events`` a list of
:mod:`plcstack.emu.events`.  The modem never reads a clock or a socket; randomness (nonces, NEK, IVs)
comes from a seeded :class:`random.Random` so runs are reproducible.

What it answers (host side; unicast to its own MAC, to the local-device address 00:B0:52:00:00:01,
and broadcast) -- the replies open-plc-utils parses (``../shared/reference/real-clients.md`` §3):
VS_SW_VER, VS_NW_INFO (MMV 0 and MMV 1 layouts), VS_SET_KEY, VS_RS_DEV, VS_LNK_STATS,
VS_OP_ATTRIBUTES, VS_PL_LINK_STATUS, VS_FAC_DEFAULTS, VS_GET_NVM, VS_MODULE_OPERATION and VS_RD_MOD
(PIB reads), MS_PB_ENC, and CM_SET_KEY (RESULT 0x01 on success, as Qualcomm firmware; set
``ModemConfig.set_key_success_result = 0`` for the HomePlug AV 1.1 / Green PHY spec polarity).

Network behaviour (simulator.md §6.2): same NID -> one AVLN; an unassociated station advertises
CM_UNASSOCIATED_STA.IND; on hearing a same-NID peer the higher (CCo capability, MAC) becomes CCo at
once; after the BBT without peers or foreign networks a station becomes CCo of its own AVLN; others
associate (CC_ASSOC) and authenticate (CM_GET_KEY for the NEK inside CM_ENCRYPTED_PAYLOAD under the
NMK, sealed/opened by :mod:`plcstack.keys.payload`).  Ethernet frames are bridged between the host
sides of modems of one AVLN; SLAC messages cross networks, and each CM_MNBC_SOUND.IND heard makes the
modem send its host one CM_ATTEN_PROFILE.IND (85 bytes) with the link's attenuation.
"""

from __future__ import annotations

import hashlib
import random
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from plcstack.codec import (
    BROADCAST_MAC,
    LOCAL_MAC,
    DecodeError,
    EncodeError,
    Frame,
    RawMessage,
    decode_frame,
    decode_header,
    definition_of,
    encode_frame,
    make_frame,
    messages,
)
from plcstack.emu import envelope as env
from plcstack.emu import events as ev
from plcstack.emu.link import ConstantLinkModel, LinkModel
from plcstack.emu.profiles import (
    CCO_MODES,
    MODULE_ID_PIB,
    ChipProfile,
    PibFields,
    build_parameter_chain,
    build_pib,
    checksum32,
    profile,
)
from plcstack.keys.derive import dak_from_password, nid_from_nmk, nmk_from_password

ETHERTYPE_HPAV = b"\x88\xe1"
FACTORY_PASSWORD = "HomePlugAV"
MAX_LEARNED_HOSTS = 64
MAX_BRIDGE_ENTRIES = 256
MAX_PEER_STATS = 256
MAX_OTHER_NETWORKS = 16
PB_BYTES = 520  # PHY block payload: frames are counted in 520-byte PBs for link statistics

#: Green PHY SLAC message bases (ISO 15118-3): carried across networks, unencrypted.
SLAC_BASES = frozenset({0x6064, 0x6068, 0x606C, 0x6070, 0x6074, 0x6078, 0x607C, 0x6080, 0x6084})
MNBC_SOUND_IND = 0x6076
CM_SET_KEY_REQ = 0x6008
CM_ENCRYPTED_PAYLOAD_IND = 0x6006
CM_ENCRYPTED_PAYLOAD_RSP = 0x6007
PID_AUTH_NEW_STA = 0
PID_NMK_BY_DAK = 2
PID_NMK_BY_UKE = 3
PEKS_DAK, PEKS_NMK, PEKS_TEK0, PEKS_CLEAR = 0x00, 0x01, 0x02, 0x0F
KEY_TYPE_NMK, KEY_TYPE_NEK, KEY_TYPE_HASH = 1, 2, 4
CM_SC_JOIN_REQ = 0x6010


class Port(StrEnum):
    HOST = "host"
    PLC = "plc"


class Output(NamedTuple):
    port: Port
    frame: bytes


class Step(NamedTuple):
    """What one call produced: frames to send and events to report."""

    outputs: list[Output]
    events: list[ev.Event]


class Role(StrEnum):
    UNASSOCIATED = "unassociated"
    STATION = "station"
    CCO = "cco"
    RESETTING = "resetting"


#: NW_INFO ROLE byte (open-plc-utils StationRole[]: 0 STA, 1 PCO, 2 CCO)
ROLE_CODE = {Role.STATION: 0x00, Role.CCO: 0x02}

#: The role state machine, as a literal table: (role, trigger) -> next role.  Every role change goes
#: through :meth:`Modem._transition`, which refuses anything not listed here.
TRANSITIONS: dict[tuple[Role, str], Role] = {
    (Role.UNASSOCIATED, "bbt expired, no CCo of our NID heard"): Role.CCO,
    (Role.UNASSOCIATED, "won CCo election"): Role.CCO,
    (Role.UNASSOCIATED, "association confirmed"): Role.STATION,
    (Role.UNASSOCIATED, "key changed"): Role.UNASSOCIATED,
    (Role.STATION, "CCo beacon lost"): Role.UNASSOCIATED,
    (Role.STATION, "key changed"): Role.UNASSOCIATED,
    (Role.STATION, "association refused"): Role.UNASSOCIATED,
    (Role.STATION, "authentication failed"): Role.UNASSOCIATED,
    (Role.STATION, "told to leave by the CCo"): Role.UNASSOCIATED,
    (Role.CCO, "key changed"): Role.UNASSOCIATED,
    (Role.CCO, "yielded to a stronger CCo"): Role.UNASSOCIATED,
    (Role.UNASSOCIATED, "reset"): Role.RESETTING,
    (Role.STATION, "reset"): Role.RESETTING,
    (Role.CCO, "reset"): Role.RESETTING,
    (Role.RESETTING, "reset done"): Role.UNASSOCIATED,
}


class TransitionError(RuntimeError):
    """The modem tried a role change that :data:`TRANSITIONS` does not allow (a bug in the emulator)."""


@dataclass(frozen=True)
class Timers:
    """Network timers of the emulated firmware, in seconds (shortened for emulation; see simulator.md §6.2)."""

    beacon_s: float = 0.2  # beacon period (central beacons from the CCo, discover beacons from stations)
    bbt_s: float = 0.6  # listen this long before deciding to be CCo of a new AVLN
    usai_s: float = 0.2  # CM_UNASSOCIATED_STA.IND interval
    loss_beacons: int = 5  # beacons missed before a peer (or the CCo) counts as gone
    assoc_s: float = 0.5  # wait for CC_ASSOC.CNF / CM_GET_KEY.CNF before retrying
    reset_s: float = 0.5  # silent time after VS_RS_DEV / VS_FAC_DEFAULTS
    pb_window_s: float = 120.0  # push-button (MS_PB_ENC join) pairing window

    def __post_init__(self) -> None:
        for name in ("beacon_s", "bbt_s", "usai_s", "assoc_s", "reset_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"timer {name} must be positive")
        if self.loss_beacons < 1:
            raise ValueError("loss_beacons must be at least 1")


@dataclass
class ModemConfig:
    """Static configuration of one emulated modem (what its PIB and firmware would hold)."""

    mac: bytes
    chip: str = "QCA7420"
    password: str = FACTORY_PASSWORD  # network password (NPW); ignored when ``nmk`` is given
    nmk: bytes | None = None
    security_level: int = 0
    nid: bytes | None = None  # default: NID(NMK, security_level)
    dak: bytes | None = None
    device_password: str | None = None  # DPW -> DAK; default DPW is "EMU" + the MAC in hex
    firmware: str | None = None  # version string override
    cco: str = "auto"  # PIB CCo selection: "auto", "always" or "never"
    cco_capability: int = 0  # 0..3, used in the CCo election
    set_key_success_result: int = 1  # CM_SET_KEY.CNF RESULT on success (1 Qualcomm firmware, 0 HPAV spec)
    slac: bool = True  # send CM_ATTEN_PROFILE.IND to the host for every CM_MNBC_SOUND.IND heard
    stay_unassociated_near_networks: bool = False  # Greenvity rule: no new AVLN while other AVLNs are heard
    name: str = ""
    mfg: str = "Qualcomm Atheros HomePlug AV Device (plcstack emulator)"
    usr: str = "plcstack emulated modem"
    net: str = "plcstack emulated network"
    timers: Timers = field(default_factory=Timers)

    def __post_init__(self) -> None:
        if len(self.mac) != 6:
            raise ValueError("modem MAC must be 6 bytes")
        if self.cco not in CCO_MODES:
            raise ValueError(f"cco must be one of {', '.join(CCO_MODES)}, got {self.cco!r}")
        profile(self.chip)  # validates the chip name


@dataclass
class Peer:
    """Another modem of this modem's AVLN."""

    mac: bytes
    tei: int
    last_seen: float
    authenticated: bool = False
    bda: bytes = bytes(6)


@dataclass
class LinkCounters:
    tx_mpdu: int = 0
    tx_pb: int = 0
    rx_mpdu: int = 0
    rx_pb: int = 0


def _item_cls(msg_cls: Any, *path: str) -> Any:
    fields = definition_of(msg_cls).fields
    item = None
    for name in path:
        f = next(f for f in fields if f.name == name)
        item = f.item
        fields = item.fields
    return item.cls  # type: ignore[union-attr]


_NW1 = _item_cls(messages.VS_NW_INFO_CNF, "networks")
_STA1 = _item_cls(messages.VS_NW_INFO_CNF, "networks", "stations")
_NW0 = _item_cls(messages.VS_NW_INFO_CNF_V0, "networks")
_STA0 = _item_cls(messages.VS_NW_INFO_CNF_V0, "networks", "stations")
_TEI_ITEM = _item_cls(messages.CC_SET_TEI_MAP_IND, "stations")
_RXI = _item_cls(messages.VS_LNK_STATS_CNF, "rx_intervals")


def _is_multicast(mac: bytes) -> bool:
    return bool(mac[0] & 1)


class Modem:
    """One emulated modem. See the module docstring for the calling convention."""

    def __init__(self, config: ModemConfig, link: LinkModel | None = None, seed: int | None = None) -> None:
        self.config = config
        self.mac = config.mac
        self.chip: ChipProfile = profile(config.chip)
        self.firmware = config.firmware or self.chip.firmware
        self.link: LinkModel = link or ConstantLinkModel()
        self.rng = random.Random(seed if seed is not None else int.from_bytes(config.mac, "big"))
        self.security_level = config.security_level
        self.nmk = config.nmk or nmk_from_password(config.password)
        self.nid = config.nid or nid_from_nmk(self.nmk, self.security_level)
        self.dak = config.dak or dak_from_password(config.device_password or f"EMU{config.mac.hex().upper()}")
        self.role = Role.UNASSOCIATED
        self.started = False
        self.tei = 0
        self.snid = 0
        self.cco_mac = bytes(6)
        self.cco_tei = 0
        self.nek: bytes | None = None
        self.eks = 0
        self.peers: dict[bytes, Peer] = {}  # CCo: its stations; station: the other members (CCo included)
        self.hosts: OrderedDict[bytes, float] = OrderedDict()  # MACs learned on the host side (BDA)
        self.bridge: OrderedDict[bytes, bytes] = OrderedDict()  # remote Ethernet MAC -> modem MAC
        self.counters: OrderedDict[bytes, LinkCounters] = OrderedDict()
        self.other_networks: dict[bytes, float] = {}  # foreign NID -> last heard
        self.used_snids: dict[int, float] = {}
        self.timers: dict[str, float] = {}
        self.pending_nonce: bytes | None = None
        self.pending_prn = 0
        self.pb_until = -1.0  # push-button pairing window end
        self.pb_peer = bytes(6)
        self.pb_hash = b""
        self.pb_tek: bytes | None = None
        self.cco_heard = -1e9  # last time a same-NID CCo beacon was heard while unassociated
        self.assoc_target = bytes(6)  # the CCo our pending CC_ASSOC.REQ went to
        self.stats = {"host_rx": 0, "plc_rx": 0, "answered": 0, "dropped": 0}
        self._pib_cache: tuple[tuple[Any, ...], bytes] | None = None
        self._out: list[Output] = []
        self._ev: list[ev.Event] = []

    # ------------------------------------------------------------------ public API

    def __repr__(self) -> str:
        return f"Modem({self.mac.hex(':')}, {self.chip.name}, {self.role.value}, NID {self.nid.hex().upper()})"

    def start(self, t: float) -> Step:
        """Power on: listen for beacons, advertise as an unassociated station."""
        self._begin()
        self.started = True
        self._restart_discovery(t)
        return self._flush()

    def receive(self, port: Port, frame: bytes, t: float) -> Step:
        """Handle one frame arriving on ``port`` at time ``t``."""
        self._begin()
        if not self.started:
            self.started = True
            self._restart_discovery(t)
        if self.role is Role.RESETTING:
            self._drop(t, port, "resetting")
            return self._flush()
        try:
            if port is Port.HOST:
                self.stats["host_rx"] += 1
                self._from_host(frame, t)
            else:
                self.stats["plc_rx"] += 1
                self._from_plc(frame, t)
        except (DecodeError, EncodeError, env.EnvelopeError, struct.error, ValueError) as exc:
            self._drop(t, port, f"malformed: {exc}")
        return self._flush()

    def poll(self, t: float) -> Step:
        """Fire every timer due at or before ``t``."""
        self._begin()
        for name, due in sorted(self.timers.items(), key=lambda kv: kv[1]):
            if due <= t and self.timers.get(name) == due:
                del self.timers[name]
                getattr(self, f"_timer_{name}")(t)
        return self._flush()

    def next_deadline(self) -> float | None:
        return min(self.timers.values()) if self.timers else None

    @property
    def in_avln(self) -> bool:
        """Associated and authenticated (holds the NEK), or CCo."""
        return self.role is Role.CCO or (self.role is Role.STATION and self.nek is not None)

    def members(self) -> list[Peer]:
        """The other authenticated modems of this modem's AVLN, by TEI."""
        if not self.in_avln:
            return []
        return sorted((p for p in self.peers.values() if p.authenticated), key=lambda p: p.tei)

    def pib(self) -> bytes:
        key = (self.nmk, self.nid, self.dak)
        if self._pib_cache is None or self._pib_cache[0] != key:
            pib = build_pib(self.chip, PibFields(self.mac, self.dak, self.nmk, self.nid, self.config.mfg,
                                                 self.config.usr, self.config.net, CCO_MODES[self.config.cco]))
            self._pib_cache = (key, pib)
        return self._pib_cache[1]

    # ------------------------------------------------------------------ plumbing

    def _begin(self) -> None:
        self._out = []
        self._ev = []

    def _flush(self) -> Step:
        out, evs = self._out, self._ev
        self._out, self._ev = [], []
        return Step(out, evs)

    def _emit(self, e: ev.Event) -> None:
        self._ev.append(e)

    def _drop(self, t: float, port: Port | str, reason: str) -> None:
        self.stats["dropped"] += 1
        self._emit(ev.Dropped(t, port.value if isinstance(port, Port) else port, reason))

    def _to_host(self, frame: bytes) -> None:
        self._out.append(Output(Port.HOST, frame))

    def _to_plc(self, kind: env.Kind, rx: bytes, payload: bytes, tag: bytes = env.NO_TAG) -> None:
        self._out.append(Output(Port.PLC, env.pack(kind, self.mac, rx, payload, self.nid, tag)))
        if kind in (env.Kind.DATA, env.Kind.MGMT) and rx != env.BROADCAST:
            c = self._counter(rx)
            c.tx_mpdu += 1
            c.tx_pb += max(1, -(-len(payload) // PB_BYTES))

    def _counter(self, peer: bytes) -> LinkCounters:
        c = self.counters.get(peer)
        if c is None:
            c = self.counters[peer] = LinkCounters()
            if len(self.counters) > MAX_PEER_STATS:
                self.counters.popitem(last=False)
        return c

    def _frame(self, dst: bytes, message: Any, mmv: int | None = None, mmtype: int | None = None,
               pad: bool = True) -> bytes:
        f = make_frame(dst, self.mac, message, mmv=mmv, mmtype=mmtype)
        if not pad:
            f = f._replace(trailing=b"")
        return encode_frame(f)

    def _transition(self, trigger: str, t: float) -> None:
        nxt = TRANSITIONS.get((self.role, trigger))
        if nxt is None:
            raise TransitionError(f"{self.mac.hex(':')}: no transition from {self.role.value} on {trigger!r}")
        if nxt is not self.role:
            self.role = nxt
            self._emit(ev.RoleChanged(t, nxt.value, self.nid, trigger))

    # ------------------------------------------------------------------ host side

    def _learn_host(self, mac: bytes, t: float) -> None:
        if _is_multicast(mac):
            return
        if mac in self.hosts:
            self.hosts.move_to_end(mac)
        self.hosts[mac] = t
        if len(self.hosts) > MAX_LEARNED_HOSTS:
            self.hosts.popitem(last=False)
        self.bridge.pop(mac, None)

    def _from_host(self, frame: bytes, t: float) -> None:
        if len(frame) < 14:
            self._drop(t, Port.HOST, "runt frame")
            return
        dst, src = frame[0:6], frame[6:12]
        et = frame[12:14] if frame[12:14] != b"\x81\x00" else frame[16:18]
        self._learn_host(src, t)
        if et != ETHERTYPE_HPAV:
            self._bridge_out(dst, frame, t)
            return
        local = dst == self.mac or dst == LOCAL_MAC
        try:
            f = decode_frame(frame)
        except DecodeError as exc:
            if local or dst == BROADCAST_MAC:
                self._drop(t, Port.HOST, f"malformed: {exc}")
            else:
                self._bridge_out(dst, frame, t)
            return
        if local:
            self._request(f, t, via=Port.HOST, reply_to=None)
            return
        if (f.mmtype & ~3) in SLAC_BASES:
            self._to_plc(env.Kind.SLAC, env.BROADCAST, frame)
            return
        if dst == BROADCAST_MAC:
            self._request(f, t, via=Port.HOST, reply_to=None, quiet=True)
        self._bridge_out(dst, frame, t)

    def _bridge_out(self, dst: bytes, frame: bytes, t: float) -> None:
        if not self.in_avln or self.nek is None:
            return  # not a member of any AVLN: nothing to bridge to
        rx = env.BROADCAST
        if not _is_multicast(dst):
            if dst in self.peers:
                rx = dst
            else:
                rx = self.bridge.get(dst, env.BROADCAST)
        self._to_plc(env.Kind.DATA, rx, frame, env.key_tag(self.nek))

    # ------------------------------------------------------------------ power-line side

    def _from_plc(self, buf: bytes, t: float) -> None:
        e = env.unpack(buf)
        if e.tx == self.mac:
            return
        if e.rx != env.BROADCAST and e.rx != self.mac:
            return
        if e.kind is env.Kind.BEACON:
            self._on_beacon(e, env.Beacon.unpack(e.payload), t)
        elif e.kind is env.Kind.MGMT:
            self._on_mgmt(e, t)
        elif e.kind is env.Kind.DATA:
            self._on_data(e, t)
        elif e.kind is env.Kind.SLAC:
            self._on_slac(e, t)

    def _seen(self, e: env.Envelope, t: float) -> None:
        """Any frame from a member shows it is alive -- except for our CCo, whose beacons alone count."""
        if self.role is Role.STATION and e.tx == self.cco_mac:
            return
        p = self.peers.get(e.tx)
        if p is not None:
            p.last_seen = t

    def _on_data(self, e: env.Envelope, t: float) -> None:
        if not self.in_avln or e.key_tag != env.key_tag(self.nek):
            self._drop(t, Port.PLC, "data of another network (NEK differs)")
            return
        self._seen(e, t)
        if e.rx == self.mac:
            c = self._counter(e.tx)
            c.rx_mpdu += 1
            c.rx_pb += max(1, -(-len(e.payload) // PB_BYTES))
        frame = e.payload
        if len(frame) < 14:
            return
        dst, src = frame[0:6], frame[6:12]
        if not _is_multicast(src) and src not in self.hosts:
            self.bridge[src] = e.tx
            self.bridge.move_to_end(src)
            if len(self.bridge) > MAX_BRIDGE_ENTRIES:
                self.bridge.popitem(last=False)
        is_mme = frame[12:14] == ETHERTYPE_HPAV
        if dst == self.mac and is_mme:
            f = decode_frame(frame)
            self._request(f, t, via=Port.PLC, reply_to=e.tx)
            return
        if dst == LOCAL_MAC:
            return
        if dst == BROADCAST_MAC and is_mme:
            try:
                f = decode_frame(frame)
            except DecodeError:
                f = None
            if f is not None:
                self._request(f, t, via=Port.PLC, reply_to=e.tx, quiet=True)
        if _is_multicast(dst) or dst in self.hosts or dst not in self.bridge:
            self._to_host(frame)

    def _on_slac(self, e: env.Envelope, t: float) -> None:
        frame = e.payload
        if len(frame) < 14:
            return
        dst = frame[0:6]
        if _is_multicast(dst) or dst in self.hosts or not self.hosts:
            self._to_host(frame)
        if not self.config.slac or len(frame) < 17 or frame[12:14] != ETHERTYPE_HPAV:
            return
        if frame[14] >= 1 and frame[15] | (frame[16] << 8) == MNBC_SOUND_IND:
            q = self.link.link(self.mac, e.tx, t)
            aag = bytes(max(0, min(255, int(v))) for v in q.attenuation_db)
            host = next(reversed(self.hosts)) if self.hosts else BROADCAST_MAC
            msg = messages.CM_ATTEN_PROFILE_IND(pev_mac=frame[6:12], num_groups=len(aag), rsvd=0, aag=aag)
            self._to_host(self._frame(host, msg, mmv=1))
            avg = sum(aag) / len(aag) if aag else 0.0
            self._emit(ev.SoundHeard(t, frame[6:12], e.tx, avg))

    # ------------------------------------------------------------------ management requests

    def _request(self, f: Frame, t: float, via: Port, reply_to: bytes | None, quiet: bool = False) -> None:
        """Answer a management request addressed to this modem (or broadcast)."""
        if f.mmtype & 3 != 0:  # only .REQ are requests
            if not quiet:
                self._drop(t, via, f"{f.name} is not a request")
            return
        handler = REQUEST_HANDLERS.get(f.mmtype)
        if handler is None or (f.mmtype == CM_SET_KEY_REQ and via is not Port.HOST):
            if not quiet:
                self._drop(t, via, f"{f.name} not supported")
            return
        if f.truncated is not None or isinstance(f.message, RawMessage):
            self._drop(t, via, f"malformed {f.name}: {f.truncated or 'no layout'}")
            return
        reply = handler(self, f, t)
        if reply is None:
            return
        if reply_to is None:
            self._to_host(reply)
        else:
            self._to_plc(env.Kind.DATA, reply_to, reply, env.key_tag(self.nek))
        self.stats["answered"] += 1
        self._emit(ev.Answered(t, f.name, f.src, via.value))

    def _reply(self, req: Frame, message: Any) -> bytes:
        return self._frame(req.src, message, mmv=req.mmv)

    # each handler returns the encoded reply frame, or None for "no reply"

    def _vs_sw_ver(self, f: Frame, t: float) -> bytes:
        v = self.firmware.encode("ascii")[:253]
        return self._reply(f, messages.VS_SW_VER_CNF(
            mstatus=0, device_class=self.chip.device_class, version_length=len(v) + 1,
            version=v.ljust(254, b"\0"), ident=self.chip.ident, stepping=0, cookie=f.message.cookie))

    def _vs_nw_info(self, f: Frame, t: float) -> bytes | None:
        members = self.members()
        nets0, nets1 = [], []
        if self.in_avln:
            role = ROLE_CODE[self.role]
            st1, st0 = [], []
            for p in members:
                q = self.link.link(self.mac, p.mac, t)
                tx, rx = int(round(q.tx_rate_mbps)), int(round(q.rx_rate_mbps))
                st1.append(_STA1(p.mac, p.tei, bytes(3), p.bda, min(tx, 0xFFFF), 0, 0, min(rx, 0xFFFF), 0))
                st0.append(_STA0(p.mac, p.tei, p.bda, min(tx, 255), min(rx, 255)))
            nets1.append(_NW1(self.nid, bytes(2), self.snid, self.tei, bytes(4), role, self.cco_mac, self.cco_tei,
                              bytes(3), len(st1), bytes(5), st1))
            nets0.append(_NW0(self.nid, self.snid, self.tei, role, self.cco_mac, self.cco_tei, len(st0), st0))
        if f.mmv == 0:
            return self._reply(f, messages.VS_NW_INFO_CNF_V0(num_avlns=len(nets0), networks=nets0))
        if f.mmv == 1:
            data_len = 2 + sum(32 + 24 * n.num_stations for n in nets1)
            return self._reply(f, messages.VS_NW_INFO_CNF(sub_version=0, rsvd=0, data_len=data_len, rsvd2=0,
                                                          num_avlns=len(nets1), networks=nets1))
        return None

    def _vs_set_key(self, f: Frame, t: float) -> bytes:
        m = f.message
        if m.eks > 7:
            return self._reply(f, messages.VS_SET_KEY_CNF(mstatus=0x10))
        if m.peks == PEKS_CLEAR:
            reply = self._reply(f, messages.VS_SET_KEY_CNF(mstatus=0))
            self._set_nmk(m.nmk, None, t, "VS_SET_KEY")
            return reply
        if m.peks == PEKS_DAK:
            self._provision_remote(m.rda, m.dak, m.nmk, t)
            return self._reply(f, messages.VS_SET_KEY_CNF(mstatus=0))
        return self._reply(f, messages.VS_SET_KEY_CNF(mstatus=0x11))

    def _vs_rs_dev(self, f: Frame, t: float) -> bytes:
        reply = self._reply(f, messages.VS_RS_DEV_CNF(mstatus=0))
        self._reset(t, factory=False)
        return reply

    def _vs_fac_defaults(self, f: Frame, t: float) -> bytes:
        reply = self._reply(f, messages.VS_FAC_DEFAULTS_CNF(mstatus=0))
        self._reset(t, factory=True)
        return reply

    def _vs_lnk_stats(self, f: Frame, t: float) -> bytes:
        m = f.message
        status = 0
        peer = self.peers.get(m.peer)
        if m.mcontrol not in (0, 1):
            status = 0x01
        elif m.direction not in (0, 1, 2):
            status = 0x02
        elif m.lid not in (0, 1, 2, 3, 0xF8, 0xFC):
            status = 0x10
        elif peer is None and m.lid != 0xFC:
            status = 0x20
        direction = m.direction if m.direction in (0, 1, 2) else 0
        c = self.counters.get(m.peer, LinkCounters()) if status == 0 else LinkCounters()
        if status == 0 and m.mcontrol == 1:
            self.counters.pop(m.peer, None)
        q = self.link.link(self.mac, m.peer, t)
        tx = (c.tx_mpdu, 0, 0, c.tx_pb, 0) if direction in (0, 2) else (None,) * 5
        if direction in (1, 2):
            rx: tuple[Any, ...] = (c.rx_mpdu, 0, c.rx_pb, 0, c.rx_pb, 0, 1)
            intervals = [_RXI(min(255, int(q.rx_rate_mbps)), c.rx_pb, 0, c.rx_pb, 0)]
        else:
            rx, intervals = (None,) * 7, None
        return self._reply(f, messages.VS_LNK_STATS_CNF(status, direction, m.lid, peer.tei if peer else 0, *tx, *rx,
                                                        intervals))

    def _vs_op_attributes(self, f: Frame, t: float) -> bytes:
        m = f.message
        if m.report_type != 0:
            return self._reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=1, cookie=m.cookie, report_type=m.report_type,
                                                                length=0, report=b""))
        major, minor, comp, sust, build, date, rel = self.chip.attributes()
        report = b"".join((
            self.chip.name.encode().ljust(16, b"\0"), b"MAC".ljust(16, b"\0"),
            struct.pack("<5I", major, minor, comp, sust, build), date.encode()[:8].ljust(8, b"\0"),
            rel.encode()[:11].ljust(12, b"\0"), bytes((0x01, 0x00, 0x01)), struct.pack("<I", self.chip.dram_mb),
            struct.pack("<6I", 64, 64, 32, 60, 60, 30), struct.pack("<2I", 0, 0), bytes((0, 0, 0)),
        ))
        return self._reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=0, cookie=m.cookie, report_type=0,
                                                            length=len(report), report=report))

    def _vs_pl_link_status(self, f: Frame, t: float) -> bytes:
        return self._reply(f, messages.VS_PL_LINK_STATUS_CNF(mstatus=0, link_status=1 if self.members() else 0))

    def _vs_get_nvm(self, f: Frame, t: float) -> bytes:
        typ, page, block, size = self.chip.nvm
        return self._reply(f, messages.VS_GET_NVM_CNF(mstatus=0, nvm_type=typ, page_size=page, block_size=block,
                                                      memory_size=size))

    def _vs_module_operation(self, f: Frame, t: float) -> bytes:
        m = f.message
        if m.mod_op not in (0, 1) or m.num_op_data != 1:
            return self._reply(f, messages.VS_MODULE_OPERATION_CNF(
                mstatus=0x0001, err_rec_code=0, reserved=0, num_op_data=m.num_op_data, mod_op=m.mod_op,
                mod_op_data_len=m.mod_op_data_len, mod_op_rsvd=0, op_data=b""))
        if m.module_id != MODULE_ID_PIB:
            data, status = b"", 0x0001
        else:
            chain = build_parameter_chain(self.pib())
            data, status = chain[m.offset:m.offset + min(m.length, 1400)], 0
        return self._reply(f, messages.VS_MODULE_OPERATION_CNF(
            mstatus=status, err_rec_code=0, reserved=0, num_op_data=1, mod_op=m.mod_op,
            mod_op_data_len=m.mod_op_data_len, mod_op_rsvd=0, module_id=m.module_id, module_sub_id=m.module_sub_id,
            length=len(data), offset=m.offset, data=data))

    def _vs_rd_mod(self, f: Frame, t: float) -> bytes:
        m = f.message
        if m.module_id != 2:
            return self._reply(f, messages.VS_RD_MOD_CNF(mstatus=0x14, module_id=m.module_id, length=0,
                                                         offset=m.offset, checksum=0, data=b""))
        data = self.pib()[m.offset:m.offset + min(m.length, 1400)]
        return self._reply(f, messages.VS_RD_MOD_CNF(mstatus=0, rsvd=bytes(3), module_id=2, rsvd2=0, length=len(data),
                                                     offset=m.offset, checksum=checksum32(data), data=data))

    def _ms_pb_enc(self, f: Frame, t: float) -> bytes:
        action = f.message.pb_action
        status = 0
        if action == 1:  # join: open the pairing window (see _pb_announce)
            self._pb_start(t)
        elif action == 2:  # leave: a fresh random NMK (a network of its own)
            reply = self._reply(f, messages.MS_PB_ENC_CNF(mstatus=0, avln_status=0))
            self._set_nmk(self.rng.randbytes(16), None, t, "push button")
            return reply
        elif action != 3:
            status = 1
        return self._reply(f, messages.MS_PB_ENC_CNF(mstatus=status, avln_status=1 if self.members() else 0))

    def _cm_set_key(self, f: Frame, t: float) -> bytes:
        m = f.message
        ok = m.key_type == KEY_TYPE_NMK and m.new_key is not None and len(m.new_key) == 16
        result = self.config.set_key_success_result if ok else 1 - self.config.set_key_success_result
        reply = self._reply(f, messages.CM_SET_KEY_CNF(
            result=result, my_nonce=self.rng.randbytes(4), your_nonce=m.my_nonce, pid=m.pid, prn=m.prn, pmn=0xFF,
            cco_capability=self.config.cco_capability))
        if ok:
            nid = m.nid if any(m.nid) else None
            self._set_nmk(m.new_key, nid, t, "CM_SET_KEY")
        return reply

    # ------------------------------------------------------------------ keys and resets

    def _set_nmk(self, nmk: bytes, nid: bytes | None, t: float, via: str) -> None:
        self.nmk = bytes(nmk)
        self.nid = bytes(nid) if nid else nid_from_nmk(self.nmk, self.security_level)
        self._emit(ev.KeyChanged(t, self.nid, via))
        self._leave(t, "key changed")

    def _leave(self, t: float, trigger: str) -> None:
        if self.role is Role.STATION and self.tei:
            leave = self._frame(self.cco_mac, messages.CC_LEAVE_REQ(reason=0), mmv=1)
            self._to_plc(env.Kind.MGMT, self.cco_mac, leave)
        self._transition(trigger, t)
        self._restart_discovery(t)

    def _reset(self, t: float, factory: bool) -> None:
        if factory:
            self.nmk = nmk_from_password(FACTORY_PASSWORD)
            self.security_level = self.config.security_level
            self.nid = nid_from_nmk(self.nmk, self.security_level)
        self._emit(ev.Reset(t, factory))
        self._transition("reset", t)
        self._forget_network()
        self.timers = {"reset": t + self.config.timers.reset_s}
        self.hosts.clear()
        self.bridge.clear()

    def _timer_reset(self, t: float) -> None:
        self._transition("reset done", t)
        self._restart_discovery(t)

    def _provision_remote(self, rda: bytes, dak: bytes, nmk: bytes, t: float) -> None:
        """VS_SET_KEY with PEKS 0: push the NMK to modem ``rda`` inside CM_ENCRYPTED_PAYLOAD under its DAK."""
        prn = self.rng.randrange(0x10000)
        inner = self._frame(rda, messages.CM_SET_KEY_REQ(
            key_type=KEY_TYPE_NMK, my_nonce=self.rng.randbytes(4), your_nonce=bytes(4), pid=PID_NMK_BY_DAK, prn=prn,
            pmn=0xFF, cco_capability=0, nid=nid_from_nmk(nmk, self.security_level), new_eks=1, new_key=nmk),
            mmv=1, pad=False)
        self._send_sealed(rda, inner, dak, PEKS_DAK, PID_NMK_BY_DAK, prn, 0xFF, env.Kind.MGMT)

    def _send_sealed(self, dst: bytes, inner: bytes, key: bytes, peks: int, pid: int, prn: int, pmn: int,
                     kind: env.Kind) -> None:
        from plcstack.keys.payload import seal

        filler = self.rng.randbytes(self.rng.randrange(16))
        # RF + MM + CRC(4) + PID/PRN/PMN(4) + padding + RF_len(1) is a multiple of 16 bytes
        padding = self.rng.randbytes(-(len(filler) + len(inner) + 9) % 16)
        avln_status = 0x08 if self.role is Role.CCO else (0x04 if self.in_avln else 0x00)
        mmentry = seal(inner, key, peks=peks, pid=pid, prn=prn, pmn=pmn, avln_status=avln_status,
                       iv=self.rng.randbytes(16), filler=filler, padding=padding)
        frame = self._frame(dst, RawMessage(mmentry), mmv=1, mmtype=CM_ENCRYPTED_PAYLOAD_IND)
        self._to_plc(kind, dst, frame)

    # ------------------------------------------------------------------ AVLN: discovery, election, association

    def _forget_network(self) -> None:
        self.tei = 0
        self.snid = 0
        self.cco_mac = bytes(6)
        self.cco_tei = 0
        self.nek = None
        self.eks = 0
        self.peers.clear()
        self.pending_nonce = None
        self.bridge.clear()

    def _restart_discovery(self, t: float) -> None:
        tm = self.config.timers
        self._forget_network()
        self.other_networks.clear()
        self.timers = {"bbt": t + tm.bbt_s, "usai": t}

    def _precedence(self, capability: int, mode_always: bool, mac: bytes) -> tuple[int, bytes]:
        return (capability + (4 if mode_always else 0), mac)

    def _my_precedence(self) -> tuple[int, bytes]:
        return self._precedence(self.config.cco_capability, self.config.cco == "always", self.mac)

    def _timer_usai(self, t: float) -> None:
        if self.role is not Role.UNASSOCIATED:
            return
        ind = self._frame(BROADCAST_MAC, messages.CM_UNASSOCIATED_STA_IND(
            nid=self.nid, cco_capability=self.config.cco_capability), mmv=1)
        self._to_plc(env.Kind.MGMT, env.BROADCAST, ind)
        self.timers["usai"] = t + self.config.timers.usai_s

    def _timer_bbt(self, t: float) -> None:
        """End of the beacon-listening period: with no CCo of our NID beaconing, start our own AVLN.

        Qualcomm firmware (and the HomePlug AV spec) make a lone station the CCo of a new AVLN even when
        beacons of other networks are heard; Greenvity firmware stays unassociated then
        (``ModemConfig.stay_unassociated_near_networks``).
        """
        if self.role is not Role.UNASSOCIATED:
            return
        tm = self.config.timers
        window = tm.beacon_s * tm.loss_beacons
        self.other_networks = {n: seen for n, seen in self.other_networks.items() if t - seen <= window}
        blocked = bool(self.other_networks) and self.config.stay_unassociated_near_networks
        if t - self.cco_heard <= window and self.config.cco != "always":
            pass  # a CCo of our network is beaconing: the next beacon retries association
        elif self.config.cco != "never" and "assoc" not in self.timers and (not blocked or self.config.cco == "always"):
            self._become_cco(t, "bbt expired, no CCo of our NID heard")
            return
        self.timers["bbt"] = t + tm.bbt_s

    def _become_cco(self, t: float, trigger: str) -> None:
        self._transition(trigger, t)
        self.tei = 1
        self.cco_mac = self.mac
        self.cco_tei = 1
        self.snid = self._pick_snid(t)
        self.nek = self.rng.randbytes(16)
        self.eks = 1
        self.pending_nonce = None
        self.timers.pop("usai", None)
        self.timers.pop("bbt", None)
        self.timers.pop("assoc", None)
        self._timer_beacon(t)

    def _pick_snid(self, t: float) -> int:
        used = {s for s, seen in self.used_snids.items() if t - seen < 10.0}
        start = self.nid[0] % 15
        for i in range(15):
            s = (start + i) % 15 + 1
            if s not in used:
                return s
        return start + 1

    def _timer_beacon(self, t: float) -> None:
        tm = self.config.timers
        if self.role not in (Role.CCO, Role.STATION):
            return
        window = tm.beacon_s * tm.loss_beacons
        if self.role is Role.CCO:
            gone = [p for p in self.peers.values() if t - p.last_seen > window]
            for p in gone:
                del self.peers[p.mac]
                self._emit(ev.StationRemoved(t, p.mac, "no beacon"))
            if gone:
                self._send_tei_map()
        else:
            cco = self.peers.get(self.cco_mac)
            if cco is None or t - cco.last_seen > window:
                self._transition("CCo beacon lost", t)
                self._restart_discovery(t)
                return
        bda = next(iter(self.hosts), bytes(6))
        rank, _ = self._my_precedence()
        b = env.Beacon(self.nid, self.snid, self.cco_mac, self.tei, rank, 1 if self.role is Role.CCO else 0, bda,
                       self.cco_tei)
        self._to_plc(env.Kind.BEACON, env.BROADCAST, b.pack())
        self.timers["beacon"] = t + tm.beacon_s

    def _on_beacon(self, e: env.Envelope, b: env.Beacon, t: float) -> None:
        if b.central:
            self.used_snids[b.snid] = t
            if len(self.used_snids) > 16:
                self.used_snids.pop(next(iter(self.used_snids)))
        if b.nid != self.nid:
            if b.central:
                self.other_networks[b.nid] = t
                if len(self.other_networks) > MAX_OTHER_NETWORKS:
                    self.other_networks.pop(next(iter(self.other_networks)))
            return
        peer = self.peers.get(e.tx)
        if peer is not None:
            peer.last_seen = t
            peer.bda = b.bda
        elif self.role is Role.CCO and not b.central and b.cco_mac == self.mac:
            # a station that believes it is ours but is not (we restarted): tell it to start over
            ind = messages.CC_LEAVE_IND(reason=2, nid=self.nid)
            self._to_plc(env.Kind.MGMT, e.tx, self._frame(e.tx, ind, mmv=1))
            return
        if self.role is Role.UNASSOCIATED and b.central:
            self.cco_heard = t
            if self.config.cco == "always" and self._my_precedence() > (b.cco_capability, e.tx):
                return  # we will be CCo ourselves at the BBT; the other CCo yields when it hears us
            if "assoc" not in self.timers or self.assoc_target != e.tx:
                self._associate(e.tx, t)
        elif self.role is Role.CCO and b.central and e.tx != self.mac:
            if self._my_precedence() < (b.cco_capability, e.tx):
                self._transition("yielded to a stronger CCo", t)
                self._restart_discovery(t)
                self._associate(e.tx, t)
        elif self.role is Role.STATION and e.tx == self.cco_mac and peer is None:
            self.peers[e.tx] = Peer(e.tx, b.tei, t, True, b.bda)

    def _associate(self, cco: bytes, t: float) -> None:
        req = self._frame(cco, messages.CC_ASSOC_REQ(request_type=0, nid=self.nid,
                                                     cco_capability=self.config.cco_capability,
                                                     proxy_network_capability=0), mmv=1)
        self._to_plc(env.Kind.MGMT, cco, req)
        self.assoc_target = cco
        self.timers["assoc"] = t + self.config.timers.assoc_s

    def _timer_assoc(self, t: float) -> None:
        """No CC_ASSOC.CNF or CM_GET_KEY.CNF in time: back to listening (the next beacon retries)."""
        if self.role is Role.STATION and self.nek is None:
            self._transition("authentication failed", t)
            self._restart_discovery(t)
        self.pending_nonce = None

    def _on_mgmt(self, e: env.Envelope, t: float) -> None:
        f = decode_frame(e.payload)
        if f.truncated is not None:
            self._drop(t, Port.PLC, f"truncated {f.name}")
            return
        self._seen(e, t)
        handler = PLC_HANDLERS.get(f.mmtype)
        if handler is not None:
            handler(self, e, f, t)

    def _plc_unassociated_sta(self, e: env.Envelope, f: Frame, t: float) -> None:
        m = f.message
        if self.role is Role.STATION and e.tx == self.cco_mac:  # our CCo restarted: it is no CCo any more
            self._transition("CCo beacon lost", t)
            self._restart_discovery(t)
        if self.role is not Role.UNASSOCIATED or m.nid != self.nid or self.config.cco == "never":
            return
        if self.pending_nonce is not None or "assoc" in self.timers:
            return
        if self._my_precedence() > (m.cco_capability, e.tx):
            self._become_cco(t, "won CCo election")

    def _plc_assoc_req(self, e: env.Envelope, f: Frame, t: float) -> None:
        if self.role is not Role.CCO:
            return
        m = f.message
        if m.nid != self.nid:
            cnf = messages.CC_ASSOC_CNF(result=3, nid=self.nid, snid=self.snid, tei=0, lease_time=0)
        else:
            peer = self.peers.get(e.tx)
            if peer is None:
                used = {p.tei for p in self.peers.values()} | {self.tei}
                tei = next((n for n in range(2, 255) if n not in used), 0)
                if tei == 0:
                    cnf = messages.CC_ASSOC_CNF(result=2, nid=self.nid, snid=self.snid, tei=0, lease_time=0)
                    self._to_plc(env.Kind.MGMT, e.tx, self._frame(e.tx, cnf, mmv=1))
                    return
                peer = self.peers[e.tx] = Peer(e.tx, tei, t)
            peer.authenticated = False
            cnf = messages.CC_ASSOC_CNF(result=0, nid=self.nid, snid=self.snid, tei=peer.tei, lease_time=0x0F)
        self._to_plc(env.Kind.MGMT, e.tx, self._frame(e.tx, cnf, mmv=1))

    def _plc_assoc_cnf(self, e: env.Envelope, f: Frame, t: float) -> None:
        m = f.message
        if self.role is not Role.UNASSOCIATED or "assoc" not in self.timers or e.tx != self.assoc_target:
            return
        if m.result != 0 or m.nid != self.nid:
            self.timers.pop("assoc", None)
            return
        self._transition("association confirmed", t)
        self.timers.pop("usai", None)
        self.timers.pop("bbt", None)
        self.tei, self.snid, self.cco_mac, self.cco_tei = m.tei, m.snid, e.tx, 1
        self.peers[e.tx] = Peer(e.tx, 1, t, True)
        # authenticate: CM_GET_KEY.REQ (NEK) encrypted under the NMK
        self.pending_nonce = self.rng.randbytes(4)
        self.pending_prn = self.rng.randrange(0x10000)
        inner = self._frame(e.tx, messages.CM_GET_KEY_REQ(
            request_type=0, requested_key_type=KEY_TYPE_NEK, nid=self.nid, my_nonce=self.pending_nonce,
            pid=PID_AUTH_NEW_STA, prn=self.pending_prn, pmn=1), mmv=1, pad=False)
        self._send_sealed(e.tx, inner, self.nmk, PEKS_NMK, PID_AUTH_NEW_STA, self.pending_prn, 1, env.Kind.MGMT)
        self.timers["assoc"] = t + self.config.timers.assoc_s
        self._timer_beacon(t)

    def _plc_leave_req(self, e: env.Envelope, f: Frame, t: float) -> None:
        if self.role is Role.CCO and self.peers.pop(e.tx, None) is not None:
            self._to_plc(env.Kind.MGMT, e.tx, self._frame(e.tx, messages.CC_LEAVE_CNF(), mmv=1))
            self._emit(ev.StationRemoved(t, e.tx, "left"))
            self._send_tei_map()

    def _plc_leave_ind(self, e: env.Envelope, f: Frame, t: float) -> None:
        if self.role is Role.STATION and e.tx == self.cco_mac:
            self._transition("told to leave by the CCo", t)
            self._restart_discovery(t)

    def _plc_tei_map(self, e: env.Envelope, f: Frame, t: float) -> None:
        if self.role is not Role.STATION or e.tx != self.cco_mac:
            return
        old = self.peers
        fresh: dict[bytes, Peer] = {self.cco_mac: old.get(self.cco_mac) or Peer(self.cco_mac, self.cco_tei, t, True)}
        for s in f.message.stations:
            if s.mac == self.mac or s.status != 1:
                continue
            prev = old.get(s.mac)
            fresh[s.mac] = Peer(s.mac, s.tei, prev.last_seen if prev else t, True, prev.bda if prev else bytes(6))
        self.peers = fresh

    def _send_tei_map(self) -> None:
        items = [_TEI_ITEM(p.tei, p.mac, 1 if p.authenticated else 0) for p in sorted(self.peers.values(),
                                                                                     key=lambda p: p.tei)]
        ind = messages.CC_SET_TEI_MAP_IND(mode=0, num_stations=len(items), stations=items)
        self._to_plc(env.Kind.MGMT, env.BROADCAST, self._frame(BROADCAST_MAC, ind, mmv=1))

    def _plc_encrypted(self, e: env.Envelope, f: Frame, t: float) -> None:
        from plcstack.keys.errors import KeysError
        from plcstack.keys.payload import PayloadHeader, open_payload

        body = e.payload[decode_header(e.payload).body_offset:]
        try:
            hdr = PayloadHeader.unpack(body)
        except KeysError:
            return
        key = {PEKS_DAK: self.dak, PEKS_NMK: self.nmk, PEKS_TEK0: self.pb_tek}.get(hdr.peks)
        if key is None:
            return
        try:
            inner = decode_frame(open_payload(body, key))
        except (KeysError, DecodeError) as exc:
            self._emit(ev.AuthFailed(t, e.tx, str(exc)))
            rsp = messages.CM_ENCRYPTED_PAYLOAD_RSP(result=1, pid=hdr.pid, prn=hdr.prn)
            self._to_plc(env.Kind.MGMT, e.tx, self._frame(e.tx, rsp, mmv=1))
            return
        m = inner.message
        if inner.mmtype == CM_SET_KEY_REQ and hdr.peks == PEKS_DAK and m.key_type == KEY_TYPE_NMK and m.new_key:
            self._set_nmk(m.new_key, m.nid if any(m.nid) else None, t, "remote CM_SET_KEY (DAK)")
        elif inner.mmtype == CM_SET_KEY_REQ and hdr.peks == PEKS_TEK0 and m.key_type == KEY_TYPE_NMK and m.new_key:
            self._pb_close()
            self.pb_tek = None
            self._set_nmk(m.new_key, m.nid if any(m.nid) else None, t, "push button")
        elif inner.mmtype == 0x600C and self.role is Role.CCO and hdr.peks == PEKS_NMK:
            self._grant_nek(e.tx, m, t)
        elif inner.mmtype == 0x600D and self.role is Role.STATION and hdr.peks == PEKS_NMK:
            if m.your_nonce == self.pending_nonce and m.result == 0 and len(m.key) >= 16:
                self.nek, self.eks = bytes(m.key[:16]), m.eks
                self.pending_nonce = None
                self.timers.pop("assoc", None)
                self._emit(ev.Joined(t, self.cco_mac, self.tei))

    def _grant_nek(self, sta: bytes, m: Any, t: float) -> None:
        peer = self.peers.get(sta)
        result = 0 if (peer is not None and m.nid == self.nid and m.requested_key_type == KEY_TYPE_NEK) else 1
        key = self.nek if result == 0 else bytes(16)
        cnf = self._frame(sta, messages.CM_GET_KEY_CNF(
            result=result, requested_key_type=m.requested_key_type, my_nonce=self.rng.randbytes(4),
            your_nonce=m.my_nonce, nid=self.nid, eks=self.eks, pid=m.pid, prn=m.prn, pmn=0xFF, key=key),
            mmv=1, pad=False)
        self._send_sealed(sta, cnf, self.nmk, PEKS_NMK, m.pid, m.prn, 0xFF, env.Kind.MGMT)
        if result == 0 and peer is not None and not peer.authenticated:
            peer.authenticated = True
            peer.last_seen = t
            self._emit(ev.StationAdded(t, sta, peer.tei))
            self._send_tei_map()

    # ------------------------------------------------------------------ push-button pairing ("simple connect")

    def _pb_start(self, t: float) -> None:
        """MS_PB_ENC join: for ``pb_window_s`` seconds, look for another modem whose button was pressed.

        Emulated exchange (HomePlug AV simple connect, simplified): both broadcast CM_SC_JOIN.REQ; the one
        with more AVLN members (then the higher MAC) answers CM_SC_JOIN.CNF; the other starts a unicast key
        exchange with CM_GET_KEY (hash keys, in clear); both derive TEK = SHA-256(HK1 || HK2)[:16] (the
        emulator's choice, not the spec's derivation) and the NMK goes across in CM_SET_KEY.REQ inside
        CM_ENCRYPTED_PAYLOAD under that TEK (PEKS 0x02, PID 3 "provision NMK using UKE").
        """
        self.pb_until = t + self.config.timers.pb_window_s
        self.pb_peer, self.pb_hash, self.pb_tek = bytes(6), b"", None
        self._timer_pb(t)

    def _pb_open(self, t: float) -> bool:
        return t < self.pb_until

    def _timer_pb(self, t: float) -> None:
        if not self._pb_open(t):
            return
        body = bytes((self.config.cco_capability, min(255, len(self.members()))))
        req = self._frame(BROADCAST_MAC, RawMessage(body), mmv=1, mmtype=CM_SC_JOIN_REQ)
        self._to_plc(env.Kind.MGMT, env.BROADCAST, req)
        self.timers["pb"] = min(self.pb_until, t + 1.0)

    def _pb_close(self) -> None:
        self.pb_until = -1.0
        self.timers.pop("pb", None)

    def _plc_sc_join_req(self, e: env.Envelope, f: Frame, t: float) -> None:
        body = e.payload[decode_header(e.payload).body_offset:]  # CM_SC_JOIN is declared now; read its bytes
        if not self._pb_open(t) or len(body) < 2:
            return
        if (len(self.members()), self.mac) > (body[1], e.tx):  # we hold the network: offer it
            cnf = self._frame(e.tx, RawMessage(self.nid + bytes((min(255, len(self.members())),))), mmv=1,
                              mmtype=CM_SC_JOIN_REQ | 1)
            self._to_plc(env.Kind.MGMT, e.tx, cnf)

    def _plc_sc_join_cnf(self, e: env.Envelope, f: Frame, t: float) -> None:
        body = e.payload[decode_header(e.payload).body_offset:]
        if not self._pb_open(t) or len(body) < 7 or self.pb_hash:
            return
        self.pb_peer, self.pb_hash = e.tx, self.rng.randbytes(384)
        req = self._frame(e.tx, messages.CM_GET_KEY_REQ(
            request_type=0, requested_key_type=KEY_TYPE_HASH, nid=body[:7], my_nonce=self.rng.randbytes(4),
            pid=PID_NMK_BY_UKE, prn=self.rng.randrange(0x10000), pmn=1, hash_key=self.pb_hash), mmv=1)
        self._to_plc(env.Kind.MGMT, e.tx, req)

    def _plc_get_key_req_clear(self, e: env.Envelope, f: Frame, t: float) -> None:
        m = f.message
        if not self._pb_open(t) or m.requested_key_type != KEY_TYPE_HASH or not m.hash_key:
            return
        hk2 = self.rng.randbytes(384)
        cnf = self._frame(e.tx, messages.CM_GET_KEY_CNF(
            result=0, requested_key_type=KEY_TYPE_HASH, my_nonce=self.rng.randbytes(4), your_nonce=m.my_nonce,
            nid=self.nid, eks=0, pid=PID_NMK_BY_UKE, prn=m.prn, pmn=2, key=hk2), mmv=1)
        self._to_plc(env.Kind.MGMT, e.tx, cnf)
        tek = hashlib.sha256(bytes(m.hash_key) + hk2).digest()[:16]
        inner = self._frame(e.tx, messages.CM_SET_KEY_REQ(
            key_type=KEY_TYPE_NMK, my_nonce=self.rng.randbytes(4), your_nonce=m.my_nonce, pid=PID_NMK_BY_UKE,
            prn=m.prn, pmn=3, cco_capability=self.config.cco_capability, nid=self.nid, new_eks=1, new_key=self.nmk),
            mmv=1, pad=False)
        self._send_sealed(e.tx, inner, tek, PEKS_TEK0, PID_NMK_BY_UKE, m.prn, 3, env.Kind.MGMT)
        self._pb_close()

    def _plc_get_key_cnf_clear(self, e: env.Envelope, f: Frame, t: float) -> None:
        m = f.message
        if self._pb_open(t) and e.tx == self.pb_peer and m.requested_key_type == KEY_TYPE_HASH and self.pb_hash:
            self.pb_tek = hashlib.sha256(self.pb_hash + bytes(m.key)).digest()[:16]


Handler = Callable[[Modem, Frame, float], "bytes | None"]

#: Host-side requests this modem answers: REQ MMTYPE -> handler.
REQUEST_HANDLERS: dict[int, Handler] = {
    0xA000: Modem._vs_sw_ver,
    0xA038: Modem._vs_nw_info,
    0xA050: Modem._vs_set_key,
    0xA01C: Modem._vs_rs_dev,
    0xA07C: Modem._vs_fac_defaults,
    0xA030: Modem._vs_lnk_stats,
    0xA068: Modem._vs_op_attributes,
    0xA0B8: Modem._vs_pl_link_status,
    0xA010: Modem._vs_get_nvm,
    0xA0B0: Modem._vs_module_operation,
    0xA024: Modem._vs_rd_mod,
    0x8000: Modem._ms_pb_enc,
    CM_SET_KEY_REQ: Modem._cm_set_key,
}

#: Management messages between modems on the power line: MMTYPE -> handler.
PLC_HANDLERS: dict[int, Callable[[Modem, env.Envelope, Frame, float], None]] = {
    0x6002: Modem._plc_unassociated_sta,
    0x0030: Modem._plc_assoc_req,
    0x0031: Modem._plc_assoc_cnf,
    0x0034: Modem._plc_leave_req,
    0x0036: Modem._plc_leave_ind,
    0x003A: Modem._plc_tei_map,
    CM_ENCRYPTED_PAYLOAD_IND: Modem._plc_encrypted,
    CM_SC_JOIN_REQ: Modem._plc_sc_join_req,
    CM_SC_JOIN_REQ | 1: Modem._plc_sc_join_cnf,
    0x600C: Modem._plc_get_key_req_clear,
    0x600D: Modem._plc_get_key_cnf_clear,
}
