"""plcstack.capture.inputs: link layers (Ethernet, SLL, SLL2, FCS), gzip, stdin, several files, errors."""

from __future__ import annotations

import errno
import gzip
import io
import subprocess
import sys
from pathlib import Path

import pytest
from pcap_builders import T0, ng_epb, ng_idb, ng_shb, pcap_bytes, sll2_packet, sll_packet, with_fcs

from plcstack.capture import CaptureDecoder, ethernet_frame, input_error_text, open_input
from plcstack.codec import encode
from plcstack.codec import messages as m
from plcstack.pcapio import CaptureFormatError, CaptureReader, PacketRecord

PEV, EVSE = "02:00:00:00:00:01", "02:00:00:00:00:02"
RUN_ID = bytes.fromhex("0250455600010001")


def slac_frames() -> list[bytes]:
    return [encode("ff:ff:ff:ff:ff:ff", PEV, m.CM_SLAC_PARM_REQ(run_id=RUN_ID)),
            encode(PEV, EVSE, m.CM_SLAC_PARM_CNF(run_id=RUN_ID, msound_target=b"\xff" * 6, num_sounds=10,
                                                 time_out=6, forwarding_sta=bytes.fromhex("020000000001"))),
            encode(EVSE, PEV, m.CM_SLAC_MATCH_REQ(run_id=RUN_ID, pev_mac=bytes.fromhex("020000000001"),
                                                  evse_mac=bytes.fromhex("020000000002")))]


def decode_bytes(data: bytes, **kw: object) -> tuple[list, CaptureDecoder]:
    dec = CaptureDecoder(io.BytesIO(data), **kw)  # type: ignore[arg-type]
    return list(dec), dec


def pkt(data: bytes, linktype: int, orig: int | None = None, fcs: int = 0) -> PacketRecord:
    return PacketRecord(1, 0, data, 0, len(data), len(data) if orig is None else orig, linktype, fcs, 0)


def test_ethernet_plain_and_with_fcs() -> None:
    f = slac_frames()[0]
    assert ethernet_frame(pkt(f, 1)).data == f  # type: ignore[union-attr]
    link = ethernet_frame(pkt(with_fcs(f), 1, fcs=4))
    assert link is not None and link.data == f and link.fcs == with_fcs(f)[-4:] and link.orig_len == len(f)
    assert not link.cut
    cut = ethernet_frame(pkt(with_fcs(f)[:40], 1, orig=len(f) + 4, fcs=4))  # snaplen 40: FCS not captured
    assert cut is not None and cut.data == f[:40] and cut.fcs is None and cut.cut and cut.orig_len == len(f)
    assert ethernet_frame(pkt(f, 105)) is None


def test_linux_cooked_v1_and_v2() -> None:
    f = slac_frames()[1]
    for packet, lt in ((sll_packet(f), 113), (sll2_packet(f), 276)):
        link = ethernet_frame(pkt(packet, lt))
        assert link is not None and link.data[6:] == f[6:] and link.data[:6] == bytes(6) and not link.dst_known
        assert link.orig_len == len(f)
    bcast = ethernet_frame(pkt(sll_packet(slac_frames()[0], pkttype=1), 113))
    assert bcast is not None and bcast.dst_known and bcast.data == slac_frames()[0]
    out = ethernet_frame(pkt(sll2_packet(f, pkttype=4), 276))
    assert out is not None and out.outgoing is True
    assert ethernet_frame(pkt(b"\0" * 10, 113)).data == b""  # type: ignore[union-attr]


def test_decoder_reads_sll_sll2_fcs_and_qinq_captures() -> None:
    frames = slac_frames()
    sll = pcap_bytes([(T0, i, sll_packet(f)) for i, f in enumerate(frames)], linktype=113)
    sll2 = pcap_bytes([(T0, i, sll2_packet(f)) for i, f in enumerate(frames)], linktype=276)
    fcs = pcap_bytes([(T0, i, with_fcs(f)) for i, f in enumerate(frames)], linktype=1 | 0x04000000 | 2 << 28)
    for data in (sll, sll2):
        recs, dec = decode_bytes(data, verify=True)
        assert [r.name for r in recs] == ["CM_SLAC_PARM.REQ", "CM_SLAC_PARM.CNF", "CM_SLAC_MATCH.REQ"]
        assert recs[2].frame.message.run_id == RUN_ID and all(not r.dst_known for r in recs)
        assert dec.stats.mismatches == 0 and dec.stats.errors == 0
    recs, dec = decode_bytes(fcs, verify=True)
    assert [r.fcs_ok for r in recs] == [True] * 3 and all(r.frame.trailing is not None for r in recs)
    assert recs[0].data == frames[0] and dec.stats.fcs_errors == 0 and dec.stats.mismatches == 0
    bad = bytearray(with_fcs(frames[0]))
    bad[-1] ^= 1
    recs, dec = decode_bytes(pcap_bytes([(T0, 0, bytes(bad))], linktype=1 | 0x04000000 | 2 << 28))
    assert recs[0].fcs_ok is False and dec.stats.fcs_errors == 1
    qinq = encode("ff:ff:ff:ff:ff:ff", PEV, m.CM_SLAC_PARM_REQ(run_id=RUN_ID), vlan=[(0x88A8, 100), (0x8100, 0x2005)])
    dbl = encode("ff:ff:ff:ff:ff:ff", PEV, m.CM_SLAC_PARM_REQ(run_id=RUN_ID), vlan=[(0x8100, 7), (0x8100, 8)])
    recs, _ = decode_bytes(pcap_bytes([(T0, 0, qinq), (T0, 1, dbl)]))
    assert [t.vid for t in recs[0].frame.vlan_tags] == [100, 5] and [t.vid for t in recs[1].frame.vlan_tags] == [7, 8]


