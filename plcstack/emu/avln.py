"""The AVLN side of an emulated modem: discovery, CCo election, association, authentication, beacons.

Plain functions on a :class:`plcstack.emu.modem.Modem` (its network state lives in :class:`AvlnState`);
every decision is the rule book's (:mod:`plcstack.avln.rules`, ``docs/avln.md``), shared with the site
simulator:

* an unassociated station advertises itself (CM_UNASSOCIATED_STA.IND every ``usai_s``), joins a CCo of
  its NID as soon as it decodes one (:func:`~plcstack.avln.rules.discovery_decision` says JOIN), and at
  the end of its beacon-listening period (``bbt_s``) takes the rule book's decision on everything heard
  -- become CCo, keep waiting for a higher-ranked station, or stay unassociated;
* two CCos of one NID that hear each other merge: :func:`~plcstack.avln.rules.cco_resigns`;
* a station that misses its CCo's beacons for :func:`~plcstack.avln.rules.beacon_lost` rediscovers, and a
  CCo forgets stations it has not heard for as long.

Association is CC_ASSOC.REQ/CNF; authentication is CM_GET_KEY for the NEK inside CM_ENCRYPTED_PAYLOAD
under the NMK (PEKS NMK, PID "authentication request by new STA"), sealed and opened by
:mod:`plcstack.keys.payload`; the CCo announces members with CC_SET_TEI_MAP.IND.

The emulator's CM_UNASSOCIATED_STA.IND and beacons carry the station's election rank
(:attr:`plcstack.avln.rules.Precedence.rank`: CCo capability, +4 for a PIB set to CCo "always") in the
CCo-capability byte, so that every station ranks every other one the way the rule book does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from plcstack.avln import rules
from plcstack.codec import BROADCAST_MAC, Frame, RawMessage, decode_frame, decode_header, messages
from plcstack.codec.codes import (
    AssocRequestType,
    AssocResult,
    AvlnStatus,
    EncryptedPayloadResult,
    GetKeyRequestType,
    GetKeyResult,
    KeyType,
    LeaveReason,
    Peks,
    ProtocolId,
    TeiMapMode,
    TeiMapStatus,
)
from plcstack.emu import envelope as env
from plcstack.emu import events as ev
from plcstack.emu.mme import item_class, mmtype_of
from plcstack.emu.state import Role, TimerName, Trigger
from plcstack.keys.errors import KeysError
from plcstack.keys.payload import PayloadHeader, open_payload, seal

if TYPE_CHECKING:
    from collections.abc import Callable

    from plcstack.emu.modem import Modem

MAX_OTHER_NETWORKS = 16
MAX_HEARD = 64
SNID_REUSE_S = 10.0  # an SNID heard this recently is not picked for a new AVLN

ASSOC_LEASE_MIN = 0x0F  # CC_ASSOC.CNF lease time, minutes
FIRST_STA_TEI, LAST_TEI = 2, 254  # TEI 1 is the CCo's, 255 broadcast


@dataclass
class Peer:
    """Another modem of this modem's AVLN."""

    mac: bytes
    tei: int
    last_seen: float
    authenticated: bool = False
    bda: bytes = b"\xff" * 6  # its first host; FF:FF:FF:FF:FF:FF until a beacon says
    green_phy: bool = False  # a ROBO-only (Green PHY) station, from its beacons


@dataclass
class AvlnState:
    """What a modem knows about its AVLN and the networks around it."""

    tei: int = 0
    snid: int = 0
    cco_mac: bytes = bytes(6)
    cco_tei: int = 0
    nek: bytes | None = None
    eks: int = 0
    peers: dict[bytes, Peer] = field(default_factory=dict)  # CCo: its stations; station: the other members
    ccos_heard: dict[bytes, tuple[rules.Heard, float]] = field(default_factory=dict)  # same-NID CCos, by first heard
    unassociated_heard: dict[bytes, tuple[rules.Heard, float]] = field(default_factory=dict)
    other_networks: dict[bytes, float] = field(default_factory=dict)  # foreign NID -> last heard
    used_snids: dict[int, float] = field(default_factory=dict)
    pending_nonce: bytes | None = None
    pending_prn: int = 0
    assoc_target: bytes = bytes(6)

    def forget(self) -> None:
        """Leave the AVLN (keep what was heard of the neighbourhood)."""
        self.tei = self.snid = self.cco_tei = self.eks = 0
        self.cco_mac = bytes(6)
        self.nek = None
        self.peers.clear()
        self.pending_nonce = None


