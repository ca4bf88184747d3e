"""What the SLAC machines report (h11 style: small immutable records), and the protocol's steps.

Every event carries ``t`` (seconds, the clock the caller passed in).  :class:`Step` names the stages
of ISO 15118-3 matching once; the machines, the capture analysis and the CLI all use it, so "where
a session stopped" means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Step(StrEnum):
    """Stages of a SLAC session in protocol order (the value is what reports print)."""

    SET_KEY = "CM_SET_KEY"  # host -> local modem: the session's NMK (EVSE) or a private one (EV)
    SLAC_PARM = "CM_SLAC_PARM"
    START_ATTEN_CHAR = "CM_START_ATTEN_CHAR"
    MNBC_SOUND = "CM_MNBC_SOUND"
    ATTEN_PROFILE = "CM_ATTEN_PROFILE"  # local modem -> EVSE host, one per sound heard
    ATTEN_CHAR = "CM_ATTEN_CHAR"
    VALIDATE = "CM_VALIDATE"
    SLAC_MATCH = "CM_SLAC_MATCH"
    NEW_KEY = "CM_SET_KEY (EVSE NMK)"  # EV host -> its modem, after the match
    JOIN = "AVLN join"
    AMP_MAP = "CM_AMP_MAP"


#: Result string of a session that reached the end.
MATCHED = "matched"


@dataclass(frozen=True)
class SlacEvent:
    t: float


@dataclass(frozen=True)
class StepDone(SlacEvent):
    """A step finished (sent and, where it has one, answered)."""

    step: Step
    peer: bytes | None = None  # the other host's MAC (EVSE for a PEV, EV for an EVSE)
    detail: str = ""


@dataclass(frozen=True)
class Retry(SlacEvent):
    """A request went unanswered within its timer and is sent again (``attempt`` 2 is the first repeat)."""

    step: Step
    attempt: int
    timer: str
    peer: bytes | None = None


@dataclass(frozen=True)
class KeySet(SlacEvent):
    """The local modem confirmed CM_SET_KEY (``result`` as it answered: Qualcomm 1, spec 0)."""

    nid: bytes
    result: int


@dataclass(frozen=True)
class AttenuationProfile:
    """Average attenuation per carrier group (dB) one EVSE measured for one EV."""

    evse_mac: bytes
    num_sounds: int
    groups_db: tuple[int, ...]
    evse_id: bytes = bytes(17)

    @property
    def average_db(self) -> float:
        return sum(self.groups_db) / len(self.groups_db) if self.groups_db else float("inf")


@dataclass(frozen=True)
class AttenuationReported(SlacEvent):
    """EV: an EVSE sent its CM_ATTEN_CHAR.IND. EVSE: the profile it computed and sent."""

    run_id: bytes
    ev_mac: bytes
    profile: AttenuationProfile


@dataclass(frozen=True)
class Decided(SlacEvent):
    """EV: which EVSE the attenuation decision chose (None: none acceptable)."""

    chosen: bytes | None
    reason: str
    margin_db: float | None
    candidates: tuple[AttenuationProfile, ...] = ()


@dataclass(frozen=True)
class ToggleRequest(SlacEvent):
    """EV, CM_VALIDATE: the application toggles the control pilot B/C ``count`` times now."""

    count: int
    state_duration_s: float


@dataclass(frozen=True)
class ControlPilotRetry(SlacEvent):
    """EVSE: TT_EVSE_SLAC_init ran out; the application signals state E/F for T_step_EF, then 5 % again."""

    attempt: int
    t_step_ef_s: float


@dataclass(frozen=True)
class Matched(SlacEvent):
    """CM_SLAC_MATCH exchanged: the EV has the EVSE's NMK."""

    run_id: bytes
    ev_mac: bytes
    evse_mac: bytes
    nid: bytes
    nmk: bytes = field(repr=False)


@dataclass(frozen=True)
class Joined(SlacEvent):
    """The local modem shows the logical network with the peer (VS_NW_INFO): the data link is ready."""

    nid: bytes
    stations: tuple[bytes, ...]


@dataclass(frozen=True)
class AmpMapExchanged(SlacEvent):
    peer: bytes
    amdata: bytes
    result: int


@dataclass(frozen=True)
class Failed(SlacEvent):
    """A matching process ended without a match at ``step`` (``final``: no new process will start)."""

    step: Step
    reason: str
    final: bool
    timer: str = ""
    run_id: bytes = b""
    peer: bytes | None = None


@dataclass(frozen=True)
class ProcessStarted(SlacEvent):
    """EV: a matching process (new RunID) starts; ``attempt`` 2 and later follow a failed one."""

    attempt: int
    run_id: bytes


@dataclass(frozen=True)
class Ignored(SlacEvent):
    """A frame that does not belong in the current state (kept so a trace shows what arrived)."""

    name: str
    src: bytes
    reason: str
