"""A Qualcomm-like HomePlug AV / Green PHY modem as a sans-I/O state machine.

The modem has two ports: ``HOST`` (its Ethernet side, where plctool, pev or pyslac run) and ``PLC``
(the emulated power line, see :mod:`plcstack.emu.envelope`).  It is driven by the caller::

    modem = Modem(ModemConfig(mac=bytes.fromhex("00B052000042")), rng=random.Random(1))
    outputs, events = modem.start(t=0.0)
    outputs, events = modem.receive(Port.HOST, frame_bytes, t=0.01)
    outputs, events = modem.poll(t=modem.next_deadline())

``outputs`` is a list of ``(port, frame bytes)`` to deliver; ``events`` a list of
:mod:`plcstack.emu.events`.  The modem never reads a clock or a socket; randomness (nonces, NEK, IVs,
per-sound attenuation spread) comes from the :class:`random.Random` passed in, so runs are reproducible.

The parts, each in its own module (h11 style):

* :mod:`plcstack.emu.state` -- roles, typed triggers, the transition table, the timers;
* :mod:`plcstack.emu.avln` -- discovery, CCo election, association and authentication, decided by the
  rule book :mod:`plcstack.avln.rules` shared with the site simulator;
* :mod:`plcstack.emu.host` -- the replies to host messages, one table keyed by message class
  (:mod:`plcstack.emu.host_vs` for the Qualcomm vendor messages, :mod:`plcstack.emu.pib` for the
  parameter block, :mod:`plcstack.emu.tonemap` for tone maps);
* :mod:`plcstack.emu.pushbutton` -- push-button pairing;
* this module -- the two ports: bridging, SLAC indications, keys and resets.

A chip profile (:mod:`plcstack.emu.profiles`, ``docs/modem-profiles.md``) gives what the modem says
about itself and its timings.
"""

from __future__ import annotations

import random
import struct
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from plcstack.avln import rules
from plcstack.capture.typefilter import parse_type_filter
from plcstack.codec import (
    BROADCAST_MAC,
    LOCAL_MAC,
    DecodeError,
    EncodeError,
    Frame,
    decode_frame,
    decode_header,
    encode_frame,
    make_frame,
    messages,
)
from plcstack.codec.codes import KeyType, Peks, ProtocolId
from plcstack.codec.mac import format_mac, is_multicast
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_VLAN
from plcstack.emu import avln, pushbutton
from plcstack.emu import envelope as env
from plcstack.emu import events as ev
from plcstack.emu.link import ConstantLinkModel, LinkModel
from plcstack.emu.mme import mmtype_of
from plcstack.emu.profiles import GP_MAX_MBPS, ChipProfile, profile
from plcstack.emu.state import Role, TimerName, Timers, Trigger, next_role
from plcstack.keys.derive import dak_from_password, nid_from_nmk, nmk_from_password

FACTORY_PASSWORD = "HomePlugAV"
MAX_LEARNED_HOSTS = 64
MAX_BRIDGE_ENTRIES = 256
MAX_PEER_STATS = 256
PB_BYTES = 520  # PHY block payload: frames are counted in 520-byte PBs for link statistics
_ET_AV = ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big")
_ET_VLAN = ETHERTYPE_VLAN.to_bytes(2, "big")

#: Green PHY SLAC messages (ISO 15118-3): carried across networks, unencrypted (the project's one list).
SLAC_MESSAGES = parse_type_filter("SLAC")
MNBC_SOUND = mmtype_of(messages.CM_MNBC_SOUND_IND)


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
    cco: str = "auto"  # PIB CCo selection: "auto", "always" or "never" (plcstack.avln.rules.CcoMode)
    cco_capability: int = 0  # 0..3, used in the CCo election
    set_key_success_result: int = 1  # CM_SET_KEY.CNF RESULT on success (1 Qualcomm firmware, 0 HPAV spec)
    slac: bool = True  # SLAC indications (CM_ATTEN_PROFILE.IND / VS 0xA14E) for every CM_MNBC_SOUND.IND heard
    sound_spread_db: float = 1.0  # sound-to-sound spread of the reported attenuation (s.d., dB)
    stay_unassociated_near_networks: bool = False  # Greenvity rule: no new AVLN while other AVLNs are heard
    name: str = ""
    mfg: str = "Qualcomm Atheros HomePlug AV Device (plcstack emulator)"
    usr: str = "plcstack emulated modem"
    net: str = "plcstack emulated network"
    timers: Timers = field(default_factory=Timers)

    def __post_init__(self) -> None:
        if len(self.mac) != 6:
            raise ValueError("modem MAC must be 6 bytes")
        try:
            rules.CcoMode(self.cco)
        except ValueError:
            raise ValueError(f"cco must be one of {', '.join(m.value for m in rules.CcoMode)}, got {self.cco!r}") from None
        if not 0 <= self.cco_capability <= 3:
            raise ValueError(f"cco_capability is 0..3, got {self.cco_capability}")
        if self.sound_spread_db < 0:
            raise ValueError("sound_spread_db must be >= 0")
        profile(self.chip)  # validates the chip name


