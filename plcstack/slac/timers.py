"""Every ISO 15118-3 SLAC timer and counter, as a named setting with its value, range and source.

One declaration per setting (a dataclass field with metadata): the EVSE and PEV machines read their
timeouts from a :class:`SlacTimers`, the capture analysis (:mod:`plcstack.slac.session`) measures
recorded sessions against the same values, and ``docs/slac.md`` prints the table from here.

Names are the standard's (``TT_match_response``, ``C_EV_match_retry``, ...).  Times are seconds,
counters plain integers.  ``minimum``/``maximum`` are the range ISO 15118-3 gives where the public
sources state one; a :class:`SlacTimers` may hold values outside it (tests shorten
``TT_EVSE_SLAC_init``), :meth:`SlacTimers.outside_standard` lists them.

References
----------
ISO 15118-3:2015, Annex A (SLAC) timing table; its values as published by open implementations:
pyslac ``pyslac/enums.py`` (class ``Timers``, ``SLAC_ATTEN_TIMEOUT``, ``SLAC_PAUSE``), EVerest
libslac ``include/slac/slac.hpp`` (namespace ``defs``), open-plc-utils ``slac/slac.h``, the MStar/
Lumissil HLE SDK header ``bms_ccs_mme_slac_param.h`` (a full table with ranges) and the ISO 15118-4
conformance parameters ``par_*`` of nvdungx/ISO15118_3_TestEnv ``timer_cfg``.  Disagreements
between them are listed in ``docs/slac.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

#: Short names of the sources cited in :attr:`Setting.source` (full references in docs/slac.md).
SOURCES = {
    "iso": "ISO 15118-3:2015 Annex A timing table (values as quoted by the implementations below)",
    "mstar": "MStar/Lumissil HLE SDK bms_ccs_mme_slac_param.h",
    "libslac": "EVerest libslac include/slac/slac.hpp",
    "pyslac": "SwitchEV pyslac 0.8.3 pyslac/enums.py",
    "openplc": "qca/open-plc-utils slac/slac.h, slac/*.c",
    "etsi": "ISO 15118-4 conformance parameters (nvdungx/ISO15118_3_TestEnv timer_cfg)",
    "plcstack": "plcstack's own choice (no ISO 15118-3 value)",
}


def setting(default: float | int, *, unit: str, role: str, meaning: str, source: str,
            minimum: float | None = None, maximum: float | None = None) -> Any:
    """A dataclass field carrying the setting's documentation (see :class:`Setting`)."""
    return field(default=default, metadata={"unit": unit, "role": role, "meaning": meaning, "source": source,
                                            "minimum": minimum, "maximum": maximum})


class Setting(NamedTuple):
    """One row of the timer table."""

    name: str
    value: float
    unit: str  # "s" or "count"
    role: str  # who runs the timer: "EV", "EVSE" or "both"
    meaning: str
    source: str
    minimum: float | None
    maximum: float | None

    @property
    def range_text(self) -> str:
        def fmt(v: float) -> str:
            return f"{v:g}"

        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"
        if lo is not None:
            return f">= {fmt(lo)}"
        if hi is not None:
            return f"<= {fmt(hi)}"
        return ""

    def within_standard(self, value: float | None = None) -> bool:
        v = self.value if value is None else value
        return (self.minimum is None or v >= self.minimum - 1e-12) and (self.maximum is None or v <= self.maximum + 1e-12)