def _remember(table: dict[bytes, Any], key: bytes, value: Any) -> None:
    table.pop(key, None)
    table[key] = value
    while len(table) > MAX_HEARD:
        table.pop(next(iter(table)))


# ------------------------------------------------------------------------------------ discovery

def restart_discovery(m: Modem, t: float) -> None:
    """Unassociated again: forget the AVLN, listen for a BBT, advertise at once."""
    a = m.avln
    a.forget()
    a.ccos_heard.clear()
    a.unassociated_heard.clear()
    a.other_networks.clear()
    m.bridge.clear()
    m.timers = {TimerName.BBT: t + m.config.timers.bbt_s, TimerName.USAI: t}


def _recent(table: dict[bytes, tuple[rules.Heard, float]], t: float, window: float) -> list[rules.Heard]:
    return [h for h, seen in table.values() if t - seen <= window]


def decide(m: Modem, t: float, ccos: list[rules.Heard] | None = None) -> rules.Decision:
    """The rule book's decision on what this unassociated station has heard lately."""
    a = m.avln
    tm = m.config.timers
    window = max(tm.bbt_s, tm.usai_s) * 2
    foreign = any(t - seen <= window for seen in a.other_networks.values())
    return rules.discovery_decision(
        m.nid, m.precedence, m.cco_mode,
        ccos if ccos is not None else _recent(a.ccos_heard, t, window),
        _recent(a.unassociated_heard, t, window), foreign_networks=foreign, lone_policy=m.lone_policy)


def timer_usai(m: Modem, t: float) -> None:
    if m.role is not Role.UNASSOCIATED:
        return
    ind = m.frame(BROADCAST_MAC, messages.CM_UNASSOCIATED_STA_IND(nid=m.nid, cco_capability=m.precedence.rank),
                  mmv=1)
    m.to_plc(env.Kind.MGMT, env.BROADCAST, ind)
    m.timers[TimerName.USAI] = t + m.config.timers.usai_s


def timer_bbt(m: Modem, t: float) -> None:
    """End of the beacon-listening period: the rule book decides."""
    if m.role is not Role.UNASSOCIATED:
        return
    d = decide(m, t)
    if d.action is rules.Action.BECOME_CCO and TimerName.ASSOC not in m.timers:
        become_cco(m, t, Trigger.WON_ELECTION if d.reason == "won CCo election" else Trigger.BBT_EXPIRED)
        return
    if d.action is rules.Action.JOIN and d.cco is not None and TimerName.ASSOC not in m.timers:
        associate(m, d.cco, t)
    m.timers[TimerName.BBT] = t + m.config.timers.bbt_s


def become_cco(m: Modem, t: float, trigger: Trigger) -> None:
    m.transition(trigger, t)
    a = m.avln
    a.tei = a.cco_tei = 1
    a.cco_mac = m.mac
    a.snid = _pick_snid(m, t)
    a.nek = m.rng.randbytes(16)
    a.eks = 1
    a.pending_nonce = None
    for name in (TimerName.USAI, TimerName.BBT, TimerName.ASSOC):
        m.timers.pop(name, None)
    timer_beacon(m, t)


def _pick_snid(m: Modem, t: float) -> int:
    used = {s for s, seen in m.avln.used_snids.items() if t - seen < SNID_REUSE_S}
    start = m.nid[0] % (rules.MAX_SNID - 1)
    for i in range(rules.MAX_SNID - 1):
        s = (start + i) % (rules.MAX_SNID - 1) + 1
        if s not in used:
            return s
    return start + 1


