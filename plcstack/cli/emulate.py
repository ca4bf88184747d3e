"""``plcstack emulate`` and ``plcstack replay``: emulated QCA modems on real interfaces."""

from __future__ import annotations

import argparse
import sys

EMULATE_HELP = """\
Run emulated Qualcomm HomePlug AV / Green PHY modems (chip profiles QCA7000, QCA7005, QCA7420, AR7420,
QCA7500 read off real modems, docs/modem-profiles.md). Each modem with an interface is bound to it
with an AF_PACKET raw socket and answers what open-plc-utils, pev/evse, pyslac and pyPLC send, with
the layouts and timings of real firmware (VS_SW_VER, VS_NW_INFO, tone maps, PIB reads and writes,
VS_SET_KEY, VS_RS_DEV, CM_SET_KEY, CM_GET_KEY, CM_NW_INFO, CM_BRG_INFO ...; docs/emulator.md).
Modems with the same NMK form one AVLN (CCo election by the rule book shared with the simulator,
CC_ASSOC, NEK via CM_GET_KEY) and bridge Ethernet -- IP included, on default veth settings --
between their hosts; SLAC messages cross networks and every CM_MNBC_SOUND.IND heard produces the
chip's SLAC indications. [[fault]] entries inject loss, delay, corruption, reordering, lost sounds,
dropped message types and slow modems. Needs root (or CAP_NET_RAW). Stops cleanly on Ctrl-C /
SIGTERM and prints counters (drops by reason).

Put the emulator on the other end of a veth pair from the tool (open-plc-utils does not see frames
other local sockets send on its own interface).

examples:
  # one default modem (QCA7420-like station, network password HomePlugAV) behind veth m0
  ip netns add plc && ip link add h0 type veth peer name m0 && ip link set h0 netns plc
  ip link set m0 up && ip -n plc link set h0 up
  plcstack emulate --iface m0 &
  ip netns exec plc plctool -i h0 -r          # -> h0 00:b0:52:ee:00:01 QCA7420 MAC-QCA7420-...

  # a whole network from a file, recording every host-side frame (and the modems' own
  # association / key-exchange messages on the power line), then look at it with tshark
  plcstack emulate --config examples/emu/two-modems.toml --pcap emu.pcap --pcap-plc -v
  tshark -r emu.pcap -Y homeplug-av

  # a QCA7000 Green PHY modem for a SLAC host, 30 seconds
  plcstack emulate --iface m0 --chip QCA7000 --mac 00:b0:52:00:00:42 --duration 30
"""

