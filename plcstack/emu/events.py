"""Events a modem reports to its application (small immutable records, h11 style).

Every event carries the time ``t`` (seconds, the clock the caller passed in) and names who did what.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    t: float


@dataclass(frozen=True)
class Answered(Event):
    """A management request was answered."""

    request: str  # e.g. "VS_SW_VER.REQ"
    requester: bytes  # MAC the reply goes to
    via: str  # "host" or "plc" (remote management through the power line)


@dataclass(frozen=True)
class Dropped(Event):
    """A frame was dropped without an answer (malformed, unsupported, wrong network, resetting...)."""

    port: str
    reason: str


@dataclass(frozen=True)
class KeyChanged(Event):
    """The modem's NMK (and so its network) changed."""

    nid: bytes
    via: str  # "VS_SET_KEY", "CM_SET_KEY", "remote CM_SET_KEY (DAK)", "factory defaults", "push button"


@dataclass(frozen=True)
class RoleChanged(Event):
    role: str  # "unassociated", "station", "cco"
    nid: bytes
    reason: str


@dataclass(frozen=True)
class Joined(Event):
    """Association and authentication done: the modem holds the AVLN's NEK."""

    cco_mac: bytes
    tei: int


@dataclass(frozen=True)
class StationAdded(Event):
    mac: bytes
    tei: int


@dataclass(frozen=True)
class StationRemoved(Event):
    mac: bytes
    reason: str


@dataclass(frozen=True)
class AuthFailed(Event):
    """A CM_ENCRYPTED_PAYLOAD did not authenticate (wrong NMK or DAK)."""

    peer: bytes
    reason: str


@dataclass(frozen=True)
class Reset(Event):
    factory: bool


@dataclass(frozen=True)
class SoundHeard(Event):
    """A CM_MNBC_SOUND.IND crossed the power line; a CM_ATTEN_PROFILE.IND went to the host."""

    pev_mac: bytes
    from_modem: bytes
    average_db: float
