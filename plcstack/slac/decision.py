"""The attenuation arithmetic of SLAC: the EVSE's averaging and the EV's choice of charger.

* :func:`average_profiles` -- what an EVSE puts into CM_ATTEN_CHAR.IND: per carrier group, the sum of
  the CM_ATTEN_PROFILE.IND values its modem reported divided by the number of sounds, integer dB
  (truncated, as open-plc-utils ``slac/evse_cm_mnbc_sound.c`` and EVerest ``create_cm_atten_char_ind``
  compute it).
* :func:`decide` -- the EV's rule: the EVSE with the lowest average attenuation (dB, mean of the
  groups) wins if it is at or below ``threshold_db``; optionally the runner-up must be at least
  ``min_margin_db`` worse, else the choice is ambiguous (CM_VALIDATE decides, or the process fails).

References
----------
ISO 15118-3:2015 Annex A: the EV selects the EVSE with the lowest signal attenuation.  The 40 dB
default threshold is open-plc-utils ``SLAC_LIMIT`` / ``pev.ini`` "attenuation threshold" and pyslac
``SLAC_LIMIT``; uhi22/pyPLC measured that Green PHY reception becomes unstable from 36 dB and stops
around 44 dB of attenuation (docs/slac.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plcstack.slac.events import AttenuationProfile

#: open-plc-utils SLAC_LIMIT, pev.ini "attenuation threshold", pyslac SLAC_LIMIT (dB).
DEFAULT_THRESHOLD_DB = 40.0
#: Carrier groups of a Green PHY attenuation profile (CM_ATTEN_PROFILE.IND NumGroups).
SLAC_GROUPS = 58


def average_profiles(profiles: Iterable[Sequence[int]], groups: int = SLAC_GROUPS) -> tuple[tuple[int, ...], int]:
    """Per-group integer average (dB, truncated) of the CM_ATTEN_PROFILE.IND groups of one EV.

    Returns ``(groups_db, sounds)``; a profile shorter than ``groups`` contributes to the groups it
    has.  No profile: ``((), 0)``.
    """
    sums = [0] * groups
    counts = [0] * groups
    sounds = 0
    for p in profiles:
        sounds += 1
        for i, v in enumerate(p[:groups]):
            sums[i] += int(v)
            counts[i] += 1
    if sounds == 0:
        return (), 0
    return tuple(s // c if c else 0 for s, c in zip(sums, counts, strict=True)), sounds


@dataclass(frozen=True)
class DecisionPolicy:
    """How the EV chooses among the EVSEs that reported an attenuation profile."""

    threshold_db: float = DEFAULT_THRESHOLD_DB  # highest acceptable average attenuation (dB)
    min_margin_db: float = 0.0  # runner-up must be this much worse (dB); 0 = no ambiguity check
    min_sounds: int = 1  # profiles built from fewer sounds are ignored
    validate_ambiguous: bool = False  # ambiguous -> CM_VALIDATE with the best candidate instead of failing

    def __post_init__(self) -> None:
        if self.min_margin_db < 0 or self.min_sounds < 0:
            raise ValueError("min_margin_db and min_sounds must be >= 0")


@dataclass(frozen=True)
class Decision:
    chosen: AttenuationProfile | None
    reason: str
    margin_db: float | None  # runner-up average minus the best average (None: a single candidate)
    ranked: tuple[AttenuationProfile, ...]
    validate: bool = False  # the choice needs CM_VALIDATE before CM_SLAC_MATCH


def decide(candidates: Iterable[AttenuationProfile], policy: DecisionPolicy = DecisionPolicy()) -> Decision:
    """Choose the EVSE (see the module docstring); ties go to the EVSE that reported first."""
    usable = [c for c in candidates if c.num_sounds >= policy.min_sounds and c.groups_db]
    ranked = tuple(sorted(usable, key=lambda c: c.average_db))  # stable: first reporter wins ties
    if not ranked:
        return Decision(None, "no CM_ATTEN_CHAR.IND with sounds", None, ranked)
    best = ranked[0]
    margin = ranked[1].average_db - best.average_db if len(ranked) > 1 else None
    if best.average_db > policy.threshold_db:
        return Decision(None, f"lowest average {best.average_db:.1f} dB is above the {policy.threshold_db:g} dB "
                              "threshold", margin, ranked)
    if margin is not None and margin < policy.min_margin_db:
        why = f"runner-up only {margin:.1f} dB worse (< {policy.min_margin_db:g} dB)"
        if policy.validate_ambiguous:
            return Decision(best, why + ": validate", margin, ranked, validate=True)
        return Decision(None, why, margin, ranked)
    return Decision(best, f"lowest average {best.average_db:.1f} dB of {len(ranked)}", margin, ranked)
