"""Replies to the Qualcomm vendor messages (VS_*, OUI 00:B0:52) a host sends its modem.

Layouts and sizes are those of real QCA7000/7005/7420 firmware where the captures show them
(``docs/modem-profiles.md``), else those open-plc-utils parses (``plc/*.c``).  Keyed by request class
in :data:`VS_REPLIES`, merged into :data:`plcstack.emu.host.HOST_REPLIES`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from plcstack.codec import Frame, messages
from plcstack.emu.host import Entry, Reply
from plcstack.emu.mme import item_class
from plcstack.emu.profiles import SW_VER_TAIL, version_field
from plcstack.emu.state import Role
from plcstack.emu.tonemap import ToneMaps, maps_for_rate, robo_maps
from plcstack.keys.constants import Peks

if TYPE_CHECKING:
    from plcstack.emu.modem import LinkCounters, Modem, Port

ROLE_STA, ROLE_CCO = 0, 2
# VS_SET_KEY.CNF MSTATUS (open-plc-utils mme/MMECode.c)
SET_KEY_OK, SET_KEY_BAD_EKS, SET_KEY_BAD_PEKS = 0x00, 0x10, 0x11
MAX_EKS = 7
# VS_LNK_STATS.CNF MSTATUS
LS_BAD_CONTROL, LS_BAD_DIRECTION, LS_BAD_LID, LS_BAD_PEER = 0x01, 0x02, 0x10, 0x20
LS_LIDS = (0x00, 0x01, 0x02, 0x03, 0xF8, 0xFC)
LS_TX, LS_RX, LS_BOTH = 0, 1, 2
OP_ATTR_FRAME = 1053  # real VS_OP_ATTRIBUTES.CNF frames: the 1024-byte report buffer always sent
TONE_MAP_V0_BODY, RX_TONE_MAP_V0_BODY = 1345, 1347  # MMENTRY bytes of the real (refusing) MMV 0 CNFs
TM_NOT_AVAILABLE = 0x02  # the MSTATUS real QCA7420 firmware gives when it has no such tone map
TM_V1_HEADER = 18  # bytes of the MMV 1 CNF header after LENGTH (real frames; open-plc-utils assumes 24)


def _count_bits(n: int) -> int:
    return max(0, min(0xFFFF, n))


def sw_ver(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    length, version = version_field(m.chip, m.firmware)
    cookie = f.message.cookie if m.chip.sw_ver_cookie is None else m.chip.sw_ver_cookie
    return m.reply(f, messages.VS_SW_VER_CNF(mstatus=0, device_class=m.chip.device_class, version_length=length,
                                             version=version, ident=m.chip.ident, stepping=0, cookie=cookie),
                   trailing=SW_VER_TAIL)


def nw_info(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The AVLN and its stations with the link model's rates: TX to the station, RX from it."""
    nets0: list[Any] = []
    nets1: list[Any] = []
    if m.in_avln:
        a = m.avln
        role = ROLE_CCO if m.role is Role.CCO else ROLE_STA
        sta1 = item_class(messages.VS_NW_INFO_CNF, "networks", "stations")
        sta0 = item_class(messages.VS_NW_INFO_CNF_V0, "networks", "stations")
        st1, st0 = [], []
        for p in m.members():
            q = m.link.link(m.mac, p.mac, t)
            tx, rx = int(round(q.tx_rate_mbps)), int(round(q.rx_rate_mbps))
            st1.append(sta1(p.mac, p.tei, bytes(3), p.bda, min(tx, 0xFFFF), 0, 0, min(rx, 0xFFFF), 0))
            st0.append(sta0(p.mac, p.tei, p.bda, min(tx, 255), min(rx, 255)))
        nets1.append(item_class(messages.VS_NW_INFO_CNF, "networks")(
            m.nid, bytes(2), a.snid, a.tei, bytes(4), role, a.cco_mac, a.cco_tei, bytes(3), len(st1), bytes(5), st1))
        nets0.append(item_class(messages.VS_NW_INFO_CNF_V0, "networks")(
            m.nid, a.snid, a.tei, role, a.cco_mac, a.cco_tei, len(st0), st0))
    if f.mmv == 0:
        return m.reply(f, messages.VS_NW_INFO_CNF_V0(num_avlns=len(nets0), networks=nets0))
    data_len = 2 + sum(32 + 24 * n.num_stations for n in nets1)
    return m.reply(f, messages.VS_NW_INFO_CNF(sub_version=0, rsvd=0, data_len=data_len, rsvd2=0,
                                              num_avlns=len(nets1), networks=nets1))


