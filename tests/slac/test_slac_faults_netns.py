"""The fault cases again, end to end: our CLI hosts, ``plcstack emulate`` with ``[[fault]]`` entries, veth pairs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from netns_helpers import bench, emulator, need_tools, stop
from slac_netns import one_avln, ours, report, slac_network

pytestmark = [pytest.mark.netns]

LOST_SOUNDS = '[[fault]]\nmodem = "pev-modem"\nsound_loss = 0.5\n'
SLOW_MODEM = '[[fault]]\nmodem = "evse-modem"\nset_key_s = 3.2\n'
LOST_MATCH_CNF = ('[[fault]]\na = "evse-modem"\nb = "pev-modem"\ndirection = "a->b"\n'
                  'drop = ["CM_SLAC_MATCH.CNF"]\ndrop_count = 1\n')


def pair(tmp_path: Path, faults: str) -> tuple[dict, dict]:
    need_tools("plctool")
    with bench(2) as b, emulator(b, slac_network(b, faults), tmp_path):
        evse = ours(b, 0, "evse")
        time.sleep(0.3)
        pev = ours(b, 1, "pev")
        pev.wait(40)
        evse.wait(20)
        e, p = report(stop(evse)), report(stop(pev))
        if p["result"] == "matched":
            one_avln(b, p["nid"])
    return e, p


def test_lost_sounds_end_to_end(tmp_path: Path) -> None:
    e, p = pair(tmp_path, LOST_SOUNDS)
    assert p["result"] == e["result"] == "matched"
    heard = e["attenuation"][0]["num_sounds"]
    assert 0 < heard < 10 and p["attenuation"][0]["num_sounds"] == heard  # NUM_SOUNDS of CM_ATTEN_CHAR.IND


def test_slow_modem_after_set_key_end_to_end(tmp_path: Path) -> None:
    e, p = pair(tmp_path, SLOW_MODEM)
    assert p["result"] == "matched" and p["processes"] >= 2
    assert [r["step"] for r in p["retries"][:2]] == ["CM_SLAC_PARM", "CM_SLAC_PARM"]
    assert p["failures"][0]["step"] == "CM_SLAC_PARM" and not p["failures"][0]["final"]


def test_lost_match_cnf_end_to_end(tmp_path: Path) -> None:
    e, p = pair(tmp_path, LOST_MATCH_CNF)
    assert p["result"] == e["result"] == "matched"
    assert [(r["step"], r["attempt"]) for r in p["retries"]] == [("CM_SLAC_MATCH", 2)]
