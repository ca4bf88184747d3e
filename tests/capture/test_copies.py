"""Copies of a frame seen on several interfaces vs a sender's own repetitions (plcstack.capture.copies)."""

from __future__ import annotations

from dataclasses import dataclass

from plcstack.capture.copies import COOKED_COPY_WINDOW_S, INTERFACE_COPY_WINDOW_S, FrameCopies
from plcstack.codec import encode_frame, make_frame
from plcstack.codec import messages as m

EV, EVSE = "02:00:00:00:00:01", "02:00:00:00:00:02"
START = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", EV, m.CM_START_ATTEN_CHAR_IND(num_sounds=10, time_out=6,
                                                                                  run_id=bytes(8))))
MS = 1_000_000


@dataclass
class Rec:
    data: bytes
    time_ns: int
    interface: int = 0
    dst_known: bool = True
    outgoing: bool | None = None


def copies(records: list[Rec]) -> list[bool]:
    f = FrameCopies()
    return [f.is_copy(r) for r in records]


def test_a_frame_on_both_host_links_is_one_frame():
    assert copies([Rec(START, 0, 0), Rec(START, MS // 2, 1)]) == [False, True]


def test_back_to_back_repetitions_and_their_copies_are_two_frames():
    """open-plc-utils pev sends CM_START_ATTEN_CHAR.IND back to back: both reach the other link."""
    interleaved = [Rec(START, 0, 0), Rec(START, 100, 0), Rec(START, MS // 2, 1), Rec(START, MS // 2 + 100, 1)]
    assert copies(interleaved) == [False, False, True, True]
    alternating = [Rec(START, 0, 0), Rec(START, MS // 2, 1), Rec(START, MS, 0), Rec(START, 3 * MS // 2, 1)]
    assert copies(alternating) == [False, True, False, True]


def test_a_broadcast_seen_on_three_links_and_the_power_line_is_one_frame():
    assert copies([Rec(START, 0, 0), Rec(START, 10, 3), Rec(START, MS // 2, 1), Rec(START, MS // 2, 2)]) == [
        False, True, True, True]


def test_a_lost_copy_does_not_merge_two_repetitions():
    """The copy of the first repetition never reached link 1: the second one's copy is not a third frame."""
    got = copies([Rec(START, 0, 0), Rec(START, 300 * MS, 0), Rec(START, 300 * MS + MS // 2, 1)])
    assert got.count(False) == 2


def test_repetitions_on_one_interface_are_frames_of_their_own():
    assert copies([Rec(START, k * 20 * MS) for k in range(3)]) == [False, False, False]
    assert copies([Rec(START, 0), Rec(START, 100)]) == [False, False]  # both with a destination, no direction


def test_a_copy_later_than_the_window_is_a_frame():
    late = int(INTERFACE_COPY_WINDOW_S * 1e9) + 1
    assert copies([Rec(START, 0, 0), Rec(START, late, 1)]) == [False, False]


def test_cooked_capture_of_every_interface():
    """tcpdump -i any: the frame leaving one interface (outgoing) and arriving on the other (no destination)."""
    sent = Rec(START, 0, dst_known=False, outgoing=True)
    arrived = Rec(START, 50_000, dst_known=False, outgoing=False)
    assert copies([sent, arrived]) == [False, True]
    assert copies([sent, Rec(START, int(COOKED_COPY_WINDOW_S * 1e9) + 1, dst_known=False, outgoing=False)]) == [
        False, False]


def test_other_frames_are_never_copies():
    other = encode_frame(make_frame("ff:ff:ff:ff:ff:ff", EVSE, m.CM_START_ATTEN_CHAR_IND(num_sounds=10, time_out=6,
                                                                                         run_id=bytes(8))))
    assert copies([Rec(START, 0, 0), Rec(other, 10, 1)]) == [False, False]
