"""Replies to host messages: one table keyed by message class.

:data:`HOST_REPLIES` maps a request's declared class (:mod:`plcstack.codec.messages`) to its handler;
``remote`` says whether the modem also answers it when it arrives over the power line from another
station's host (``plctool -r all``, ``plcstat -t``) -- a key change is only ever taken from the local
host.  A handler gets the modem, the decoded request, the time and the port it came in on, and
returns the encoded reply frame(s), or None for no reply.

This module holds the HomePlug AV / Green PHY (CC, CM) and manufacturer (MS) replies;
:mod:`plcstack.emu.host_vs` the Qualcomm vendor ones.  Layouts are the ones real modems send
(capture file and frame in ``docs/modem-profiles.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from plcstack.codec import Frame, messages
from plcstack.codec.codes import GetKeyResult, KeyType, ProtocolId, PushButtonAction, QcaStatus, StationRole
from plcstack.emu import pushbutton
from plcstack.emu.mme import item_class
from plcstack.emu.state import Role

if TYPE_CHECKING:
    from plcstack.emu.modem import Modem, Port

Reply = bytes | list[bytes] | None
Handler = Callable[["Modem", Frame, float, "Port"], Reply]


class Entry(NamedTuple):
    handler: Handler
    remote: bool  # also answered when it comes over the power line


#: CM_GET_KEY.CNF carries the key in a 384-byte field (real QCA7000/7005/7420: 425-byte frames)
GET_KEY_FIELD = 384


def _is_local(via: Port) -> bool:
    return via.value == "host"


def cm_set_key(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The host sets its modem's NMK (ISO 15118-3 after SLAC; RESULT 0x01 = success on Qualcomm firmware)."""
    msg = f.message
    ok = msg.key_type == KeyType.NMK and msg.new_key is not None and len(msg.new_key) == 16
    good = m.config.set_key_success_result
    reply = m.reply(f, messages.CM_SET_KEY_CNF(
        result=good if ok else 1 - good, my_nonce=m.rng.randbytes(4), your_nonce=msg.my_nonce, pid=msg.pid,
        prn=msg.prn, pmn=0xFF, cco_capability=m.config.cco_capability))
    if ok:
        m.set_nmk(msg.new_key, msg.nid if any(msg.nid) else None, t, "CM_SET_KEY")
    return reply


def cm_get_key(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The host asks its modem for the NMK (pyPLC polls this): granted to the local host under the HLE
    protocol, refused to anyone across the line -- as real modems answer (docs/modem-profiles.md)."""
    msg = f.message
    granted = (_is_local(via) and msg.requested_key_type == KeyType.NMK and msg.pid == ProtocolId.HLE
               and msg.nid == m.nid)
    key = (m.nmk if granted else b"").ljust(GET_KEY_FIELD, b"\0")
    return m.reply(f, messages.CM_GET_KEY_CNF(
        result=GetKeyResult.GRANTED if granted else GetKeyResult.REFUSED,
        requested_key_type=msg.requested_key_type, my_nonce=m.rng.randbytes(4), your_nonce=msg.my_nonce,
        nid=msg.nid, eks=m.avln.eks if granted else 0, pid=msg.pid, prn=msg.prn, pmn=0xFF if granted else 0,
        key=key))


def cm_nw_info(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The AVLN this station is in (HomePlug AV 1.1 CM_NW_INFO.CNF, 18 bytes per network)."""
    item = item_class(messages.CM_NW_INFO_CNF, "networks")
    nets = []
    if m.in_avln:
        a = m.avln
        role = StationRole.CCO if m.role is Role.CCO else StationRole.STA
        nets.append(item(m.nid, a.snid, a.tei, role, a.cco_mac, 0, 0))
    return m.reply(f, messages.CM_NW_INFO_CNF(num_networks=len(nets), networks=nets))


def cc_discover_list(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Stations and networks this station hears: its AVLN's members, and the other networks' NIDs."""
    sta = item_class(messages.CC_DISCOVER_LIST_CNF, "stations")
    net = item_class(messages.CC_DISCOVER_LIST_CNF, "networks")
    stations = []
    for p in m.members():
        cco = 0x20 if p.mac == m.avln.cco_mac else 0
        stations.append(sta(p.mac, p.tei, 1, m.avln.snid & 0x0F, cco, _signal_level(m, p.mac, t), 0))
    networks = [net(nid, 0, 0, 0, 0, 0) for nid in list(m.avln.other_networks)[:8]]
    return m.reply(f, messages.CC_DISCOVER_LIST_CNF(num_stations=len(stations), stations=stations,
                                                    num_networks=len(networks), networks=networks))


def _signal_level(m: Modem, peer: bytes, t: float) -> int:
    """CC_DISCOVER_LIST signal level code: 1 = > -10 dB ... 15 = <= -75 dB, in 5 dB steps of attenuation."""
    att = m.link.link(m.mac, peer, t).attenuation_db
    mean = sum(att) / len(att) if att else 0.0
    return max(1, min(15, 1 + int(mean // 5)))


def cm_brg_info(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Whether the station bridges, and the host addresses behind it (real: BSF 1, its TEI, its host)."""
    hosts = list(m.hosts)[:8]
    if not hosts:
        return m.reply(f, messages.CM_BRG_INFO_CNF(bsf=0))
    item = item_class(messages.CM_BRG_INFO_CNF, "bda")
    return m.reply(f, messages.CM_BRG_INFO_CNF(bsf=1, btei=m.avln.tei, nbda=len(hosts), bda=[item(h) for h in hosts]))


def ms_pb_enc(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Push button: join opens the pairing window, leave picks a fresh NMK, status; anything else refused."""
    action = f.message.pb_action
    member = 1 if m.members() else 0  # MS_PB_ENC.CNF AVLN status: 1 = in an AVLN with others
    if action == PushButtonAction.JOIN:
        pushbutton.press(m, t)
    elif action == PushButtonAction.LEAVE:
        reply = m.reply(f, messages.MS_PB_ENC_CNF(mstatus=QcaStatus.SUCCESS, avln_status=0))
        m.set_nmk(m.rng.randbytes(16), None, t, "push button")
        return reply
    elif action != PushButtonAction.STATUS:
        return m.reply(f, messages.MS_PB_ENC_CNF(mstatus=QcaStatus.FAILURE, avln_status=member))
    return m.reply(f, messages.MS_PB_ENC_CNF(mstatus=QcaStatus.SUCCESS, avln_status=member))


def _table() -> dict[type, Entry]:
    from plcstack.emu.host_vs import VS_REPLIES

    table: dict[type, Entry] = {
        messages.CM_SET_KEY_REQ: Entry(cm_set_key, remote=False),
        messages.CM_GET_KEY_REQ: Entry(cm_get_key, remote=True),
        messages.CM_NW_INFO_REQ: Entry(cm_nw_info, remote=True),
        messages.CC_DISCOVER_LIST_REQ: Entry(cc_discover_list, remote=True),
        messages.CM_BRG_INFO_REQ: Entry(cm_brg_info, remote=True),
        messages.MS_PB_ENC_REQ: Entry(ms_pb_enc, remote=False),
    }
    table.update(VS_REPLIES)
    return table


#: Every host message the emulated modem answers: request class -> (handler, answered from the line?).
HOST_REPLIES: dict[type, Entry] = _table()


def answered() -> list[str]:
    """Names of the requests in :data:`HOST_REPLIES` (for docs and ``--help``)."""
    from plcstack.codec import definition_of

    return sorted({definition_of(cls).name for cls in HOST_REPLIES})
