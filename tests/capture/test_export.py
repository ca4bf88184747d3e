"""``plcstack decode --parquet/--csv/--stats`` and ``to_tables``/``to_pandas``."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from plcstack.capture import CaptureDecoder
from plcstack.cli import main

pa = pytest.importorskip("pyarrow", reason="columnar export needs the 'arrow' extra")
pq = pytest.importorskip("pyarrow.parquet")


def test_parquet_export_writes_frames_and_one_file_per_type(mixed_capture: Path, tmp_path: Path, capsys):
    from plcstack.capture import to_tables

    out = tmp_path / "pq"
    assert main(["decode", str(mixed_capture), "--parquet", str(out)]) == 0
    assert "HomePlug frames" in capsys.readouterr().err
    files = {p.name for p in out.iterdir()}
    assert {"frames.parquet", "CM_SLAC_PARM.REQ.parquet", "VS_NW_INFO.CNF.parquet", "CM_ATTEN_CHAR.IND.parquet",
            "VS_RD_MEM.CNF.parquet"} <= files
    tables = to_tables(mixed_capture)
    assert files == {f"{name}.parquet" for name in tables}
    for name, table in tables.items():
        assert pq.read_table(out / f"{name}.parquet").to_pylist() == table.to_pylist(), name
    frames = pq.read_table(out / "frames.parquet")
    assert frames.column_names == ["frame", "time_ns", "length", "src", "dst", "vlan", "mmv", "mmtype", "name",
                                   "oui", "fmi", "error"]
    slac = pq.read_table(out / "CM_SLAC_PARM.REQ.parquet").to_pylist()
    assert slac[0]["run_id"] and slac[0]["cipher_suites"] is None
    nw = pq.read_table(out / "VS_NW_INFO.CNF.parquet")
    assert pa.types.is_list(nw.schema.field("networks").type)  # arrays as list columns


def test_parquet_files_are_written_in_row_groups(mixed_capture: Path, tmp_path: Path, monkeypatch):
    from plcstack.capture import export

    monkeypatch.setattr(export, "FLUSH_ROWS", 100)
    export.export(mixed_capture, tmp_path, chunk_bytes=4000)
    meta = pq.ParquetFile(tmp_path / "frames.parquet").metadata
    assert meta.num_row_groups > 1 and meta.num_rows == 415


def test_csv_export(mixed_capture: Path, tmp_path: Path):
    out = tmp_path / "csv"
    assert main(["decode", str(mixed_capture), "--csv", str(out), "--no-progress"]) == 0
    with open(out / "frames.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 415 and rows[0]["name"] and rows[0]["src"].count(":") == 5
    with open(out / "VS_NW_INFO.CNF.csv", newline="") as fh:
        nw = next(csv.DictReader(fh))
    networks = json.loads(nw["networks"])
    assert networks[0]["stations"] and len(networks[0]["nid"]) == 14  # bytes as hex inside the JSON too
    with open(out / "CM_SLAC_PARM.REQ.csv", newline="") as fh:
        slac = next(csv.DictReader(fh))
    assert len(slac["run_id"]) == 16 and int(slac["frame"]) > 0


def test_stats_through_the_batch_path_equal_the_per_frame_path(mixed_capture: Path, capsys):
    assert main(["decode", str(mixed_capture), "--stats", "--json"]) == 0
    batch = json.loads(capsys.readouterr().out)["summary"]
    decoder = CaptureDecoder(mixed_capture)
    for _ in decoder:
        pass
    per_frame = decoder.stats.as_dict()
    for d in (batch, per_frame):
        d.pop("elapsed_s")
        d.pop("frames_per_s")
    assert batch == per_frame
    assert main(["decode", str(mixed_capture), "--stats"]) == 0
    text = capsys.readouterr().out
    assert "HomePlug frames: 415" in text and "reassembled: 1" in text


def test_to_pandas(mixed_capture: Path):
    pytest.importorskip("pandas")
    from plcstack.capture import to_pandas

    dfs = to_pandas(mixed_capture)
    assert len(dfs["frames"]) == 415
    assert dfs["frames"]["frame"].is_monotonic_increasing
    assert set(dfs["CM_MNBC_SOUND.IND"].columns) >= {"frame", "cnt", "run_id", "trailing"}


def test_missing_pyarrow_names_the_extra(mixed_capture: Path, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    assert main(["decode", str(mixed_capture), "--parquet", str(tmp_path / "x")]) == 2
    assert "plcstack[arrow]" in capsys.readouterr().err
    assert main(["decode", str(mixed_capture), "--stats"]) == 0  # the core does not need it


@pytest.mark.parametrize("extra", [["--type", "CM_SLAC_PARM"], ["--verify"], ["--csv", "y"]])
def test_export_refuses_options_it_cannot_honour(mixed_capture: Path, tmp_path: Path, capsys, extra):
    assert main(["decode", str(mixed_capture), "--parquet", str(tmp_path / "x"), *extra]) == 2
    assert "--parquet/--csv" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--stats"], ["--parquet", "OUT"]])
def test_bad_inputs_are_a_message_and_exit_2(tmp_path: Path, capsys, flag):
    flag = [str(tmp_path / "out") if f == "OUT" else f for f in flag]
    for bad in (tmp_path / "missing.pcap", tmp_path):
        assert main(["decode", str(bad), *flag]) == 2
        err = capsys.readouterr().err
        assert err.startswith("plcstack decode:") and "Traceback" not in err
    junk = tmp_path / "junk.pcap"
    junk.write_bytes(b"not a capture at all")
    assert main(["decode", str(junk), *flag]) == 2
    assert "not a pcap" in capsys.readouterr().err


def test_cut_capture_is_summarised_then_named(mixed_capture: Path, tmp_path: Path, capsys):
    from plcstack.capture import export

    cut = tmp_path / "cut.pcap"
    cut.write_bytes(mixed_capture.read_bytes()[:-7])
    assert export.run_cli(_args(cut, stats=True, json=True)) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["summary"]["homeplug_frames"] > 400 and "truncated capture" in err
    assert export.run_cli(_args(cut, parquet=str(tmp_path / "pq"))) == 2
    assert pq.read_table(tmp_path / "pq" / "frames.parquet").num_rows > 400
    assert "truncated capture" in capsys.readouterr().err


def _args(capture: Path, **kw: object) -> object:
    import argparse

    base = {"capture": str(capture), "stats": False, "json": False, "parquet": None, "csv": None, "type": None,
            "verify": False, "no_progress": True}
    return argparse.Namespace(**{**base, **kw})


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_an_empty_capture_writes_an_empty_frames_file(tmp_path: Path, capsys, fmt: str):
    from plcstack.pcapio import PcapWriter

    path = tmp_path / "empty.pcap"
    with PcapWriter(path):
        pass
    out = tmp_path / "out"
    assert main(["decode", str(path), f"--{fmt}", str(out)]) == 0
    assert "0 HomePlug frames and 0 message tables" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [f"frames.{fmt}"]
    if fmt == "parquet":
        table = pq.read_table(out / "frames.parquet")
        assert table.num_rows == 0 and table.column_names[:3] == ["frame", "time_ns", "length"]


def test_parquet_compression_is_chosen_and_checked(mixed_capture: Path, tmp_path: Path, capsys):
    out = tmp_path / "lz4"
    assert main(["decode", str(mixed_capture), "--parquet", str(out), "--compression", "lz4"]) == 0
    meta = pq.ParquetFile(out / "frames.parquet").metadata
    assert meta.row_group(0).column(0).compression.upper().startswith("LZ4")
    assert pq.read_table(out / "frames.parquet").num_rows == 415
    capsys.readouterr()
    assert main(["decode", str(mixed_capture), "--csv", str(tmp_path / "c"), "--compression", "lz4"]) == 2
    assert "--compression applies to --parquet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["decode", str(mixed_capture), "--parquet", str(tmp_path / "x"), "--compression", "brotli9"])
    assert exc.value.code == 2


@pytest.mark.parametrize("json_out", [False, True])
def test_a_cut_capture_prints_the_same_through_either_path(mixed_capture: Path, tmp_path: Path, capsys,
                                                           monkeypatch, json_out: bool):
    """A classic pcap cut mid-record takes the batch path (its header is all --stats needs to know);
    what it prints is what the per-frame path prints."""
    import re

    from plcstack.cli import decode as decode_cli

    cut = tmp_path / "cut.pcap"
    cut.write_bytes(mixed_capture.read_bytes()[:-7])
    assert decode_cli._batch_path(_stats_namespace(cut), [str(cut)])  # type: ignore[arg-type]

    def run() -> tuple[str, str]:
        assert main(["decode", str(cut), "--stats", "--no-progress", *(["--json"] if json_out else [])]) == 2
        out, err = capsys.readouterr()
        return re.sub(r'("elapsed_s"|"frames_per_s"): [0-9.e-]+|elapsed: .*', "", out), err

    batch = run()
    monkeypatch.setattr(decode_cli, "_batch_path", lambda args, files: False)
    assert run() == batch
    assert "truncated capture" in batch[1]


def _stats_namespace(capture: Path) -> object:
    import argparse

    return argparse.Namespace(interface=None, write=None, parquet=None, csv=None, stats=True, verify=False,
                              type=None, src=None, dst=None, filter=None, capture=[str(capture)], read=[])
