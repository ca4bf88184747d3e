"""The rule book of AVLN formation: CCo election, joining, leaving and merging.

One set of plain functions and tables, used by the emulated modems (:mod:`plcstack.emu`) and by the
site simulator's engine (:mod:`plcstack.sim.engine`), so that both predict the same CCo and the same
AVLN for every station.  Nothing here keeps state, does I/O or draws random numbers: callers pass in
what the station has heard and, where the firmware's choice is order-dependent, the index it picked.

The procedure (HomePlug AV 1.1 §7.3 "power-on network discovery"; Greenvity HPGP firmware
``SNSM_SelectCco`` / ``SNSM_DetermineStaRole``; see ``docs/avln.md``):

1. after power-on, a key change or a lost CCo a station is *unassociated* and listens for beacons;
2. it associates with a CCo of its own NID whose beacons it decodes (CC_ASSOC, then CM_GET_KEY for
   the NEK); when several CCos of its NID are heard the firmware takes the first SNID it has synced
   to -- implementation-defined and order-dependent, so the caller picks;
3. otherwise it advertises itself (CM_UNASSOCIATED_STA.IND, every ``USAI_S``); among unassociated
   stations of one NID that hear each other, the highest precedence becomes CCo (CCo capability,
   then the higher MAC; a PIB set to "always" ranks above every "auto" station);
4. when the beacon-listening period (BBT) ends with no CCo and no higher-ranked unassociated station
   of its NID heard, the station becomes the CCo of a new AVLN -- unless other networks were heard
   and the firmware follows the Greenvity rule (:attr:`LonePolicy.STAY_UNASSOCIATED`);
5. a station that misses its CCo's beacons for ``REDISCOVERY_TICKS`` ticks of ``BEACON_LOSS_TICK_S``
   restarts discovery (step 1);
6. two CCos of one NID that hear each other merge: the one with the lower precedence resigns, and
   it and its stations rediscover.

References
----------
HomePlug Powerline Alliance, *HomePlug AV Specification* 1.1 (2007), §7.3 (network discovery and CCo
selection).  Greenvity HPGP firmware, ``firmware/hpgp/src/link/`` (timers ``HPGP_TIME_*``,
``MAX_NO_BEACON_NW_DISCOVERY``), public repository greenvity-pankaj/production-tool.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import NamedTuple

# -- firmware timers (Greenvity HPGP firmware; names are the firmware's constants) -----------------
BEACON_LOSS_TICK_S = 0.2  #: HPGP_TIME_BEACON_LOSS, s
BACKUP_CCO_TICKS = 3  #: MAX_NO_BEACON_BACKUPCCO: a backup CCo takes over after 3 ticks (0.6 s)
REDISCOVERY_TICKS = 18  #: MAX_NO_BEACON_NW_DISCOVERY: a station rediscovers after 18 ticks (3.6 s)
BBT_S = 1.0  #: HPGP_TIME_BBT, s: listen for beacons this long before deciding the role
USAI_S = 1.0  #: HPGP_TIME_USAI, s: CM_UNASSOCIATED_STA.IND interval
DISCOVER_PERIOD_S = 5.0  #: HPGP_TIME_DISC_PERIOD_MAX, s (the spec's MaxDiscoverPeriod is 10 s)
JOIN_TIMEOUT_S = 3.0  #: HPGP_JOINNET_TIME, s
ASSOC_TIMEOUT_S = 1.0  #: HPGP_TIME_ASSOC, s: wait for CC_ASSOC.CNF
KEY_TIMEOUT_S = 1.0  #: HPGP_TIME_KEY, s: wait for CM_GET_KEY.CNF (NEK)
HANDOVER_BEACONS = 5  #: HPGP_HO_COUNTDOWN_MAX, beacon periods of a CCo handover
TEI_LEASE_AUTH_S = 2880 * 60.0  #: HPGP_TIME_TEI_LEASE_AUTH_MIN, s (48 h)
MAX_SNID = 16  #: MAXSNID: short network identifiers are 4 bits


class CcoMode(StrEnum):
    """The PIB's CCo selection (open-plc-utils ``modpib -C``)."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


class LonePolicy(StrEnum):
    """What a station does at the end of the BBT when it heard no station of its NID but other AVLNs.

    ``BECOME_CCO`` is the HomePlug AV rule and what Qualcomm firmware does (each key forms its own
    AVLN and coordinates with its neighbours); ``STAY_UNASSOCIATED`` is the Greenvity firmware's rule 5
    (``SNSM_DetermineStaRole``: "if other networks were discovered, stay USTA").
    """

    BECOME_CCO = "become_cco"
    STAY_UNASSOCIATED = "stay_unassociated"


