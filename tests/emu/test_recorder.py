"""--pcap recording (plcstack.emu.recorder), frames written as they go."""

from __future__ import annotations

from pathlib import Path

from emu_helpers import req

from plcstack.codec import decode_frame, messages
from plcstack.emu import ModemConfig, PowerLine
from plcstack.emu.recorder import PcapRecorder
from plcstack.pcapio import open_capture

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples" / "emu").glob("*.toml"))




def test_pcap_recorder_writes_host_frames(tmp_path):
    rec = PcapRecorder(str(tmp_path / "x.pcap"), epoch=1000.0)
    pl = PowerLine(recorder=rec)
    pl.add(ModemConfig(mac=bytes.fromhex("00b05200000a")))
    pl.run_for(1.0)
    pl.request(bytes.fromhex("00b05200000a"), req(messages.VS_SW_VER_REQ(cookie=5)))
    rec.close()
    frames = [(ts, bytes(buf[off:off + n])) for _, ts, buf, off, n, _ in open_capture(str(tmp_path / "x.pcap"))]
    assert [decode_frame(f).name for _, f in frames] == ["VS_SW_VER.REQ", "VS_SW_VER.CNF"]
    assert frames[0][0] >= 1000.0


def test_pcap_can_record_the_power_line_management_messages(tmp_path):
    rec = PcapRecorder(str(tmp_path / "plc.pcap"))
    pl = PowerLine(recorder=rec, record_plc=True)
    for mac in ("00b05200000a", "00b05200000b"):
        pl.add(ModemConfig(mac=bytes.fromhex(mac)))
    pl.run_for(2.0)
    rec.close()
    names = {decode_frame(bytes(b[o:o + n])).name for _, _, b, o, n, _ in open_capture(str(tmp_path / "plc.pcap"))}
    assert {"CM_UNASSOCIATED_STA.IND", "CC_ASSOC.REQ", "CC_ASSOC.CNF", "CM_ENCRYPTED_PAYLOAD.IND",
            "CC_SET_TEI_MAP.IND"} <= names


def test_pcap_is_written_as_it_goes(tmp_path):
    path = tmp_path / "live.pcap"
    rec = PcapRecorder(str(path))
    pl = PowerLine(recorder=rec)
    mac = bytes.fromhex("00b05200000a")
    pl.add(ModemConfig(mac=mac))
    pl.run_for(1.5)
    pl.request(mac, req(messages.VS_SW_VER_REQ(cookie=5)))
    # still open: both frames are already in the file (flushed per frame)
    names = [decode_frame(bytes(b[o:o + n])).name for _, _, b, o, n, _ in open_capture(str(path))]
    assert names == ["VS_SW_VER.REQ", "VS_SW_VER.CNF"]
    rec.close()
