"""Realistic synthetic HomePlug traffic, built with our own encoder.

Used for the bundled sample captures (``captures/``), the 200,000-frame benchmark capture
(``tools/gen_capture.py``) and tests.  The mix follows what published captures of real sessions
contain (pyPLC's and tux-evse's recordings, ``tests/data/vectors/``): ISO 15118-3 SLAC sessions
between an EV host and a charger, the local-modem CM_SET_KEY exchange, QCA management polling
(VS_SW_VER, VS_NW_INFO MMV 1, VS_LNK_STATS, VS_OP_ATTRIBUTES), CM_GET_KEY, CM_BRG_INFO and
CC_SET_TEI_MAP.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from plcstack.codec import BROADCAST_MAC, LOCAL_MAC, encode
from plcstack.codec import messages as m
from plcstack.codec.registry import definition_of
from plcstack.keys.derive import nid_from_nmk, nmk_from_password


def _item(cls_msg: type, *path: str) -> type:
    """The class of an array element: ``_item(VS_NW_INFO_CNF, "networks", "stations")``."""
    layout = definition_of(cls_msg).layout
    for name in path:
        item = next(f.item for f in layout.fields if f.name == name)
        if item is None:
            raise KeyError(name)
        layout = item
    return layout.cls


def _mac(rng: random.Random, oui: bytes = b"\x02\x00\x00") -> bytes:
    return oui + bytes(rng.getrandbits(8) for _ in range(3))


def slac_session(rng: random.Random, pev_host: bytes, evse_host: bytes, pev_modem: bytes,
                 evse_modem: bytes, nmk: bytes) -> list[bytes]:
    """One SLAC session as the frames appear on the EVSE host's interface."""
    run_id = pev_host + b"\x00" + bytes([rng.getrandbits(8)])
    nid = nid_from_nmk(nmk)
    frames = [
        encode(LOCAL_MAC, evse_host, m.CM_SET_KEY_REQ(key_type=1, my_nonce=b"\xaa" * 4, pid=4, nid=nid,
                                                      new_eks=1, new_key=nmk)),
        encode(evse_host, evse_modem, m.CM_SET_KEY_CNF(result=1, my_nonce=rng.randbytes(4),
                                                       your_nonce=b"\xaa" * 4, pid=4, pmn=0xFF)),
        encode(BROADCAST_MAC, pev_host, m.CM_SLAC_PARM_REQ(run_id=run_id)),
        encode(pev_host, evse_host, m.CM_SLAC_PARM_CNF(msound_target=BROADCAST_MAC, num_sounds=10, time_out=6,
                                                       resp_type=1, forwarding_sta=pev_host, run_id=run_id)),
    ]
    start = m.CM_START_ATTEN_CHAR_IND(num_sounds=10, time_out=6, resp_type=1, forwarding_sta=pev_host,
                                      run_id=run_id)
    frames += [encode(BROADCAST_MAC, pev_host, start) for _ in range(3)]
    groups = [min(255, max(1, int(rng.gauss(22, 4)))) for _ in range(58)]
    for cnt in range(9, -1, -1):
        frames.append(encode(BROADCAST_MAC, pev_host, m.CM_MNBC_SOUND_IND(cnt=cnt, run_id=run_id,
                                                                          rnd=rng.randbytes(16))))
        noisy = bytes(min(255, max(0, g + rng.randint(-2, 2))) for g in groups)
        frames.append(encode(evse_host, evse_modem, m.CM_ATTEN_PROFILE_IND(pev_mac=pev_host, num_groups=58,
                                                                            aag=noisy)))
    frames += [
        encode(pev_host, evse_host, m.CM_ATTEN_CHAR_IND(source_address=pev_host, run_id=run_id, num_sounds=10,
                                                        num_groups=58, aag=bytes(groups))),
        encode(evse_host, pev_host, m.CM_ATTEN_CHAR_RSP(source_address=pev_host, run_id=run_id)),
        encode(evse_host, pev_host, m.CM_SLAC_MATCH_REQ(mvf_length=0x3E, pev_mac=pev_host, evse_mac=evse_host,
                                                        run_id=run_id)),
        encode(pev_host, evse_host, m.CM_SLAC_MATCH_CNF(mvf_length=0x56, pev_mac=pev_host, evse_mac=evse_host,
                                                        run_id=run_id, nid=nid, nmk=nmk)),
    ]
    return frames


