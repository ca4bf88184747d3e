"""Fault injection on the emulated power line: loss, delay, corruption, reordering, lost SLAC sounds.

A :class:`Fault` says what goes wrong on the links it covers -- the link between two modems, every
link of one modem, or every link.  :class:`FaultInjector` applies the faults of a network to each
frame the power line is about to deliver and returns what actually arrives, when, and why anything
was lost.  It is sans-I/O: the random source is passed in (``random.Random(seed)``), so a seeded run
loses the same frames every time.

Network TOML (``[[fault]]`` entries, see ``docs/emulator.md`` and ``examples/emu/faults.toml``)::

    [[fault]]                       # every link of one modem (MAC or [[modem]] name)
    modem = "pev-modem"
    loss = 0.2                      # probability that a frame is lost
    delay_ms = 3                    # fixed extra delay ...
    jitter_ms = 4                   # ... plus uniform 0..jitter_ms
    set_key_s = 6                   # the modem needs 6 s to come back after CM_SET_KEY / VS_SET_KEY

    [[fault]]                       # one link, one direction
    a = "evse-modem"
    b = "pev-modem"
    direction = "a->b"              # "both" (default) or "a->b"
    drop = ["CM_SLAC_MATCH.CNF"]    # message types always lost (names as ``plcstack decode --type``)
    drop_count = 1                  # only the first N frames that match ``drop``
    sound_loss = 0.5                # probability that a CM_MNBC_SOUND.IND is lost
    corrupt = 0.01                  # probability that a frame arrives with bit errors ...
    corrupt_bits = 2                # ... this many flipped bits in its Ethernet frame
    reorder = 0.05                  # probability that a frame is held back ...
    reorder_ms = 30                 # ... by this much, so later frames overtake it
    start_s = 10                    # active from 10 s after the emulator starts ...
    end_s = 60                      # ... until 60 s (default: always)

``set_key_s`` and ``reset_s`` are modem timers (:class:`plcstack.emu.state.Timers`): a fault entry
with ``modem = ...`` that gives them overrides that modem's ``[timers]``.

Bit errors on a real power line are caught by the PHY (FEC, PB CRC) and turn into loss or
retransmission; ``corrupt`` delivers damaged frames on purpose, to test what a host stack or the
emulator's own parsers make of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from plcstack.capture.typefilter import TypeFilter, TypeFilterError, parse_type_filter
from plcstack.codec import DecodeError, decode_header
from plcstack.codec.messages import CM_MNBC_SOUND_IND
from plcstack.codec.names import ETHERTYPE_HOMEPLUG_AV, ETHERTYPE_VLAN
from plcstack.codec.registry import definition_of

MNBC_SOUND = definition_of(CM_MNBC_SOUND_IND).mmtype
#: Keys a ``[[fault]]`` entry may have (the first four say where it applies).
FAULT_KEYS = frozenset({"modem", "a", "b", "direction", "loss", "delay_ms", "jitter_ms", "corrupt", "corrupt_bits",
                        "reorder", "reorder_ms", "sound_loss", "drop", "drop_count", "set_key_s", "reset_s",
                        "start_s", "end_s"})
MODEM_TIMER_KEYS = ("set_key_s", "reset_s")


class FaultError(ValueError):
    """A ``[[fault]]`` entry that cannot be used (the message names the key)."""


def _probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise FaultError(f"{name} is a probability (0..1), got {value}")
    return value


def _nonneg(name: str, value: float) -> float:
    if value < 0:
        raise FaultError(f"{name} must be >= 0, got {value}")
    return value


@dataclass
class Fault:
    """What goes wrong on the links one ``[[fault]]`` entry covers (times in seconds).

    ``modem`` set: every link to and from that modem; ``a`` and ``b`` set: the link between them
    (``one_way``: only frames from ``a`` to ``b``); none: every link of the network.
    """

    modem: bytes | None = None
    a: bytes | None = None
    b: bytes | None = None
    one_way: bool = False
    loss: float = 0.0
    delay_s: float = 0.0
    jitter_s: float = 0.0
    corrupt: float = 0.0
    corrupt_bits: int = 1
    reorder: float = 0.0
    reorder_s: float = 0.02
    sound_loss: float = 0.0
    drop: tuple[str, ...] = ()
    drop_count: int | None = None
    start_s: float = 0.0
    end_s: float = float("inf")
    set_key_s: float | None = None
    reset_s: float | None = None
    dropped_by_type: int = field(default=0, compare=False)
    _drop_match: TypeFilter | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("loss", "corrupt", "reorder", "sound_loss"):
            _probability(name, getattr(self, name))
        for name in ("delay_s", "jitter_s", "reorder_s"):
            _nonneg(name, getattr(self, name))
        if self.corrupt_bits < 1:
            raise FaultError(f"corrupt_bits must be >= 1, got {self.corrupt_bits}")
        if (self.a is None) != (self.b is None):
            raise FaultError("a link fault needs both a and b")
        if self.modem is not None and self.a is not None:
            raise FaultError("give either modem or a/b, not both")
        if self.drop_count is not None and self.drop_count < 0:
            raise FaultError(f"drop_count must be >= 0, got {self.drop_count}")
        if self.drop:
            try:
                self._drop_match = parse_type_filter(list(self.drop))  # the one --type filter
            except TypeFilterError as exc:
                raise FaultError(f"drop: {exc}") from exc

    def covers(self, tx: bytes, rx: bytes, t: float) -> bool:
        if not self.start_s <= t < self.end_s:
            return False
        if self.modem is not None:
            return self.modem in (tx, rx)
        if self.a is not None:
            return (tx, rx) == (self.a, self.b) or (not self.one_way and (tx, rx) == (self.b, self.a))
        return True

    def drops_type(self, mmtype: int, oui: bytes | None) -> bool:
        if self._drop_match is None or not self._drop_match.matches(mmtype, oui):
            return False
        if self.drop_count is not None and self.dropped_by_type >= self.drop_count:
            return False
        self.dropped_by_type += 1
        return True


class Delivery(NamedTuple):
    """One frame that arrives: after ``delay_s`` more than the line's latency, possibly damaged."""

    delay_s: float
    payload: bytes


