"""Arrow tables of the batch path against tables built frame by frame from the per-frame capture decoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fragment_captures import fragment_capture, write_capture
from hypothesis import HealthCheck, given, settings

pa = pytest.importorskip("pyarrow", reason="columnar export needs the 'arrow' extra")

from plcstack.capture import CaptureDecoder  # noqa: E402
from plcstack.capture.export import to_tables  # noqa: E402
from plcstack.capture.tables import _py, message_schema, table_name  # noqa: E402
from plcstack.codec import RawMessage  # noqa: E402
from plcstack.codec.mac import format_mac  # noqa: E402
from plcstack.codec.registry import all_definitions, definition_of  # noqa: E402


def reference_tables(path: Path) -> dict[str, list[dict[str, Any]]]:
    """What the tables must hold, from CaptureDecoder records (one Python object per frame)."""
    frames: list[dict[str, Any]] = []
    messages: dict[str, list[dict[str, Any]]] = {}

    def add(number: int, frame: Any) -> None:
        if isinstance(frame.message, RawMessage):
            messages.setdefault(frame.name + ".raw", []).append({"frame": number, "body": frame.message.body})
            return
        mdef = definition_of(frame.message)
        row = {"frame": number, **{f.name: _py(f, v) for f, v in zip(mdef.fields, frame.message, strict=True)},
               "trailing": frame.trailing, "truncated": frame.truncated}
        messages.setdefault(table_name(mdef), []).append(row)

    for rec in CaptureDecoder(path):
        d = rec.data
        f, hp = rec.frame, rec.hp10
        h = f if f is not None else rec.header  # fragments and rejected types still have a header
        src = format_mac(d[6:12]) if len(d) >= 12 else None
        dst = format_mac(d[0:6]) if len(d) >= 6 else None
        row = {"frame": rec.index, "time_ns": rec.time_ns, "length": len(d), "src": src, "dst": dst,
               "vlan": h.vlan if h is not None else hp.vlan if hp is not None else None,
               "mmv": h.mmv if h is not None else None, "mmtype": h.mmtype if h is not None else None,
               "name": rec.name,
               "oui": h.oui.hex() if h is not None and h.oui is not None else None,
               "fmi": h.fmi if h is not None else None, "error": _text(rec.error)}
        frames.append(row)
        if f is not None and rec.fragment is None:
            add(rec.index, f)
        if rec.reassembled is not None:
            add(rec.index, rec.reassembled)
    return {"frames": frames, **{k: sorted(v, key=lambda r: r["frame"]) for k, v in messages.items()}}


def _text(err: Any) -> str | None:
    """The error as the tables show it: without "frame N" (the row has the frame number)."""
    if err is None:
        return None
    number, err.frame_index = err.frame_index, None
    text = str(err)
    err.frame_index = number
    return text


def assert_tables_match(path: Path, chunk_bytes: int) -> dict[str, Any]:
    got = to_tables(path, chunk_bytes=chunk_bytes)
    want = reference_tables(path)
    assert set(got) == set(want)
    for name, rows in want.items():
        table = got[name].to_pylist()
        assert len(table) == len(rows), name
        for g, w in zip(table, rows, strict=True):
            if name == "frames" and g["error"] is not None and w["mmv"] is None:
                g["mmv"] = g["mmtype"] = None  # raw header bytes shown where the header did not decode
            assert g == w, (name, g, w)
    return got


@pytest.mark.parametrize("chunk_bytes", [16 << 20, 5000])
def test_tables_match_the_per_frame_decoder(mixed_capture: Path, chunk_bytes: int):
    got = assert_tables_match(mixed_capture, chunk_bytes)
    assert got["frames"].num_rows == 415
    assert "VS_RD_MEM.CNF" in got  # the reassembled message
    assert got["CM_SLAC_PARM.REQ"].schema == message_schema(definition_of(got and _slac()).record)


def _slac() -> Any:
    from plcstack.codec import messages as m

    return m.CM_SLAC_PARM_REQ


def test_tables_of_every_shared_capture(capture_files: list[Path]):
    for path in capture_files:
        assert_tables_match(path, 1 << 16)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=fragment_capture())
def test_tables_match_on_fragment_sequences(tmp_path: Path, records: list) -> None:
    """Both FMI octet orders, VLAN tags, interleaved, lost and repeated pieces, timeouts; chunks cut sequences."""
    path = write_capture(tmp_path / "seq.pcap", records)
    for chunk_bytes in (16 << 20, 3500):
        assert_tables_match(path, chunk_bytes)


def test_table_names_and_schemas_are_distinct():
    names = [table_name(d) for d in all_definitions()]
    assert len(names) == len(set(names))
    assert "VS_NW_INFO.CNF_V0" in names and "CM_SLAC_PARM.REQ" in names
    for d in all_definitions():
        schema = message_schema(d.layout)
        assert schema.names == ["frame", *[f.name for f in d.fields], "trailing", "truncated"]


def test_an_empty_capture_has_an_empty_frames_table(tmp_path: Path):
    path = write_capture(tmp_path / "empty.pcap", [])
    got = assert_tables_match(path, 16 << 20)
    assert got["frames"].num_rows == 0