def _lost(m: Modem, silent_s: float) -> bool:
    tm = m.config.timers
    return rules.beacon_lost(silent_s, tick_s=tm.beacon_s, ticks=tm.loss_beacons)


def timer_beacon(m: Modem, t: float) -> None:
    """Send our beacon; a CCo drops silent stations, a station that lost its CCo rediscovers."""
    if m.role not in (Role.CCO, Role.STATION):
        return
    a = m.avln
    if m.role is Role.CCO:
        gone = [p for p in a.peers.values() if _lost(m, t - p.last_seen)]
        for p in gone:
            del a.peers[p.mac]
            m.emit(ev.StationRemoved(t, p.mac, "no beacon"))
        if gone:
            send_tei_map(m)
    else:
        cco = a.peers.get(a.cco_mac)
        if cco is None or _lost(m, t - cco.last_seen):
            m.transition(Trigger.CCO_LOST, t)
            restart_discovery(m, t)
            return
    b = env.Beacon(m.nid, a.snid, a.cco_mac, a.tei, m.precedence.rank, 1 if m.role is Role.CCO else 0,
                   m.first_host(), a.cco_tei, env.BEACON_GREEN_PHY if m.chip.green_phy else 0)
    m.to_plc(env.Kind.BEACON, env.BROADCAST, b.pack())
    m.timers[TimerName.BEACON] = t + m.config.timers.beacon_s


def on_beacon(m: Modem, e: env.Envelope, b: env.Beacon, t: float) -> None:
    a = m.avln
    if b.central:
        a.used_snids[b.snid] = t
        if len(a.used_snids) > rules.MAX_SNID:
            a.used_snids.pop(next(iter(a.used_snids)))
    if b.nid != m.nid:
        if b.central:
            _remember(a.other_networks, b.nid, t)
            while len(a.other_networks) > MAX_OTHER_NETWORKS:
                a.other_networks.pop(next(iter(a.other_networks)))
        return
    peer = a.peers.get(e.tx)
    if peer is not None:
        peer.last_seen = t
        peer.bda = b.bda
        peer.green_phy = bool(b.flags & env.BEACON_GREEN_PHY)
    elif m.role is Role.CCO and not b.central and b.cco_mac == m.mac:
        # a station that believes it is ours but is not (we restarted): tell it to start over
        ind = messages.CC_LEAVE_IND(reason=LeaveReason.OTHER, nid=m.nid)
        m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, ind, mmv=1))
        return
    if not b.central or e.tx == m.mac:
        return
    heard = rules.Heard(e.tx, b.nid, rules.Precedence(b.cco_capability, e.tx))
    a.ccos_heard[e.tx] = (heard, t)  # keeps its place: the order is the order first heard
    if m.role is Role.UNASSOCIATED:
        d = decide(m, t, ccos=[heard])
        if d.action is rules.Action.JOIN and (TimerName.ASSOC not in m.timers or a.assoc_target != e.tx):
            associate(m, e.tx, t)
    elif m.role is Role.CCO and rules.cco_resigns(m.precedence, heard.precedence):
        m.transition(Trigger.RESIGNED, t)
        restart_discovery(m, t)
        associate(m, e.tx, t)
    elif m.role is Role.STATION and e.tx == a.cco_mac and peer is None:
        a.peers[e.tx] = Peer(e.tx, b.tei, t, True, b.bda, bool(b.flags & env.BEACON_GREEN_PHY))


# ------------------------------------------------------------------------------------ association

def associate(m: Modem, cco: bytes, t: float) -> None:
    req = m.frame(cco, messages.CC_ASSOC_REQ(request_type=AssocRequestType.NEW, nid=m.nid, cco_capability=m.precedence.rank,
                                             proxy_network_capability=0), mmv=1)
    m.to_plc(env.Kind.MGMT, cco, req)
    m.avln.assoc_target = cco
    m.timers[TimerName.ASSOC] = t + m.config.timers.assoc_s


def timer_assoc(m: Modem, t: float) -> None:
    """No CC_ASSOC.CNF or CM_GET_KEY.CNF in time: back to listening (the next beacon retries)."""
    if m.role is Role.STATION and m.avln.nek is None:
        m.transition(Trigger.AUTH_FAILED, t)
        restart_discovery(m, t)
    m.avln.pending_nonce = None


