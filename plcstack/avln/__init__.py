"""AVLN formation shared by the emulator and the simulator: see :mod:`plcstack.avln.rules`."""
