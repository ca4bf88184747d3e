"""Attenuation averaging (EVSE) and the EV's choice of charger."""

from __future__ import annotations

import pytest

from plcstack.slac.decision import DEFAULT_THRESHOLD_DB, DecisionPolicy, average_profiles, decide
from plcstack.slac.events import AttenuationProfile


def prof(mac: int, level: float, sounds: int = 10) -> AttenuationProfile:
    base = int(level)
    extra = round((level - base) * 58)
    return AttenuationProfile(bytes([2, 0, 0, 0, 0, mac]), sounds, tuple([base + 1] * extra + [base] * (58 - extra)))


def test_average_truncates_like_open_plc_utils() -> None:
    # evse_cm_mnbc_sound.c: AAG[i] = sum / sounds in unsigned integers
    groups, n = average_profiles([(10, 20), (11, 21), (11, 22)], groups=2)
    assert n == 3 and groups == (10, 21)  # 32/3 = 10, 63/3 = 21
    assert average_profiles([], groups=2) == ((), 0)


def test_average_of_real_profiles() -> None:
    # first groups of the 10 CM_ATTEN_PROFILE.IND of slac-binding-rs__phytec-power-pcltool.pcapng (frames 121-137)
    p = [(0x17, 0x17, 0x17), (0x17, 0x17, 0x17), (0x17, 0x17, 0x16), (0x14, 0x0D, 0x14), (0x17, 0x17, 0x16)]
    groups, n = average_profiles(p, groups=3)
    assert n == 5 and groups == ((0x17 * 4 + 0x14) // 5, (0x17 * 4 + 0x0D) // 5, (0x17 * 2 + 0x16 * 2 + 0x14) // 5)


def test_lowest_average_wins() -> None:
    d = decide([prof(1, 25.0), prof(2, 18.5), prof(3, 30.0)])
    assert d.chosen is not None and d.chosen.evse_mac[-1] == 2
    assert d.margin_db == pytest.approx(25.0 - 18.5, abs=0.05)
    assert [c.evse_mac[-1] for c in d.ranked] == [2, 1, 3]


def test_threshold_rejects_every_candidate_above_it() -> None:
    d = decide([prof(1, 41.0)], DecisionPolicy())
    assert DEFAULT_THRESHOLD_DB == 40.0 and d.chosen is None and "threshold" in d.reason
    assert decide([prof(1, 40.0)]).chosen is not None  # at the threshold is accepted


def test_margin_makes_close_candidates_ambiguous() -> None:
    close = [prof(1, 20.0), prof(2, 21.0)]
    assert decide(close, DecisionPolicy(min_margin_db=3)).chosen is None
    v = decide(close, DecisionPolicy(min_margin_db=3, validate_ambiguous=True))
    assert v.chosen is not None and v.validate and v.chosen.evse_mac[-1] == 1
    assert decide(close, DecisionPolicy(min_margin_db=0.5)).chosen is not None


def test_ties_go_to_the_first_reporter_and_empty_reports_are_ignored() -> None:
    assert decide([prof(7, 20.0), prof(3, 20.0)]).chosen.evse_mac[-1] == 7  # type: ignore[union-attr]
    assert decide([prof(1, 10.0, sounds=0), prof(2, 30.0)], DecisionPolicy(min_sounds=1)).chosen.evse_mac[-1] == 2  # type: ignore[union-attr]
    assert decide([]).chosen is None
