"""A capture with every kind of record the batch path must handle, built here (no ``../shared`` needed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from plcstack.codec import encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.fragment import fragment
from plcstack.codec.hp10 import HP10Entry, HP10Frame, encode_hp10
from plcstack.pcapio import write_pcap
from plcstack.samples import realistic_mix

HOST, MODEM = "02:00:00:00:00:01", "00:b0:52:00:00:01"


def mixed_frames() -> list[bytes]:
    """Realistic traffic plus fragments, HomePlug 1.0, VLAN tags, corrupted and cut frames, other protocols."""
    frames = [f for _t, f in realistic_mix(400, seed=3)]
    big = m.VS_RD_MEM_CNF(length=3000, data=bytes(range(256)) * 11 + bytes(184))
    frames += fragment(make_frame(MODEM, HOST, big, mmv=1), fmsn=9)
    frames.append(encode_hp10(HP10Frame(b"\xff" * 6, bytes.fromhex("020000000001"), None, 0,
                                        [HP10Entry(0, 0x07, b""), HP10Entry(1, 0x04, bytes(9))], bytes(20))))
    frames.append(bytes.fromhex("ffffffffffff020000000001887b05"))  # HomePlug 1.0, entries missing
    slac = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", HOST, m.CM_SLAC_PARM_REQ(run_id=bytes(range(8)))))
    tagged = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", HOST, m.CM_SLAC_PARM_REQ(run_id=b"\x01" * 8), vlan=0x2005))
    sw = encode_frame(make_frame(MODEM, HOST, m.VS_SW_VER_CNF(device_class=0x20, version_length=5,
                                                              version=b"1.2.3".ljust(254, b"\0"))))
    atten = encode_frame(make_frame(HOST, MODEM, m.CM_ATTEN_PROFILE_IND(pev_mac=bytes(6), num_groups=58,
                                                                        aag=bytes(range(58)))))
    frames += [tagged, tagged[:30], sw[:40], atten[:50], slac[:16], slac[:12]]
    for pos in (14, 15, 16):  # bit errors in MMV and MMTYPE
        bad = bytearray(slac)
        bad[pos] ^= 0x10
        frames.append(bytes(bad))
    bad_oui = bytearray(sw)
    bad_oui[18] ^= 0x01
    frames.append(bytes(bad_oui))
    frames.append(bytes.fromhex("ffffffffffff020000000001" "0800") + bytes(46))  # IPv4
    frames.append(bytes.fromhex("ffffffffffff020000000001" "88a8000781000005") + slac[12:])  # QinQ
    return frames


@pytest.fixture(scope="session")
def mixed_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "mixed.pcap"
    frames = mixed_frames()
    write_pcap(path, ((1_700_000_000 + i * 0.001_25, f) for i, f in zip(itertools.count(), frames)))
    return path