def leave(m: Modem, t: float, trigger: Trigger) -> None:
    """Leave the AVLN (CC_LEAVE.REQ to the CCo if we are a station) and rediscover."""
    a = m.avln
    if m.role is Role.STATION and a.tei:
        m.to_plc(env.Kind.MGMT, a.cco_mac, m.frame(a.cco_mac, messages.CC_LEAVE_REQ(reason=LeaveReason.USER_REQUEST),
                                                   mmv=1))
    m.transition(trigger, t)
    restart_discovery(m, t)


def on_unassociated_sta(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    a = m.avln
    msg = f.message
    if m.role is Role.STATION and e.tx == a.cco_mac:  # our CCo restarted: it is no CCo any more
        m.transition(Trigger.CCO_LOST, t)
        restart_discovery(m, t)
    if msg.nid == m.nid:
        _remember(a.unassociated_heard, e.tx,
                  (rules.Heard(e.tx, msg.nid, rules.Precedence(min(msg.cco_capability, 7), e.tx)), t))
    else:
        _remember(a.other_networks, bytes(msg.nid), t)


def on_assoc_req(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    if m.role is not Role.CCO:
        return
    a = m.avln
    if f.message.nid != m.nid:
        cnf = messages.CC_ASSOC_CNF(result=AssocResult.FAILURE, nid=m.nid, snid=a.snid, tei=0, lease_time=0)
    else:
        peer = a.peers.get(e.tx)
        if peer is None:
            used = {p.tei for p in a.peers.values()} | {a.tei}
            tei = next((n for n in range(FIRST_STA_TEI, LAST_TEI + 1) if n not in used), 0)
            if tei == 0:
                cnf = messages.CC_ASSOC_CNF(result=AssocResult.PERMANENT_RESOURCE_EXHAUSTION, nid=m.nid, snid=a.snid,
                                            tei=0, lease_time=0)
                m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, cnf, mmv=1))
                return
            peer = a.peers[e.tx] = Peer(e.tx, tei, t)
        peer.authenticated = False
        cnf = messages.CC_ASSOC_CNF(result=AssocResult.SUCCESS, nid=m.nid, snid=a.snid, tei=peer.tei,
                                    lease_time=ASSOC_LEASE_MIN)
    m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, cnf, mmv=1))


def on_assoc_cnf(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    a = m.avln
    msg = f.message
    if m.role is not Role.UNASSOCIATED or TimerName.ASSOC not in m.timers or e.tx != a.assoc_target:
        return
    if msg.result != AssocResult.SUCCESS or msg.nid != m.nid:
        m.timers.pop(TimerName.ASSOC, None)
        return
    m.transition(Trigger.ASSOCIATED, t)
    m.timers.pop(TimerName.USAI, None)
    m.timers.pop(TimerName.BBT, None)
    a.tei, a.snid, a.cco_mac, a.cco_tei = msg.tei, msg.snid, e.tx, 1
    a.peers[e.tx] = Peer(e.tx, 1, t, True)
    # authenticate: CM_GET_KEY.REQ (NEK) encrypted under the NMK
    a.pending_nonce = m.rng.randbytes(4)
    a.pending_prn = m.rng.randrange(0x10000)
    inner = m.frame(e.tx, messages.CM_GET_KEY_REQ(
        request_type=GetKeyRequestType.DIRECT, requested_key_type=KeyType.NEK, nid=m.nid, my_nonce=a.pending_nonce,
        pid=ProtocolId.AUTH_REQUEST, prn=a.pending_prn, pmn=1), mmv=1, pad=False)
    send_sealed(m, e.tx, inner, m.nmk, Peks.NMK, ProtocolId.AUTH_REQUEST, a.pending_prn, 1)
    m.timers[TimerName.ASSOC] = t + m.config.timers.assoc_s
    timer_beacon(m, t)


def on_leave_req(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    if m.role is Role.CCO and m.avln.peers.pop(e.tx, None) is not None:
        m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, messages.CC_LEAVE_CNF(), mmv=1))
        m.emit(ev.StationRemoved(t, e.tx, "left"))
        send_tei_map(m)


