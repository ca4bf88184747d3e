"""``plcstack decode`` (plcstack/cli/decode.py): exit codes, streams, views, pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pcap_builders import T0, pcap_bytes

from plcstack.cli import main
from plcstack.codec import encode
from plcstack.codec import messages as m
from plcstack.samples import realistic_mix

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["decode", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def mix(tmp_path: Path, n: int = 200, seed: int = 2) -> Path:
    path = tmp_path / "mix.pcap"
    path.write_bytes(pcap_bytes([(T0 + i, 0, f) for i, (_, f) in enumerate(realistic_mix(n, seed=seed))]))
    return path


def test_unusable_inputs_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"GIF89a not a capture")
    for argv, needle in (([str(tmp_path / "nope.pcap")], "no such file"), ([str(tmp_path)], "is a directory"),
                         ([str(junk)], "not a pcap/pcapng file"), ([], "no capture given"),
                         (["-", "-"], "only once")):
        code, out, err = run(capsys, *argv)
        assert code == 2 and needle in err and "Traceback" not in err and out == "", argv


def test_cut_file_summary_then_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = mix(tmp_path, 50).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-7])
    code, out, err = run(capsys, str(cut), "--stats")
    assert code == 2 and "HomePlug frames: 49" in out and "truncated capture" in err and "byte offset" in err
    code, out, err = run(capsys, str(cut), "--json")
    assert code == 2 and len(out.splitlines()) == 49 and "# 49 HomePlug frames" in err


def test_bad_options_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = mix(tmp_path, 10)
    code, _, err = run(capsys, str(path), "--type", "CM_SLAC_PARAMS")
    assert code == 2 and "did you mean CM_SLAC_PARM" in err
    code, _, err = run(capsys, str(path), "--filter", "nid ==")
    assert code == 2 and "bad filter" in err
    code, _, err = run(capsys, str(path), "--src", "00:11:22")
    assert code == 2 and "MAC" in err


def test_json_verify_keeps_the_summary_out_of_the_frame_stream(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    path = mix(tmp_path)
    code, out, err = run(capsys, str(path), "--json", "--verify", "--summary", str(tmp_path / "s.json"))
    objs = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(objs) == 200 and all("frame" in o and "summary" not in o for o in objs)
    summary = json.loads(err.splitlines()[-1])["summary"]
    assert summary["verify_mismatches"] == 0 and summary["homeplug_frames"] == 200
    assert json.loads((tmp_path / "s.json").read_text())["homeplug_frames"] == 200
    code, out, _ = run(capsys, str(path), "--json", "--stats", "--type", "SLAC")
    summary = json.loads(out)["summary"]
    assert summary["filtered"] + summary["shown"] == 200 and sum(summary["by_type"].values()) == summary["shown"]


def test_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, str(mix(tmp_path, 60, seed=3)), "--json", "-V")
    objs = [json.loads(x) for x in out.splitlines()]
    keys = {"frame", "time", "time_ns", "time_relative", "kind", "len", "src", "dst", "vlan", "mmv", "mmtype",
            "name", "oui", "fmi", "fields", "error", "tree"}
    assert all(keys <= set(o) for o in objs)
    assert objs[0]["time"] == f"{T0}.000000000" and objs[1]["time_relative"] == "1.000000000"
    match = next(o for o in objs if o["name"] == "CM_SLAC_MATCH.CNF")
    assert len(match["fields"]["nmk"]) == 32 and ":" in match["fields"]["pev_mac"]
    assert match["tree"][0]["path"] == "eth.dst"


def test_time_formats_and_views(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = mix(tmp_path, 5)
    _, out, _ = run(capsys, str(path), "-t", "e")
    assert out.splitlines()[1].split()[1] == f"{T0 + 1}.000000"
    _, out, _ = run(capsys, str(path), "-t", "d", "--type", "VS")
    assert all(line.split()[1] in ("0.000000", "1.000000", "2.000000", "3.000000", "4.000000")
               for line in out.splitlines())
    _, out, _ = run(capsys, str(path), "-V", "-x", "-c", "1")
    assert out.startswith("Frame 1: ") and "Ethernet\n" in out and "\n0000  " in out


def test_several_files_get_a_header_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    a = mix(tmp_path, 3)
    b = tmp_path / "b.pcap"
    b.write_bytes(a.read_bytes())
    code, out, _ = run(capsys, str(a), "-r", str(b))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"# {b}" and lines[4] == f"# {a}" and len(lines) == 8


def test_a_pipe_prints_each_frame_as_soon_as_it_is_complete(tmp_path: Path) -> None:
    """``tcpdump -U -w - | plcstack decode - -l``: the first line appears while the pipe stays open."""
    frames = [encode("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", m.CM_SLAC_PARM_REQ(run_id=bytes([i]) * 8))
              for i in range(2)]
    data = pcap_bytes([(T0, 0, frames[0]), (T0 + 1, 0, frames[1])])
    first = 24 + 16 + len(frames[0])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    p = subprocess.Popen([sys.executable, "-m", "plcstack", "decode", "-", "-l"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.stdin is not None and p.stdout is not None
    try:
        p.stdin.write(data[:first])
        p.stdin.flush()
        t0 = time.monotonic()
        line = p.stdout.readline()  # blocks until the decoder prints: the pipe is still open
        assert b"CM_SLAC_PARM.REQ run_id=0000000000000000" in line and time.monotonic() - t0 < 30
        p.stdin.write(data[first:])
        p.stdin.close()
        rest = p.stdout.read()
        assert b"run_id=0101010101010101" in rest
        assert p.wait(30) == 0
    finally:
        if p.poll() is None:
            p.kill()


def test_write_saves_the_frames_shown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``-w FILE`` (tshark's habit): the shown frames go to a nanosecond pcap; -w over an input is refused."""
    src = mix(tmp_path, 120)
    out = tmp_path / "slac.pcap"
    code, text, _ = run(capsys, str(src), "--type", "SLAC", "-w", str(out), "--stats")
    assert code == 0
    code, again, _ = run(capsys, str(out), "--json")
    saved = [json.loads(line) for line in again.splitlines()]
    code, orig, _ = run(capsys, str(src), "--type", "SLAC", "--json")
    shown = [json.loads(line) for line in orig.splitlines()]
    assert saved and [(o["time_ns"], o["name"], o["fields"]) for o in saved] == [
        (o["time_ns"], o["name"], o["fields"]) for o in shown]
    code, _, err = run(capsys, str(out), "-w", str(out))
    assert code == 2 and "overwrite an input" in err
    code, _, err = run(capsys, str(src), "-w", str(tmp_path / "no" / "such" / "dir.pcap"))
    assert code == 2 and "cannot write" in err