@dataclass(frozen=True)
class SlacTimers:
    """The SLAC timing parameters one EVSE or PEV runs with (defaults: the standard's values)."""

    # ---------------------------------------------------------------- matching start
    TT_EVSE_SLAC_init: float = setting(
        50.0, unit="s", role="EVSE", minimum=20.0, maximum=50.0, source="iso; mstar 50; pyslac 50; libslac 40",
        meaning="EVSE waits this long after control-pilot state B for the first CM_SLAC_PARM.REQ")
    TP_EV_SLAC_init: float = setting(
        10.0, unit="s", role="EV", maximum=10.0, source="iso; mstar 10",
        meaning="EV sends its first CM_SLAC_PARM.REQ within this time after detecting state B")
    # ---------------------------------------------------------------- request / response
    TT_match_response: float = setting(
        0.2, unit="s", role="both", maximum=0.2, source="iso; mstar; pyslac; libslac; etsi 0.2",
        meaning="a requester waits this long for the response before it repeats the request")
    TP_match_response: float = setting(
        0.1, unit="s", role="both", maximum=0.1, source="iso; mstar; etsi 0.1",
        meaning="a responder answers a request within this time")
    TT_match_sequence: float = setting(
        0.4, unit="s", role="EVSE", maximum=0.4, source="iso; mstar; pyslac; libslac; etsi 0.4",
        meaning="EVSE waits this long for the next message of the sequence (CM_START_ATTEN_CHAR.IND after "
                "CM_SLAC_PARM.CNF)")
    C_EV_match_retry: int = setting(
        2, unit="count", role="both", maximum=2, source="iso; mstar; libslac 2",
        meaning="repetitions of an unanswered CM_SLAC_PARM.REQ, CM_ATTEN_CHAR.IND, CM_VALIDATE.REQ, "
                "CM_SLAC_MATCH.REQ or CM_AMP_MAP.REQ (so at most 1 + 2 transmissions)")
    # ---------------------------------------------------------------- sounding
    C_EV_start_atten_char_inds: int = setting(
        3, unit="count", role="EV", minimum=3, maximum=3, source="iso; mstar; libslac 3; openplc sends 3",
        meaning="CM_START_ATTEN_CHAR.IND messages the EV sends")
    C_EV_match_MNBC: int = setting(
        10, unit="count", role="EV", minimum=10, maximum=10, source="iso; mstar; libslac; pyslac; openplc 10",
        meaning="CM_MNBC_SOUND.IND messages the EV sends (NUM_SOUNDS)")
    TP_EV_batch_msg_interval: float = setting(
        0.02, unit="s", role="EV", minimum=0.02, maximum=0.05,
        source="iso 20-50 ms; pyslac 20; openplc 20; libslac 40; mstar 50; etsi 30",
        meaning="pause between consecutive CM_START_ATTEN_CHAR.IND / CM_MNBC_SOUND.IND messages")
    TT_EVSE_match_MNBC: float = setting(
        0.6, unit="s", role="EVSE", minimum=0.6, source="iso; mstar 0x06 x 100 ms; pyslac 6; libslac 600 ms",
        meaning="EVSE sounding window from the first CM_START_ATTEN_CHAR.IND (TIME_OUT of CM_SLAC_PARM.CNF, "
                "x 100 ms)")
    TP_EVSE_avg_atten_calc: float = setting(
        0.1, unit="s", role="EVSE", maximum=0.1, source="iso; mstar 100 ms",
        meaning="EVSE sends CM_ATTEN_CHAR.IND within this time after the sounding window")
    TT_EV_atten_results: float = setting(
        1.2, unit="s", role="EV", maximum=1.2, source="iso; mstar; pyslac; libslac; etsi 1.2",
        meaning="EV collects CM_ATTEN_CHAR.IND messages this long after its first CM_START_ATTEN_CHAR.IND")
    # ---------------------------------------------------------------- validation and match
    TP_EV_match_session: float = setting(
        0.5, unit="s", role="EV", maximum=0.5, source="iso; mstar 500 ms",
        meaning="EV sends CM_VALIDATE.REQ or CM_SLAC_MATCH.REQ within this time after its decision")
    TT_EVSE_match_session: float = setting(
        10.0, unit="s", role="EVSE", maximum=10.0, source="iso; mstar; pyslac; libslac; etsi 10",
        meaning="EVSE waits this long for CM_VALIDATE.REQ or CM_SLAC_MATCH.REQ after CM_ATTEN_CHAR.RSP")
    TP_EV_vald_state_duration: float = setting(
        0.3, unit="s", role="EV", minimum=0.2, maximum=0.4, source="etsi 0.3 (max 0.4)",
        meaning="duration of each control-pilot B/C state while the EV toggles for CM_VALIDATE")
    TP_EV_vald_toggle: float = setting(
        2.0, unit="s", role="EVSE", source="etsi 2.0",
        meaning="window in which the EVSE counts the EV's control-pilot toggles (CM_VALIDATE.REQ Timer)")
    C_EV_match_signalattn_direct: int = setting(
        10, unit="count", role="EV", source="mstar 10 (units and use not stated in the public sources)",
        meaning="listed by the MStar SDK next to the sounding constants; not used by plcstack")
    C_EV_match_signalattn_indirect: int = setting(
        20, unit="count", role="EV", source="mstar 20 (units and use not stated in the public sources)",
        meaning="listed by the MStar SDK next to the sounding constants; not used by plcstack")
    # ---------------------------------------------------------------- joining and amplitude map
    TT_match_join: float = setting(
        12.0, unit="s", role="both", maximum=12.0, source="iso; mstar; libslac; etsi 12",
        meaning="both modems are in one AVLN within this time after CM_SLAC_MATCH.CNF")
    TP_link_ready_notification: float = setting(
        1.0, unit="s", role="both", minimum=0.2, maximum=1.0, source="iso; mstar 0.2-1 s",
        meaning="the SLAC layer reports D-LINK_READY within this time after the link is up")
    TT_amp_map_exchange: float = setting(
        0.2, unit="s", role="both", maximum=0.2, source="iso; mstar; etsi 0.2",
        meaning="a CM_AMP_MAP.REQ is sent within this time after the link is ready")
    TP_amp_map_exchange: float = setting(
        0.1, unit="s", role="both", maximum=0.1, source="iso; mstar 100 ms",
        meaning="CM_AMP_MAP.CNF follows its request within this time")
    TP_match_leave: float = setting(
        1.0, unit="s", role="both", maximum=1.0, source="etsi 1.0",
        meaning="a matched station leaves the AVLN within this time after D-LINK_TERMINATE")
    # ---------------------------------------------------------------- repetition of the whole process
    TT_matching_rate: float = setting(
        0.4, unit="s", role="EV", minimum=0.4, source="iso; mstar; pyslac; etsi 0.4",
        meaning="EV waits this long after a failed matching process before it starts a new one")
    TT_matching_repetition: float = setting(
        10.0, unit="s", role="EV", minimum=10.0, source="iso; mstar; pyslac; etsi 10",
        meaning="EV starts new matching processes only within this time after the first one")
    C_conn_max_match: int = setting(
        3, unit="count", role="EV", minimum=3, source="pyslac comment (min 3)",
        meaning="matching processes the EV starts before it stays unmatched")
    T_step_EF: float = setting(
        4.0, unit="s", role="EVSE", minimum=4.0, source="iso; pyslac; libslac 4 s (etsi max 8)",
        meaning="EVSE holds control-pilot state E/F this long before it signals a new matching attempt")
    C_sequ_retry: int = setting(
        2, unit="count", role="EVSE", source="iso via pyslac comment [V2G3-M06-07]",
        meaning="times the EVSE repeats the E/F step and TT_EVSE_SLAC_init without a CM_SLAC_PARM.REQ")
    # ---------------------------------------------------------------- host <-> local modem (not ISO 15118-3)
    TT_set_key_response: float = setting(
        0.5, unit="s", role="both", source="plcstack (open-plc-utils waits its -t timeout)",
        meaning="host waits this long for its local modem's CM_SET_KEY.CNF before repeating the request")
    C_set_key_retry: int = setting(
        2, unit="count", role="both", source="plcstack",
        meaning="repetitions of an unanswered CM_SET_KEY.REQ to the local modem")
    T_modem_ready_max: float = setting(
        10.0, unit="s", role="both", source="plcstack; pyslac SLAC_SETTLE_TIME 10; openplc settletime 10",
        meaning="after CM_SET_KEY.CNF the host polls its modem (VS_SW_VER) until it answers again, at most "
                "this long (a QCA7000 restarts its power-line side for about 2 s after a key change)")
    T_settle_after_set_key: float = setting(
        0.0, unit="s", role="both", source="plcstack",
        meaning="extra pause after the modem answers again, before SLAC messages are sent")
    TT_modem_poll: float = setting(
        0.25, unit="s", role="both", source="plcstack; etsi TT_polling_pause 0.25",
        meaning="interval of polls of the local modem (VS_SW_VER after a key change, VS_NW_INFO while waiting "
                "for the AVLN)")

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.metadata["unit"] == "count":
                if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                    raise ValueError(f"{f.name} is a count and must be an integer >= 0, got {v!r}")
            elif not isinstance(v, int | float) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{f.name} is a time in seconds and must be >= 0, got {v!r}")

    # ---------------------------------------------------------------- table access

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def table(self) -> list[Setting]:
        """Every setting with its current value, in declaration order."""
        out = []
        for f in fields(self):
            md = f.metadata
            out.append(Setting(f.name, getattr(self, f.name), md["unit"], md["role"], md["meaning"], md["source"],
                               md["minimum"], md["maximum"]))
        return out

    def setting(self, name: str) -> Setting:
        for s in self.table():
            if s.name == name:
                return s
        raise KeyError(f"no SLAC setting {name!r}; known: {', '.join(self.names())}")

    def outside_standard(self) -> list[Setting]:
        """Settings whose value lies outside the standard's range (e.g. shortened for tests)."""
        return [s for s in self.table() if not s.within_standard()]

    def with_values(self, **changes: float) -> SlacTimers:
        """A copy with some settings changed (``timers.with_values(TT_EVSE_SLAC_init=5)``)."""
        unknown = set(changes) - set(self.names())
        if unknown:
            raise KeyError(f"unknown SLAC setting(s) {sorted(unknown)}; known: {', '.join(self.names())}")
        return replace(self, **changes)  # type: ignore[arg-type]

    def parse_overrides(self, items: list[str]) -> SlacTimers:
        """Apply ``NAME=VALUE`` strings (the CLI's ``--timer`` option)."""
        changes: dict[str, float] = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--timer wants NAME=VALUE, got {item!r}")
            name = name.strip()
            unit = self.setting(name).unit
            try:
                changes[name] = int(value) if unit == "count" else float(value)
            except ValueError:
                raise ValueError(f"--timer {name}: {value!r} is not a number") from None
        return self.with_values(**changes)


#: The standard's values.
DEFAULT_TIMERS = SlacTimers()


def markdown_table(timers: SlacTimers = DEFAULT_TIMERS) -> str:
    """The table of docs/slac.md (name, value, unit, standard range, who, meaning, sources)."""
    rows = ["| setting | value | unit | range | who | meaning | sources |", "|---|---:|---|---|---|---|---|"]
    for s in timers.table():
        rows.append(f"| `{s.name}` | {s.value:g} | {s.unit} | {s.range_text} | {s.role} | {s.meaning} | {s.source} |")
    return "\n".join(rows)
