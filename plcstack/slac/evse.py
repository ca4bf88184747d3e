"""The charger side (SECC) of ISO 15118-3 SLAC as a sans-I/O state machine.

CM_SET_KEY of a fresh random NMK (per session; or a fixed one) to the local modem, VS_SW_VER polls until
the modem answers again after its restart -> wait up to
``TT_EVSE_SLAC_init`` for CM_SLAC_PARM.REQ (then control pilot E/F and again, ``C_sequ_retry``
times) -> per EV and RunID a matching session (:class:`EvseSession`): CM_SLAC_PARM.CNF ->
CM_START_ATTEN_CHAR.IND within ``TT_match_sequence`` -> sounding window ``TT_EVSE_match_MNBC``
collecting the modem's CM_ATTEN_PROFILE.IND (or Qualcomm's VS_ATTENUATION_CHARACTERISTICS.IND where that
is all the firmware sends) -> CM_ATTEN_CHAR.IND (repeated after ``TT_match_response``
up to ``C_EV_match_retry`` times) -> CM_ATTEN_CHAR.RSP -> CM_VALIDATE / CM_SLAC_MATCH.REQ within
``TT_EVSE_match_session`` -> CM_SLAC_MATCH.CNF with NID and NMK -> VS_NW_INFO polls until the EV's
modem is in our AVLN (``TT_match_join``) -> optional CM_AMP_MAP.REQ.

Several EVs may talk to one EVSE at once (neighbouring cables hear each other): every CM_SLAC_PARM.REQ
opens its own session; the first CM_SLAC_MATCH.REQ wins the charger and the others are left to time
out.  A repeated request (its answer was lost) is answered again.

Transitions are rows of :data:`TRANSITIONS` (charger level) and :data:`SESSION_TRANSITIONS` (one
EV's session), keyed by (state, message class or timer).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plcstack.codec import BROADCAST_MAC, Frame, messages
from plcstack.codec.codes import (
    SlacApplicationType,
    SlacRespType,
    SlacSecurityType,
    ValidateResult,
    ValidateSignalType,
)
from plcstack.keys.derive import nid_from_nmk
from plcstack.slac import events as ev
from plcstack.slac.core import MATCH_CNF_MVF_LENGTH, SlacMachine
from plcstack.slac.decision import average_profiles
from plcstack.slac.events import AttenuationProfile, Step
from plcstack.slac.timers import SlacTimers

#: Sessions kept at once (each CM_SLAC_PARM.REQ heard opens one; the oldest finished ones go first).
MAX_SESSIONS = 32


class EvseState(StrEnum):
    IDLE = "idle"
    SETTING_KEY = "setting the session NMK"
    MODEM_READY = "waiting for the modem after CM_SET_KEY"
    WAIT_PARM = "waiting for CM_SLAC_PARM.REQ"
    MATCHING = "matching"
    JOINING = "waiting for the EV to join"
    AMP_MAP = "amplitude map exchange"
    MATCHED = "matched"
    UNMATCHED = "unmatched"


class SessionState(StrEnum):
    WAIT_START = "waiting for CM_START_ATTEN_CHAR.IND"
    SOUNDING = "sounding"
    WAIT_RSP = "waiting for CM_ATTEN_CHAR.RSP"
    WAIT_MATCH = "waiting for CM_VALIDATE / CM_SLAC_MATCH.REQ"
    VALIDATING = "counting control-pilot toggles"
    MATCHED = "matched"
    FAILED = "failed"


class EvseTimer(StrEnum):
    SET_KEY = "TT_set_key_response"
    MODEM_READY = "T_modem_ready_max"
    MODEM_POLL = "TT_modem_poll"
    SLAC_INIT = "TT_EVSE_SLAC_init"
    JOIN = "TT_match_join"
    JOIN_POLL = "TT_modem_poll"
    AMP_MAP = "TT_match_response"


class SessionTimer(StrEnum):
    SEQUENCE = "TT_match_sequence"
    MNBC = "TT_EVSE_match_MNBC"
    RESPONSE = "TT_match_response"
    MATCH_SESSION = "TT_EVSE_match_session"
    TOGGLE = "TP_EV_vald_toggle"


@dataclass
class EvseConfig:
    mac: bytes  # the charger host's MAC
    evse_id: bytes = bytes(17)  # EVSE ID of CM_ATTEN_CHAR.IND RESP_ID and CM_SLAC_MATCH
    nmk: bytes | None = None  # None: a fresh random NMK for every session
    security_level: int = 0
    timers: SlacTimers | None = None
    resp_type: int = SlacRespType.TO_OTHER_STA  # CM_SLAC_PARM.CNF RESP_TYPE (open-plc-utils sends 0)
    validation: bool = True  # take part in CM_VALIDATE (counting control-pilot toggles)
    amp_map: bytes | None = None  # amplitude map (4-bit entries, two per byte) sent after the join
    amp_map_entries: int = 0  # number of 4-bit entries in amp_map (default: 2 per byte)

    def __post_init__(self) -> None:
        if len(self.evse_id) != 17:
            raise ValueError("evse_id must be 17 bytes")
        if self.nmk is not None and len(self.nmk) != 16:
            raise ValueError("nmk must be 16 bytes")


@dataclass
class EvseSession:
    """One EV's matching session (one EV MAC and RunID)."""

    ev_mac: bytes
    run_id: bytes
    opened: float
    state: SessionState = SessionState.WAIT_START
    num_sounds: int = 10
    time_out: int = 6
    starts: int = 0  # CM_START_ATTEN_CHAR.IND received
    sounds: int = 0  # CM_MNBC_SOUND.IND received
    foreign_sounds: int = 0  # CM_MNBC_SOUND.IND from this EV with another RunID while sounding
    profiles: list[tuple[int, ...]] = field(default_factory=list)  # CM_ATTEN_PROFILE.IND groups
    vendor_profiles: list[tuple[int, ...]] = field(default_factory=list)  # QCA VS_ATTENUATION_CHARACTERISTICS.IND
    source_id: bytes = bytes(17)
    report: AttenuationProfile | None = None
    tries: int = 0
    toggles: int = 0


