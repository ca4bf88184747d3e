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


def test_each_host_link_and_the_power_line_is_an_interface(tmp_path):
    """A frame from one host to the other is on both host links, each its own pcapng interface."""
    from plcstack.codec import encode_frame, make_frame
    from plcstack.emu.recorder import host_link
    from plcstack.pcapio import INBOUND, OUTBOUND, CaptureReader

    a, b = bytes.fromhex("00b05200000a"), bytes.fromhex("00b05200000b")
    path = tmp_path / "links.pcapng"
    rec = PcapRecorder(str(path), links={a: host_link(a, "evse-modem", "m0")}, plc=True)
    pl = PowerLine(recorder=rec, record_plc=True)
    for mac in (a, b):
        pl.add(ModemConfig(mac=mac))
    pl.run_for(2.0)
    parm = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01",
                                   messages.CM_SLAC_PARM_REQ(run_id=bytes(range(8)))))
    pl.send_from_host(a, parm)
    pl.run_for(0.01)
    rec.close()
    reader = CaptureReader(path)
    seen = [(p.interface, p.data, p.time_ns) for p in reader.packets()]
    names = [(i.name, i.description) for i in reader.interfaces]
    reader.close()
    assert names[0] == ("m0", "host link of modem evse-modem 00:b0:52:00:00:0a: inbound = from its host to the "
                              "modem, outbound = from the modem to its host")
    assert names[1][0] == "plc" and names[2][0] == "host-00b05200000b"  # b's link named when first used
    copies = [(i, t) for i, d, t in seen if d == parm]
    assert [i for i, _ in copies] == [0, 2] and copies[1][1] - copies[0][1] == 500_000  # 0.5 ms of power line
    assert {decode_frame(d).name for i, d, _ in seen if i == 1} >= {"CC_ASSOC.REQ", "CC_ASSOC.CNF"}
    flags = subprocess_directions(path)
    if flags is not None:
        assert flags[:1] == [INBOUND] and OUTBOUND in flags


def subprocess_directions(path: Path) -> list[int] | None:
    """epb_flags directions of the host-link packets as tshark reads them (None without tshark)."""
    import shutil
    import subprocess

    if shutil.which("tshark") is None:
        return None
    out = subprocess.run(["tshark", "-r", str(path), "-Y", "frame.interface_id != 1", "-T", "fields",
                          "-e", "frame.packet_flags_direction"], capture_output=True, text=True, timeout=60).stdout
    return [int(x, 0) for x in out.split()]
