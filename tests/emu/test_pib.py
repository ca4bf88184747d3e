"""The parameter block: reads as real firmware returns them, and plctool -P style write sessions."""

from __future__ import annotations

import struct

import pytest
from emu_helpers import MAC_A, ask, cfg, req

from plcstack.avln.rules import CcoMode
from plcstack.codec import messages
from plcstack.emu import Modem, Role
from plcstack.emu.mme import item_class
from plcstack.emu.profiles import (
    NVM_HEADER_LEN,
    PIB_CCO,
    PROFILES,
    checksum32,
    pib_of_chain,
)
from plcstack.keys.derive import nid_from_nmk, nmk_from_password

SESSION = 0x5A5A0102
SPEC = item_class(messages.VS_MODULE_OPERATION_REQ, "modules")


def read_op(offset: int, length: int = 1400, module: int = 0x7002):
    return messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0, mod_op_data_len=18, module_id=module,
                                            module_sub_id=0, length=length, offset=offset)


def read_chain(m: Modem) -> bytes:
    out, offset = b"", 0
    while True:
        (r,) = ask(m, req(read_op(offset)))
        if r.message.mstatus:
            return out
        out += r.message.data
        offset += len(r.message.data)


@pytest.mark.parametrize("chip", ["QCA7000", "QCA7420"])
def test_chain_has_the_real_structure_and_size(chip):
    m = Modem(cfg(MAC_A, chip=chip))
    m.start(0.0)
    chain = read_chain(m)
    pib_size = PROFILES[chip].pib_size
    # real chains: 96 + 768 (config image) + 96 + PIB = 9796 bytes (QCA7420) / 9040 (QCA7000)
    assert len(chain) == 2 * NVM_HEADER_LEN + 768 + pib_size == {"QCA7420": 9796, "QCA7000": 9040}[chip]
    first = struct.unpack_from("<HHIIIIIIIIIHH", chain)
    assert (first[0], first[1], first[5], first[8], first[9], first[10]) == (1, 1, 768, 864, 0xFFFFFFFF, 0x0E)
    second = struct.unpack_from("<HHIIIIIIIIIHH", chain, 864)
    assert (second[5], second[8], second[9], second[10]) == (pib_size, 0xFFFFFFFF, 0, 0x0F)
    assert checksum32(chain[:NVM_HEADER_LEN]) == 0 and checksum32(chain[864:864 + NVM_HEADER_LEN]) == 0
    pib = pib_of_chain(chain)
    assert len(pib) == pib_size and second[6] == checksum32(pib)
    assert (pib[12:18], pib[100:116], pib[248:255], pib[18:34]) == (MAC_A, m.nmk, m.nid, m.dak)


def test_reads_past_the_end_are_refused_and_short_reads_stop_at_the_end(modem):
    size = len(modem.pib.chain())
    (r,) = ask(modem, req(read_op(size)))
    assert (r.message.mstatus, r.message.length) == (0x18, 0)  # "Unexpected Offset"
    (r,) = ask(modem, req(read_op(size - 24)))
    assert (r.message.mstatus, r.message.length) == (0, 24)
    (r,) = ask(modem, req(read_op(0, module=0x7001)))
    assert r.message.mstatus == 0x14  # "Module ID not found"


def test_rd_mod_returns_the_bare_pib_and_refuses_past_its_end(modem):
    (r,) = ask(modem, req(messages.VS_RD_MOD_REQ(module_id=2, length=1024, offset=0)))
    assert r.message.mstatus == 0 and r.message.data[12:18] == MAC_A
    assert r.message.checksum == checksum32(r.message.data)
    (r,) = ask(modem, req(messages.VS_RD_MOD_REQ(module_id=2, length=1024, offset=len(modem.pib.image()))))
    assert r.message.mstatus == 0x20


def session_start(length: int, checksum: int, session: int = SESSION):
    return messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0x10, mod_op_data_len=25, session_id=session,
                                            num_modules=1, modules=[SPEC(0x7002, 0, length, checksum)])


def write(session: int, offset: int, data: bytes):
    return messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0x11, mod_op_data_len=1419, session_id=session,
                                            module_index=0, module_id=0x7002, module_sub_id=0, length=len(data),
                                            offset=offset, data=data.ljust(1400, b"\0"))


def commit(session: int, code: int = 0x80000003):
    return messages.VS_MODULE_OPERATION_REQ(num_op_data=1, mod_op=0x12, mod_op_data_len=32, session_id=session,
                                            commit_code=code)


def test_write_session_changes_the_cco_mode_and_nmk_like_modpib_then_plctool_P(modem):
    chain = bytearray(read_chain(modem))
    pib_at = 2 * NVM_HEADER_LEN + 768
    new_nmk = nmk_from_password("HomePlugAV0123")
    chain[pib_at + PIB_CCO] = 2  # modpib -C 2: CCo always
    chain[pib_at + 100:pib_at + 116] = new_nmk
    chain[pib_at + 248:pib_at + 255] = nid_from_nmk(new_nmk)
    data = bytes(chain)
    (r,) = ask(modem, req(session_start(len(data), checksum32(data))))
    assert (r.message.mstatus, r.message.mod_op, r.message.session_id) == (0, 0x10, SESSION)
    for offset in range(0, len(data), 1400):
        (r,) = ask(modem, req(write(SESSION, offset, data[offset:offset + 1400])))
        piece = min(1400, len(data) - offset)
        assert (r.message.mstatus, r.message.session_id, r.message.length, r.message.offset) == (0, SESSION, piece,
                                                                                                 offset)
    (r,) = ask(modem, req(commit(SESSION, code=0x80000001)))  # force, factory PIB, reset
    assert (r.message.mstatus, r.message.mod_op, r.message.session_id) == (0, 0x12, SESSION)
    assert modem.role is Role.RESETTING and modem.cco_mode is CcoMode.ALWAYS and modem.nmk == new_nmk
    modem.poll(2.0 + modem.reset_s)
    assert pib_of_chain(read_chain(modem))[PIB_CCO] == 2


@pytest.mark.parametrize("bad", ["session", "checksum", "module"])
def test_refusals_echo_the_session_id_at_once(modem, bad):
    data = bytes(modem.pib.chain())
    if bad == "module":
        (r,) = ask(modem, req(messages.VS_MODULE_OPERATION_REQ(
            num_op_data=1, mod_op=0x10, mod_op_data_len=25, session_id=SESSION, num_modules=1,
            modules=[SPEC(0x7001, 0, len(data), 0)])))
        assert (r.message.mstatus, r.message.session_id, r.message.mod_op) == (0x14, SESSION, 0x10)
        return
    ask(modem, req(session_start(len(data), checksum32(data) ^ (1 if bad == "checksum" else 0))))
    if bad == "session":
        (r,) = ask(modem, req(write(SESSION + 1, 0, data[:1400])))
        assert (r.message.mstatus, r.message.session_id, r.message.mod_op) == (0x12, SESSION + 1, 0x11)
        return
    for offset in range(0, len(data), 1400):
        ask(modem, req(write(SESSION, offset, data[offset:offset + 1400])))
    (r,) = ask(modem, req(commit(SESSION)))
    assert (r.message.mstatus, r.message.session_id, r.message.mod_op) == (0x30, SESSION, 0x12)
    assert modem.role is Role.CCO  # nothing applied, no reset


def test_factory_defaults_forget_a_written_pib(modem):
    modem.pib.written = bytes(len(modem.pib.image()))
    ask(modem, req(messages.VS_FAC_DEFAULTS_REQ()))
    assert modem.pib.written is None and modem.pib.image()[12:18] == MAC_A
