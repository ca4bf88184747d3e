"""plcstack slac evse|pev: usage errors are messages with exit 2; the report of a failed run."""

from __future__ import annotations

import pytest
from slac_helpers import bench_pair, two_modem_line

from plcstack.cli import main
from plcstack.slac.report import format_report, session_report


@pytest.mark.parametrize("argv", [
    ["slac", "pev"],
    ["slac", "pev", "-i", "lo", "--timer", "TT_bogus=1"],
    ["slac", "pev", "-i", "lo", "--timer", "TT_match_join=soon"],
    ["slac", "evse", "-i", "lo", "--nmk", "1234"],
    ["slac", "evse", "-i", "lo", "--password", "x", "--nmk", "00" * 16],
    ["slac", "evse", "-i", "lo", "--amp-map", "zz"],
    ["slac", "evse", "-i", "lo", "--evse-id", "X" * 18],
    ["slac", "pev", "-i", "no-such-if0"],
])
def test_usage_errors_exit_2_without_a_traceback(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own errors
        rc = int(exc.code or 0)
    assert rc == 2
    err = capsys.readouterr().err
    assert err and "Traceback" not in err


def test_a_bad_site_file_is_named_once(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "garage.toml"
    site.write_text("not toml [[")
    assert main(["slac", "crosstalk", str(site)]) == 2
    err = capsys.readouterr().err
    assert err.count(str(site)) == 1 and "not valid TOML" in err
    site.write_text('[site]\ngrid = "XX"\n')
    assert main(["slac", "crosstalk", str(site)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"plcstack slac: {site}: ") and "grid" in err


def test_help_teaches_the_modes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["slac", "--help"])
    out = capsys.readouterr().out
    for mode in ("slac evse", "slac pev", "slac crosstalk", "slac CAPTURE", "exit 0 when matched"):
        assert mode in out


def test_report_of_a_failed_run_names_the_step() -> None:
    bench, evse, pev = bench_pair(two_modem_line(attenuation_db=45.0))
    bench.run(until=30.0, stop=lambda: pev.done)
    rep = session_report("PEV", pev.mac, bench.trace(pev), pev.started_at)
    assert rep["result"] == "CM_ATTEN_CHAR" and "threshold" in rep["reason"] and rep["processes"] == 3
    assert len(rep["failures"]) == 3 and rep["failures"][-1]["final"]
    text = format_report(rep)
    assert "NOT matched, stopped at CM_ATTEN_CHAR" in text and "starting again" in text
    ok_bench, ok_evse, ok_pev = bench_pair()
    ok_bench.run(until=20.0)
    good = session_report("EVSE", ok_evse.mac, ok_bench.trace(ok_evse), ok_evse.started_at)
    assert good["result"] == "matched" and good["peer"] == ok_pev.mac.hex(":")
    assert "matched with EV" in format_report(good)
