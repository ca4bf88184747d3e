"""Replies to the Qualcomm vendor messages (VS_*, OUI 00:B0:52) a host sends its modem.

Layouts and sizes are those of real QCA7000/7005/7420 firmware where the captures show them
(``docs/modem-profiles.md``), else those open-plc-utils parses (``plc/*.c``).  Keyed by request class
in :data:`VS_REPLIES`, merged into :data:`plcstack.emu.host.HOST_REPLIES`.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from plcstack.codec import Frame, messages
from plcstack.codec.codes import (
    ClassifierControl,
    LinkControl,
    LinkDirection,
    LinkStatsStatus,
    Peks,
    QcaStatus,
    ReportType,
    SetKeyStatus,
    StationRole,
    ToneMapStatus,
)
from plcstack.emu.host import Entry, Reply
from plcstack.emu.mme import item_class
from plcstack.emu.profiles import SW_VER_TAIL, version_field
from plcstack.emu.state import Role
from plcstack.emu.tonemap import ToneMaps, maps_for_rate, robo_maps

if TYPE_CHECKING:
    from plcstack.emu.modem import LinkCounters, Modem, Port

MAX_EKS = 7
LS_LIDS = (0x00, 0x01, 0x02, 0x03, 0xF8, 0xFC)  # link ids VS_LNK_STATS accepts (4 priorities, local, all)
LID_ALL = 0xFC
OP_ATTR_FRAME = 1053  # real VS_OP_ATTRIBUTES.CNF frames: the 1024-byte report buffer always sent
TONE_MAP_V0_BODY = 1345  # MMENTRY bytes of the real (refusing) MMV 0 VS_TONE_MAP_CHAR.CNF (1370-byte frame)
RX_TONE_MAP_V0_FRAME = 1372  # bytes of the real (refusing) MMV 0 VS_RX_TONE_MAP_CHAR.CNF
TM_V1_HEADER = 18  # bytes after MME_LEN before the carriers (real frames; open-plc-utils assumes 24)
RX_TM_V1_HEADER = 22  # the same for the RX confirm (+ GIL, AGC)


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
        role = StationRole.CCO if m.role is Role.CCO else StationRole.STA
        sta1 = item_class(messages.VS_NW_INFO_CNF, "networks", "stations")
        sta0 = item_class(messages.VS_NW_INFO_CNF_V0, "networks", "stations")
        st1, st0 = [], []
        for p in m.members():
            tx_mbps, rx_mbps = m.rates(p.mac, t)
            tx, rx = int(round(tx_mbps)), int(round(rx_mbps))
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
        return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SetKeyStatus.INVALID_EKS))
    if msg.peks == Peks.NO_KEY:
        reply = m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SetKeyStatus.SUCCESS))
        m.set_nmk(msg.nmk, None, t, "VS_SET_KEY")
        return reply
    if msg.peks == Peks.DAK:
        m.provision_remote(msg.rda, msg.dak, msg.nmk)
        return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SetKeyStatus.SUCCESS))
    return m.reply(f, messages.VS_SET_KEY_CNF(mstatus=SetKeyStatus.INVALID_PKS))


def rs_dev(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    reply = m.reply(f, messages.VS_RS_DEV_CNF(mstatus=QcaStatus.SUCCESS))
    m.reset(t, factory=False)
    return reply


def fac_defaults(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    reply = m.reply(f, messages.VS_FAC_DEFAULTS_CNF(mstatus=QcaStatus.SUCCESS))
    m.reset(t, factory=True)
    return reply


def lnk_stats(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    from plcstack.emu.modem import LinkCounters

    msg = f.message
    peer = m.avln.peers.get(msg.peer)
    status = LinkStatsStatus.SUCCESS
    if msg.mcontrol not in tuple(LinkControl):
        status = LinkStatsStatus.BAD_CONTROL
    elif msg.direction not in tuple(LinkDirection):
        status = LinkStatsStatus.BAD_DIRECTION
    elif msg.lid not in LS_LIDS:
        status = LinkStatsStatus.BAD_LID
    elif peer is None and msg.lid != LID_ALL:
        status = LinkStatsStatus.BAD_MAC
    direction = msg.direction if msg.direction in tuple(LinkDirection) else LinkDirection.TX
    ok = status == LinkStatsStatus.SUCCESS
    c: LinkCounters = m.counters.get(msg.peer, LinkCounters()) if ok else LinkCounters()
    if ok and msg.mcontrol == LinkControl.CLEAR:
        m.counters.pop(msg.peer, None)
    rx_mbps = m.rates(msg.peer, t)[1]
    tx = (c.tx_mpdu, 0, 0, c.tx_pb, 0) if direction in (LinkDirection.TX, LinkDirection.BOTH) else (None,) * 5
    intervals: list[Any] | None
    if direction in (LinkDirection.RX, LinkDirection.BOTH):
        rx: tuple[Any, ...] = (c.rx_mpdu, 0, c.rx_pb, 0, c.rx_pb, 0, 1)
        intervals = [item_class(messages.VS_LNK_STATS_CNF, "rx_intervals")(
            min(255, int(rx_mbps)), c.rx_pb, 0, c.rx_pb, 0)]
    else:
        rx, intervals = (None,) * 7, None
    return m.reply(f, messages.VS_LNK_STATS_CNF(status, direction, msg.lid, peer.tei if peer else 0, *tx, *rx,
                                                intervals))


def op_attributes(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """The binary attribute block (open-plc-utils Attributes2.c), in a frame as long as a real one."""
    msg = f.message
    if msg.report_type != ReportType.BINARY:
        return m.reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=QcaStatus.FAILURE, cookie=msg.cookie,
                                                        report_type=msg.report_type, length=0, report=b""))
    major, minor, comp, sust, build, date, rel = m.chip.attributes()
    report = b"".join((
        m.chip.name.encode().ljust(16, b"\0"), b"MAC".ljust(16, b"\0"),
        struct.pack("<5I", major, minor, comp, sust, build), date.encode()[:8].ljust(8, b"\0"),
        rel.encode()[:11].ljust(12, b"\0"), bytes((0x01, 0x00, 0x01)), struct.pack("<I", m.chip.dram_mb),
        struct.pack("<6I", 64, 64, 32, 60, 60, 30), struct.pack("<2I", 0, 0), bytes((0, 0, 0)), bytes(4),
    ))
    frame = m.reply(f, messages.VS_OP_ATTRIBUTES_CNF(mstatus=QcaStatus.SUCCESS, cookie=msg.cookie,
                                                     report_type=ReportType.BINARY,
                                                     length=len(report), report=report))
    return frame.ljust(OP_ATTR_FRAME, b"\0")


def pl_link_status(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    return m.reply(f, messages.VS_PL_LINK_STATUS_CNF(mstatus=QcaStatus.SUCCESS, link_status=1 if m.members() else 0))


def get_nvm(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    typ, page, block, size = m.chip.nvm
    return m.reply(f, messages.VS_GET_NVM_CNF(mstatus=QcaStatus.SUCCESS, nvm_type=typ, page_size=page, block_size=block,
                                              memory_size=size))


def enet_settings(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Ethernet PHY settings; real QCA7420 bytes after MSTATUS: 00 00 01 03 (frames in docs/modem-profiles.md)."""
    return m.reply(f, messages.VS_ENET_SETTINGS_CNF(mstatus=QcaStatus.SUCCESS, speed=0, duplex=0),
                   trailing=bytes((0x01, 0x03)))


