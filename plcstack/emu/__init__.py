"""Emulated Qualcomm HomePlug AV / Green PHY modems.

Real open-plc-utils tools (plctool, plcstat, plcrate, int6k, amptool, plcID, plcwait), open-plc-utils
pev/evse and pyslac talk to these modems as to QCA7000/QCA7420/QCA7500 devices.

* :class:`Modem` -- one modem as a sans-I/O state machine (frames and times in, frames and events out);
* :class:`PowerLine` -- modems on an in-process power line with a virtual clock (scripts and tests);
* :class:`LinkModel` / :class:`ConstantLinkModel` -- rates, reachability and SLAC attenuation;
* :mod:`plcstack.emu.config` -- network TOML files (``examples/emu/*.toml``);
* :mod:`plcstack.emu.rawsock` -- modems bound to real interfaces with AF_PACKET (``plcstack emulate``);
* :mod:`plcstack.emu.replay` -- ``plcstack replay`` (capture -> interface or in-process network);
* :mod:`plcstack.emu.envelope` -- what travels on the emulated power line; :mod:`plcstack.emu.events`.

::

    from plcstack.codec import LOCAL_MAC, decode_frame, encode, messages
    from plcstack.emu import ModemConfig, PowerLine
    pl = PowerLine()
    a = pl.add(ModemConfig(mac=bytes.fromhex("00B05200000A")))
    b = pl.add(ModemConfig(mac=bytes.fromhex("00B05200000B"), chip="QCA7000"))
    pl.run_for(3.0)                                   # one AVLN: b is CCo (higher MAC), a a station
    host = bytes.fromhex("020000000001")
    (cnf,) = pl.request(a.mac, encode(LOCAL_MAC, host, messages.VS_NW_INFO_REQ(), mmv=1))
    decode_frame(cnf).message.networks[0].stations    # -> b, with the link model's rates
"""

from plcstack.emu.events import Event
from plcstack.emu.link import ConstantLinkModel, LinkModel, LinkQuality, default_attenuation
from plcstack.emu.modem import Modem, ModemConfig, Output, Port, Step
from plcstack.emu.powerline import PowerLine
from plcstack.emu.profiles import PROFILES, ChipProfile
from plcstack.emu.state import Role, Timers, Trigger

__all__ = [
    "PROFILES", "ChipProfile", "ConstantLinkModel", "Event", "LinkModel", "LinkQuality", "Modem", "ModemConfig",
    "Output", "Port", "PowerLine", "Role", "Step", "Timers", "Trigger", "default_attenuation",
]