def set_key(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    msg = f.message
    if msg.eks > MAX_EKS:
        return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SET_KEY_BAD_EKS))
    if msg.peks == Peks.NO_KEY:
        reply = m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SET_KEY_OK))
        m.set_nmk(msg.nmk, None, t, "VS_SET_KEY")
        return reply
    if msg.peks == Peks.DAK:
        m.provision_remote(msg.rda, msg.dak, msg.nmk)
        return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SET_KEY_OK))
    return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SET_KEY_BAD_PEKS))


def rs_dev(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    reply = m.reply(f, messages.VS_RS_DEV_CNF(mstatus=0))
    m.reset(t, factory=False)
    return reply


def fac_defaults(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    reply = m.reply(f, messages.VS_FAC_DEFAULTS_CNF(mstatus=0))
    m.reset(t, factory=True)
    return reply


def lnk_stats(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    from plcstack.emu.modem import LinkCounters

    msg = f.message
    peer = m.avln.peers.get(msg.peer)
    status = 0
    if msg.mcontrol not in (0, 1):
        status = LS_BAD_CONTROL
    elif msg.direction not in (LS_TX, LS_RX, LS_BOTH):
        status = LS_BAD_DIRECTION
    elif msg.lid not in LS_LIDS:
        status = LS_BAD_LID
    elif peer is None and msg.lid != 0xFC:
        status = LS_BAD_PEER
    direction = msg.direction if msg.direction in (LS_TX, LS_RX, LS_BOTH) else LS_TX
    c: LinkCounters = m.counters.get(msg.peer, LinkCounters()) if status == 0 else LinkCounters()
    if status == 0 and msg.mcontrol == 1:
        m.counters.pop(msg.peer, None)
    q = m.link.link(m.mac, msg.peer, t)
    tx = (c.tx_mpdu, 0, 0, c.tx_pb, 0) if direction in (LS_TX, LS_BOTH) else (None,) * 5
    intervals: list[Any] | None
    if direction in (LS_RX, LS_BOTH):
        rx: tuple[Any, ...] = (c.rx_mpdu, 0, c.rx_pb, 0, c.rx_pb, 0, 1)
        intervals = [item_class(messages.VS_LNK_STATS_CNF, "rx_intervals")(
            min(255, int(q.rx_rate_mbps)), c.rx_pb, 0, c.rx_pb, 0)]
    else:
        rx, intervals = (None,) * 7, None
    return m.reply(f, messages.VS_LNK_STATS_CNF(status, direction, msg.lid, peer.tei if peer else 0, *tx, *rx,
                                                intervals))


def op_attributes(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The binary attribute block (open-plc-utils Attributes2.c), in a frame as long as a real one."""
    msg = f.message
    if msg.report_type != 0:
        return m.reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=1, cookie=msg.cookie, report_type=msg.report_type,
                                                        length=0, report=b""))
    major, minor, comp, sust, build, date, rel = m.chip.attributes()
    report = b"".join((
        m.chip.name.encode().ljust(16, b"\0"), b"MAC".ljust(16, b"\0"),
        struct.pack("<5I", major, minor, comp, sust, build), date.encode()[:8].ljust(8, b"\0"),
        rel.encode()[:11].ljust(12, b"\0"), bytes((0x01, 0x00, 0x01)), struct.pack("<I", m.chip.dram_mb),
        struct.pack("<6I", 64, 64, 32, 60, 60, 30), struct.pack("<2I", 0, 0), bytes((0, 0, 0)), bytes(4),
    ))
    frame = m.reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=0, cookie=msg.cookie, report_type=0,
                                                     length=len(report), report=report))
    return frame.ljust(OP_ATTR_FRAME, b"\0")


def pl_link_status(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    return m.reply(f, messages.VS_PL_LINK_STATUS_CNF(mstatus=0, link_status=1 if m.members() else 0))


def get_nvm(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    typ, page, block, size = m.chip.nvm
    return m.reply(f, messages.VS_GET_NVM_CNF(mstatus=0, nvm_type=typ, page_size=page, block_size=block,
                                              memory_size=size))


def enet_settings(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Ethernet PHY settings; real QCA7420 bytes after MSTATUS: 00 00 01 03 (frames in docs/modem-profiles.md)."""
    return m.reply(f, messages.VS_ENET_SETTINGS_CNF(mstatus=0, speed=0, duplex=0), trailing=bytes((0x01, 0x03)))


def fr_lbk(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Frame loopback: confirm; the frame goes back to the host (real QCA7420: MSTATUS 0, duration, length)."""
    msg = f.message
    cnf = m.reply(f, messages.VS_FR_LBK_CNF(mstatus=0, duration=msg.duration, length=msg.length))
    return [cnf, bytes(msg.packet)] if len(msg.packet) >= 14 else cnf


def _tone_maps(m: Modem, peer: bytes, t: float, rx: bool) -> ToneMaps | None:
    """The tone maps of the link to (or, ``rx``, from) ``peer``; None when ``peer`` is no AVLN member."""
    member = next((p for p in m.members() if p.mac == peer), None)
    if member is None:
        return None
    src, dst = (peer, m.mac) if rx else (m.mac, peer)
    own = getattr(m.link, "tone_maps", None)
    if own is not None:
        maps = own(src, dst, t)
        if maps is not None:
            return maps
    if m.chip.green_phy or member.green_phy:
        return robo_maps()
    q = m.link.link(m.mac, peer, t)
    return maps_for_rate(q.rx_rate_mbps if rx else q.tx_rate_mbps, q.attenuation_db)


def _tone_map_v1(m: Modem, f: Frame, t: float, rx: bool) -> Reply:
    msg = f.message
    maps = _tone_maps(m, msg.mac, t, rx)
    cls = messages.VS_RX_TONE_MAP_CHAR_CNF_V1 if rx else messages.VS_TONE_MAP_CHAR_CNF_V1
    if maps is None or (rx and maps.robo):
        return m.reply(f, cls(sub_version=TM_NOT_AVAILABLE, rsvd=0, length=TM_V1_HEADER + 4, rsvd2=0, mac=msg.mac,
                              tmslot=msg.tmslot, coupling=msg.coupling, num_tms=0, rsvd3=0, num_active_carriers=0,
                              rsvd4=bytes(4), mod_carriers=b""))
    codes = maps.codes(msg.tmslot)
    return m.reply(f, cls(sub_version=0, rsvd=0, length=TM_V1_HEADER + len(codes), rsvd2=0, mac=msg.mac,
                          tmslot=msg.tmslot, coupling=msg.coupling, num_tms=len(maps.slots), rsvd3=0,
                          num_active_carriers=_count_bits(maps.carriers), rsvd4=bytes(4), mod_carriers=codes))


def tone_map(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    if f.mmv >= 1:
        return _tone_map_v1(m, f, t, rx=False)
    return m.reply(f, messages.VS_TONE_MAP_CHAR_CNF(mstatus=TM_NOT_AVAILABLE, tmslot=0, num_tms=0,
                                                    num_active_carriers=0, mod_carriers=bytes(TONE_MAP_V0_BODY)))


def rx_tone_map(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    if f.mmv >= 1:
        return _tone_map_v1(m, f, t, rx=True)
    return m.reply(f, messages.VS_RX_TONE_MAP_CHAR_CNF(mstatus=TM_NOT_AVAILABLE, tmslot=0, num_tms=0,
                                                       num_active_carriers=0,
                                                       mod_carriers=bytes(RX_TONE_MAP_V0_BODY)))


def module_operation(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    return m.pib.module_operation(f, t, via)


def rd_mod(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    return m.pib.rd_mod(f, t, via)


#: Vendor requests: class -> (handler, answered when it comes over the power line).
VS_REPLIES: dict[type, Entry] = {
    messages.VS_SW_VER_REQ: Entry(sw_ver, remote=True),
    messages.VS_NW_INFO_REQ: Entry(nw_info, remote=True),
    messages.VS_SET_KEY_REQ: Entry(set_key, remote=False),
    messages.VS_RS_DEV_REQ: Entry(rs_dev, remote=True),
    messages.VS_FAC_DEFAULTS_REQ: Entry(fac_defaults, remote=True),
    messages.VS_LNK_STATS_REQ: Entry(lnk_stats, remote=True),
    messages.VS_OP_ATTRIBUTES_REQ: Entry(op_attributes, remote=True),
    messages.VS_PL_LINK_STATUS_REQ: Entry(pl_link_status, remote=True),
    messages.VS_GET_NVM_REQ: Entry(get_nvm, remote=True),
    messages.VS_ENET_SETTINGS_REQ: Entry(enet_settings, remote=True),
    messages.VS_FR_LBK_REQ: Entry(fr_lbk, remote=False),
    messages.VS_TONE_MAP_CHAR_REQ: Entry(tone_map, remote=True),
    messages.VS_TONE_MAP_CHAR_REQ_V1: Entry(tone_map, remote=True),
    messages.VS_RX_TONE_MAP_CHAR_REQ: Entry(rx_tone_map, remote=True),
    messages.VS_RX_TONE_MAP_CHAR_REQ_V1: Entry(rx_tone_map, remote=True),
    messages.VS_MODULE_OPERATION_REQ: Entry(module_operation, remote=True),
    messages.VS_RD_MOD_REQ: Entry(rd_mod, remote=True),
}
