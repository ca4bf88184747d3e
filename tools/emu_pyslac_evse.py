#!/usr/bin/env python3
"""Run pyslac (0.8.3) as a SLAC EVSE on one interface until CM_SLAC_MATCH, then exit.

pyslac has no command line; this is a small driver (docs/emulator.md).  It sets a
random NMK on the EVSE's local modem (CM_SET_KEY.REQ to 00:B0:52:00:00:01), starts matching as if
the control pilot went to state B, and waits for STATE_MATCHED.  pyslac's 10 s settle time after
CM_SET_KEY is patched to ``--settle`` seconds.

    ip netns exec EVSE_NS .venv/bin/python tools/emu_pyslac_evse.py --iface h0 --timeout 60

Prints ``MATCHED NID=<hex> NMK=<hex>`` and exits 0 on a match, exits 1 on timeout.  Needs root
(AF_PACKET) and ``pip install pyslac "marshmallow<4"``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time


async def run(iface: str, evse_id: str, timeout: float, init_timeout: float) -> int:
    from pyslac.enums import STATE_MATCHED
    from pyslac.environment import Config
    from pyslac.session import SlacEvseSession, SlacSessionController

    config = Config(slac_init_timeout=init_timeout, slac_atten_results_timeout=None, log_level="DEBUG")
    session = SlacEvseSession(evse_id, iface, config)
    await session.evse_set_key()
    print(f"SET_KEY NID={session.nid.hex().upper()} NMK={session.nmk.hex().upper()}", flush=True)
    controller = SlacSessionController()
    await controller.process_cp_state(session, "B")
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if session.state == STATE_MATCHED:
            print(f"MATCHED NID={session.nid.hex().upper()} NMK={session.nmk.hex().upper()} "
                  f"after {time.monotonic() - start:.2f}s", flush=True)
            await controller.process_cp_state(session, "A")
            return 0
        await asyncio.sleep(0.05)
    print(f"no match within {timeout}s (state {session.state})", flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--evse-id", default="DE*PLC*E0001")
    ap.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    ap.add_argument("--init-timeout", type=float, default=30.0, help="wait for CM_SLAC_PARM.REQ (s)")
    ap.add_argument("--settle", type=float, default=0.5, help="replaces pyslac's 10 s SLAC_SETTLE_TIME")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)
    import pyslac.session

    pyslac.session.SLAC_SETTLE_TIME = args.settle  # module constant read at call time
    try:
        return asyncio.run(run(args.iface, args.evse_id, args.timeout, args.init_timeout))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