@dataclass
class LinkCounters:
    tx_mpdu: int = 0
    tx_pb: int = 0
    rx_mpdu: int = 0
    rx_pb: int = 0


class Modem:
    """One emulated modem. See the module docstring for the calling convention."""

    def __init__(self, config: ModemConfig, link: LinkModel | None = None, seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        self.config = config
        self.mac = config.mac
        self.chip: ChipProfile = profile(config.chip)
        self.firmware = config.firmware or self.chip.firmware
        self.link: LinkModel = link or ConstantLinkModel()
        self.rng = rng or random.Random(seed if seed is not None else int.from_bytes(config.mac, "big"))
        tm = config.timers
        self.reset_s = tm.reset_s if tm.reset_s is not None else self.chip.reset_s
        self.set_key_s = tm.set_key_s if tm.set_key_s is not None else self.chip.set_key_s
        self.security_level = config.security_level
        self.nmk = config.nmk or nmk_from_password(config.password)
        self.nid = config.nid or nid_from_nmk(self.nmk, self.security_level)
        self.dak = config.dak or dak_from_password(config.device_password or f"EMU{config.mac.hex().upper()}")
        self.cco_mode = rules.CcoMode(config.cco)
        self.lone_policy = (rules.LonePolicy.STAY_UNASSOCIATED if config.stay_unassociated_near_networks
                            else rules.DEFAULT_LONE_POLICY)
        self.role = Role.UNASSOCIATED
        self.started = False
        self.plc_restarting = False  # after a key change: host side answers, power line down for set_key_s
        self.avln = avln.AvlnState()
        self.pb = pushbutton.PushButtonState()
        self.pib = PibStore(self)
        self.hosts: OrderedDict[bytes, float] = OrderedDict()  # MACs learned on the host side (BDA)
        self.bridge: OrderedDict[bytes, bytes] = OrderedDict()  # remote Ethernet MAC -> modem MAC
        self.counters: OrderedDict[bytes, LinkCounters] = OrderedDict()
        self.classifier_rules: list[bytes] = []  # VS_CLASSIFICATION rules (volatile)
        self.timers: dict[TimerName, float] = {}
        self.stats = {"host_rx": 0, "plc_rx": 0, "answered": 0, "dropped": 0}
        self._out: list[Output] = []
        self._ev: list[ev.Event] = []

    # ------------------------------------------------------------------ public API

    def __repr__(self) -> str:
        return f"Modem({format_mac(self.mac)}, {self.chip.name}, {self.role.value}, NID {self.nid.hex().upper()})"

    def start(self, t: float) -> Step:
        """Power on: listen for beacons, advertise as an unassociated station."""
        self._begin()
        self.started = True
        avln.restart_discovery(self, t)
        return self._flush()

    def receive(self, port: Port, frame: bytes, t: float) -> Step:
        """Handle one frame arriving on ``port`` at time ``t``."""
        self._begin()
        if not self.started:
            self.started = True
            avln.restart_discovery(self, t)
        if self.role is Role.RESETTING:
            self.drop(t, port, "resetting")
            return self._flush()
        if port is Port.PLC and self.plc_restarting:
            self.drop(t, port, "power line restarting after a key change")
            return self._flush()
        try:
            if port is Port.HOST:
                self.stats["host_rx"] += 1
                self._from_host(frame, t)
            else:
                self.stats["plc_rx"] += 1
                self._from_plc(frame, t)
        except (DecodeError, EncodeError, env.EnvelopeError, struct.error, ValueError) as exc:
            self.drop(t, port, f"malformed: {exc}")
        return self._flush()

    def poll(self, t: float) -> Step:
        """Fire every timer due at or before ``t``."""
        self._begin()
        for name, due in sorted(self.timers.items(), key=lambda kv: kv[1]):
            if due <= t and self.timers.get(name) == due:
                del self.timers[name]
                TIMER_HANDLERS[name](self, t)
        return self._flush()

    def next_deadline(self) -> float | None:
        return min(self.timers.values()) if self.timers else None

    @property
    def in_avln(self) -> bool:
        """Associated and authenticated (holds the NEK), or CCo."""
        return self.role is Role.CCO or (self.role is Role.STATION and self.avln.nek is not None)

    @property
    def precedence(self) -> rules.Precedence:
        """This modem's rank in the CCo election (the rule book's)."""
        return rules.precedence(self.config.cco_capability, self.cco_mode, self.mac)

    # the AVLN state, as seen from outside
    @property
    def nek(self) -> bytes | None:
        return self.avln.nek

    @property
    def tei(self) -> int:
        return self.avln.tei

    @property
    def cco_mac(self) -> bytes:
        return self.avln.cco_mac

    @property
    def snid(self) -> int:
        return self.avln.snid

    def members(self) -> list[avln.Peer]:
        """The other authenticated modems of this modem's AVLN, by TEI."""
        if not self.in_avln:
            return []
        return sorted((p for p in self.avln.peers.values() if p.authenticated), key=lambda p: p.tei)

    def rates(self, peer: bytes, t: float) -> tuple[float, float]:
        """(TX to ``peer``, RX from it), Mbit/s: the link model's, capped at what the two PHYs can carry
        (a Green PHY end means HS-ROBO only)."""
        q = self.link.link(self.mac, peer, t)
        member = self.avln.peers.get(peer)
        gp = self.chip.green_phy or (member is not None and member.green_phy)
        cap = min(self.chip.max_rate_mbps, GP_MAX_MBPS) if gp else self.chip.max_rate_mbps
        return min(q.tx_rate_mbps, cap), min(q.rx_rate_mbps, cap)

    def first_host(self) -> bytes:
        """The bridged address (BDA) this modem reports: its first host, FF:FF:FF:FF:FF:FF when it has none."""
        return next(iter(self.hosts), BROADCAST_MAC)

    # ------------------------------------------------------------------ plumbing (used by the part modules)

    def _begin(self) -> None:
        self._out = []
        self._ev = []

    def _flush(self) -> Step:
        out, evs = self._out, self._ev
        self._out, self._ev = [], []
        return Step(out, evs)

    def emit(self, e: ev.Event) -> None:
        self._ev.append(e)

    def drop(self, t: float, port: Port | str, reason: str) -> None:
        self.stats["dropped"] += 1
        self.emit(ev.Dropped(t, port.value if isinstance(port, Port) else port, reason))

    def to_host(self, frame: bytes) -> None:
        self._out.append(Output(Port.HOST, frame))

    def to_plc(self, kind: env.Kind, rx: bytes, payload: bytes, tag: bytes = env.NO_TAG) -> None:
        if self.plc_restarting:
            return  # nothing goes out while the power-line side restarts (the host is told by the drop below)
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

    def frame(self, dst: bytes, message: Any, mmv: int | None = None, mmtype: int | None = None,
              pad: bool = True, trailing: bytes | None = None) -> bytes:
        """Encode ``message`` from this modem to ``dst`` (padded to 60 bytes unless ``pad`` is false)."""
        f = make_frame(dst, self.mac, message, mmv=mmv, mmtype=mmtype)
        if trailing is not None or not pad:
            body = encode_frame(f._replace(trailing=b""))
            body += trailing or b""
            return body if not pad or len(body) >= 60 else body.ljust(60, b"\0")
        return encode_frame(f)

    def reply(self, req: Frame, message: Any, trailing: bytes | None = None) -> bytes:
        """The confirmation of host request ``req`` (same MMV, back to its sender)."""
        return self.frame(req.src, message, mmv=req.mmv, trailing=trailing)

    def transition(self, trigger: Trigger, t: float) -> None:
        nxt = next_role(self.role, trigger)
        if nxt is not self.role:
            self.role = nxt
            self.emit(ev.RoleChanged(t, nxt.value, self.nid, trigger.value))

    # ------------------------------------------------------------------ host side

    def _learn_host(self, mac: bytes, t: float) -> None:
        if is_multicast(mac):
            return
        if mac in self.hosts:
            self.hosts.move_to_end(mac)
        self.hosts[mac] = t
        if len(self.hosts) > MAX_LEARNED_HOSTS:
            self.hosts.popitem(last=False)
        self.bridge.pop(mac, None)

    def _from_host(self, frame: bytes, t: float) -> None:
        if len(frame) < 14:
            self.drop(t, Port.HOST, "runt frame")
            return
        dst, src = frame[0:6], frame[6:12]
        et = frame[12:14] if frame[12:14] != _ET_VLAN else frame[16:18]
        self._learn_host(src, t)
        if et != _ET_AV:
            self._bridge_out(dst, frame, t)
            return
        local = dst == self.mac or dst == LOCAL_MAC
        try:
            f = decode_frame(frame)
        except DecodeError as exc:
            if local or dst == BROADCAST_MAC:
                self.drop(t, Port.HOST, f"malformed: {exc}")
            else:
                self._bridge_out(dst, frame, t)
            return
        if local:
            self._request(f, t, via=Port.HOST, reply_to=None)
            return
        if SLAC_MESSAGES is not None and SLAC_MESSAGES.matches(f.mmtype, f.oui):
            self.to_plc(env.Kind.SLAC, env.BROADCAST, frame)
            return
        if dst == BROADCAST_MAC:
            self._request(f, t, via=Port.HOST, reply_to=None, quiet=True)
        self._bridge_out(dst, frame, t)

    def _bridge_out(self, dst: bytes, frame: bytes, t: float) -> None:
        if self.plc_restarting:
            self.drop(t, Port.HOST, "power line restarting after a key change")
            return
        if not self.in_avln or self.avln.nek is None:
            self.drop(t, Port.HOST, "not in an AVLN: nothing to bridge to")
            return
        rx = env.BROADCAST
        if not is_multicast(dst):
            rx = dst if dst in self.avln.peers else self.bridge.get(dst, env.BROADCAST)
        self.to_plc(env.Kind.DATA, rx, frame, env.key_tag(self.avln.nek))

    # ------------------------------------------------------------------ power-line side

    def _from_plc(self, buf: bytes, t: float) -> None:
        e = env.unpack(buf)
        if e.tx == self.mac or (e.rx != env.BROADCAST and e.rx != self.mac):
            return
        if e.kind is env.Kind.BEACON:
            avln.on_beacon(self, e, env.Beacon.unpack(e.payload), t)
        elif e.kind is env.Kind.MGMT:
            self._on_mgmt(e, t)
        elif e.kind is env.Kind.DATA:
            self._on_data(e, t)
        elif e.kind is env.Kind.SLAC:
            self._on_slac(e, t)

    def _seen(self, e: env.Envelope, t: float) -> None:
        """Any frame from a member shows it is alive -- except for our CCo, whose beacons alone count."""
        if self.role is Role.STATION and e.tx == self.avln.cco_mac:
            return
        p = self.avln.peers.get(e.tx)
        if p is not None:
            p.last_seen = t

    def _on_mgmt(self, e: env.Envelope, t: float) -> None:
        f = decode_frame(e.payload)
        if f.truncated is not None:
            self.drop(t, Port.PLC, f"truncated {f.name}")
            return
        self._seen(e, t)
        handler = PLC_HANDLERS.get(type(f.message))
        if handler is None:
            self.drop(t, Port.PLC, f"{f.name} not handled between modems")
            return
        handler(self, e, f, t)

    def _on_data(self, e: env.Envelope, t: float) -> None:
        a = self.avln
        if not self.in_avln or e.key_tag != env.key_tag(a.nek):
            self.drop(t, Port.PLC, "data of another network (NEK differs)")
            return
        self._seen(e, t)
        if e.rx == self.mac:
            c = self._counter(e.tx)
            c.rx_mpdu += 1
            c.rx_pb += max(1, -(-len(e.payload) // PB_BYTES))
        frame = e.payload
        if len(frame) < 14:
            self.drop(t, Port.PLC, "runt frame")
            return
        dst, src = frame[0:6], frame[6:12]
        if not is_multicast(src) and src not in self.hosts:
            self.bridge[src] = e.tx
            self.bridge.move_to_end(src)
            if len(self.bridge) > MAX_BRIDGE_ENTRIES:
                self.bridge.popitem(last=False)
        is_mme = frame[12:14] == _ET_AV or (frame[12:14] == _ET_VLAN and frame[16:18] == _ET_AV)
        if dst == self.mac and is_mme:
            self._request(decode_frame(frame), t, via=Port.PLC, reply_to=e.tx)
            return
        if dst == LOCAL_MAC:
            return  # a host's request to its own modem, seen on the line: not ours
        if dst == BROADCAST_MAC and is_mme:
            try:
                f = decode_frame(frame)
            except DecodeError:
                f = None
            if f is not None:
                self._request(f, t, via=Port.PLC, reply_to=e.tx, quiet=True)
        if is_multicast(dst) or dst in self.hosts or dst not in self.bridge:
            self.to_host(frame)

    def _on_slac(self, e: env.Envelope, t: float) -> None:
        frame = e.payload
        try:
            h = decode_header(frame)
        except DecodeError as exc:
            self.drop(t, Port.PLC, f"malformed SLAC frame: {exc}")
            return
        if is_multicast(h.dst) or h.dst in self.hosts or not self.hosts:
            self.to_host(frame)
        if self.config.slac and h.mmtype == MNBC_SOUND and h.mmv >= 1:
            self._sound_heard(h.src, e.tx, t)

    def _sound_heard(self, pev_mac: bytes, from_modem: bytes, t: float) -> None:
        """A PEV's CM_MNBC_SOUND.IND: tell the host what this sound's attenuation was (the chip's way)."""
        base = self.link.link(self.mac, from_modem, t).attenuation_db
        spread = self.config.sound_spread_db
        aag = bytes(max(0, min(255, int(round(v + (self.rng.gauss(0.0, spread) if spread else 0.0)))))
                    for v in base)
        for kind in self.chip.slac_indications:
            if kind == "atten_profile":
                msg: Any = messages.CM_ATTEN_PROFILE_IND(pev_mac=pev_mac, num_groups=len(aag), rsvd=0, aag=aag)
                self.to_host(self.frame(BROADCAST_MAC, msg, mmv=1))
            elif kind == "a14e":
                msg = messages.VS_ATTENUATION_CHARACTERISTICS_IND(
                    pev_mac=pev_mac, num_groups=len(aag), rsvd=0, carriers_per_group=16, rsvd2=bytes(7), aag=aag)
                self.to_host(self.frame(BROADCAST_MAC, msg, mmv=0))
        self.emit(ev.SoundHeard(t, pev_mac, from_modem, sum(aag) / len(aag) if aag else 0.0))

    # ------------------------------------------------------------------ management requests

    def _request(self, f: Frame, t: float, via: Port, reply_to: bytes | None, quiet: bool = False) -> None:
        """Answer a management request addressed to this modem (or broadcast)."""
        if f.mmtype & 3 != 0:  # only .REQ are requests
            if not quiet:
                self.drop(t, via, f"{f.name} is not a request")
            return
        entry = HOST_REPLIES.get(type(f.message))
        if entry is None or (via is Port.PLC and not entry.remote):
            if not quiet:
                self.drop(t, via, f"{f.name} not supported" + (" from the power line" if entry else ""))
            return
        if f.truncated is not None:
            self.drop(t, via, f"malformed {f.name}: {f.truncated}")
            return
        reply = entry.handler(self, f, t, via)
        if reply is None:
            return
        for frame in ([reply] if isinstance(reply, bytes) else reply):
            if reply_to is None:
                self.to_host(frame)
            else:
                self.to_plc(env.Kind.DATA, reply_to, frame, env.key_tag(self.avln.nek))
        self.stats["answered"] += 1
        self.emit(ev.Answered(t, f.name, f.src, via.value))

    # ------------------------------------------------------------------ keys and resets

    def set_nmk(self, nmk: bytes, nid: bytes | None, t: float, via: str) -> None:
        """A new network key: leave the AVLN, restart, rediscover.

        For ``set_key_s`` the modem is off the power line (SLAC and data frames are lost).  Real QCA7420
        firmware keeps answering its host meanwhile (docs/modem-profiles.md); the other profiles are
        silent on both sides, as a reset (``ChipProfile.host_during_key_restart``).
        """
        self.nmk = bytes(nmk)
        self.nid = bytes(nid) if nid else nid_from_nmk(self.nmk, self.security_level)
        self.emit(ev.KeyChanged(t, self.nid, via))
        avln.leave(self, t, Trigger.KEY_CHANGED)
        if self.set_key_s <= 0:
            return
        if self.chip.host_during_key_restart:
            self.plc_restarting = True
            self.timers = {TimerName.PLC_UP: t + self.set_key_s}
        else:
            self.transition(Trigger.RESTART_AFTER_KEY, t)
            self.timers = {TimerName.RESET: t + self.set_key_s}

    def reset(self, t: float, factory: bool) -> None:
        """VS_RS_DEV / VS_FAC_DEFAULTS (or a committed PIB): silent for ``reset_s``, then start over."""
        if factory:
            self.nmk = nmk_from_password(FACTORY_PASSWORD)
            self.security_level = self.config.security_level
            self.nid = nid_from_nmk(self.nmk, self.security_level)
            self.cco_mode = rules.CcoMode(self.config.cco)
            self.pib.restore_factory()
        self.emit(ev.Reset(t, factory))
        self.plc_restarting = False
        self.transition(Trigger.RESET, t)
        self.avln.forget()
        self.bridge.clear()
        self.hosts.clear()
        self.timers = {TimerName.RESET: t + self.reset_s}

    def _timer_reset(self, t: float) -> None:
        self.transition(Trigger.RESET_DONE, t)
        avln.restart_discovery(self, t)

    def _timer_plc_up(self, t: float) -> None:
        self.plc_restarting = False
        avln.restart_discovery(self, t)

    def provision_remote(self, rda: bytes, dak: bytes, nmk: bytes) -> None:
        """VS_SET_KEY with PEKS DAK: push the NMK to modem ``rda`` inside CM_ENCRYPTED_PAYLOAD under its DAK."""
        prn = self.rng.randrange(0x10000)
        inner = self.frame(rda, messages.CM_SET_KEY_REQ(
            key_type=KeyType.NMK, my_nonce=self.rng.randbytes(4), your_nonce=bytes(4),
            pid=ProtocolId.PROVISION_NMK_DAK, prn=prn, pmn=0xFF, cco_capability=0,
            nid=nid_from_nmk(nmk, self.security_level), new_eks=1, new_key=nmk), mmv=1, pad=False)
        avln.send_sealed(self, rda, inner, dak, Peks.DAK, ProtocolId.PROVISION_NMK_DAK, prn, 0xFF)


# imported last: these modules only need this one's names at call time (no cycle at import)
from plcstack.emu.host import HOST_REPLIES  # noqa: E402
from plcstack.emu.pib import PibStore  # noqa: E402

#: The handler of each timer (a table, not a name lookup).
TIMER_HANDLERS: dict[TimerName, Callable[[Modem, float], None]] = {
    TimerName.BBT: avln.timer_bbt,
    TimerName.USAI: avln.timer_usai,
    TimerName.BEACON: avln.timer_beacon,
    TimerName.ASSOC: avln.timer_assoc,
    TimerName.RESET: Modem._timer_reset,
    TimerName.PLC_UP: Modem._timer_plc_up,
    TimerName.PB: pushbutton.timer_pb,
}

#: Management messages between modems, by message class (the AVLN's, and the clear push-button key exchange).
PLC_HANDLERS: dict[type, Callable[[Modem, env.Envelope, Frame, float], None]] = {
    **avln.PLC_HANDLERS,
    messages.CM_GET_KEY_REQ: pushbutton.on_get_key_req_clear,
    messages.CM_GET_KEY_CNF: pushbutton.on_get_key_cnf_clear,
    messages.CM_SC_JOIN_REQ: pushbutton.on_sc_join_req,
    messages.CM_SC_JOIN_CNF: pushbutton.on_sc_join_cnf,
    messages.CC_LEAVE_CNF: avln.ignore,
    messages.CM_ENCRYPTED_PAYLOAD_RSP: avln.ignore,
}
