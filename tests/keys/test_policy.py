"""Password policy (hpavkey -e rules) and the weak/default password check."""

from __future__ import annotations

import pytest

from plcstack.keys.errors import PolicyError
from plcstack.keys.policy import Finding, check_password, enforce_policy, policy_violations


def test_factory_defaults_flagged() -> None:
    for pw in ("HomePlugAV", "HomePlugAV0123"):
        report = check_password(pw)
        assert report.default and report.weak and not report.ok
    assert check_password("HomePlugAV").findings == (Finding.TOO_SHORT, Finding.FACTORY_DEFAULT)
    assert check_password("HomePlugAV0123").in_policy


@pytest.mark.parametrize(
    ("password", "finding"),
    [
        ("", Finding.TOO_SHORT),
        ("abcdefghijk", Finding.TOO_SHORT),
        ("x" * 65, Finding.TOO_LONG),
        (b"tab\there-and-long", Finding.ILLEGAL_CHARACTERS),
        ("café-au-lait-long", Finding.ILLEGAL_CHARACTERS),
    ],
)
def test_out_of_policy(password: str | bytes, finding: Finding) -> None:
    report = check_password(password)
    assert not report.in_policy and finding in report.findings
    with pytest.raises(PolicyError):
        enforce_policy(password)


def test_boundaries() -> None:
    assert not policy_violations("k" * 12) and not policy_violations("k" * 64)
    assert enforce_policy(" " * 12) == b" " * 12  # space is printable for hpavkey


@pytest.mark.parametrize("password", ["password1234", "Password123!", "qwertyuiopasdf", "powerline2024"])
def test_dictionary_words(password: str) -> None:
    report = check_password(password)
    assert report.in_policy and report.weak and Finding.DICTIONARY_WORD in report.findings


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaaaa", "abcdefghijklmnop1234", "121212121212121212"])
def test_low_entropy(password: str) -> None:
    assert check_password(password).weak


@pytest.mark.parametrize("password", ["kT7#mQ2!vX9@pL4z", "correct horse battery staple", "Gr33n-Ph0ne-Lamp-42"])
def test_strong(password: str) -> None:
    report = check_password(password)
    assert report.ok and report.in_policy and not report.weak


def test_report_never_quotes_password() -> None:
    secret = "HomePlugAV0123"
    report = check_password(secret)
    assert all(secret not in m for m in report.messages)
    assert secret not in repr(report)
