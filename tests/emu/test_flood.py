"""The emulator under a flood: 10,000 valid and malformed frames per second for 10 s.

It must keep answering (plctool -r during the flood), never answer a malformed request, never crash,
and keep its memory bounded (RSS measured before and after, after a warm-up flood).
"""

from __future__ import annotations

import json
import re
import sys
import time

import pytest
from netns_helpers import REPO, bench, emulator, modem_block, need_tools, stop

pytestmark = [pytest.mark.netns, pytest.mark.realtools, pytest.mark.slow]

RATE, SECONDS = 10_000, 10.0
MAX_RSS_GROWTH_KB = 10_000


def rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_flood_keeps_serving_with_bounded_memory(tmp_path):
    need_tools("plctool")
    flood = str(REPO / "tools" / "emu_flood.py")
    with bench(1) as b, emulator(b, modem_block("x", "00:b0:52:00:00:0a", b.modem_if(0)), tmp_path) as emu:
        h = b.hosts[0]
        warm = b.run(0, sys.executable, flood, "--iface", h, "--rate", str(RATE), "--duration", "1", timeout=30)
        assert warm.returncode == 0, warm.stdout
        time.sleep(0.5)
        before = rss_kb(emu.proc.pid)
        t0 = time.monotonic()
        p = b.spawn(0, sys.executable, flood, "--iface", h, "--rate", str(RATE), "--duration", str(SECONDS))
        time.sleep(SECONDS / 2)
        during = b.run(0, "plctool", "-i", h, "-r", "-t", "200").stdout
        p.wait(SECONDS + 30)
        elapsed = time.monotonic() - t0
        out = stop(p)
        after = rss_kb(emu.proc.pid)
        assert emu.proc.poll() is None, emu.log()
        final = b.run(0, "plctool", "-i", h, "-r").stdout
        stop(emu.proc)
        log = emu.log()
    report = json.loads(out.strip().splitlines()[-1])
    assert "00:B0:52:00:00:0A QCA7420 MAC-QCA7420-1.4.0.20-00-20171027-CS" in during
    assert "00:B0:52:00:00:0A QCA7420 MAC-QCA7420-1.4.0.20-00-20171027-CS" in final
    assert report["rate"] >= 0.8 * RATE, report
    assert report["replies"]["to_malformed"] == 0, report  # malformed requests: no reply
    sent_valid = report["sent"]["valid"]
    assert report["replies"]["to_valid"] >= 0.8 * sent_valid * 16 / 17, report  # data frames get no reply
    m = re.search(r"emu\w+\.rx=(\d+)", log) or re.search(r"\.rx=(\d+)", log)
    handled = int(m.group(1)) if m else 0
    assert "errors=0" in log, log
    growth = after - before
    print(f"flood: {report['rate']:.0f} frames/s sent for {report['seconds']}s, emulator read {handled} frames "
          f"({handled / elapsed:.0f}/s incl. warm-up), answered {report['replies']['to_valid']}, "
          f"malformed answered {report['replies']['to_malformed']}, RSS {before} -> {after} kB ({growth:+d} kB)")
    assert growth < MAX_RSS_GROWTH_KB, (before, after)
