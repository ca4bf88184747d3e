"""plcstack.capture.displayfilter: tokenizer, recursive-descent parser, evaluation; never eval()."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plcstack.capture.displayfilter import (
    And,
    DisplayFilterError,
    FieldValue,
    Not,
    Or,
    Path,
    Relation,
    parse_display_filter,
)

NID = bytes.fromhex("026bcba5354e08")
FIELDS: dict[Path, list[FieldValue]] = {
    ("nid",): [FieldValue(NID)],
    ("result",): [FieldValue(1, "FAILURE")],
    ("name",): [FieldValue("CM_SLAC_MATCH.CNF")],
    ("src",): [FieldValue(bytes.fromhex("00b052000001"))],
    ("stations", "mac"): [FieldValue(bytes.fromhex("020000000001")), FieldValue(bytes.fromhex("020000000002"))],
    ("stations", 1, "mac"): [FieldValue(bytes.fromhex("020000000002"))],
    ("version",): [FieldValue("MAC-QCA7420-1.4.0.20-00-20171027-CS")],
    ("time_out",): [FieldValue(6)],
    ("atten",): [FieldValue(28.5)],
}


def ok(text: str) -> bool:
    return parse_display_filter(text).matches(lambda path: FIELDS.get(path))


def test_the_example_of_the_help() -> None:
    assert ok("nid == 0x026bcba5354e08 and result != 0")
    assert not ok("nid == 0x026bcba5354e08 and result == 0")
    assert ok("nid == 02:6b:cb:a5:35:4e:08") and ok("nid > 0x026bcba5354e07") and not ok("nid == 0x026b")


def test_relations_and_literals() -> None:
    assert ok("time_out == 6") and ok("time_out eq 6") and ok("time_out >= 6") and ok("time_out le 6")
    assert not ok("time_out > 6") and ok("time_out < 7") and ok("time_out != 5") and ok("time_out ne 5")
    assert ok("atten > 28") and ok("atten < 28.6") and not ok("atten >= 29.0")
    assert ok("src == 00:b0:52:00:00:01") and ok("src == 00-b0-52-00-00-01") and ok("src == 0xb052000001")
    assert ok('name == "CM_SLAC_MATCH.CNF"') and ok("name == 'CM_SLAC_MATCH.CNF'") and ok('name contains "SLAC"')
    assert ok('version contains "QCA7420"') and not ok('version contains "QCA7000"')
    assert ok("src contains b0:52") and not ok("src contains 52:b0")


def test_value_names_compare_with_strings() -> None:
    assert ok('result == "FAILURE"') and ok('result == "failure"') and not ok('result == "SUCCESS"')
    assert ok('result != "SUCCESS"') and ok('result contains "fail"')


def test_several_values_any_and_not_equal_means_none() -> None:
    assert ok("stations.mac == 02:00:00:00:00:01") and ok("stations.mac == 02:00:00:00:00:02")
    assert not ok("stations.mac != 02:00:00:00:00:01")  # one station has it
    assert ok("stations.mac != 02:00:00:00:00:03")
    assert ok("stations[1].mac == 02:00:00:00:00:02") and not ok("stations[1].mac == 02:00:00:00:00:01")


def test_absent_fields_make_every_relation_false_and_presence_tests() -> None:
    assert not ok("missing == 1") and not ok("missing != 1") and not ok("missing < 1")
    assert ok("not missing") and ok("nid") and ok("!missing") and not ok("missing")


def test_precedence_grouping_and_words() -> None:
    assert ok("result == 1 or missing == 1 and time_out == 5")  # and binds tighter
    assert not ok("(result == 1 or missing == 1) and time_out == 5")
    assert ok("not (time_out == 5) && (result == 1 || missing)")
    assert ok("NOT missing AND time_out == 6")
    f = parse_display_filter("a == 1 or b == 2 and not c")
    assert isinstance(f.root, Or) and isinstance(f.root.parts[1], And)
    assert isinstance(f.root.parts[1].parts[1], Not) and isinstance(f.root.parts[0], Relation)
    assert parse_display_filter("stations[0].mac == 1 and x").fields() == [("stations", 0, "mac"), ("x",)]


def test_field_to_field_comparison() -> None:
    assert ok("stations[1].mac == stations.mac") and not ok("src == stations.mac")


@pytest.mark.parametrize(("text", "position"), [
    ("nid ==", 6), ("a == 1 and", 10), ("(a", 2), ("1 == 2", 0), ("a === b", 4), ('"x', 0), ("a @ b", 2),
    ("", 0), ("a == 1 b", 7), ("42", 0), ("a == ==", 5), ("a)", 1),
])
def test_syntax_errors_name_the_position(text: str, position: int) -> None:
    with pytest.raises(DisplayFilterError) as info:
        parse_display_filter(text)
    assert info.value.position == position and "bad filter" in str(info.value)


def test_no_python_is_ever_evaluated() -> None:
    for text in ("__import__('os').system('true')", "a.__class__ == 1", "exec == 1 or eval"):
        try:
            f = parse_display_filter(text)
        except DisplayFilterError:
            continue
        assert f.matches(lambda path: None) in (True, False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab01x:.[]()=!<>&|'\" andortcis-", max_size=40))
def test_fuzz_only_filter_errors(text: str) -> None:
    try:
        f = parse_display_filter(text)
    except DisplayFilterError:
        return
    assert f.matches(lambda path: FIELDS.get(path)) in (True, False)
