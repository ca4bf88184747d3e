"""Recording what the emulated modems send and receive on their host ports (``--pcap``)."""

from __future__ import annotations

import threading


class PcapRecorder:
    """Every host-port frame, in and out, into one classic pcap file (``plcstack.pcapio.PcapWriter``).

    ``t`` is the emulator's clock; ``epoch`` is added to make pcap timestamps (wall time for the real
    adapter, 0 for a virtual clock).  Each frame is flushed as it is written, so the file can be read
    (``tshark -r``, ``tail -c``) while the emulator runs.  Safe to call from several threads.
    """

    def __init__(self, path: str, epoch: float = 0.0) -> None:
        from plcstack.pcapio import PcapWriter

        self.path = path
        self.epoch = epoch
        self.count = 0
        self._writer: PcapWriter | None = PcapWriter(path)
        self._writer.flush()
        self._lock = threading.Lock()

    def record(self, frame: bytes, t: float, modem: bytes, direction: str) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.write(frame, self.epoch + t)
                self._writer.flush()
                self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
