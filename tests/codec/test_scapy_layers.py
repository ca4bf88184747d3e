"""plcstack.scapy_layers: generated scapy classes build and dissect exactly like our codec."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import pytest
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Packet, Padding
from scapy.utils import rdpcap

from plcstack import scapy_layers as S
from plcstack.codec import RawMessage, decode_frame, encode, encode_frame, make_frame
from plcstack.codec import messages as M
from plcstack.codec.fragment import fragment
from plcstack.codec.layout import (
    ARRAY,
    BYTES,
    INT,
    MAC,
    REST,
    TEXT,
    VARBYTES,
    Field,
    Layout,
    _count_refs,
    _eval,
    format_mac,
)
from plcstack.codec.registry import MessageDef, all_definitions

DST = "ff:ff:ff:ff:ff:ff"
SRC = "02:00:00:00:00:01"


def test_importing_plcstack_does_not_import_scapy():
    code = ("import sys, plcstack, plcstack.codec, plcstack.capture, plcstack.pcapio; "
            "bad = [m for m in sys.modules if m == 'scapy' or m.startswith('scapy.')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_generated_class_for_every_declaration():
    defs = all_definitions()
    assert len(defs) >= 80
    for d in defs:
        cls = S.scapy_class_for(d)
        assert cls.plc_def is d
        assert cls.__name__ == d.layout.name
        assert getattr(S, d.layout.name) is cls
        assert [f.name for f in cls.fields_desc] == [f.name for f in d.fields], d.name
    assert S.scapy_class_for("CM_SLAC_PARM.REQ") is S.CM_SLAC_PARM_REQ
    assert len(S.MESSAGE_CLASSES) == len(defs)


# ----------------------------------------------------------------------------- building


def test_build_slac_parm_req_matches_encoder():
    run_id = bytes(range(1, 9))
    pkt = Ether(dst=DST, src=SRC) / S.HomePlugAV(mmtype=0x6064) / S.CM_SLAC_PARM_REQ(run_id=run_id)
    assert bytes(pkt) == encode(DST, SRC, M.CM_SLAC_PARM_REQ(run_id=run_id))
    assert len(bytes(pkt)) == 60  # padded like encode_frame
    back = decode_frame(bytes(pkt))
    assert back.name == "CM_SLAC_PARM.REQ" and back.message.run_id == run_id and back.mmv == 1


def test_build_fills_header_from_the_declaration():
    # MMV 0 + QCA OUI for VS_SW_VER, MMV 1 + FMI for CM_*, counts from the data
    pkt = Ether(dst="00:b0:52:00:00:01", src=SRC) / S.HomePlugAV() / S.VS_SW_VER_REQ(cookie=7)
    assert bytes(pkt) == encode("00:b0:52:00:00:01", SRC, M.VS_SW_VER_REQ(cookie=7))
    pkt = Ether(dst=DST, src=SRC) / S.HomePlugAV() / S.CM_ATTEN_PROFILE_IND(aag=bytes(range(58)))
    raw = bytes(pkt)
    assert raw == encode(DST, SRC, M.CM_ATTEN_PROFILE_IND(aag=bytes(range(58))))
    assert decode_frame(raw).message.num_groups == 58


def test_build_with_conditional_and_array_fields():
    msg = M.CM_SLAC_PARM_REQ(security_type=1, run_id=b"R" * 8, cipher_suites=[(1,), (0x0102,)])
    item = S.CM_SLAC_PARM_REQ.fields_desc[4].fld.cls
    pkt = Ether(dst=DST, src=SRC) / S.HomePlugAV() / S.CM_SLAC_PARM_REQ(
        security_type=1, run_id=b"R" * 8, cipher_suites=[item(suite=1), item(suite=0x0102)])
    assert bytes(pkt) == encode(DST, SRC, msg)


def test_build_with_vlan_and_explicit_padding():
    frame = make_frame(DST, SRC, M.CM_SET_KEY_CNF(result=1), vlan=0x0005)
    pkt = Ether(dst=DST, src=SRC) / Dot1Q(vlan=5) / S.HomePlugAV() / S.CM_SET_KEY_CNF(result=1)
    assert bytes(pkt) == encode_frame(frame)
    # an explicit (empty) Padding layer means "no padding", like Frame.trailing=b""
    pkt = Ether(dst=DST, src=SRC) / S.HomePlugAV() / S.CM_SET_KEY_CNF(result=1) / Padding(b"")
    assert bytes(pkt) == encode_frame(make_frame(DST, SRC, M.CM_SET_KEY_CNF(result=1))._replace(trailing=b""))


def _random_value(f: Field, rng: random.Random) -> Any:
    if f.kind == INT:
        return rng.getrandbits(8 * f.size)
    if f.kind in (BYTES, TEXT, MAC):
        return rng.randbytes(f.size)
    if f.kind in (VARBYTES, REST):
        return rng.randbytes(rng.randrange(0, 12))
    assert f.kind == ARRAY and f.item is not None
    return [_random_message(f.item, rng) for _ in range(rng.randrange(0, 3))]


def _random_message(rec: Layout, rng: random.Random) -> Any:
    """A message of ``rec`` with random values; count fields left None (the encoder fills them in)."""
    counts = _count_refs(rec.fields)
    targets = {t.name for t in counts.values()}
    values: dict[str, Any] = {}
    for f in rec.fields:
        if f.when is not None and not _eval(f.when, values):
            values[f.name] = None
        elif f.name in counts:
            values[f.name] = None
        elif f.kind == VARBYTES and f.name not in targets:
            values[f.name] = rng.randbytes(_eval(f.count or "0", values))  # length from earlier fields
        else:
            values[f.name] = _random_value(f, rng)
    return tuple.__new__(rec.cls, tuple(values[f.name] for f in rec.fields))


def _to_scapy_kwargs(rec: Layout, msg: Any, item_cls_of: dict[str, type[Packet]]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for f, v in zip(rec.fields, msg, strict=True):
        if v is None:
            continue
        if f.kind == MAC:
            kw[f.name] = format_mac(v)
        elif f.kind == ARRAY:
            assert f.item is not None
            cls = item_cls_of[f.name]
            sub = {sf.name: getattr(sf, "fld", sf) for sf in cls.fields_desc}
            kw[f.name] = [cls(**_to_scapy_kwargs(f.item, it, {k: getattr(s, "cls", None) for k, s in sub.items()}))
                          for it in v]
        else:
            kw[f.name] = v
    return kw


def _item_classes(cls: type[Packet]) -> dict[str, type[Packet]]:
    return {sf.name: getattr(getattr(sf, "fld", sf), "cls", None) for sf in cls.fields_desc}


@pytest.mark.parametrize("mdef", all_definitions(), ids=lambda d: d.layout.name)
def test_every_declaration_builds_like_the_encoder(mdef: MessageDef):
    rng = random.Random(mdef.layout.name)
    cls = S.scapy_class_for(mdef)
    for _ in range(5):
        msg = _random_message(mdef.layout, rng)
        ours = encode_frame(make_frame(DST, SRC, msg))
        pkt = Ether(dst=DST, src=SRC) / S.HomePlugAV() / cls(**_to_scapy_kwargs(mdef.layout, msg, _item_classes(cls)))
        assert bytes(pkt) == ours, mdef.name
        # and scapy dissects our bytes back to the same field values
        dis = Ether(ours)
        assert type(dis[S.HomePlugAV].payload) is cls
        assert scapy_values(dis[cls], mdef.layout) == decode_frame(ours).message


# ----------------------------------------------------------------------------- dissecting


def scapy_values(layer: Packet, rec: Layout) -> tuple[Any, ...]:
    """A dissected scapy layer as our codec's value tuple (absent conditional fields -> None)."""
    out: list[Any] = []
    for f in rec.fields:
        if f.name not in layer.fields:
            out.append(None)
            continue
        v = layer.getfieldval(f.name)
        if f.kind == MAC:
            v = bytes.fromhex(v.replace(":", ""))
        elif f.kind == ARRAY:
            assert f.item is not None
            v = [scapy_values(it, f.item) for it in v]
        elif f.kind != INT:
            v = bytes(v)
        out.append(v)
    return tuple(out)


