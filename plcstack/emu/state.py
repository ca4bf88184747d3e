"""The emulated modem's role state machine: roles, typed triggers, the transition table, timers.

Every role change of a :class:`plcstack.emu.modem.Modem` goes through :func:`next_role`, which
refuses anything :data:`TRANSITIONS` does not list (h11 style: the table *is* the state machine).
What decides a transition -- who becomes CCo, whom to join, when to give up on a CCo -- is the rule
book :mod:`plcstack.avln.rules`, shared with the site simulator; this module only says which role
follows which trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum, StrEnum

from plcstack.avln import rules


class Role(StrEnum):
    UNASSOCIATED = "unassociated"
    STATION = "station"
    CCO = "cco"
    RESETTING = "resetting"  # rebooting after VS_RS_DEV / VS_FAC_DEFAULTS / a committed PIB, or after a key change


class Trigger(Enum):
    """Why the role changes (the value is the text events and logs show)."""

    BBT_EXPIRED = "bbt expired, no CCo of our NID heard"
    WON_ELECTION = "won CCo election"
    ASSOCIATED = "association confirmed"
    KEY_CHANGED = "key changed"
    CCO_LOST = "CCo beacon lost"
    ASSOC_REFUSED = "association refused"
    AUTH_FAILED = "authentication failed"
    TOLD_TO_LEAVE = "told to leave by the CCo"
    RESIGNED = "yielded to a stronger CCo"
    RESET = "reset"
    RESTART_AFTER_KEY = "restart after key change"
    RESET_DONE = "reset done"


#: (role, trigger) -> next role.  Anything else is a bug in the emulator (:class:`TransitionError`).
TRANSITIONS: dict[tuple[Role, Trigger], Role] = {
    (Role.UNASSOCIATED, Trigger.BBT_EXPIRED): Role.CCO,
    (Role.UNASSOCIATED, Trigger.WON_ELECTION): Role.CCO,
    (Role.UNASSOCIATED, Trigger.ASSOCIATED): Role.STATION,
    (Role.UNASSOCIATED, Trigger.KEY_CHANGED): Role.UNASSOCIATED,
    (Role.STATION, Trigger.CCO_LOST): Role.UNASSOCIATED,
    (Role.STATION, Trigger.KEY_CHANGED): Role.UNASSOCIATED,
    (Role.STATION, Trigger.ASSOC_REFUSED): Role.UNASSOCIATED,
    (Role.STATION, Trigger.AUTH_FAILED): Role.UNASSOCIATED,
    (Role.STATION, Trigger.TOLD_TO_LEAVE): Role.UNASSOCIATED,
    (Role.CCO, Trigger.KEY_CHANGED): Role.UNASSOCIATED,
    (Role.CCO, Trigger.RESIGNED): Role.UNASSOCIATED,
    (Role.UNASSOCIATED, Trigger.RESTART_AFTER_KEY): Role.RESETTING,
    (Role.UNASSOCIATED, Trigger.RESET): Role.RESETTING,
    (Role.STATION, Trigger.RESET): Role.RESETTING,
    (Role.CCO, Trigger.RESET): Role.RESETTING,
    (Role.RESETTING, Trigger.RESET): Role.RESETTING,
    (Role.RESETTING, Trigger.RESET_DONE): Role.UNASSOCIATED,
}


class TransitionError(RuntimeError):
    """The modem tried a role change that :data:`TRANSITIONS` does not allow (a bug in the emulator)."""


def next_role(role: Role, trigger: Trigger) -> Role:
    nxt = TRANSITIONS.get((role, trigger))
    if nxt is None:
        raise TransitionError(f"no transition from {role.value} on {trigger.value!r}")
    return nxt


class TimerName(StrEnum):
    """The modem's timers; :data:`plcstack.emu.modem.TIMER_HANDLERS` names the handler of each."""

    BBT = "bbt"  # end of the beacon-listening period: decide the role
    USAI = "usai"  # next CM_UNASSOCIATED_STA.IND
    BEACON = "beacon"  # next beacon (CCo: central, station: discover) and beacon-loss check
    ASSOC = "assoc"  # CC_ASSOC.CNF / CM_GET_KEY.CNF did not come
    RESET = "reset"  # back from a reset
    PLC_UP = "plc_up"  # the power-line side is back after a key change
    PB = "pb"  # next CM_SC_JOIN.REQ of an open push-button window


@dataclass(frozen=True)
class Timers:
    """Timers of the emulated firmware, in seconds; every one can be set in the network TOML ``[timers]``.

    Defaults: the HomePlug AV discovery timers of the rule book (:mod:`plcstack.avln.rules`:
    USAI 1 s, BBT 1 s, association and key timeouts 1 s, beacon-loss reaction 18 ticks of 200 ms)
    and reset / key-change times of real Qualcomm modems (the chip profile's, see
    ``docs/modem-profiles.md``), which :class:`plcstack.emu.modem.ModemConfig` fills in when
    ``reset_s`` / ``set_key_s`` are left at ``None``.  Tests where timing is not the
    subject shorten them.
    """

    beacon_s: float = rules.BEACON_LOSS_TICK_S  # beacon period of the emulation (the firmware's loss tick)
    bbt_s: float = rules.BBT_S  # listen this long before deciding to be CCo of a new AVLN
    usai_s: float = rules.USAI_S  # CM_UNASSOCIATED_STA.IND interval
    loss_beacons: int = rules.REDISCOVERY_TICKS  # beacon periods without the CCo before rediscovery
    assoc_s: float = rules.ASSOC_TIMEOUT_S  # wait for CC_ASSOC.CNF / CM_GET_KEY.CNF before retrying
    reset_s: float | None = None  # silent after VS_RS_DEV / VS_FAC_DEFAULTS (None: the chip profile's)
    set_key_s: float | None = None  # power line down after a key change (None: the chip profile's; 0: none)
    pb_window_s: float = 120.0  # push-button (MS_PB_ENC join) pairing window

    def __post_init__(self) -> None:
        for name in ("beacon_s", "bbt_s", "usai_s", "assoc_s", "pb_window_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"timer {name} must be positive")
        for name in ("reset_s", "set_key_s"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"timer {name} must be >= 0")
        if self.reset_s is not None and self.reset_s == 0:
            raise ValueError("timer reset_s must be positive")
        if self.loss_beacons < 1:
            raise ValueError("loss_beacons must be at least 1")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