def test_pcapng_if_fcslen_and_unsupported_link_types_are_counted() -> None:
    f = slac_frames()[0]
    e = "<"
    data = (ng_shb(e) + ng_idb(e, 1, fcslen=4) + ng_idb(e, 105) + ng_epb(e, 0, 1, with_fcs(f), orig_len=len(f) + 4)
            + ng_epb(e, 1, 2, b"\x80" * 40) + ng_epb(e, 1, 3, b"\x80" * 40))
    recs, dec = decode_bytes(data)
    assert len(recs) == 1 and recs[0].fcs_ok and recs[0].data == f
    assert dec.stats.unsupported_linktypes == {105: 2} and dec.stats.packets == 3
    assert dec.stats.warnings() == ["2 packet(s) of unsupported link type 105 (IEEE802_11) skipped"]


def test_snaplen_cut_frames_are_flagged_not_truncated() -> None:
    f = slac_frames()[1]
    data = pcap_bytes([(T0, 0, f[:30])], orig_lens=[len(f)])
    recs, dec = decode_bytes(data, verify=True)
    assert recs[0].cut and recs[0].orig_len == len(f) and dec.stats.cut == 1 and dec.stats.truncated == 0
    assert dec.stats.mismatches == 0  # a cut frame is not re-encoded against its missing bytes


def test_gzip_several_files_and_stdin(tmp_path: Path) -> None:
    frames = slac_frames()
    a, b = tmp_path / "a.pcap.gz", tmp_path / "b.pcap"
    a.write_bytes(gzip.compress(pcap_bytes([(T0, 0, frames[0]), (T0, 5, frames[1])])))
    b.write_bytes(pcap_bytes([(T0 + 9, 0, b"\x01" * 60), (T0 + 10, 0, frames[2])]))
    recs = list(CaptureDecoder([a, b]))
    assert [(r.file, r.index) for r in recs] == [(str(a), 1), (str(a), 2), (str(b), 2)]
    assert recs[2].rel_ns == 1_000_000_000  # relative to the first packet of its own file
    code = ("import sys; from plcstack.capture import CaptureDecoder\n"
            "print([r.name for r in CaptureDecoder('-')])\n")
    out = subprocess.run([sys.executable, "-c", code], input=b.read_bytes(), capture_output=True, timeout=60)
    assert out.stdout.strip() == b"['CM_SLAC_MATCH.REQ']"


def test_open_input_errors_are_worded_for_users(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as nf:
        open_input(tmp_path / "missing.pcap")
    assert input_error_text(nf.value) == f"{tmp_path / 'missing.pcap'}: no such file"
    with pytest.raises(IsADirectoryError) as isdir:
        open_input(tmp_path)
    assert input_error_text(isdir.value).endswith("is a directory, not a capture file")
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"this is not a capture")
    with pytest.raises(CaptureFormatError) as bad:
        open_input(junk)
    assert input_error_text(bad.value).startswith(f"{junk}: not a pcap/pcapng file")
    denied = PermissionError(errno.EACCES, "Permission denied", "/root/x.pcap")
    assert input_error_text(denied) == "/root/x.pcap: permission denied"


def test_a_cut_file_gives_everything_before_the_cut_then_the_offset(tmp_path: Path) -> None:
    frames = slac_frames()
    data = pcap_bytes([(T0, i, f) for i, f in enumerate(frames)])
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-10])
    good = tmp_path / "good.pcap"
    good.write_bytes(data)
    dec = CaptureDecoder([cut, good])
    got = []
    with pytest.raises(CaptureFormatError) as info:
        for rec in dec:
            got.append(rec.index)
    assert got == [1, 2, 1, 2, 3]  # the cut file's complete records, then the next file entirely
    assert info.value.source == str(cut) and info.value.offset == 24 + 2 * 16 + len(frames[0]) + len(frames[1])
    assert dec.stats.homeplug == 5 and dec.stats.files == 2 and dec.stats.elapsed_s > 0


def test_live_source_protocol_is_what_the_reader_offers() -> None:
    with CaptureReader(io.BytesIO(pcap_bytes([(T0, 0, slac_frames()[0])]))) as reader:
        recs = list(CaptureDecoder(reader))
    assert [r.name for r in recs] == ["CM_SLAC_PARM.REQ"]