def test_dissect_sets_every_field():
    raw = bytes.fromhex(  # CM_SLAC_MATCH.CNF of an Alpitronic charger (pyPLC 2022-11-17_Dehner_Alpitronic capture)
        "dc0ea11167089a8ab66d2df688e1017d600000000056000000000000000000000000000000000000dc0ea1116708"
        "00000000000000000000000000000000009a8ab66d2df6dc0ea111670800000000000000000000b468ace9ff5603"
        "009ed1f8a5b566e83dc4f1700e4a89afec")
    pkt = Ether(raw)
    m = pkt[S.CM_SLAC_MATCH_CNF]
    assert pkt[S.HomePlugAV].mmv == 1 and pkt[S.HomePlugAV].mmtype == 0x607D and pkt[S.HomePlugAV].fmi == 0
    assert pkt[S.HomePlugAV].oui == b""
    assert m.mvf_length == 0x56 and m.pev_mac == "dc:0e:a1:11:67:08" and m.evse_mac == "9a:8a:b6:6d:2d:f6"
    assert m.nid == bytes.fromhex("b468ace9ff5603") and m.nmk == bytes.fromhex("9ed1f8a5b566e83dc4f1700e4a89afec")
    assert bytes(pkt) == raw
    assert m.to_plc() == decode_frame(raw).message
    assert S.CM_SLAC_MATCH_CNF.from_plc(m.to_plc()).nmk == m.nmk