class EvseMachine(SlacMachine):
    """See the module docstring; calling convention in :mod:`plcstack.slac.core`."""

    role = "EVSE"

    def __init__(self, config: EvseConfig, rng: Any = None) -> None:
        super().__init__(config.mac, config.timers, rng)
        self.config = config
        self.state = EvseState.IDLE
        self.sessions: OrderedDict[tuple[bytes, bytes], EvseSession] = OrderedDict()
        self.nmk = b""
        self.nid = b""
        self.key_tries = 0
        self.cp_retries = 0
        self.matched: EvseSession | None = None
        self.result: ev.Matched | None = None
        self.joined: ev.Joined | None = None
        self.amp_tries = 0

    @property
    def done(self) -> bool:
        return self.state in (EvseState.MATCHED, EvseState.UNMATCHED)

    # ------------------------------------------------------------------ driving

    def start(self, now: float) -> None:
        """Control pilot went to state B (EV plugged in): set the session key and wait for the EV."""
        if self.state is not EvseState.IDLE:
            raise RuntimeError(f"EVSE already started ({self.state.value})")
        self.started_at = now
        self.nmk = self.config.nmk or self._rand(16)
        self.nid = nid_from_nmk(self.nmk, self.config.security_level)
        self.state = EvseState.SETTING_KEY
        self.key_tries = 1
        self._send_set_key(self.nmk, self.nid)
        self._start(EvseTimer.SET_KEY, now + self.timers.TT_set_key_response)

    def control_pilot_toggled(self, now: float) -> None:
        """The application saw one B -> C -> B toggle of the control pilot (for CM_VALIDATE)."""
        for s in self.sessions.values():
            if s.state is SessionState.VALIDATING:
                s.toggles += 1

    def _on_frame(self, frame: Frame, now: float) -> None:
        key = type(frame.message)
        handler = TRANSITIONS.get((self.state, key))
        if handler is not None:
            handler(self, frame, now)
            return
        if self.state in (EvseState.MATCHING, EvseState.WAIT_PARM, EvseState.JOINING, EvseState.MATCHED,
                          EvseState.AMP_MAP):
            s = self._session_for(frame)
            if s is not None:
                sh = SESSION_TRANSITIONS.get((s.state, key))
                if sh is not None:
                    sh(self, s, frame, now)
                    return
        if isinstance(frame.message, messages.CM_MNBC_SOUND_IND):
            sounding = next((x for x in reversed(self.sessions.values())
                             if x.ev_mac == frame.src and x.state is SessionState.SOUNDING), None)
            if sounding is not None:  # its CM_ATTEN_PROFILE.IND must not count for the session
                sounding.foreign_sounds += 1
                self._ignore(frame, now, f"RunID {bytes(frame.message.run_id).hex()} is not the sounding "
                                         f"session's {sounding.run_id.hex()}")
                return
        if (frame.mmtype >> 13) == 3 and not isinstance(frame.message, messages.CM_SLAC_PARM_CNF):
            self._ignore(frame, now, f"not expected while {self.state.value}")

    def _on_timer(self, key: Hashable, now: float) -> None:
        if isinstance(key, tuple):
            timer, skey = key
            s = self.sessions.get(skey)
            if s is not None:
                sh = SESSION_TRANSITIONS.get((s.state, timer))
                if sh is not None:
                    sh(self, s, None, now)
            return
        handler = TRANSITIONS.get((self.state, key))
        if handler is not None:
            handler(self, None, now)

    def _session_for(self, frame: Frame) -> EvseSession | None:
        m = frame.message
        if isinstance(m, messages.CM_ATTEN_PROFILE_IND | messages.VS_ATTENUATION_CHARACTERISTICS_IND):
            # from our modem: no RunID, find the EV sounding
            for s in reversed(self.sessions.values()):
                if s.ev_mac == m.pev_mac and s.state is SessionState.SOUNDING:
                    return s
            return None
        if isinstance(m, messages.CM_VALIDATE_REQ):  # no RunID either
            for s in reversed(self.sessions.values()):
                if s.ev_mac == frame.src and s.state in (SessionState.WAIT_MATCH, SessionState.VALIDATING):
                    return s
            return None
        run_id = getattr(m, "run_id", None)
        return self.sessions.get((frame.src, bytes(run_id))) if run_id is not None else None

    def _stimer(self, s: EvseSession, timer: SessionTimer, due: float) -> None:
        self._start((timer, (s.ev_mac, s.run_id)), due)

    def _scancel(self, s: EvseSession, *timers: SessionTimer) -> None:
        for t in timers:
            self._cancel((t, (s.ev_mac, s.run_id)))

    # ------------------------------------------------------------------ CM_SET_KEY and waiting

    def _on_set_key_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None
        if not self._set_key_cnf_ok(frame):
            self._ignore(frame, now, f"CM_SET_KEY.CNF result {frame.message.result} / nonce not ours")
            return
        self._cancel(EvseTimer.SET_KEY)
        self._emit(ev.KeySet(now, self.nid, frame.message.result))
        self._key_set_at = now
        if self.timers.T_modem_ready_max > 0:
            self.state = EvseState.MODEM_READY
            self._start(EvseTimer.MODEM_READY, now + self.timers.T_modem_ready_max)
            self._poll_modem(None, now)
        else:
            self._modem_ready(None, now)

    def _poll_modem(self, frame: Frame | None, now: float) -> None:
        self._send_sw_ver()
        self._start(EvseTimer.MODEM_POLL, now + self.timers.TT_modem_poll)

    def _modem_ready(self, frame: Frame | None, now: float) -> None:
        """The modem answers again after the key change (or T_modem_ready_max ran out): wait for the EV."""
        self._cancel(EvseTimer.MODEM_READY, EvseTimer.MODEM_POLL)
        detail = f"session NID {self.nid.hex()}" + self._modem_wait_note(frame, now)
        self._emit(ev.StepDone(now, Step.SET_KEY, detail=detail))
        self.state = EvseState.WAIT_PARM
        self._start(EvseTimer.SLAC_INIT, now + self.timers.T_settle_after_set_key + self.timers.TT_EVSE_SLAC_init)

    def _set_key_timeout(self, frame: Frame | None, now: float) -> None:
        if self.key_tries <= self.timers.C_set_key_retry:
            self.key_tries += 1
            self._emit(ev.Retry(now, Step.SET_KEY, self.key_tries, EvseTimer.SET_KEY.value))
            self._send_set_key(self.nmk, self.nid)
            self._start(EvseTimer.SET_KEY, now + self.timers.TT_set_key_response)
            return
        self._finish_failed(now, Step.SET_KEY, "the local modem did not confirm CM_SET_KEY", EvseTimer.SET_KEY)

    def _slac_init_timeout(self, frame: Frame | None, now: float) -> None:
        if self.cp_retries < self.timers.C_sequ_retry:
            self.cp_retries += 1
            self._emit(ev.ControlPilotRetry(now, self.cp_retries, self.timers.T_step_EF))
            self._start(EvseTimer.SLAC_INIT, now + self.timers.T_step_EF + self.timers.TT_EVSE_SLAC_init)
            return
        self._finish_failed(now, Step.SLAC_PARM, "no CM_SLAC_PARM.REQ", EvseTimer.SLAC_INIT)

    def _finish_failed(self, now: float, step: Step, reason: str, timer: EvseTimer | SessionTimer | None,
                       run_id: bytes = b"", peer: bytes | None = None) -> None:
        self._deadlines.clear()
        self.state = EvseState.UNMATCHED
        self._emit(ev.Failed(now, step, reason, True, timer.value if timer else "", run_id, peer))

    # ------------------------------------------------------------------ CM_SLAC_PARM

    def _on_parm_req(self, frame: Frame | None, now: float) -> None:
        assert frame is not None
        m = frame.message
        if m.application_type != SlacApplicationType.PEV_EVSE or m.security_type != SlacSecurityType.NONE:
            self._ignore(frame, now, "only PEV-EVSE association without security is supported")
            return
        if self.state is EvseState.JOINING:
            if self.matched is None or frame.src != self.matched.ev_mac or m.run_id == self.matched.run_id:
                self._ignore(frame, now, "matched with another EV")
                return
            self._cancel(EvseTimer.JOIN, EvseTimer.JOIN_POLL)  # our EV gave up joining and starts again
            self.matched, self.result = None, None
        key = (frame.src, bytes(m.run_id))
        old = self.sessions.pop(key, None)
        if old is not None:  # [V2G3-A09-16] a repeated request restarts the session
            self._scancel(old, *SessionTimer)
        s = EvseSession(frame.src, bytes(m.run_id), now, num_sounds=self.timers.C_EV_match_MNBC,
                        time_out=max(1, int(round(self.timers.TT_EVSE_match_MNBC * 10))))
        self.sessions[key] = s
        self._trim_sessions()
        self._cancel(EvseTimer.SLAC_INIT)
        self.state = EvseState.MATCHING
        self._send(frame.src, messages.CM_SLAC_PARM_CNF(
            msound_target=BROADCAST_MAC, num_sounds=s.num_sounds, time_out=s.time_out,
            resp_type=self.config.resp_type, forwarding_sta=frame.src, application_type=0, security_type=0,
            run_id=s.run_id))
        self._emit(ev.StepDone(now, Step.SLAC_PARM, frame.src, "repeated request" if old else ""))
        self._stimer(s, SessionTimer.SEQUENCE, now + self.timers.TT_match_sequence)

    def _trim_sessions(self) -> None:
        while len(self.sessions) > MAX_SESSIONS:
            victim = next((k for k, s in self.sessions.items() if s.state is SessionState.FAILED),
                          next(iter(self.sessions)))
            s = self.sessions.pop(victim)
            self._scancel(s, *SessionTimer)

    def _session_failed(self, s: EvseSession, now: float, step: Step, reason: str, timer: SessionTimer) -> None:
        s.state = SessionState.FAILED
        self._scancel(s, *SessionTimer)
        live = [x for x in self.sessions.values() if x.state is not SessionState.FAILED]
        final = False
        if not live and self.state is EvseState.MATCHING:
            self.state = EvseState.WAIT_PARM  # the EV may start a new process within TT_matching_repetition
            self._start(EvseTimer.SLAC_INIT, now + self.timers.TT_EVSE_SLAC_init)
        self._emit(ev.Failed(now, step, reason, final, timer.value, s.run_id, s.ev_mac))

    # ------------------------------------------------------------------ sounding

    def _on_start_atten(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        s.starts += 1
        if s.state is SessionState.SOUNDING:
            return  # the 2nd and 3rd of C_EV_start_atten_char_inds
        m = frame.message
        if 1 <= m.num_sounds <= 255:
            s.num_sounds = m.num_sounds
        self._scancel(s, SessionTimer.SEQUENCE)
        s.state = SessionState.SOUNDING
        self._stimer(s, SessionTimer.MNBC, now + s.time_out * 0.1)
        self._emit(ev.StepDone(now, Step.START_ATTEN_CHAR, s.ev_mac))

    def _on_sound(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        s.sounds += 1
        s.source_id = bytes(frame.message.sender_id)
        if len(self._usable_profiles(s)) >= s.num_sounds:  # its profile came first
            self._finish_sounding(s, None, now)

    def _on_profile(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        m = frame.message
        s.profiles.append(tuple(m.aag[:m.num_groups]))
        if len(self._usable_profiles(s)) >= s.num_sounds:
            self._finish_sounding(s, None, now)

    def _on_vendor_profile(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        """Qualcomm's 0xA14E indication, the only per-sound report of some AR7420 firmware (docs/slac.md)."""
        assert frame is not None
        m = frame.message
        s.vendor_profiles.append(tuple(m.aag[:m.num_groups]))
        if not s.profiles and len(self._usable_profiles(s)) >= s.num_sounds:
            self._finish_sounding(s, None, now)

    @staticmethod
    def _usable_profiles(s: EvseSession) -> list[tuple[int, ...]]:
        """The modem's profiles that stand for sounds of this session.  The modem reports every sound of
        the EV's MAC, whatever its RunID; when the host sees the sounds too, only as many profiles as
        sounds with the session's RunID count (a profile may come just before its sound).  A modem
        that forwards no sounds at all leaves the profiles to speak for themselves (pyslac and
        open-plc-utils ``evse`` count every profile)."""
        profiles = s.profiles or s.vendor_profiles
        if s.sounds or s.foreign_sounds:
            return profiles[:s.sounds]
        return profiles

    def _finish_sounding(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        self._scancel(s, SessionTimer.MNBC)
        groups, sounds = average_profiles(self._usable_profiles(s))
        foreign = f", {s.foreign_sounds} with another RunID ignored" if s.foreign_sounds else ""
        if not sounds:
            self._session_failed(s, now, Step.ATTEN_PROFILE,
                                 f"no CM_ATTEN_PROFILE.IND for a sound of the session ({s.sounds} sound(s) seen"
                                 f"{foreign})", SessionTimer.MNBC)
            return
        s.report = AttenuationProfile(self.mac, sounds, groups, self.config.evse_id)
        self._emit(ev.StepDone(now, Step.MNBC_SOUND, s.ev_mac, f"{s.sounds} sound(s), {sounds} profile(s){foreign}"))
        self._emit(ev.AttenuationReported(now, s.run_id, s.ev_mac, s.report))
        s.state = SessionState.WAIT_RSP
        s.tries = 1
        self._send_atten_char(s)
        self._stimer(s, SessionTimer.RESPONSE, now + self.timers.TT_match_response)

    def _send_atten_char(self, s: EvseSession) -> None:
        assert s.report is not None
        aag = bytes(s.report.groups_db)
        self._send(s.ev_mac, messages.CM_ATTEN_CHAR_IND(
            application_type=0, security_type=0, source_address=s.ev_mac, run_id=s.run_id, source_id=s.source_id,
            resp_id=self.config.evse_id, num_sounds=s.report.num_sounds, num_groups=len(aag), aag=aag))

    def _atten_rsp_timeout(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        if s.tries <= self.timers.C_EV_match_retry:
            s.tries += 1
            self._emit(ev.Retry(now, Step.ATTEN_CHAR, s.tries, SessionTimer.RESPONSE.value, s.ev_mac))
            self._send_atten_char(s)
            self._stimer(s, SessionTimer.RESPONSE, now + self.timers.TT_match_response)
            return
        self._session_failed(s, now, Step.ATTEN_CHAR, "no CM_ATTEN_CHAR.RSP", SessionTimer.RESPONSE)

    def _on_atten_rsp(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        if frame.message.source_address != s.ev_mac:
            self._ignore(frame, now, "CM_ATTEN_CHAR.RSP names another EV")
            return
        self._scancel(s, SessionTimer.RESPONSE)
        s.state = SessionState.WAIT_MATCH
        self._emit(ev.StepDone(now, Step.ATTEN_CHAR, s.ev_mac))
        self._stimer(s, SessionTimer.MATCH_SESSION, now + self.timers.TT_EVSE_match_session)

    # ------------------------------------------------------------------ CM_VALIDATE

    def _on_validate_req(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        m = frame.message
        if not self.config.validation:
            self._send(s.ev_mac, messages.CM_VALIDATE_CNF(
                signal_type=ValidateSignalType.PEV_S2_TOGGLES, toggle_num=0, result=ValidateResult.NOT_REQUIRED))
            return
        if s.state is SessionState.VALIDATING:
            return  # repeated second request while we count
        if m.timer == 0:  # first request: are we ready?
            self._send(s.ev_mac, messages.CM_VALIDATE_CNF(
                signal_type=ValidateSignalType.PEV_S2_TOGGLES, toggle_num=0, result=ValidateResult.READY))
            return
        s.state, s.toggles = SessionState.VALIDATING, 0
        self._scancel(s, SessionTimer.MATCH_SESSION)
        self._stimer(s, SessionTimer.TOGGLE, now + m.timer * 0.1)

    def _validation_window_over(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        result = ValidateResult.SUCCESS if s.toggles else ValidateResult.FAILURE
        self._send(s.ev_mac, messages.CM_VALIDATE_CNF(
            signal_type=ValidateSignalType.PEV_S2_TOGGLES, toggle_num=min(255, s.toggles), result=result))
        self._emit(ev.StepDone(now, Step.VALIDATE, s.ev_mac, f"{s.toggles} toggle(s) counted"))
        s.state = SessionState.WAIT_MATCH
        self._stimer(s, SessionTimer.MATCH_SESSION, now + self.timers.TT_EVSE_match_session)

    # ------------------------------------------------------------------ CM_SLAC_MATCH

    def _on_match_req(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        assert frame is not None
        m = frame.message
        if m.pev_mac != s.ev_mac or m.evse_mac != self.mac:
            self._ignore(frame, now, "CM_SLAC_MATCH.REQ names another EV or EVSE")
            return
        if self.matched is not None and self.matched is not s:
            self._ignore(frame, now, "already matched with another EV")
            return
        repeat = self.matched is s
        self._send(s.ev_mac, messages.CM_SLAC_MATCH_CNF(
            application_type=0, security_type=0, mvf_length=MATCH_CNF_MVF_LENGTH, pev_id=m.pev_id, pev_mac=s.ev_mac,
            evse_id=self.config.evse_id, evse_mac=self.mac, run_id=s.run_id, rsvd=bytes(8), nid=self.nid, rsvd2=0,
            nmk=self.nmk))
        if repeat:
            self._emit(ev.StepDone(now, Step.SLAC_MATCH, s.ev_mac, "repeated request answered again"))
            return
        self._scancel(s, *SessionTimer)
        s.state = SessionState.MATCHED
        self.matched = s
        for other in self.sessions.values():  # the charger is taken: other EVs' sessions end here
            if other is not s and other.state is not SessionState.FAILED:
                self._scancel(other, *SessionTimer)
                other.state = SessionState.FAILED
        self.result = ev.Matched(now, s.run_id, s.ev_mac, self.mac, self.nid, self.nmk)
        self._emit(ev.StepDone(now, Step.SLAC_MATCH, s.ev_mac))
        self._emit(self.result)
        self.state = EvseState.JOINING
        self._start(EvseTimer.JOIN, now + self.timers.TT_match_join)
        self._poll_join(None, now)

    def _session_timeout(self, s: EvseSession, frame: Frame | None, now: float) -> None:
        step, reason, timer = {
            SessionState.WAIT_START: (Step.START_ATTEN_CHAR, "no CM_START_ATTEN_CHAR.IND", SessionTimer.SEQUENCE),
            SessionState.WAIT_MATCH: (Step.SLAC_MATCH, "no CM_SLAC_MATCH.REQ", SessionTimer.MATCH_SESSION),
        }[s.state]
        self._session_failed(s, now, step, reason, timer)

    # ------------------------------------------------------------------ joining and CM_AMP_MAP

    def _poll_join(self, frame: Frame | None, now: float) -> None:
        self._send_nw_info()
        self._start(EvseTimer.JOIN_POLL, now + self.timers.TT_modem_poll)

    def _on_nw_info(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.matched is not None
        stations = self._avln_stations(frame, self.nid)
        if not stations:
            return
        self._cancel(EvseTimer.JOIN, EvseTimer.JOIN_POLL)
        self.joined = ev.Joined(now, self.nid, stations)
        self._emit(ev.StepDone(now, Step.JOIN, self.matched.ev_mac, f"{len(stations)} station(s) in the AVLN"))
        self._emit(self.joined)
        if self.config.amp_map:
            self.state = EvseState.AMP_MAP
            self.amp_tries = 1
            self._send_amp_map()
            self._start(EvseTimer.AMP_MAP, now + self.timers.TT_match_response)
        else:
            self.state = EvseState.MATCHED

    def _join_timeout(self, frame: Frame | None, now: float) -> None:
        peer = self.matched.ev_mac if self.matched else None
        run_id = self.matched.run_id if self.matched else b""
        self._finish_failed(now, Step.JOIN, "the EV's modem did not join our AVLN", EvseTimer.JOIN, run_id, peer)

    def _send_amp_map(self) -> None:
        assert self.matched is not None and self.config.amp_map
        data = self.config.amp_map
        entries = self.config.amp_map_entries or 2 * len(data)
        self._send(self.matched.ev_mac, messages.CM_AMP_MAP_REQ(amlen=entries, amdata=data))

    def _on_amp_map_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.matched is not None
        if frame.src != self.matched.ev_mac:
            self._ignore(frame, now, "CM_AMP_MAP.CNF from another host")
            return
        self._cancel(EvseTimer.AMP_MAP)
        self._emit(ev.AmpMapExchanged(now, frame.src, self.config.amp_map or b"", frame.message.result))
        self._emit(ev.StepDone(now, Step.AMP_MAP, frame.src, f"result {frame.message.result}"))
        self.state = EvseState.MATCHED

    def _amp_map_timeout(self, frame: Frame | None, now: float) -> None:
        if self.amp_tries <= self.timers.C_EV_match_retry:
            self.amp_tries += 1
            self._emit(ev.Retry(now, Step.AMP_MAP, self.amp_tries, EvseTimer.AMP_MAP.value))
            self._send_amp_map()
            self._start(EvseTimer.AMP_MAP, now + self.timers.TT_match_response)
            return
        self._finish_failed(now, Step.AMP_MAP, "no CM_AMP_MAP.CNF", EvseTimer.AMP_MAP)


Handler = Callable[[EvseMachine, Frame | None, float], None]
SessionHandler = Callable[[EvseMachine, EvseSession, Frame | None, float], None]
M = messages
E, S = EvseState, SessionState

#: Charger-level transitions: (state, message class or timer) -> handler.
TRANSITIONS: dict[tuple[EvseState, Any], Handler] = {
    (E.SETTING_KEY, M.CM_SET_KEY_CNF): EvseMachine._on_set_key_cnf,
    (E.SETTING_KEY, EvseTimer.SET_KEY): EvseMachine._set_key_timeout,
    (E.MODEM_READY, M.VS_SW_VER_CNF): EvseMachine._modem_ready,
    (E.MODEM_READY, EvseTimer.MODEM_POLL): EvseMachine._poll_modem,
    (E.MODEM_READY, EvseTimer.MODEM_READY): EvseMachine._modem_ready,
    (E.MODEM_READY, M.CM_SLAC_PARM_REQ): EvseMachine._on_parm_req,
    (E.WAIT_PARM, M.CM_SLAC_PARM_REQ): EvseMachine._on_parm_req,
    (E.WAIT_PARM, EvseTimer.SLAC_INIT): EvseMachine._slac_init_timeout,
    (E.MATCHING, M.CM_SLAC_PARM_REQ): EvseMachine._on_parm_req,
    (E.JOINING, M.CM_SLAC_PARM_REQ): EvseMachine._on_parm_req,
    (E.JOINING, M.VS_NW_INFO_CNF): EvseMachine._on_nw_info,
    (E.JOINING, EvseTimer.JOIN_POLL): EvseMachine._poll_join,
    (E.JOINING, EvseTimer.JOIN): EvseMachine._join_timeout,
    (E.AMP_MAP, M.CM_AMP_MAP_CNF): EvseMachine._on_amp_map_cnf,
    (E.AMP_MAP, EvseTimer.AMP_MAP): EvseMachine._amp_map_timeout,
}

#: One EV's session: (session state, message class or timer) -> handler.
SESSION_TRANSITIONS: dict[tuple[SessionState, Any], SessionHandler] = {
    (S.WAIT_START, M.CM_START_ATTEN_CHAR_IND): EvseMachine._on_start_atten,
    (S.WAIT_START, SessionTimer.SEQUENCE): EvseMachine._session_timeout,
    (S.SOUNDING, M.CM_START_ATTEN_CHAR_IND): EvseMachine._on_start_atten,
    (S.SOUNDING, M.CM_MNBC_SOUND_IND): EvseMachine._on_sound,
    (S.SOUNDING, M.CM_ATTEN_PROFILE_IND): EvseMachine._on_profile,
    (S.SOUNDING, M.VS_ATTENUATION_CHARACTERISTICS_IND): EvseMachine._on_vendor_profile,
    (S.SOUNDING, SessionTimer.MNBC): EvseMachine._finish_sounding,
    (S.WAIT_RSP, M.CM_ATTEN_CHAR_RSP): EvseMachine._on_atten_rsp,
    (S.WAIT_RSP, SessionTimer.RESPONSE): EvseMachine._atten_rsp_timeout,
    (S.WAIT_MATCH, M.CM_VALIDATE_REQ): EvseMachine._on_validate_req,
    (S.WAIT_MATCH, M.CM_SLAC_MATCH_REQ): EvseMachine._on_match_req,
    (S.WAIT_MATCH, SessionTimer.MATCH_SESSION): EvseMachine._session_timeout,
    (S.VALIDATING, M.CM_VALIDATE_REQ): EvseMachine._on_validate_req,
    (S.VALIDATING, SessionTimer.TOGGLE): EvseMachine._validation_window_over,
    (S.MATCHED, M.CM_SLAC_MATCH_REQ): EvseMachine._on_match_req,
}
