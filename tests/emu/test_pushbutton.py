"""Push-button pairing between emulated modems (plcstack.emu.pushbutton)."""

from __future__ import annotations

from emu_helpers import MAC_A, MAC_B, MAC_C, cfg, req

from plcstack.codec import decode_frame, messages
from plcstack.emu import PowerLine
from plcstack.emu import events as ev
from plcstack.emu.state import TimerName


def test_push_button_pairing_shares_the_nmk():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.add(cfg(MAC_B))
    pl.add(cfg(MAC_C, password="a network of its own"))
    pl.run_for(3.0)
    assert [p.mac for p in pl[MAC_A].members()] == [MAC_B] and pl[MAC_C].members() == []
    for mac in (MAC_C, MAC_A):  # buttons pressed on C, then on A (which has a member: A's NMK wins)
        (r,) = [decode_frame(f) for f in pl.request(mac, req(messages.MS_PB_ENC_REQ(pb_action=1)))]
        assert r.message.mstatus == 0
        pl.run_for(0.5)
    pl.run_for(3.0)
    assert pl[MAC_C].nmk == pl[MAC_A].nmk
    assert sorted(p.mac for p in pl[MAC_A].members()) == [MAC_B, MAC_C]
    assert any(isinstance(e, ev.KeyChanged) and e.via == "push button" for _, e in pl.drain_events())
    assert TimerName.PB not in pl[MAC_A].timers and TimerName.PB not in pl[MAC_C].timers


def test_a_lone_button_press_times_out_without_changing_anything():
    pl = PowerLine()
    pl.add(cfg(MAC_A))
    pl.run_for(2.0)
    nmk = pl[MAC_A].nmk
    pl.request(MAC_A, req(messages.MS_PB_ENC_REQ(pb_action=1)))
    pl.run_for(pl[MAC_A].config.timers.pb_window_s + 2.0)
    assert pl[MAC_A].nmk == nmk and not pl[MAC_A].pb.open(pl.now)
