"""plcstack: HomePlug AV / AV2 / Green PHY protocol stack, pcap tooling, modem emulator and site simulator."""

__version__ = "0.1.0"
