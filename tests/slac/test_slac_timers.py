"""The timer table: one declaration per setting, the standard's published values, overrides."""

from __future__ import annotations

import pytest

from plcstack.slac.timers import DEFAULT_TIMERS, SOURCES, SlacTimers, markdown_table


def test_every_setting_has_unit_role_meaning_and_source() -> None:
    for s in DEFAULT_TIMERS.table():
        assert s.unit in ("s", "count"), s
        assert s.role in ("EV", "EVSE", "both"), s
        assert s.meaning and s.source, s
        assert s.source.split()[0].rstrip(";") in SOURCES, s


def test_defaults_are_inside_the_standard_ranges() -> None:
    assert DEFAULT_TIMERS.outside_standard() == []


@pytest.mark.parametrize(("name", "value"), [
    # ISO 15118-3 values as pyslac enums.py, EVerest libslac slac.hpp and the MStar header publish them
    ("TT_match_response", 0.2), ("TT_match_sequence", 0.4), ("TT_EV_atten_results", 1.2),
    ("TT_EVSE_match_MNBC", 0.6), ("TT_EVSE_match_session", 10.0), ("TT_match_join", 12.0),
    ("TT_matching_rate", 0.4), ("TT_matching_repetition", 10.0), ("T_step_EF", 4.0),
    ("C_EV_match_retry", 2), ("C_EV_match_MNBC", 10), ("C_EV_start_atten_char_inds", 3),
])
def test_published_values(name: str, value: float) -> None:
    assert DEFAULT_TIMERS.setting(name).value == value


def test_ranges_follow_the_standard() -> None:
    s = DEFAULT_TIMERS.setting("TT_EVSE_SLAC_init")
    assert (s.minimum, s.maximum) == (20.0, 50.0) and s.range_text == "20-50"
    b = DEFAULT_TIMERS.setting("TP_EV_batch_msg_interval")
    assert b.within_standard(0.02) and b.within_standard(0.05) and not b.within_standard(0.001)


def test_overrides_and_their_errors() -> None:
    t = DEFAULT_TIMERS.parse_overrides(["TT_EVSE_SLAC_init=5", "C_EV_match_retry=1"])
    assert t.TT_EVSE_SLAC_init == 5.0 and t.C_EV_match_retry == 1
    assert [s.name for s in t.outside_standard()] == ["TT_EVSE_SLAC_init"]
    with pytest.raises(KeyError, match="TT_nope"):
        DEFAULT_TIMERS.parse_overrides(["TT_nope=1"])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        DEFAULT_TIMERS.parse_overrides(["TT_match_join"])
    with pytest.raises(ValueError, match="not a number"):
        DEFAULT_TIMERS.parse_overrides(["TT_match_join=soon"])
    with pytest.raises(ValueError, match="integer"):
        SlacTimers(C_EV_match_retry=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=">= 0"):
        SlacTimers(TT_match_response=-1)


def test_markdown_table_lists_every_setting() -> None:
    table = markdown_table()
    for name in SlacTimers.names():
        assert f"`{name}`" in table


def test_the_docs_print_this_table() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "slac.md").read_text()
    assert markdown_table() in doc, "docs/slac.md is out of date: paste plcstack.slac.timers.markdown_table()"