def on_leave_ind(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    if m.role is Role.STATION and e.tx == m.avln.cco_mac:
        m.transition(Trigger.TOLD_TO_LEAVE, t)
        restart_discovery(m, t)


def on_tei_map(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    a = m.avln
    if m.role is not Role.STATION or e.tx != a.cco_mac:
        return
    old = a.peers
    fresh: dict[bytes, Peer] = {a.cco_mac: old.get(a.cco_mac) or Peer(a.cco_mac, a.cco_tei, t, True)}
    for s in f.message.stations:
        if s.mac == m.mac or s.status != TeiMapStatus.AUTHENTICATED:
            continue
        prev = old.get(s.mac)
        fresh[s.mac] = Peer(s.mac, s.tei, prev.last_seen if prev else t, True) if prev is None else \
            Peer(s.mac, s.tei, prev.last_seen, True, prev.bda, prev.green_phy)
    a.peers = fresh


def send_tei_map(m: Modem) -> None:
    item = item_class(messages.CC_SET_TEI_MAP_IND, "stations")
    items = [item(p.tei, p.mac, TeiMapStatus.AUTHENTICATED if p.authenticated else TeiMapStatus.NOT_AUTHENTICATED)
             for p in sorted(m.avln.peers.values(), key=lambda p: p.tei)]
    ind = messages.CC_SET_TEI_MAP_IND(mode=TeiMapMode.FULL_UPDATE, num_stations=len(items), stations=items)
    m.to_plc(env.Kind.MGMT, env.BROADCAST, m.frame(BROADCAST_MAC, ind, mmv=1))


# ------------------------------------------------------------------------------------ keys on the line

def on_encrypted(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    body = e.payload[decode_header(e.payload).body_offset:]
    try:
        hdr = PayloadHeader.unpack(body)
    except KeysError:
        return
    keys: dict[int, bytes | None] = {Peks.DAK: m.dak, Peks.NMK: m.nmk, Peks.TEK_0: m.pb.tek}
    key = keys.get(hdr.peks)
    if key is None:
        return
    try:
        inner = decode_frame(open_payload(body, key))
    except (KeysError, ValueError) as exc:
        m.emit(ev.AuthFailed(t, e.tx, str(exc)))
        rsp = messages.CM_ENCRYPTED_PAYLOAD_RSP(result=EncryptedPayloadResult.FAILURE, pid=hdr.pid, prn=hdr.prn)
        m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, rsp, mmv=1))
        return
    handler = SEALED_HANDLERS.get((type(inner.message), hdr.peks))
    if handler is not None:
        handler(m, e, inner.message, t)


def _sealed_set_key_dak(m: Modem, e: env.Envelope, msg: Any, t: float) -> None:
    if msg.key_type == KeyType.NMK and msg.new_key:
        m.set_nmk(msg.new_key, msg.nid if any(msg.nid) else None, t, "remote CM_SET_KEY (DAK)")


def _sealed_set_key_tek(m: Modem, e: env.Envelope, msg: Any, t: float) -> None:
    if msg.key_type == KeyType.NMK and msg.new_key:
        from plcstack.emu.pushbutton import close_window

        close_window(m)
        m.set_nmk(msg.new_key, msg.nid if any(msg.nid) else None, t, "push button")


def _sealed_get_key_req(m: Modem, e: env.Envelope, msg: Any, t: float) -> None:
    """A new station asks the CCo for the NEK."""
    if m.role is not Role.CCO:
        return
    a = m.avln
    peer = a.peers.get(e.tx)
    ok = peer is not None and msg.nid == m.nid and msg.requested_key_type == KeyType.NEK
    cnf = m.frame(e.tx, messages.CM_GET_KEY_CNF(
        result=GetKeyResult.GRANTED if ok else GetKeyResult.REFUSED, requested_key_type=msg.requested_key_type,
        my_nonce=m.rng.randbytes(4), your_nonce=msg.my_nonce, nid=m.nid, eks=a.eks, pid=msg.pid, prn=msg.prn,
        pmn=0xFF, key=(a.nek or bytes(16)) if ok else bytes(16)), mmv=1, pad=False)
    send_sealed(m, e.tx, cnf, m.nmk, Peks.NMK, msg.pid, msg.prn, 0xFF)
    if ok and peer is not None and not peer.authenticated:
        peer.authenticated = True
        peer.last_seen = t
        m.emit(ev.StationAdded(t, e.tx, peer.tei))
        send_tei_map(m)


def _sealed_get_key_cnf(m: Modem, e: env.Envelope, msg: Any, t: float) -> None:
    """The CCo's answer: the NEK; we are a member now."""
    a = m.avln
    if m.role is not Role.STATION:
        return
    if msg.your_nonce == a.pending_nonce and msg.result == GetKeyResult.GRANTED and len(msg.key) >= 16:
        a.nek, a.eks = bytes(msg.key[:16]), msg.eks
        a.pending_nonce = None
        m.timers.pop(TimerName.ASSOC, None)
        m.emit(ev.Joined(t, a.cco_mac, a.tei))


#: What a modem does with a CM_ENCRYPTED_PAYLOAD it could open: (inner message class, PEKS) -> handler.
SEALED_HANDLERS: dict[tuple[type, int], Callable[[Modem, env.Envelope, Any, float], None]] = {
    (messages.CM_SET_KEY_REQ, Peks.DAK): _sealed_set_key_dak,
    (messages.CM_SET_KEY_REQ, Peks.TEK_0): _sealed_set_key_tek,
    (messages.CM_GET_KEY_REQ, Peks.NMK): _sealed_get_key_req,
    (messages.CM_GET_KEY_CNF, Peks.NMK): _sealed_get_key_cnf,
}


def avln_status(m: Modem) -> AvlnStatus:
    if m.role is Role.CCO:
        return AvlnStatus.CCO
    return AvlnStatus.ASSOCIATED_NOT_PCO_CAPABLE if m.in_avln else AvlnStatus.UNASSOCIATED_LEVEL_0


def send_sealed(m: Modem, dst: bytes, inner: bytes, key: bytes, peks: int, pid: int, prn: int, pmn: int) -> None:
    """``inner`` (an encoded MME) inside a CM_ENCRYPTED_PAYLOAD.IND to modem ``dst``."""
    filler = m.rng.randbytes(m.rng.randrange(16))
    # RF + MM + CRC(4) + PID/PRN/PMN(4) + padding + RF_len(1) is a multiple of 16 bytes
    padding = m.rng.randbytes(-(len(filler) + len(inner) + 9) % 16)
    mmentry = seal(inner, key, peks=peks, pid=pid, prn=prn, pmn=pmn, avln_status=avln_status(m),
                   iv=m.rng.randbytes(16), filler=filler, padding=padding)
    frame = m.frame(dst, RawMessage(mmentry), mmv=1, mmtype=mmtype_of(messages.CM_ENCRYPTED_PAYLOAD_IND))
    m.to_plc(env.Kind.MGMT, dst, frame)


def ignore(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    """Confirmations the emulated firmware needs no action on (CC_LEAVE.CNF, CM_ENCRYPTED_PAYLOAD.RSP)."""


#: Management messages between modems on the power line: message class -> handler.
PLC_HANDLERS: dict[type, Callable[[Modem, env.Envelope, Frame, float], None]] = {
    messages.CM_UNASSOCIATED_STA_IND: on_unassociated_sta,
    messages.CC_ASSOC_REQ: on_assoc_req,
    messages.CC_ASSOC_CNF: on_assoc_cnf,
    messages.CC_LEAVE_REQ: on_leave_req,
    messages.CC_LEAVE_IND: on_leave_ind,
    messages.CC_SET_TEI_MAP_IND: on_tei_map,
    messages.CM_ENCRYPTED_PAYLOAD_IND: on_encrypted,
}