REPLAY_HELP = """\
Send the HomePlug AV frames (ethertype 0x88E1) of a pcap/pcapng capture, with their original
timing (scaled by --speed, or as fast as possible with --top-speed), either out of a real
interface (--iface) or into an in-process emulated network (--into-emulator NET.toml), where
they enter the host port of the first modem (or --modem MAC). What comes back is recorded with
--pcap OUT. --type keeps only some messages (names like VS_SW_VER.REQ or VS_SW_VER, or hex
MMTYPEs like 0xA000; repeat or comma-separate). By default only the capture's hosts' frames are
sent (--from hosts): the confirmations and indications of the modems in the capture are left
out, so the emulated modem does not learn a real modem's MAC as one of its hosts; --from all
sends everything, --src / --exclude-src choose by MAC.

examples:
  plcstack replay captures/openplc-requests.pcap --iface m0 --speed 2
  plcstack replay slac.pcap --iface m0 --top-speed --type CM_SLAC_PARM.REQ,CM_MNBC_SOUND.IND
  plcstack replay openplc-requests.pcap --into-emulator examples/emu/two-modems.toml --pcap replies.pcap
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("emulate", help="run emulated QCA modems on real interfaces",
                              description=EMULATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", metavar="NET.toml", help="network file (see examples/emu/*.toml)")
    src.add_argument("--iface", metavar="IF", help="run one default modem bound to interface IF")
    p.add_argument("--mac", default="00:b0:52:ee:00:01", help="MAC of the default modem (with --iface)")
    p.add_argument("--chip", default="QCA7420", choices=["QCA7000", "QCA7005", "QCA7420", "AR7420", "QCA7500"],
                   help="chip profile of the default modem (with --iface; docs/modem-profiles.md)")
    p.add_argument("--password", default="HomePlugAV", help="network password of the default modem")
    p.add_argument("--pcap", metavar="FILE",
                   help="record every frame the modems send and receive on host ports (written as it goes)")
    p.add_argument("--pcap-plc", action="store_true",
                   help="with --pcap, also record the management messages modems exchange on the power line "
                        "(CM_UNASSOCIATED_STA, CC_ASSOC, CC_SET_TEI_MAP, CM_ENCRYPTED_PAYLOAD key exchanges)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log network events (roles, keys, joins, SLAC) and every dropped frame with its reason")
    p.set_defaults(func=cmd_emulate)

    r = subparsers.add_parser("replay", help="replay a capture's HomePlug frames to an interface or emulator",
                              description=REPLAY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("capture", help="pcap or pcapng file")
    dest = r.add_mutually_exclusive_group(required=True)
    dest.add_argument("--iface", metavar="IF", help="send out of interface IF (needs root)")
    dest.add_argument("--into-emulator", metavar="NET.toml", help="feed an in-process emulated network")
    speed = r.add_mutually_exclusive_group()
    speed.add_argument("--speed", type=float, default=1.0, metavar="FACTOR",
                       help="time scale: 2 = twice as fast (default 1)")
    speed.add_argument("--top-speed", action="store_true", help="no waiting between frames")
    r.add_argument("--type", action="append", default=[], metavar="NAME",
                   help="only these message types (repeatable, comma-separated)")
    r.add_argument("--from", dest="sources", default="hosts", choices=["hosts", "modems", "all"],
                   help="whose frames to replay: the capture's hosts (default; a modem's confirmations and "
                        "indications are left out), its modems, or all")
    r.add_argument("--src", action="append", default=[], metavar="MAC",
                   help="only frames from this source MAC (repeatable)")
    r.add_argument("--exclude-src", action="append", default=[], metavar="MAC",
                   help="never frames from this source MAC (repeatable)")
    r.add_argument("--modem", metavar="MAC", help="with --into-emulator: the modem whose host port gets the frames")
    r.add_argument("--pcap", metavar="OUT", help="record what comes back (and what was sent)")
    r.add_argument("--listen", type=float, default=0.5, metavar="S",
                   help="keep listening S seconds after the last frame (default 0.5)")
    r.set_defaults(func=cmd_replay)


def cmd_emulate(args: argparse.Namespace) -> int:
    from plcstack.codec import mac_bytes
    from plcstack.emu.config import ConfigError, default_network, load_network
    from plcstack.emu.rawsock import is_root, main_loop

    try:
        if args.config:
            network = load_network(args.config)
        else:
            network = default_network(args.iface, mac_bytes(args.mac), args.chip)
            network.modems[0].config.password = args.password
    except (ConfigError, ValueError) as exc:
        print(f"plcstack emulate: {exc}", file=sys.stderr)
        return 2
    if not is_root():
        print("plcstack emulate: raw sockets need root or CAP_NET_RAW; trying anyway", file=sys.stderr)
    try:
        return main_loop(network, pcap=args.pcap, verbose=args.verbose, duration=args.duration,
                         pcap_plc=args.pcap_plc)
    except PermissionError as exc:
        print(f"plcstack emulate: {exc} (run as root or grant CAP_NET_RAW)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"plcstack emulate: {exc}", file=sys.stderr)
        return 1


def cmd_replay(args: argparse.Namespace) -> int:
    from plcstack.emu.replay import ReplayError, replay_main

    try:
        return replay_main(args)
    except ReplayError as exc:
        print(f"plcstack replay: {exc}", file=sys.stderr)
        return 2
