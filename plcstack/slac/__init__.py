"""ISO 15118-3 SLAC in both roles: sans-I/O EVSE and PEV machines, adapters, capture analysis, crosstalk.

* :mod:`plcstack.slac.timers` -- every ISO 15118-3 timer and counter, with value, range and source;
* :mod:`plcstack.slac.events` -- the protocol's steps and what the machines report;
* :mod:`plcstack.slac.evse` / :mod:`plcstack.slac.pev` -- the two state machines;
* :mod:`plcstack.slac.decision` -- attenuation averaging and the EV's choice of charger;
* :mod:`plcstack.slac.rawsock` -- a machine on a real interface (AF_PACKET);
* :mod:`plcstack.slac.inproc` -- machines on the in-process emulated power line;
* :mod:`plcstack.slac.session` -- SLAC sessions of a capture, checked against the timers;
* :mod:`plcstack.slac.crosstalk` -- many chargers and EVs at once on a simulated site.

Guide and timer table: ``docs/slac.md``.
"""

from plcstack.slac.decision import Decision, DecisionPolicy, average_profiles, decide
from plcstack.slac.events import MATCHED, Step
from plcstack.slac.evse import EvseConfig, EvseMachine
from plcstack.slac.pev import PevConfig, PevMachine
from plcstack.slac.timers import DEFAULT_TIMERS, Setting, SlacTimers

__all__ = [
    "DEFAULT_TIMERS", "MATCHED", "Decision", "DecisionPolicy", "EvseConfig", "EvseMachine", "PevConfig", "PevMachine",
    "Setting", "SlacTimers", "Step", "average_profiles", "decide",
]
