"""The emulated modem's parameter block: reads, and writes the way ``plctool -P`` does them.

Reads: ``VS_MODULE_OPERATION`` read of module 0x7002 returns the parameter chain real QCA7000/7420
firmware returns (:func:`plcstack.emu.profiles.build_parameter_chain`), ``VS_RD_MOD`` of module 2 the
bare PIB; a read that starts past the end is refused ("Unexpected Offset"), one that runs past it
gets the bytes up to the end.

Writes (open-plc-utils ``plc/FlashParameters.c``): a session is started (MOD_OP 0x10) with the
module's id, length and checksum, the module is written in 1400-byte pieces (0x11), and the session
is closed with a commit code (0x12).  Every confirmation echoes ``MOD_OP_SESSION_ID`` -- plctool
discards any that does not.  On commit the chain's PIB becomes the modem's: its NMK, NID, DAK and
CCo selection take effect (``modpib -C`` then ``plctool -P``), and unless the commit code says "no
reset" the modem restarts; plctool resets it itself (VS_RS_DEV) and waits for VS_SW_VER.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from plcstack.codec import Frame, messages
from plcstack.codec.codes import ModuleId, ModuleOperation
from plcstack.emu.mme import item_class
from plcstack.emu.profiles import (
    MODULE_ID_PIB,
    PibFields,
    build_parameter_chain,
    build_pib,
    checksum32,
    pib_of_chain,
    read_pib,
)

if TYPE_CHECKING:
    from plcstack.emu.modem import Modem, Port

MAX_READ = 1400  # PLC_MODULE_SIZE: the most a confirmation carries
MAX_MODULE = 64 * 1024
RD_MOD_PIB = ModuleId.PIB  # VS_RD_MOD module id of the PIB
OP_READ_MEMORY, OP_READ_FLASH = ModuleOperation.READ_MEMORY, ModuleOperation.READ_FLASH
OP_START, OP_WRITE, OP_COMMIT = ModuleOperation.START_SESSION, ModuleOperation.WRITE_MODULE, ModuleOperation.COMMIT
COMMIT_NORESET = 1 << 1  # commit code bit (open-plc-utils plc/plc.h PLC_COMMIT_NORESET)


class ModuleStatus(IntEnum):
    """VS_MODULE_OPERATION.CNF MSTATUS values the emulator gives (open-plc-utils mme/MMECode.c)."""

    OK = 0x00
    BAD_NUM_OPS = 0x10  # "Invalid Number of Module Operations"
    BAD_OP = 0x11  # "Invalid Module Operation ID"
    BAD_SESSION = 0x12  # "Invalid Session ID"
    NO_MODULE = 0x14  # "Module ID not found"
    BAD_LENGTH = 0x15  # "Invalid Module Length"
    BAD_OFFSET = 0x18  # "Unexpected Offset"
    BAD_CHECKSUM = 0x30  # "Bad Module Checksum"
    BAD_PIB = 0x50  # "Invalid PIB"


class RdModStatus(IntEnum):
    """VS_RD_MOD.CNF MSTATUS (open-plc-utils mme/MMECode.c)."""

    OK = 0x00
    BAD_MODULE = 0x10
    BAD_OFFSET = 0x20


ST_OK, ST_BAD_NUM_OPS, ST_BAD_OP, ST_BAD_SESSION = (ModuleStatus.OK, ModuleStatus.BAD_NUM_OPS, ModuleStatus.BAD_OP,
                                                     ModuleStatus.BAD_SESSION)
ST_NO_MODULE, ST_BAD_LENGTH, ST_BAD_OFFSET = ModuleStatus.NO_MODULE, ModuleStatus.BAD_LENGTH, ModuleStatus.BAD_OFFSET
ST_BAD_CHECKSUM, ST_BAD_PIB = ModuleStatus.BAD_CHECKSUM, ModuleStatus.BAD_PIB
RD_BAD_MODULE, RD_BAD_OFFSET = RdModStatus.BAD_MODULE, RdModStatus.BAD_OFFSET


@dataclass
class Session:
    session_id: int
    module_id: int
    length: int
    checksum: int
    data: bytearray


class PibStore:
    """The PIB of one modem: built from its keys until a host writes one."""

    def __init__(self, modem: Modem) -> None:
        self.modem = modem
        self.written: bytes | None = None  # a PIB committed by a host
        self.session: Session | None = None
        self._cache: tuple[tuple[object, ...], bytes] | None = None

    def image(self) -> bytes:
        if self.written is not None:
            return self.written
        m = self.modem
        key = (m.nmk, m.nid, m.dak, m.cco_mode)
        if self._cache is None or self._cache[0] != key:
            c = m.config
            pib = build_pib(m.chip, PibFields(m.mac, m.dak, m.nmk, m.nid, c.mfg, c.usr, c.net, m.cco_mode))
            self._cache = (key, pib)
        return self._cache[1]

    def chain(self) -> bytes:
        return build_parameter_chain(self.image())

    def restore_factory(self) -> None:
        self.written = None
        self.session = None

    # ------------------------------------------------------------------ host requests

    def module_operation(self, f: Frame, t: float, via: Port) -> bytes:
        m = f.message
        if m.num_op_data != 1:
            return self._refuse(f, ST_BAD_NUM_OPS)
        if m.mod_op in (OP_READ_MEMORY, OP_READ_FLASH):
            return self._read(f)
        if m.mod_op == OP_START:
            return self._start(f)
        if m.mod_op == OP_WRITE:
            return self._write(f)
        if m.mod_op == OP_COMMIT:
            return self._commit(f, t)
        return self._refuse(f, ST_BAD_OP)

    def _cnf(self, f: Frame, status: int, **kw: object) -> bytes:
        m = f.message
        return self.modem.reply(f, messages.VS_MODULE_OPERATION_CNF(
            mstatus=status, err_rec_code=0, reserved=0, num_op_data=1, mod_op=m.mod_op,
            mod_op_data_len=m.mod_op_data_len, mod_op_rsvd=0, **kw))

    def _refuse(self, f: Frame, status: int) -> bytes:
        """A refusal carrying the request's MOD_OP and session id, so the tool takes it at once."""
        m = f.message
        kw: dict[str, object] = {}
        if m.mod_op in (OP_START, OP_WRITE, OP_COMMIT):
            kw["session_id"] = m.session_id
        if m.mod_op in (OP_START, OP_COMMIT):
            kw.update(num_modules=1, module_status=[item_class(messages.VS_MODULE_OPERATION_CNF, "module_status")(
                status, 0)])
            if m.mod_op == OP_COMMIT:
                kw["commit_code"] = m.commit_code
        if m.mod_op == OP_WRITE:
            kw.update(module_index=m.module_index, module_id=m.module_id, module_sub_id=m.module_sub_id,
                      length=0, offset=m.offset)
        if m.mod_op in (OP_READ_MEMORY, OP_READ_FLASH):
            kw.update(module_id=m.module_id, module_sub_id=m.module_sub_id, length=0, offset=m.offset, data=b"")
        return self._cnf(f, status, **kw)

    def _read(self, f: Frame) -> bytes:
        m = f.message
        if m.module_id != MODULE_ID_PIB:
            return self._refuse(f, ST_NO_MODULE)
        chain = self.chain()
        if m.offset >= len(chain):
            return self._refuse(f, ST_BAD_OFFSET)
        data = chain[m.offset:m.offset + min(m.length, MAX_READ)]
        return self._cnf(f, ST_OK, module_id=m.module_id, module_sub_id=m.module_sub_id, length=len(data),
                         offset=m.offset, data=data)

    def _start(self, f: Frame) -> bytes:
        m = f.message
        if m.num_modules != 1 or not m.modules:
            return self._refuse(f, ST_BAD_NUM_OPS)
        spec = m.modules[0]
        if spec.module_id != MODULE_ID_PIB:
            return self._refuse(f, ST_NO_MODULE)
        if not 0 < spec.module_length <= MAX_MODULE:
            return self._refuse(f, ST_BAD_LENGTH)
        self.session = Session(m.session_id, spec.module_id, spec.module_length, spec.module_checksum,
                               bytearray(spec.module_length))
        item = item_class(messages.VS_MODULE_OPERATION_CNF, "module_status")
        return self._cnf(f, ST_OK, session_id=m.session_id, num_modules=1, module_status=[item(0, 0)])

    def _write(self, f: Frame) -> bytes:
        m = f.message
        s = self.session
        if s is None or s.session_id != m.session_id:
            return self._refuse(f, ST_BAD_SESSION)
        if m.module_id != s.module_id:
            return self._refuse(f, ST_NO_MODULE)
        if m.offset + m.length > s.length or len(m.data) < m.length:
            return self._refuse(f, ST_BAD_OFFSET if m.offset > s.length else ST_BAD_LENGTH)
        s.data[m.offset:m.offset + m.length] = m.data[:m.length]
        return self._cnf(f, ST_OK, session_id=m.session_id, module_index=m.module_index, module_id=m.module_id,
                         module_sub_id=m.module_sub_id, length=m.length, offset=m.offset)

    def _commit(self, f: Frame, t: float) -> bytes:
        m = f.message
        s = self.session
        if s is None or s.session_id != m.session_id:
            return self._refuse(f, ST_BAD_SESSION)
        self.session = None
        data = bytes(s.data)
        if checksum32(data) != s.checksum:
            return self._refuse(f, ST_BAD_CHECKSUM)
        pib = pib_of_chain(data)
        try:
            fields = read_pib(pib)
        except ValueError:
            return self._refuse(f, ST_BAD_PIB)
        item = item_class(messages.VS_MODULE_OPERATION_CNF, "module_status")
        reply = self._cnf(f, ST_OK, session_id=m.session_id, commit_code=m.commit_code, num_modules=1,
                          module_status=[item(0, 0)])
        self._apply(pib, fields)
        if not m.commit_code & COMMIT_NORESET:
            self.modem.reset(t, factory=False)
        return reply

    def _apply(self, pib: bytes, fields: PibFields) -> None:
        """The committed PIB is the modem's parameters from now on (MAC and chip stay)."""
        m = self.modem
        self.written = pib
        m.nmk, m.dak = fields.nmk, fields.dak
        m.nid = fields.nid
        m.cco_mode = fields.cco

    def rd_mod(self, f: Frame, t: float, via: Port) -> bytes:
        m = f.message
        modem = self.modem
        if m.module_id != RD_MOD_PIB:
            return modem.reply(f, messages.VS_RD_MOD_CNF(mstatus=RD_BAD_MODULE, module_id=m.module_id, length=0,
                                                         offset=m.offset, checksum=0, data=b""))
        pib = self.image()
        if m.offset >= len(pib):
            return modem.reply(f, messages.VS_RD_MOD_CNF(mstatus=RD_BAD_OFFSET, module_id=m.module_id, length=0,
                                                         offset=m.offset, checksum=0, data=b""))
        data = pib[m.offset:m.offset + min(m.length, MAX_READ)]
        return modem.reply(f, messages.VS_RD_MOD_CNF(mstatus=RdModStatus.OK, rsvd=bytes(3), module_id=RD_MOD_PIB, rsvd2=0,
                                                     length=len(data), offset=m.offset, checksum=checksum32(data),
                                                     data=data))
