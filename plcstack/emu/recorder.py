"""Recording what the emulated modems send and receive (``--pcap``): pcapng, one interface per link.

A frame from one host to another crosses two host links: it enters modem A from host A and leaves
modem B to host B 0.5 ms later.  A single-interface capture of both links shows it twice, and tools
counting frames (``plcstack slac CAPTURE``) count it twice.  So every observation point is its own
pcapng interface: the host-side link of each modem (``if_name``: the modem's interface, e.g. its veth
end; inbound = from the host to the modem, outbound = from the modem to its host) and, with
``--pcap-plc``, the power line (the management messages modems exchange).  ``tshark -Y
'frame.interface_id == 0'`` or ``plcstack decode -Y 'interface == 0'`` shows one point of view.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from plcstack.codec.mac import format_mac

PLC_INTERFACE = ("plc", "emulated power line: management messages between modems (MMEs the modems exchange)")


def host_link(mac: bytes, modem_name: str | None = None, iface: str | None = None) -> tuple[str, str]:
    """(``if_name``, ``if_description``) of the host-side link of modem ``mac``."""
    who = f"{modem_name} {format_mac(mac)}" if modem_name else format_mac(mac)
    return (iface or f"host-{mac.hex()}",
            f"host link of modem {who}: inbound = from its host to the modem, outbound = from the modem to its host")


class PcapRecorder:
    """Every host-port frame, in and out, into one pcapng file (``plcstack.pcapio.PcapngWriter``).

    ``t`` is the emulator's clock; ``epoch`` is added to make timestamps (wall time for the real
    adapter, 0 for a virtual clock).  ``links`` names the host link of each modem (MAC ->
    :func:`host_link`); a modem not named gets an interface when its first frame is recorded, and so
    does the power line (``plc=True``: at once).  Each frame is flushed as it is written, so the file
    can be read (``tshark -r``) while the emulator runs.  Safe to call from several threads.
    """

    def __init__(self, path: str, epoch: float = 0.0, links: Mapping[bytes, tuple[str, str]] | None = None,
                 plc: bool = False) -> None:
        from plcstack.pcapio import PcapngWriter

        self.path = path
        self.epoch = epoch
        self.count = 0
        self._writer: PcapngWriter | None = PcapngWriter(path, flush_each=True)
        self._interfaces: dict[bytes | None, int] = {}  # modem MAC (None: the power line) -> interface id
        for mac, (name, description) in (links or {}).items():
            self._interfaces[mac] = self._writer.add_interface(name, description)
        if plc:
            self._interfaces[None] = self._writer.add_interface(*PLC_INTERFACE)
        self._writer.flush()
        self._lock = threading.Lock()

    def record(self, frame: bytes, t: float, modem: bytes, direction: str) -> None:
        """``direction``: "in" (host to modem), "out" (modem to host), "plc" (sent by ``modem`` on the line)."""
        from plcstack.pcapio import INBOUND, OUTBOUND

        with self._lock:
            w = self._writer
            if w is None:
                return
            where = None if direction == "plc" else modem
            iface = self._interfaces.get(where)
            if iface is None:
                iface = self._interfaces[where] = w.add_interface(*(PLC_INTERFACE if where is None
                                                                    else host_link(modem)))
            w.write(frame, self.epoch + t, interface=iface,
                    direction={"in": INBOUND, "out": OUTBOUND}.get(direction))
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