class Verdict(NamedTuple):
    deliveries: list[Delivery]
    dropped: str | None  # why the frame was lost (None: delivered)


def _mme_header(frame: bytes) -> tuple[int, bytes | None] | None:
    """(MMTYPE, OUI) of an Ethernet frame that is a HomePlug AV MME, else None."""
    if len(frame) < 17:
        return None
    et = int.from_bytes(frame[12:14], "big")
    if et != ETHERTYPE_HOMEPLUG_AV and not (et == ETHERTYPE_VLAN and len(frame) >= 21
                                           and int.from_bytes(frame[16:18], "big") == ETHERTYPE_HOMEPLUG_AV):
        return None
    try:
        h = decode_header(frame)
    except DecodeError:
        return None
    return h.mmtype, h.oui


class FaultInjector:
    """Applies a network's faults to each power-line delivery (sans-I/O; ``rng`` passed in).

    :meth:`apply` takes the transmitting and receiving modem MACs, the time, and the carried
    Ethernet frame (``None`` for what is not one, e.g. beacons: those only suffer loss and delay)
    and returns a :class:`Verdict`.  Counters of what was dropped, per reason, are in ``dropped``.
    """

    def __init__(self, faults: Iterable[Fault], rng: random.Random) -> None:
        self.faults = list(faults)
        self.rng = rng
        self.dropped: dict[str, int] = {}
        self.corrupted = 0
        self.reordered = 0

    def __bool__(self) -> bool:
        return bool(self.faults)

    def _lose(self, reason: str) -> Verdict:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1
        return Verdict([], reason)

    def apply(self, tx: bytes, rx: bytes, t: float, frame: bytes | None, payload: bytes,
              frame_offset: int = 0) -> Verdict:
        """What becomes of ``payload`` (whose Ethernet frame, if any, starts at ``frame_offset``)."""
        active = [f for f in self.faults if f.covers(tx, rx, t)]
        if not active:
            return Verdict([Delivery(0.0, payload)], None)
        rng = self.rng
        head = _mme_header(frame) if frame is not None else None
        delay = 0.0
        for f in active:
            if head is not None and f.drops_type(*head):
                return self._lose(f"fault: {', '.join(f.drop)} dropped")
            if head is not None and head[0] == MNBC_SOUND and f.sound_loss and rng.random() < f.sound_loss:
                return self._lose("fault: SLAC sound lost")
            if f.loss and rng.random() < f.loss:
                return self._lose("fault: frame lost")
            delay += f.delay_s + (rng.uniform(0.0, f.jitter_s) if f.jitter_s else 0.0)
            if f.reorder and rng.random() < f.reorder:
                delay += f.reorder_s
                self.reordered += 1
            if frame is not None and f.corrupt and rng.random() < f.corrupt:
                payload = self._flip(payload, frame_offset, f.corrupt_bits)
                self.corrupted += 1
        return Verdict([Delivery(delay, payload)], None)

    def _flip(self, payload: bytes, start: int, bits: int) -> bytes:
        """Flip ``bits`` distinct bits of ``payload[start:]`` (the carried frame, never the envelope)."""
        n = (len(payload) - start) * 8
        if n <= 0:
            return payload
        out = bytearray(payload)
        for bit in self.rng.sample(range(n), min(bits, n)):
            out[start + bit // 8] ^= 1 << (bit % 8)
        return bytes(out)


def fault_from_dict(entry: Mapping[str, Any], resolve: Callable[[str], bytes]) -> Fault:
    """One ``[[fault]]`` table -> :class:`Fault`; ``resolve`` turns a modem name or MAC string into a MAC."""
    unknown = set(entry) - FAULT_KEYS
    if unknown:
        raise FaultError(f"unknown keys {sorted(unknown)}; known: {sorted(FAULT_KEYS)}")
    direction = str(entry.get("direction", "both"))
    if direction not in ("both", "a->b"):
        raise FaultError(f'direction is "both" or "a->b", got {direction!r}')
    if direction != "both" and "a" not in entry:
        raise FaultError("direction needs a and b")
    drop = entry.get("drop", ())
    if isinstance(drop, str):
        drop = [drop]
    ms = 1e-3
    try:
        return Fault(
            modem=resolve(str(entry["modem"])) if "modem" in entry else None,
            a=resolve(str(entry["a"])) if "a" in entry else None,
            b=resolve(str(entry["b"])) if "b" in entry else None,
            one_way=direction == "a->b",
            loss=float(entry.get("loss", 0.0)), delay_s=float(entry.get("delay_ms", 0.0)) * ms,
            jitter_s=float(entry.get("jitter_ms", 0.0)) * ms, corrupt=float(entry.get("corrupt", 0.0)),
            corrupt_bits=int(entry.get("corrupt_bits", 1)), reorder=float(entry.get("reorder", 0.0)),
            reorder_s=float(entry.get("reorder_ms", 20.0)) * ms, sound_loss=float(entry.get("sound_loss", 0.0)),
            drop=tuple(str(d) for d in drop),
            drop_count=int(entry["drop_count"]) if "drop_count" in entry else None,
            start_s=float(entry.get("start_s", 0.0)), end_s=float(entry.get("end_s", float("inf"))),
            set_key_s=_nonneg("set_key_s", float(entry["set_key_s"])) if "set_key_s" in entry else None,
            reset_s=_nonneg("reset_s", float(entry["reset_s"])) if "reset_s" in entry else None,
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FaultError):
            raise
        raise FaultError(str(exc)) from exc


def modem_timer_overrides(faults: Iterable[Fault]) -> dict[bytes, dict[str, float]]:
    """Per modem MAC, the ``set_key_s`` / ``reset_s`` its fault entries give."""
    out: dict[bytes, dict[str, float]] = {}
    for f in faults:
        if f.modem is None:
            if f.set_key_s is not None or f.reset_s is not None:
                raise FaultError("set_key_s / reset_s need modem = ...")
            continue
        for key in MODEM_TIMER_KEYS:
            value = getattr(f, key)
            if value is not None:
                out.setdefault(f.modem, {})[key] = value
    return out
