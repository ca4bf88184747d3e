"""plcstack.keys.protocol: CM_SET_KEY / CM_GET_KEY builders and CM_ENCRYPTED_PAYLOAD wrap/unwrap."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from plcstack.codec import decode_frame, encode_frame, make_frame, messages
from plcstack.codec.codes import KeyType, Peks, ProtocolId
from plcstack.keys.derive import nid_from_nmk, nmk_from_password
from plcstack.keys.errors import AuthenticationError
from plcstack.keys.protocol import (
    KeySet,
    MissingKeyError,
    ProtocolError,
    ProtocolRun,
    check_get_key_cnf,
    check_set_key_cnf,
    disclosed_keys,
    get_key_cnf,
    get_key_req,
    payload_mmentry,
    set_key_cnf,
    set_key_req,
    set_key_succeeded,
    slac_set_key_req,
    unwrap_frame,
    wrap,
)
from plcstack.keys.rng import system_random_bytes
from plcstack.keys.secret import Secret

NMK = bytes.fromhex("B59319D7E8157BA001B018669CCEE30D")  # HomePlugAV0123
PEV = "02:00:00:00:00:01"
EVSE = "02:00:00:00:00:02"
RNG = system_random_bytes
DATA = Path(__file__).resolve().parents[1] / "data"


def mmentry(frame_bytes: bytes) -> bytes:
    return frame_bytes[19:]  # MMV 1 header: 14 Ethernet + MMV + MMTYPE + FMI


def test_slac_set_key_req_matches_pyslac_vector() -> None:
    frame = make_frame("00:b0:52:00:00:01", PEV, slac_set_key_req(NMK))
    wire = encode_frame(frame)
    expected = bytes.fromhex("01aaaaaaaa000000000400000000026bcba5354e0801b59319d7e8157ba001b018669ccee30d")
    assert mmentry(wire)[: len(expected)] == expected


def test_alpitronic_set_key_req_discloses_nmk() -> None:
    wire = bytes.fromhex(
        "ffffffffffffdc0ea111670888e1010860000001aaaaaaaa000000000400000000"
        "b468ace9ff5603019ed1f8a5b566e83dc4f1700e4a89afec000000"
    )
    (found,) = disclosed_keys(decode_frame(wire).message)
    assert found.key_type is KeyType.NMK and found.key.reveal_hex() == "9ED1F8A5B566E83DC4F1700E4A89AFEC"
    assert found.nid == nid_from_nmk(found.key) and "redacted" in repr(found)


def test_set_key_exchange() -> None:
    req = set_key_req(KeyType.NMK, NMK, nid=nid_from_nmk(NMK, 1), pid=ProtocolId.PROVISION_NMK_DAK, prn=0x372D,
                      pmn=1, random_bytes=RNG)
    req2 = decode_frame(encode_frame(make_frame(EVSE, PEV, req))).message
    assert req2 == req and req.my_nonce != bytes(4)
    cnf = set_key_cnf(req2, result=0, random_bytes=RNG)
    check_set_key_cnf(req, cnf)
    assert cnf.your_nonce == req.my_nonce and cnf.pmn == 0xFF and set_key_succeeded(cnf, qca_polarity=False)
    assert set_key_succeeded(cnf._replace(result=1)) and not set_key_succeeded(cnf, qca_polarity=True)
    with pytest.raises(ProtocolError):
        check_set_key_cnf(req, cnf._replace(your_nonce=b"\x01\x02\x03\x04"))
    with pytest.raises(ProtocolError):
        check_set_key_cnf(req, cnf._replace(prn=1))
    nonce_only = set_key_req(KeyType.NONCE_ONLY, None, nid=bytes(7), random_bytes=RNG)
    assert decode_frame(encode_frame(make_frame(EVSE, PEV, nonce_only))).message.new_key is None


def test_get_key_exchange_wrapped_in_encrypted_payload() -> None:
    run = ProtocolRun.start(ProtocolId.AUTH_REQUEST, RNG)
    nid = nid_from_nmk(NMK)
    req = get_key_req(KeyType.NEK, nid, prn=run.prn, pmn=run.next_pmn(), random_bytes=RNG)
    ind = wrap(make_frame(EVSE, PEV, req), Secret(NMK), peks=Peks.NMK, pid=run.pid, prn=run.prn, pmn=run.pmn,
               random_bytes=RNG)
    on_wire = decode_frame(encode_frame(make_frame(EVSE, PEV, ind)))
    inner = unwrap_frame(on_wire.message, KeySet(nmk=Secret(NMK)))
    assert inner.name == "CM_GET_KEY.REQ" and inner.message == req
    nek = Secret(bytes(range(16)))
    cnf = get_key_cnf(inner.message, nek, eks=3, random_bytes=RNG)
    check_get_key_cnf(req, cnf)
    reply = wrap(make_frame(PEV, EVSE, cnf), NMK, pid=run.pid, prn=run.prn, pmn=run.next_pmn(last=True),
                 random_bytes=RNG)
    got = unwrap_frame(reply, NMK).message
    (found,) = disclosed_keys(got)
    assert found.key == nek and found.eks == 3 and found.key_type is KeyType.NEK
    refused = get_key_cnf(req, None, result=1, my_nonce=b"\x01\x02\x03\x04")
    assert disclosed_keys(refused) == [] and refused.eks == 0x0F


def test_wrong_key_and_missing_key() -> None:
    ind = wrap(make_frame(EVSE, PEV, get_key_req(KeyType.NEK, bytes(7), random_bytes=RNG)), NMK, pid=0, prn=1,
               pmn=1, random_bytes=RNG)
    with pytest.raises(AuthenticationError):
        unwrap_frame(ind, nmk_from_password("HomePlugAV"))
    with pytest.raises(MissingKeyError):
        unwrap_frame(ind, KeySet(dak=Secret(NMK)))
    inner = encode_frame(make_frame(EVSE, PEV, slac_set_key_req(NMK)))
    dak_ind = wrap(inner, NMK, peks=Peks.DAK, pid=2, prn=1, pmn=1, random_bytes=RNG)
    assert unwrap_frame(dak_ind, KeySet(dak=Secret(NMK))).name == "CM_SET_KEY.REQ"


def test_encrypted_payload_vector_through_codec() -> None:
    v = json.loads((DATA / "keys" / "encrypted-payload.json").read_text())["vectors"][0]
    mmentry = bytes.fromhex(v["clear_header"] + v["ciphertext"])
    wire = bytes.fromhex("003132333435004647484950") + bytes.fromhex("88E1010660" + "0000") + mmentry
    frame = decode_frame(wire)
    assert frame.name == "CM_ENCRYPTED_PAYLOAD.IND" and payload_mmentry(frame.message) == mmentry
    inner = unwrap_frame(frame.message, KeySet(dak=Secret(bytes.fromhex(v["dak"]))))
    assert inner.name == "CM_SET_KEY.REQ"
    assert inner.message.new_key == NMK and inner.message.nid.hex().upper() == "026BCBA5354E18"


def test_abb_frames_decrypt_with_nmk_from_slac_match() -> None:
    # tests/data/vectors/iso15118-simulator-rs.json: frames 20, 25 and 26 of a real ABB charging session
    doc = json.loads((DATA / "vectors" / "iso15118-simulator-rs.json").read_text())
    frames = {v["id"]: decode_frame(bytes.fromhex(v["hex"])) for v in doc["vectors"]}
    (nmk,) = disclosed_keys(frames["abb-cm-slac-match-cnf"].message)
    assert nmk.key_type is KeyType.NMK and nmk.nid == frames["abb-cm-slac-match-cnf"].message.nid
    req_ind = frames["abb-cm-encrypted-payload-ind-get-key-req"].message
    cnf_ind = frames["abb-cm-encrypted-payload-ind-get-key-cnf"].message
    req, cnf = (unwrap_frame(m, KeySet(nmk=nmk.key)).message for m in (req_ind, cnf_ind))
    assert type(req).__name__ == "CM_GET_KEY_REQ" and type(cnf).__name__ == "CM_GET_KEY_CNF"
    assert req.requested_key_type == KeyType.NEK and req.nid == nmk.nid
    check_get_key_cnf(req, cnf)
    (nek,) = disclosed_keys(cnf)
    assert nek.key_type is KeyType.NEK and nek.eks == 5 and len(nek.key) == 16
    with pytest.raises(AuthenticationError):
        unwrap_frame(req_ind, nmk_from_password("HomePlugAV"))


def test_vs_set_key_discloses_both() -> None:
    msg = messages.VS_SET_KEY_REQ(eks=1, nmk=NMK, peks=0, rda=bytes(6), dak=bytes(range(1, 17)))
    kinds = [k.key_type for k in disclosed_keys(msg)]
    assert kinds == [KeyType.NMK, KeyType.DAK]


def test_builders_take_their_randomness() -> None:
    def run(seed: int) -> list[bytes]:
        rng = random.Random(seed).randbytes
        req = get_key_req(KeyType.NEK, nid_from_nmk(NMK), random_bytes=rng)
        cnf = get_key_cnf(req, NMK, random_bytes=rng)
        ind = wrap(make_frame(EVSE, PEV, req), NMK, pid=0, prn=req.prn, pmn=1, random_bytes=rng)
        return [req.my_nonce, req.prn.to_bytes(2, "little"), cnf.my_nonce, ind.iv, ind.encrypted]

    assert run(1) == run(1) and run(1) != run(2)  # a seeded emulator gets the same frames every run
    assert ProtocolRun.start(0, random.Random(3).randbytes) == ProtocolRun.start(0, random.Random(3).randbytes)
    with pytest.raises(TypeError, match="random_bytes"):
        get_key_req(KeyType.NEK, bytes(7))  # no hidden default source
    with pytest.raises(TypeError, match="random_bytes"):
        set_key_req(KeyType.NMK, NMK, nid=bytes(7))
    zeros_then_ones = iter([bytes(4), b"\x01" * 4])
    assert set_key_req(KeyType.NMK, NMK, nid=bytes(7), random_bytes=lambda n: next(zeros_then_ones)).my_nonce \
        == b"\x01" * 4  # a zero nonce means "none": drawn again
