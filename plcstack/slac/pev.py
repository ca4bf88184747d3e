"""The EV side (EVCC) of ISO 15118-3 SLAC as a sans-I/O state machine.

One matching process: CM_SET_KEY (a private random NMK, so the EV's modem leaves any old network; then
VS_SW_VER polls until the modem answers again after its restart) ->
CM_SLAC_PARM.REQ (broadcast; repeated after ``TT_match_response`` up to ``C_EV_match_retry`` times)
-> ``C_EV_start_atten_char_inds`` x CM_START_ATTEN_CHAR.IND and NUM_SOUNDS x CM_MNBC_SOUND.IND,
``TP_EV_batch_msg_interval`` apart -> every EVSE that answered sends CM_ATTEN_CHAR.IND, answered at once
with CM_ATTEN_CHAR.RSP -> after ``TT_EV_atten_results`` (or when every EVSE that answered the
CM_SLAC_PARM.REQ has reported) :func:`plcstack.slac.decision.decide` picks one -> optional
CM_VALIDATE -> CM_SLAC_MATCH.REQ (repeated like the PARM request) -> CM_SET_KEY with the EVSE's NMK
-> VS_NW_INFO polls until the modem is in the EVSE's AVLN (``TT_match_join``).

A failed process is followed by a new one (new RunID) after ``TT_matching_rate``, as long as fewer
than ``C_conn_max_match`` processes ran and the first began less than ``TT_matching_repetition`` ago.

Every transition is a row of :data:`TRANSITIONS`, keyed by (state, message class or timer).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plcstack.codec import BROADCAST_MAC, Frame, messages
from plcstack.codec.codes import Result, SlacRespType, ValidateResult, ValidateSignalType
from plcstack.keys.derive import nid_from_nmk, nid_matches_nmk
from plcstack.slac import events as ev
from plcstack.slac.core import MATCH_REQ_MVF_LENGTH, SlacMachine
from plcstack.slac.decision import Decision, DecisionPolicy, decide
from plcstack.slac.events import AttenuationProfile, Step
from plcstack.slac.timers import SlacTimers


class PevState(StrEnum):
    IDLE = "idle"
    SETTING_KEY = "setting private key"
    MODEM_READY = "waiting for the modem after CM_SET_KEY"
    SETTLING = "settling after CM_SET_KEY"
    PARM = "waiting for CM_SLAC_PARM.CNF"
    SOUNDING = "sounding"
    WAIT_RESULTS = "waiting for CM_ATTEN_CHAR.IND"
    VALIDATING = "validating"
    MATCHING = "waiting for CM_SLAC_MATCH.CNF"
    SETTING_NEW_KEY = "setting the EVSE's NMK"
    JOINING = "joining the EVSE's AVLN"
    MATCHED = "matched"
    WAIT_RETRY = "waiting TT_matching_rate"
    UNMATCHED = "unmatched"


class PevTimer(StrEnum):
    SET_KEY = "TT_set_key_response"
    MODEM_READY = "T_modem_ready_max"
    MODEM_POLL = "TT_modem_poll"
    SETTLE = "T_settle_after_set_key"
    RESPONSE = "TT_match_response"
    BATCH = "TP_EV_batch_msg_interval"
    ATTEN_RESULTS = "TT_EV_atten_results"
    VALIDATE = "TP_EV_vald_toggle"
    JOIN = "TT_match_join"
    JOIN_POLL = "TT_modem_poll"
    RATE = "TT_matching_rate"


@dataclass
class PevConfig:
    mac: bytes  # the EV host's MAC (its Ethernet interface to the local modem)
    pev_id: bytes = bytes(17)  # PEV ID / VIN field of CM_MNBC_SOUND and CM_SLAC_MATCH (zeros: not sent)
    timers: SlacTimers | None = None
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    leave_network: bool = True  # start with CM_SET_KEY of a private random NMK
    validate: bool = False  # CM_VALIDATE with every chosen EVSE (not only when the policy asks)
    security_level: int = 0
    decide_early: bool = True  # decide once every EVSE that sent CM_SLAC_PARM.CNF has reported (else wait
    #                            the whole TT_EV_atten_results)

    def __post_init__(self) -> None:
        if len(self.pev_id) != 17:
            raise ValueError("pev_id must be 17 bytes")


@dataclass
class _Process:
    """One matching process (one RunID)."""

    run_id: bytes
    started: float
    num_sounds: int = 10
    time_out: int = 6
    responders: dict[bytes, float] = field(default_factory=dict)  # EVSE MAC -> time of its PARM.CNF
    reports: dict[bytes, AttenuationProfile] = field(default_factory=dict)
    batch_sent: int = 0  # START_ATTEN_CHAR + MNBC_SOUND messages sent so far
    rnd: bytes = bytes(16)
    tries: int = 0  # transmissions of the current request
    decision: Decision | None = None
    excluded: set[bytes] = field(default_factory=set)  # candidates that failed validation
    chosen: AttenuationProfile | None = None
    toggles: int = 0
    validate_phase: int = 0
    nid: bytes = b""
    nmk: bytes = b""


class PevMachine(SlacMachine):
    """See the module docstring; calling convention in :mod:`plcstack.slac.core`."""

    role = "PEV"

    def __init__(self, config: PevConfig, rng: Any = None) -> None:
        super().__init__(config.mac, config.timers, rng)
        self.config = config
        self.state = PevState.IDLE
        self.process: _Process | None = None
        self.attempt = 0
        self.first_start: float | None = None
        self.key_tries = 0
        self.private_nmk = b""
        self.result: ev.Matched | None = None
        self.joined: ev.Joined | None = None

    @property
    def done(self) -> bool:
        return self.state in (PevState.MATCHED, PevState.UNMATCHED)

    # ------------------------------------------------------------------ driving

    def start(self, now: float) -> None:
        """Control pilot went to state B: begin matching."""
        if self.state is not PevState.IDLE:
            raise RuntimeError(f"PEV already started ({self.state.value})")
        self.started_at = self.first_start = now
        if self.config.leave_network:
            self.private_nmk = self._rand(16)
            self._set_key(self.private_nmk, now, PevState.SETTING_KEY)
        else:
            self._begin_process(now)

    def _on_frame(self, frame: Frame, now: float) -> None:
        handler = TRANSITIONS.get((self.state, type(frame.message)))
        if handler is None:
            if isinstance(frame.message, messages.CM_ATTEN_CHAR_IND) and self.process is not None:
                self._late_atten_char(frame, now)
            elif isinstance(frame.message, messages.CM_AMP_MAP_REQ):
                self._amp_map(frame, now)
            elif (frame.mmtype >> 13) == 3:
                self._ignore(frame, now, f"not expected while {self.state.value}")
            return
        handler(self, frame, now)

    def _on_timer(self, key: Hashable, now: float) -> None:
        handler = TRANSITIONS.get((self.state, key))
        if handler is not None:
            handler(self, None, now)

    # ------------------------------------------------------------------ CM_SET_KEY

    def _set_key(self, nmk: bytes, now: float, state: PevState, nid: bytes | None = None) -> None:
        self.state = state
        self.key_tries = 1
        self._key = (nmk, nid or nid_from_nmk(nmk, self.config.security_level))
        self._send_set_key(*self._key)
        self._start(PevTimer.SET_KEY, now + self.timers.TT_set_key_response)

    def _on_set_key_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None
        if not self._set_key_cnf_ok(frame):
            self._ignore(frame, now, f"CM_SET_KEY.CNF result {frame.message.result} / nonce not ours")
            return
        self._cancel(PevTimer.SET_KEY)
        nid = self._key[1]
        self._emit(ev.KeySet(now, nid, frame.message.result))
        if self.state is PevState.SETTING_KEY:
            self._key_set_at = now
            if self.timers.T_modem_ready_max > 0:
                self.state = PevState.MODEM_READY
                self._start(PevTimer.MODEM_READY, now + self.timers.T_modem_ready_max)
                self._poll_modem(None, now)
            else:
                self._modem_ready(None, now)
        else:  # the EVSE's NMK is set: wait for the AVLN
            self._emit(ev.StepDone(now, Step.NEW_KEY, detail=f"NID {nid.hex()}"))
            self.state = PevState.JOINING
            self._start(PevTimer.JOIN, now + self.timers.TT_match_join)
            self._poll_join(None, now)

    def _set_key_timeout(self, frame: Frame | None, now: float) -> None:
        if self.key_tries <= self.timers.C_set_key_retry:
            self.key_tries += 1
            step = Step.SET_KEY if self.state is PevState.SETTING_KEY else Step.NEW_KEY
            self._emit(ev.Retry(now, step, self.key_tries, PevTimer.SET_KEY.value))
            self._send_set_key(*self._key)
            self._start(PevTimer.SET_KEY, now + self.timers.TT_set_key_response)
            return
        step = Step.SET_KEY if self.state is PevState.SETTING_KEY else Step.NEW_KEY
        self._fail(now, step, "the local modem did not confirm CM_SET_KEY", PevTimer.SET_KEY, final=True)

    def _poll_modem(self, frame: Frame | None, now: float) -> None:
        self._send_sw_ver()
        self._start(PevTimer.MODEM_POLL, now + self.timers.TT_modem_poll)

    def _modem_ready(self, frame: Frame | None, now: float) -> None:
        """The modem answers again after the key change (or T_modem_ready_max ran out): go on."""
        self._cancel(PevTimer.MODEM_READY, PevTimer.MODEM_POLL)
        detail = f"private NID {self._key[1].hex()}" + self._modem_wait_note(frame, now)
        self._emit(ev.StepDone(now, Step.SET_KEY, detail=detail))
        if self.timers.T_settle_after_set_key > 0:
            self.state = PevState.SETTLING
            self._start(PevTimer.SETTLE, now + self.timers.T_settle_after_set_key)
        else:
            self._begin_process(now)

    def _settled(self, frame: Frame | None, now: float) -> None:
        self._begin_process(now)

    # ------------------------------------------------------------------ CM_SLAC_PARM

    def _begin_process(self, now: float) -> None:
        self.attempt += 1
        p = self.process = _Process(run_id=self._rand(8), started=now, rnd=self._rand(16))
        self._emit(ev.ProcessStarted(now, self.attempt, p.run_id))
        p.num_sounds = self.timers.C_EV_match_MNBC
        self.state = PevState.PARM
        p.tries = 1
        self._send_parm_req()
        self._start(PevTimer.RESPONSE, now + self.timers.TT_match_response)

    def _send_parm_req(self) -> None:
        assert self.process is not None
        self._send(BROADCAST_MAC, messages.CM_SLAC_PARM_REQ(application_type=0, security_type=0,
                                                             run_id=self.process.run_id))

    def _on_parm_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.process is not None
        p, m = self.process, frame.message
        if m.run_id != p.run_id:
            self._ignore(frame, now, "RunID of another process")
            return
        if frame.src in p.responders:
            return  # the same EVSE answered a repeated request
        p.responders[frame.src] = now
        self._emit(ev.StepDone(now, Step.SLAC_PARM, frame.src,
                               f"NUM_SOUNDS {m.num_sounds}, TIME_OUT {m.time_out} x 100 ms"))
        if self.state is not PevState.PARM:
            return  # a later EVSE: it sounds with the others (START_ATTEN_CHAR.IND is broadcast)
        if 1 <= m.num_sounds <= 255:
            p.num_sounds = m.num_sounds
        p.time_out = m.time_out
        self._cancel(PevTimer.RESPONSE)
        self.state = PevState.SOUNDING
        self._start(PevTimer.ATTEN_RESULTS, now + self.timers.TT_EV_atten_results)
        self._batch(None, now)

    def _parm_timeout(self, frame: Frame | None, now: float) -> None:
        self._response_timeout(now, Step.SLAC_PARM, "CM_SLAC_PARM.CNF", self._send_parm_req, peer=False)

    def _response_timeout(self, now: float, step: Step, awaited: str, resend: Callable[[], None], *,
                          peer: bool = True, restart: bool = True) -> None:
        """No answer within the response timer: repeat the request up to ``C_EV_match_retry`` times
        (``restart``: the timer runs ``TT_match_response`` again; otherwise ``resend`` starts it), then
        fail the process.  ``peer``: the retry names the chosen EVSE."""
        p = self.process
        assert p is not None
        if p.tries <= self.timers.C_EV_match_retry:
            p.tries += 1
            self._emit(ev.Retry(now, step, p.tries, PevTimer.RESPONSE.value,
                                p.chosen.evse_mac if peer and p.chosen else None))
            resend()
            if restart:
                self._start(PevTimer.RESPONSE, now + self.timers.TT_match_response)
            return
        self._fail(now, step, f"no {awaited}", PevTimer.RESPONSE)

    # ------------------------------------------------------------------ sounding

    def _batch(self, frame: Frame | None, now: float) -> None:
        assert self.process is not None
        p = self.process
        n_start = self.timers.C_EV_start_atten_char_inds
        if p.batch_sent < n_start:
            self._send(BROADCAST_MAC, messages.CM_START_ATTEN_CHAR_IND(
                application_type=0, security_type=0, num_sounds=p.num_sounds, time_out=p.time_out,
                resp_type=SlacRespType.TO_OTHER_STA, forwarding_sta=self.mac, run_id=p.run_id))
            if p.batch_sent == n_start - 1:
                self._emit(ev.StepDone(now, Step.START_ATTEN_CHAR, detail=f"{n_start} sent"))
        else:
            cnt = p.num_sounds - 1 - (p.batch_sent - n_start)
            self._send(BROADCAST_MAC, messages.CM_MNBC_SOUND_IND(
                application_type=0, security_type=0, sender_id=self.config.pev_id, cnt=cnt, run_id=p.run_id,
                rsvd=bytes(8), rnd=p.rnd))
        p.batch_sent += 1
        if p.batch_sent < n_start + p.num_sounds:
            self._start(PevTimer.BATCH, now + self.timers.TP_EV_batch_msg_interval)
            return
        self._emit(ev.StepDone(now, Step.MNBC_SOUND, detail=f"{p.num_sounds} sent"))
        self.state = PevState.WAIT_RESULTS
        self._maybe_decide(now)

    def _on_atten_char(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.process is not None
        p, m = self.process, frame.message
        if m.run_id != p.run_id or m.source_address != self.mac:
            self._ignore(frame, now, "CM_ATTEN_CHAR.IND for another EV or process")
            return
        self._send(frame.src, messages.CM_ATTEN_CHAR_RSP(
            application_type=0, security_type=0, source_address=self.mac, run_id=p.run_id,
            source_id=self.config.pev_id, resp_id=m.resp_id, result=Result.SUCCESS))
        if frame.src in p.reports:
            return  # a repetition: our RSP was lost
        prof = AttenuationProfile(frame.src, m.num_sounds, tuple(m.aag[:m.num_groups]), bytes(m.resp_id))
        p.reports[frame.src] = prof
        self._emit(ev.AttenuationReported(now, p.run_id, self.mac, prof))
        if self.state is PevState.WAIT_RESULTS:
            self._maybe_decide(now)

    def _late_atten_char(self, frame: Frame, now: float) -> None:
        """A repeated CM_ATTEN_CHAR.IND after the decision: answer it so the EVSE stops repeating."""
        p, m = self.process, frame.message
        assert p is not None
        if m.run_id == p.run_id and m.source_address == self.mac:
            self._send(frame.src, messages.CM_ATTEN_CHAR_RSP(
                application_type=0, security_type=0, source_address=self.mac, run_id=p.run_id,
                source_id=self.config.pev_id, resp_id=m.resp_id, result=Result.SUCCESS))
        else:
            self._ignore(frame, now, "CM_ATTEN_CHAR.IND for another EV or process")

    def _maybe_decide(self, now: float) -> None:
        p = self.process
        assert p is not None
        if self.config.decide_early and p.responders and set(p.responders) <= set(p.reports):
            self._decide(None, now)  # every EVSE that answered has reported: no need to wait longer

    def _decide(self, frame: Frame | None, now: float) -> None:
        p = self.process
        assert p is not None
        if self.state is PevState.SOUNDING:  # TT_EV_atten_results ran out before the sounds: finish first
            self._start(PevTimer.ATTEN_RESULTS, now + self.timers.TP_EV_batch_msg_interval)
            return
        self._cancel(PevTimer.ATTEN_RESULTS)
        candidates = [r for mac, r in p.reports.items() if mac not in p.excluded]
        d = p.decision = decide(candidates, self.config.policy)
        self._emit(ev.Decided(now, d.chosen.evse_mac if d.chosen else None, d.reason, d.margin_db, d.ranked))
        if d.chosen is None:
            if p.excluded:
                self._fail(now, Step.VALIDATE, f"validation failed with {len(p.excluded)} EVSE(s); {d.reason}", None)
                return
            why = d.reason if p.reports else (f"no CM_ATTEN_CHAR.IND ({len(p.responders)} EVSE(s) answered "
                                              "CM_SLAC_PARM)")
            self._fail(now, Step.ATTEN_CHAR, why, PevTimer.ATTEN_RESULTS if not p.reports else None)
            return
        self._emit(ev.StepDone(now, Step.ATTEN_CHAR, d.chosen.evse_mac,
                               f"{len(p.reports)} profile(s), chosen average {d.chosen.average_db:.1f} dB"))
        p.chosen = d.chosen
        if d.validate or self.config.validate:
            self._begin_validation(now)
        else:
            self._begin_match(now)

    # ------------------------------------------------------------------ CM_VALIDATE

    def _begin_validation(self, now: float) -> None:
        p = self.process
        assert p is not None and p.chosen is not None
        self.state = PevState.VALIDATING
        p.validate_phase, p.tries = 1, 1
        self._send_validate(now)

    def _send_validate(self, now: float) -> None:
        p = self.process
        assert p is not None and p.chosen is not None
        window = self.timers.TP_EV_vald_toggle if p.validate_phase == 2 else 0.0
        self._send(p.chosen.evse_mac, messages.CM_VALIDATE_REQ(
            signal_type=ValidateSignalType.PEV_S2_TOGGLES, timer=int(round(window * 10)), result=ValidateResult.READY))
        wait = self.timers.TT_match_response + (window if p.validate_phase == 2 else 0.0)
        self._start(PevTimer.RESPONSE, now + wait)

    def _on_validate_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.process is not None
        p, m = self.process, frame.message
        if p.chosen is None or frame.src != p.chosen.evse_mac:
            self._ignore(frame, now, "CM_VALIDATE.CNF from another EVSE")
            return
        self._cancel(PevTimer.RESPONSE)
        if m.result == ValidateResult.NOT_REQUIRED:
            self._emit(ev.StepDone(now, Step.VALIDATE, frame.src, "not required by the EVSE"))
            self._begin_match(now)
        elif p.validate_phase == 1 and m.result == ValidateResult.READY:
            p.validate_phase, p.tries = 2, 1
            p.toggles = 1 + self._rand(1)[0] % 3
            self._send_validate(now)
            self._emit(ev.ToggleRequest(now, p.toggles, self.timers.TP_EV_vald_state_duration))
        elif p.validate_phase == 2 and m.result == ValidateResult.SUCCESS and m.toggle_num == p.toggles:
            self._emit(ev.StepDone(now, Step.VALIDATE, frame.src, f"{p.toggles} toggle(s) counted"))
            self._begin_match(now)
        else:
            why = f"validation result {m.result}, {m.toggle_num} of {p.toggles} toggle(s) counted"
            self._emit(ev.StepDone(now, Step.VALIDATE, frame.src, why))
            p.excluded.add(frame.src)
            self.state = PevState.WAIT_RESULTS
            self._decide(None, now)  # next candidate, if any

    def _validate_timeout(self, frame: Frame | None, now: float) -> None:
        # _send_validate starts the timer itself (longer while the EV toggles)
        self._response_timeout(now, Step.VALIDATE, "CM_VALIDATE.CNF", lambda: self._send_validate(now),
                               restart=False)

    # ------------------------------------------------------------------ CM_SLAC_MATCH

    def _begin_match(self, now: float) -> None:
        p = self.process
        assert p is not None
        self.state = PevState.MATCHING
        p.tries = 1
        self._send_match_req()
        self._start(PevTimer.RESPONSE, now + self.timers.TT_match_response)

    def _send_match_req(self) -> None:
        p = self.process
        assert p is not None and p.chosen is not None
        self._send(p.chosen.evse_mac, messages.CM_SLAC_MATCH_REQ(
            application_type=0, security_type=0, mvf_length=MATCH_REQ_MVF_LENGTH, pev_id=self.config.pev_id,
            pev_mac=self.mac, evse_id=p.chosen.evse_id, evse_mac=p.chosen.evse_mac, run_id=p.run_id, rsvd=bytes(8)))

    def _on_match_cnf(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.process is not None
        p, m = self.process, frame.message
        if p.chosen is None or m.run_id != p.run_id or m.pev_mac != self.mac or frame.src != p.chosen.evse_mac:
            self._ignore(frame, now, "CM_SLAC_MATCH.CNF of another process, EV or EVSE")
            return
        self._cancel(PevTimer.RESPONSE)
        p.nid, p.nmk = bytes(m.nid), bytes(m.nmk)
        detail = f"NID {p.nid.hex()}"
        if not nid_matches_nmk(p.nid, p.nmk):
            detail += " (does not derive from the NMK; used as sent)"
        self.result = ev.Matched(now, p.run_id, self.mac, frame.src, p.nid, p.nmk)
        self._emit(ev.StepDone(now, Step.SLAC_MATCH, frame.src, detail))
        self._emit(self.result)
        self._set_key(p.nmk, now, PevState.SETTING_NEW_KEY, nid=p.nid)

    def _match_timeout(self, frame: Frame | None, now: float) -> None:
        self._response_timeout(now, Step.SLAC_MATCH, "CM_SLAC_MATCH.CNF", self._send_match_req)

    # ------------------------------------------------------------------ joining

    def _poll_join(self, frame: Frame | None, now: float) -> None:
        self._send_nw_info()
        self._start(PevTimer.JOIN_POLL, now + self.timers.TT_modem_poll)

    def _on_nw_info(self, frame: Frame | None, now: float) -> None:
        assert frame is not None and self.process is not None
        stations = self._avln_stations(frame, self.process.nid)
        if not stations:
            return
        self._cancel(PevTimer.JOIN, PevTimer.JOIN_POLL)
        self.state = PevState.MATCHED
        self.joined = ev.Joined(now, self.process.nid, stations)
        self._emit(ev.StepDone(now, Step.JOIN, self.result.evse_mac if self.result else None,
                               f"{len(stations)} station(s) in the AVLN"))
        self._emit(self.joined)

    def _join_timeout(self, frame: Frame | None, now: float) -> None:
        self._cancel(PevTimer.JOIN_POLL)
        self._fail(now, Step.JOIN, "the modem did not join the EVSE's AVLN", PevTimer.JOIN)

    # ------------------------------------------------------------------ CM_AMP_MAP (from the EVSE)

    def _amp_map(self, frame: Frame, now: float) -> None:
        m = frame.message
        if self.result is None or frame.src != self.result.evse_mac:
            self._ignore(frame, now, "CM_AMP_MAP.REQ before a match or from another EVSE")
            return
        if m.amlen == 0 or len(m.amdata) != (m.amlen + 1) // 2:
            self._ignore(frame, now, "invalid CM_AMP_MAP.REQ (no answer)")
            return
        self._send(frame.src, messages.CM_AMP_MAP_CNF(result=Result.SUCCESS))
        self._emit(ev.AmpMapExchanged(now, frame.src, bytes(m.amdata), Result.SUCCESS))

    # ------------------------------------------------------------------ failure and repetition

    def _fail(self, now: float, step: Step, reason: str, timer: PevTimer | None, final: bool = False) -> None:
        p = self.process
        for t in PevTimer:
            self._cancel(t)
        run_id = p.run_id if p else b""
        peer = p.chosen.evse_mac if p and p.chosen else None
        first = self.first_start if self.first_start is not None else now
        again = (not final and self.attempt < self.timers.C_conn_max_match
                 and now + self.timers.TT_matching_rate - first <= self.timers.TT_matching_repetition)
        self._emit(ev.Failed(now, step, reason, not again, timer.value if timer else "", run_id, peer))
        if again:
            self.state = PevState.WAIT_RETRY
            self._start(PevTimer.RATE, now + self.timers.TT_matching_rate)
        else:
            self.state = PevState.UNMATCHED

    def _restart(self, frame: Frame | None, now: float) -> None:
        if self.config.leave_network and self.process is not None and self.process.nmk:
            self._set_key(self.private_nmk, now, PevState.SETTING_KEY)  # leave the EVSE's AVLN first
            return
        self._begin_process(now)


Handler = Callable[[PevMachine, Frame | None, float], None]
M = messages

#: (state, message class or timer) -> handler.  Anything else is ignored (and traced as Ignored).
TRANSITIONS: dict[tuple[PevState, Any], Handler] = {
    (PevState.SETTING_KEY, M.CM_SET_KEY_CNF): PevMachine._on_set_key_cnf,
    (PevState.SETTING_KEY, PevTimer.SET_KEY): PevMachine._set_key_timeout,
    (PevState.MODEM_READY, M.VS_SW_VER_CNF): PevMachine._modem_ready,
    (PevState.MODEM_READY, PevTimer.MODEM_POLL): PevMachine._poll_modem,
    (PevState.MODEM_READY, PevTimer.MODEM_READY): PevMachine._modem_ready,
    (PevState.SETTLING, PevTimer.SETTLE): PevMachine._settled,
    (PevState.PARM, M.CM_SLAC_PARM_CNF): PevMachine._on_parm_cnf,
    (PevState.PARM, PevTimer.RESPONSE): PevMachine._parm_timeout,
    (PevState.SOUNDING, M.CM_SLAC_PARM_CNF): PevMachine._on_parm_cnf,
    (PevState.SOUNDING, PevTimer.BATCH): PevMachine._batch,
    (PevState.SOUNDING, M.CM_ATTEN_CHAR_IND): PevMachine._on_atten_char,
    (PevState.SOUNDING, PevTimer.ATTEN_RESULTS): PevMachine._decide,
    (PevState.WAIT_RESULTS, M.CM_SLAC_PARM_CNF): PevMachine._on_parm_cnf,
    (PevState.WAIT_RESULTS, M.CM_ATTEN_CHAR_IND): PevMachine._on_atten_char,
    (PevState.WAIT_RESULTS, PevTimer.ATTEN_RESULTS): PevMachine._decide,
    (PevState.VALIDATING, M.CM_VALIDATE_CNF): PevMachine._on_validate_cnf,
    (PevState.VALIDATING, PevTimer.RESPONSE): PevMachine._validate_timeout,
    (PevState.MATCHING, M.CM_SLAC_MATCH_CNF): PevMachine._on_match_cnf,
    (PevState.MATCHING, PevTimer.RESPONSE): PevMachine._match_timeout,
    (PevState.SETTING_NEW_KEY, M.CM_SET_KEY_CNF): PevMachine._on_set_key_cnf,
    (PevState.SETTING_NEW_KEY, PevTimer.SET_KEY): PevMachine._set_key_timeout,
    (PevState.JOINING, M.VS_NW_INFO_CNF): PevMachine._on_nw_info,
    (PevState.JOINING, PevTimer.JOIN_POLL): PevMachine._poll_join,
    (PevState.JOINING, PevTimer.JOIN): PevMachine._join_timeout,
    (PevState.WAIT_RETRY, PevTimer.RATE): PevMachine._restart,
}