#: The rule the emulator and the simulator follow unless a station's configuration says otherwise.
DEFAULT_LONE_POLICY = LonePolicy.BECOME_CCO

#: Precedence bonus of a station whose PIB says CCo "always": above any capability (0..3).
_ALWAYS_BONUS = 4


class Precedence(NamedTuple):
    """Rank in the CCo election: compare with ``>``; the higher one becomes (or stays) CCo."""

    rank: int
    mac: bytes


def precedence(cco_capability: int, mode: CcoMode | str, mac: bytes) -> Precedence:
    """Election rank of a station: CCo capability (0..3), +4 when the PIB says "always", then MAC."""
    if not 0 <= cco_capability <= 3:
        raise ValueError(f"CCo capability is 0..3, got {cco_capability}")
    return Precedence(cco_capability + (_ALWAYS_BONUS if CcoMode(mode) is CcoMode.ALWAYS else 0), bytes(mac))


class Heard(NamedTuple):
    """A station or CCo a station heard while listening: its MAC, NID and election rank."""

    mac: bytes
    nid: bytes
    precedence: Precedence


class Action(StrEnum):
    JOIN = "join"  # associate with ``Decision.cco``
    BECOME_CCO = "become_cco"  # start a new AVLN of our NID
    WAIT = "wait"  # stay unassociated and keep listening (someone else of our NID will be CCo)
    STAY_UNASSOCIATED = "stay_unassociated"  # no AVLN of ours can form for now (policy or PIB)


class Decision(NamedTuple):
    action: Action
    cco: bytes | None  # the CCo to join, for Action.JOIN
    reason: str


def discovery_decision(
    nid: bytes,
    own: Precedence,
    mode: CcoMode | str,
    ccos: Sequence[Heard],
    unassociated: Iterable[Heard] = (),
    foreign_networks: bool = False,
    lone_policy: LonePolicy = DEFAULT_LONE_POLICY,
    pick: int = 0,
) -> Decision:
    """The role decision of an unassociated station at the end of its listening period (BBT).

    ``ccos``: CCos whose beacons the station decodes (and that hear it), in the order the firmware
    synced to them; ``pick`` chooses among those of our NID (the firmware's order-dependent choice).
    ``unassociated``: unassociated stations whose CM_UNASSOCIATED_STA.IND it heard.
    ``foreign_networks``: beacons of other NIDs were heard.
    """
    mode = CcoMode(mode)
    ours = [c for c in ccos if c.nid == nid]
    if ours:
        target = ours[pick % len(ours)]
        if mode is CcoMode.ALWAYS and own > target.precedence:
            return Decision(Action.BECOME_CCO, None, "PIB says CCo always and we outrank the CCo heard")
        return Decision(Action.JOIN, target.mac, "a CCo of our NID is heard")
    if mode is CcoMode.NEVER:
        return Decision(Action.STAY_UNASSOCIATED, None, "PIB says never CCo and no CCo of our NID is heard")
    rivals = [u.precedence for u in unassociated if u.nid == nid and u.mac != own.mac]
    if rivals and max(rivals) > own:
        return Decision(Action.WAIT, None, "an unassociated station of our NID outranks us")
    if rivals:
        return Decision(Action.BECOME_CCO, None, "won CCo election")
    if foreign_networks and lone_policy is LonePolicy.STAY_UNASSOCIATED and mode is not CcoMode.ALWAYS:
        return Decision(Action.STAY_UNASSOCIATED, None, "only other networks heard (stay unassociated)")
    return Decision(Action.BECOME_CCO, None, "bbt expired, no CCo of our NID heard")


def wins_election(own: Precedence, other: Precedence) -> bool:
    """Of two unassociated stations of one NID that hear each other, does ``own`` become CCo?"""
    return own > other


def cco_resigns(own: Precedence, other: Precedence) -> bool:
    """Two CCos of one NID hear each other: does the one ranked ``own`` resign (merge into the other)?"""
    return own < other


def beacon_lost(silent_s: float, tick_s: float = BEACON_LOSS_TICK_S, ticks: int = REDISCOVERY_TICKS) -> bool:
    """A station that heard no beacon of its CCo for ``silent_s`` seconds restarts discovery."""
    return silent_s >= tick_s * ticks


def beacon_loss_detection_s(tick_s: float = BEACON_LOSS_TICK_S, ticks: int = REDISCOVERY_TICKS) -> float:
    """Time from the last beacon heard to the station's reaction (3.6 s with the firmware's values)."""
    return tick_s * ticks
