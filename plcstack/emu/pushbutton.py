"""Push-button pairing ("simple connect", MS_PB_ENC join) of emulated modems.

For ``pb_window_s`` seconds after the button (MS_PB_ENC.REQ "join"), a modem looks for another one
whose button was pressed:

1. both broadcast CM_SC_JOIN.REQ every second (their CCo capability);
2. a modem that holds an AVLN with members -- or, when it has none, the one with the higher MAC --
   answers CM_SC_JOIN.CNF with its NID and AVLN status; a modem with members never takes another's
   offer (two populated AVLNs do not merge by button);
3. the other starts a unicast key exchange in clear: CM_GET_KEY.REQ / .CNF with 384-byte hash keys
   (requested key type "hash key", PID "provision NMK using UKE");
4. both derive a TEK = SHA-256(HK1 || HK2)[:16] (the emulator's choice, not the spec's derivation),
   and the NMK goes across in CM_SET_KEY.REQ inside CM_ENCRYPTED_PAYLOAD under that TEK (PEKS TEK 0).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plcstack.codec import BROADCAST_MAC, Frame, messages
from plcstack.codec.codes import AvlnStatus, GetKeyRequestType, GetKeyResult, KeyType, Peks, ProtocolId
from plcstack.emu import envelope as env
from plcstack.emu.state import TimerName

if TYPE_CHECKING:
    from plcstack.emu.modem import Modem

HASH_KEY_LEN = 384
SC_JOIN_PERIOD_S = 1.0


@dataclass
class PushButtonState:
    until: float = -1.0  # end of the pairing window (emulator clock)
    peer: bytes = bytes(6)
    hash_key: bytes = b""
    tek: bytes | None = None

    def open(self, t: float) -> bool:
        return t < self.until


def press(m: Modem, t: float) -> None:
    """MS_PB_ENC join: open the pairing window and announce ourselves."""
    m.pb = PushButtonState(until=t + m.config.timers.pb_window_s)
    timer_pb(m, t)


def close_window(m: Modem) -> None:
    m.pb.until = -1.0
    m.pb.tek = None
    m.timers.pop(TimerName.PB, None)


def timer_pb(m: Modem, t: float) -> None:
    if not m.pb.open(t):
        return
    req = messages.CM_SC_JOIN_REQ(cco_capability=m.config.cco_capability)
    m.to_plc(env.Kind.MGMT, env.BROADCAST, m.frame(BROADCAST_MAC, req, mmv=1))
    m.timers[TimerName.PB] = min(m.pb.until, t + SC_JOIN_PERIOD_S)


def _holds_network(m: Modem) -> bool:
    return bool(m.members())


def _status(m: Modem) -> AvlnStatus:
    from plcstack.emu.avln import avln_status

    return avln_status(m)


def on_sc_join_req(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    if not m.pb.open(t):
        return
    if _holds_network(m) or m.mac > e.tx:  # we offer our network
        cnf = messages.CM_SC_JOIN_CNF(nid=m.nid, avln_status=_status(m))
        m.to_plc(env.Kind.MGMT, e.tx, m.frame(e.tx, cnf, mmv=1))


def on_sc_join_cnf(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    if not m.pb.open(t) or m.pb.hash_key:
        return
    if _holds_network(m):
        return  # we offer our network; we do not take another's
    m.pb.peer, m.pb.hash_key = e.tx, m.rng.randbytes(HASH_KEY_LEN)
    req = m.frame(e.tx, messages.CM_GET_KEY_REQ(
        request_type=GetKeyRequestType.DIRECT, requested_key_type=KeyType.HASH_KEY, nid=f.message.nid,
        my_nonce=m.rng.randbytes(4),
        pid=ProtocolId.PROVISION_NMK_UKE, prn=m.rng.randrange(0x10000), pmn=1, hash_key=m.pb.hash_key), mmv=1)
    m.to_plc(env.Kind.MGMT, e.tx, req)


def on_get_key_req_clear(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    """The joining modem's hash key: answer with ours and send the NMK under the TEK."""
    from plcstack.emu.avln import send_sealed

    msg = f.message
    if not m.pb.open(t) or msg.requested_key_type != KeyType.HASH_KEY or not msg.hash_key:
        return
    hk2 = m.rng.randbytes(HASH_KEY_LEN)
    cnf = m.frame(e.tx, messages.CM_GET_KEY_CNF(
        result=GetKeyResult.GRANTED, requested_key_type=KeyType.HASH_KEY, my_nonce=m.rng.randbytes(4),
        your_nonce=msg.my_nonce, nid=m.nid, eks=0, pid=ProtocolId.PROVISION_NMK_UKE, prn=msg.prn, pmn=2, key=hk2),
        mmv=1)
    m.to_plc(env.Kind.MGMT, e.tx, cnf)
    tek = hashlib.sha256(bytes(msg.hash_key) + hk2).digest()[:16]
    inner = m.frame(e.tx, messages.CM_SET_KEY_REQ(
        key_type=KeyType.NMK, my_nonce=m.rng.randbytes(4), your_nonce=msg.my_nonce,
        pid=ProtocolId.PROVISION_NMK_UKE, prn=msg.prn, pmn=3, cco_capability=m.config.cco_capability, nid=m.nid,
        new_eks=1, new_key=m.nmk), mmv=1, pad=False)
    send_sealed(m, e.tx, inner, tek, Peks.TEK_0, ProtocolId.PROVISION_NMK_UKE, msg.prn, 3)
    close_window(m)


def on_get_key_cnf_clear(m: Modem, e: env.Envelope, f: Frame, t: float) -> None:
    msg = f.message
    pb = m.pb
    if pb.open(t) and e.tx == pb.peer and msg.requested_key_type == KeyType.HASH_KEY and pb.hash_key:
        pb.tek = hashlib.sha256(pb.hash_key + bytes(msg.key)).digest()[:16]