def qca_polling(rng: random.Random, host: bytes, modem: bytes, peers: list[bytes], nid: bytes) -> list[bytes]:
    """A host polling its local QCA modem the way pyPLC and open-plc-utils tools do."""
    version = b"MAC-QCA7420-1.4.0.20-00-20171027-CS"
    net_cls, sta_cls = _item(m.VS_NW_INFO_CNF, "networks"), _item(m.VS_NW_INFO_CNF, "networks", "stations")
    stations = [sta_cls(mac=p, tei=i + 2, bda=p, avg_tx=rng.randint(20, 180), coupling=0,
                        avg_rx=rng.randint(20, 180)) for i, p in enumerate(peers)]
    network = net_cls(nid=nid, snid=rng.randint(0, 15), tei=1, role=2, cco_mac=modem, cco_tei=1,
                      num_stations=len(stations), stations=stations)
    frames = [
        encode(LOCAL_MAC, host, m.VS_SW_VER_REQ(cookie=rng.getrandbits(32))),
        encode(host, modem, m.VS_SW_VER_CNF(device_class=0x20, version_length=len(version) + 1,
                                            version=version, ident=0x001CFCFC)),
        encode(modem, host, m.VS_NW_INFO_REQ(), mmv=1),
        encode(host, modem, m.VS_NW_INFO_CNF(data_len=1 + 32 + 24 * len(stations), num_avlns=1,
                                             networks=[network])),
        encode(modem, host, m.VS_LNK_STATS_REQ(direction=0, lid=0xF8, peer=peers[0] if peers else modem)),
        encode(host, modem, m.VS_LNK_STATS_CNF(direction=0, lid=0xF8, tei=2,
                                               tx_mpdu_acked=rng.getrandbits(20), tx_pb_passed=rng.getrandbits(22))),
        encode(LOCAL_MAC, host, m.VS_OP_ATTRIBUTES_REQ(cookie=rng.getrandbits(16))),
        encode(modem, host, m.CM_GET_KEY_REQ(requested_key_type=1, nid=nid, my_nonce=rng.randbytes(4), pid=4)),
        encode(host, modem, m.CM_GET_KEY_CNF(result=1, requested_key_type=1, my_nonce=rng.randbytes(4),
                                             nid=nid, pid=4, key=bytes(16))),
        encode(modem, host, m.CM_BRG_INFO_REQ()),
        encode(host, modem, m.CM_BRG_INFO_CNF(bsf=1, btei=1, nbda=1, bda=[(host,)])),
    ]
    return frames


def realistic_mix(count: int, seed: int = 1) -> Iterator[tuple[float, bytes]]:
    """``count`` (timestamp, frame) pairs of a realistic traffic mix, deterministic for a seed."""
    rng = random.Random(seed)
    t = 1_700_000_000.0
    produced = 0
    nmk_pool = [nmk_from_password(f"site-{i}-password") for i in range(4)]
    while produced < count:
        pev_host, evse_host = _mac(rng), _mac(rng)
        pev_modem, evse_modem = _mac(rng, b"\x00\xb0\x52"), _mac(rng, b"\x00\xb0\x52")
        nmk = rng.choice(nmk_pool)
        batch = slac_session(rng, pev_host, evse_host, pev_modem, evse_modem, nmk)
        batch += qca_polling(rng, evse_host, evse_modem, [pev_modem, _mac(rng, b"\x00\xb0\x52")], nid_from_nmk(nmk))
        for frame in batch:
            if produced >= count:
                return
            t += rng.expovariate(200.0)
            produced += 1
            yield t, frame