def test_vendor_header_and_qca_ms_without_oui():
    raw = encode(DST, SRC, M.VS_NW_INFO_REQ())
    hp = Ether(raw)[S.HomePlugAV]
    assert (hp.mmv, hp.mmtype, hp.oui) == (0, 0xA038, bytes.fromhex("00b052"))
    assert "fmi" not in hp.fields  # MMV 0: no FMI
    raw = encode(DST, SRC, M.MS_PB_ENC_REQ(pb_action=3))  # QCA sends MS_* without an OUI
    hp = Ether(raw)[S.HomePlugAV]
    assert hp.oui == b"" and hp[S.MS_PB_ENC_REQ].pb_action == 3
    assert bytes(Ether(raw)) == raw


def test_fragments_unknown_and_truncated_stay_raw():
    big = M.VS_RD_MOD_CNF(length=None, data=bytes(range(256)) * 10)
    frags = fragment(make_frame(DST, SRC, big, mmv=1), fmsn=3)
    assert len(frags) > 1
    for wire in frags:
        pkt = Ether(wire)
        assert isinstance(pkt[S.HomePlugAV].payload, S.HomePlugAVRaw)
        assert bytes(pkt) == wire
    unknown = encode_frame(make_frame(DST, SRC, RawMessage(b"\x01\x02\x03"), mmtype=0x6014))
    assert isinstance(Ether(unknown)[S.HomePlugAV].payload, S.HomePlugAVRaw)
    assert bytes(Ether(unknown)) == unknown
    whole = encode_frame(make_frame(DST, SRC, M.CM_SLAC_MATCH_CNF())._replace(trailing=b""))
    cut = whole[:-5]  # ends inside the NMK: our codec reports it truncated
    assert decode_frame(cut).truncated
    pkt = Ether(cut)
    assert isinstance(pkt[S.HomePlugAV].payload, S.HomePlugAVRaw) and bytes(pkt) == cut


def test_short_frame_without_padding_is_not_padded_on_rebuild():
    raw = encode_frame(make_frame(DST, SRC, M.CM_SET_KEY_CNF())._replace(trailing=b""))
    assert len(raw) < 60
    assert bytes(Ether(raw)) == raw
    assert bytes(Ether(raw).copy()) == raw


def test_to_scapy_and_from_scapy():
    frame = make_frame(DST, SRC, M.CM_SLAC_PARM_CNF(num_sounds=10, run_id=b"\x11" * 8))
    pkt = S.to_scapy(frame)
    assert pkt[S.CM_SLAC_PARM_CNF].num_sounds == 10
    assert S.from_scapy(pkt) == decode_frame(encode_frame(frame))
    assert bytes(S.to_scapy(encode_frame(frame))) == encode_frame(frame)
    with pytest.raises(TypeError):
        S.from_scapy(S.HomePlugAV())


# ----------------------------------------------------------------------------- shared captures


@pytest.fixture(scope="module")
def capture_packets(capture_files):
    """(file name, 1-based index, scapy packet) of every HomePlug AV frame, read with rdpcap."""
    out = []
    for path in capture_files:
        for index, pkt in enumerate(rdpcap(str(path)), start=1):
            if S.HomePlugAV in pkt:
                out.append((path.name, index, pkt))
    return out


def test_rdpcap_frames_convert_to_frames_and_back(capture_packets):
    assert len(capture_packets) > 2000
    for name, index, pkt in capture_packets:
        frame = S.from_scapy(pkt)
        assert encode_frame(frame) == bytes(pkt), f"{name} frame {index}"


def test_every_capture_frame_roundtrips_through_scapy(capture_packets):
    typed = 0
    for name, index, pkt in capture_packets:
        raw = bytes(pkt)
        again = Ether(raw)
        assert bytes(again) == raw, f"{name} frame {index}"
        frame = decode_frame(raw)
        payload = again[S.HomePlugAV].payload
        if isinstance(frame.message, RawMessage) or frame.truncated:
            assert isinstance(payload, S.HomePlugAVRaw), f"{name} frame {index}"
            continue
        typed += 1
        cls = S.scapy_class_for(_def_of(frame))
        assert type(payload) is cls, f"{name} frame {index}: {type(payload).__name__} vs {cls.__name__}"
        assert scapy_values(payload, cls.plc_record) == frame.message, f"{name} frame {index}"
        tail = again[Padding].load if Padding in again else b""
        assert tail == frame.trailing, f"{name} frame {index}"
        assert to_hex(S.to_scapy(frame)) == raw.hex()
    assert typed > 2000


def _def_of(frame: Any) -> MessageDef:
    from plcstack.codec.registry import definition_of

    return definition_of(frame.message)


def to_hex(pkt: Packet) -> str:
    return bytes(pkt).hex()