def fr_lbk(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Frame loopback: confirm; the frame goes back to the host (real QCA7420: MSTATUS 0, duration, length)."""
    msg = f.message
    cnf = m.reply(f, messages.VS_FR_LBK_CNF(mstatus=QcaStatus.SUCCESS, duration=msg.duration, length=msg.length))
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
    tx_mbps, rx_mbps = m.rates(peer, t)
    return maps_for_rate(rx_mbps if rx else tx_mbps, m.link.link(m.mac, peer, t).attenuation_db)


def _tone_map_v1(m: Modem, f: Frame, t: float, rx: bool) -> Reply:
    """MMV 1 confirm as real QCA7420 firmware sends it: MSTATUS, MME_LEN, header, 4-bit carriers."""
    msg = f.message
    maps = _tone_maps(m, msg.mac, t, rx)
    head = RX_TM_V1_HEADER if rx else TM_V1_HEADER
    if maps is None or (rx and maps.robo):  # no such station / a ROBO link has no RX tone maps
        codes, status, slots, carriers = b"", ToneMapStatus.UNKNOWN_SLOT if maps else ToneMapStatus.UNKNOWN_MAC, 0, 0
    else:
        codes, status, slots, carriers = maps.codes(msg.tmslot), ToneMapStatus.SUCCESS, len(maps.slots), maps.carriers
    common: dict[str, Any] = dict(mstatus=status, rsvd=0, mme_len=head + len(codes), sub_version=0, rsvd2=0,
                                  mac=msg.mac, tmslot=msg.tmslot, coupling=msg.coupling, num_tms=slots, rsvd3=0,
                                  num_active_carriers=min(carriers, 0xFFFF), rsvd4=bytes(4), mod_carriers=codes)
    if rx:
        return m.reply(f, messages.VS_RX_TONE_MAP_CHAR_CNF_V1(gil=0, rsvd5=0, agc=0, rsvd6=0, **common))
    return m.reply(f, messages.VS_TONE_MAP_CHAR_CNF_V1(**common))


def tone_map(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    if f.mmv >= 1:
        return _tone_map_v1(m, f, t, rx=False)
    # MMV 0 (INT6x00 layout): real QCA7420 firmware refuses it (alpi capture frame 1158)
    return m.reply(f, messages.VS_TONE_MAP_CHAR_CNF(mstatus=ToneMapStatus.UNKNOWN_SLOT, tmslot=0, num_tms=0,
                                                    num_active_carriers=0, mod_carriers=bytes(TONE_MAP_V0_BODY)))


def rx_tone_map(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    if f.mmv >= 1:
        return _tone_map_v1(m, f, t, rx=True)
    frame = m.reply(f, messages.VS_RX_TONE_MAP_CHAR_CNF(mstatus=ToneMapStatus.UNKNOWN_SLOT, tmslot=0, num_tms=0,
                                                        num_active_carriers=0, mod_carriers=bytes(577), gil=0, agc=0))
    return frame.ljust(RX_TONE_MAP_V0_FRAME, b"\0")  # the real refusal's length (alpi capture frame 2014)


def wd_rpt(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Watchdog report (``plctool -d``, ``plclog``): one part, no watchdog event recorded -- an empty report."""
    msg = f.message
    return m.frame(f.src, messages.VS_WD_RPT_IND(mstatus=QcaStatus.SUCCESS, session_id=msg.session_id, num_parts=1,
                                                 cur_part=1, rdata_length=0, rdata_offset=0, rdata=b""), mmv=f.mmv)


def cp_rpt(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Checkpoint report (``plclog -x``): one empty part, as for the watchdog report."""
    msg = f.message
    return m.frame(f.src, messages.VS_CP_RPT_IND(
        mstatus=QcaStatus.SUCCESS, major_version=1, minor_version=0, rsvd=bytes(14), session_id=msg.session_id,
        total_buffer_size=0, block_offset=0, next_position=0, num_parts=1, cur_part=1, rdata_length=0,
        rdata_offset=0, rdata=b""), mmv=f.mmv)


MAX_RULES = 60  # ReadRules.c: RULESET [60]
RULE_LEN = 67  # MMEReadRule: MACTION, MOPERAND, NUM_CLASSIFIERS, 3 classifiers of 18 bytes, CSPEC (10)


def classification(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """Classifier rules (``plcrule``): add and remove kept in RAM, read returns them (MCONTROL 2)."""
    msg = f.message
    rules = m.classifier_rules
    if msg.mcontrol == ClassifierControl.READ:
        chunk = rules[msg.offset:msg.offset + min(msg.count, MAX_RULES)]
        body = bytes((len(rules), msg.offset, len(chunk))) + b"".join(chunk)
        return m.reply(f, messages.VS_CLASSIFICATION_CNF(mstatus=QcaStatus.SUCCESS, rules=body))
    rule = struct.pack("<BBB", msg.maction, msg.moperand, msg.num_classifiers) + bytes(msg.classifiers) + \
        struct.pack("<HII", msg.cspec_version, msg.vlan_tag, msg.cspec_rsvd)
    if msg.mcontrol == ClassifierControl.ADD and len(rules) < MAX_RULES and 1 <= msg.num_classifiers <= 3:
        rules.append(rule[:RULE_LEN])
    elif msg.mcontrol == ClassifierControl.REMOVE and rule[:RULE_LEN] in rules:
        rules.remove(rule[:RULE_LEN])
    else:
        return m.reply(f, messages.VS_CLASSIFICATION_CNF(mstatus=QcaStatus.FAILURE, rules=b""))
    return m.reply(f, messages.VS_CLASSIFICATION_CNF(mstatus=QcaStatus.SUCCESS, rules=b""))


def get_property(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """``plcget``: no property is documented for these firmwares, so the modem refuses at once
    (the tool prints "Device refused request" instead of waiting for its timeout)."""
    msg = f.message
    return m.reply(f, messages.VS_GET_PROPERTY_CNF(mstatus=QcaStatus.NOT_SUPPORTED, cookie=msg.cookie,
                                                   data_format=msg.data_format, rsvd=bytes(3), data_length=0,
                                                   data=b""))


def set_property(m: Modem, f: Frame, t: float, via: Port) -> Reply:
    """``plcset``: refused at once, like VS_GET_PROPERTY (no property is emulated)."""
    return m.reply(f, messages.VS_SET_PROPERTY_CNF(mstatus=QcaStatus.NOT_SUPPORTED, cookie=f.message.cookie))


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
    messages.VS_WD_RPT_REQ: Entry(wd_rpt, remote=True),
    messages.VS_CP_RPT_REQ: Entry(cp_rpt, remote=True),
    messages.VS_CLASSIFICATION_REQ: Entry(classification, remote=False),
    messages.VS_GET_PROPERTY_REQ: Entry(get_property, remote=True),
    messages.VS_SET_PROPERTY_REQ: Entry(set_property, remote=False),
}
