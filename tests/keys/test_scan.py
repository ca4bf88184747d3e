"""plcstack.keys.scan: a remote provisioning chain (DAK -> NMK -> NEK) decrypted from what the capture discloses."""

from __future__ import annotations

import random
from pathlib import Path

from plcstack.codec import encode_frame, make_frame
from plcstack.codec.codes import KeyType, Peks, ProtocolId
from plcstack.keys.derive import dak_from_password, mac_default_password, nid_from_nmk
from plcstack.keys.protocol import get_key_cnf, get_key_req, set_key_req, wrap
from plcstack.keys.scan import CandidateKey, default_password_of_nid, scan_capture
from plcstack.keys.secret import Secret
from plcstack.pcapio import write_pcap

HOST = "02:00:00:00:00:aa"
STA = "00:b0:52:12:34:56"  # its label password is the MAC-derived default (mac2pw -m)
NMK = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
NEK = bytes.fromhex("F0E1D2C3B4A5968778695A4B3C2D1E0F")
RNG = random.Random(13).randbytes


def chain_capture(path: Path) -> None:
    dak = dak_from_password(mac_default_password(STA))
    nid = nid_from_nmk(NMK)
    # 1. the host provisions the station with the NMK, wrapped with the station's DAK (PID 2)
    set_key = make_frame(STA, HOST, set_key_req(KeyType.NMK, NMK, nid=nid, pid=ProtocolId.PROVISION_NMK_DAK,
                                                prn=0x1234, pmn=1, random_bytes=RNG))
    f1 = make_frame(STA, HOST, wrap(set_key, dak, peks=Peks.DAK, pid=2, prn=0x1234, pmn=1, random_bytes=RNG))
    # 2. later the station fetches the NEK, wrapped with the NMK (PID 0); the CNF comes first on purpose
    req = get_key_req(KeyType.NEK, nid, prn=0x4321, pmn=1, random_bytes=RNG)
    f2 = make_frame(HOST, STA, wrap(make_frame(HOST, STA, get_key_cnf(req, NEK, eks=2, random_bytes=RNG)), NMK,
                                    pid=0, prn=0x4321, pmn=0xFF, random_bytes=RNG))
    f3 = make_frame(STA, HOST, wrap(make_frame(STA, HOST, req), NMK, pid=0, prn=0x4321, pmn=1, random_bytes=RNG))
    write_pcap(path, [(1.0, encode_frame(f2)), (2.0, encode_frame(f1)), (3.0, encode_frame(f3))])


def test_chain_is_decrypted(tmp_path: Path) -> None:
    path = tmp_path / "chain.pcap"
    chain_capture(path)
    result = scan_capture(path)
    by_frame = {p.frame: p for p in result.payloads}
    assert by_frame[2].inner is not None and by_frame[2].inner.name == "CM_SET_KEY.REQ"
    assert "mac2pw" in (by_frame[2].key_source or "")
    assert by_frame[1].inner is not None and by_frame[1].inner.name == "CM_GET_KEY.CNF"
    assert by_frame[1].key_source == "NMK from frame 2 (CM_SET_KEY.REQ in CM_ENCRYPTED_PAYLOAD.IND #2)"
    assert by_frame[3].inner is not None and by_frame[3].inner.name == "CM_GET_KEY.REQ"
    kinds = {(k.frame, k.key_type) for k in result.keys}
    assert kinds == {(2, KeyType.NMK), (1, KeyType.NEK)}
    assert all(k.inside_payload for k in result.keys)
    assert "inner=" not in repr(by_frame[1])  # decrypted content stays out of reprs


def test_without_disclosed_keys(tmp_path: Path) -> None:
    path = tmp_path / "chain.pcap"
    chain_capture(path)
    result = scan_capture(path, [CandidateKey(Secret(NMK), KeyType.NMK, "given")], use_disclosed=False)
    names = {p.frame: (p.inner.name if p.inner else None) for p in result.payloads}
    assert names == {1: "CM_GET_KEY.CNF", 2: None, 3: "CM_GET_KEY.REQ"}  # no MAC-default DAK guess either
    result = scan_capture(path, decrypt=False)
    assert all(p.inner is None for p in result.payloads) and result.keys == []


def test_default_nid() -> None:
    assert default_password_of_nid(bytes.fromhex("B0F2E695666B13")) == "HomePlugAV"
    assert default_password_of_nid(bytes.fromhex("026BCBA5354E08")) == "HomePlugAV0123"
    assert default_password_of_nid(bytes(7)) is None
