"""Code points: declared once as IntEnums, on the fields, named in JSON, shared with keys."""

from __future__ import annotations

from enum import IntEnum

from plcstack.codec import codes, decode_frame, encode_frame, make_frame
from plcstack.codec import messages as m
from plcstack.codec.layout import ARRAY, Field, to_jsonable
from plcstack.codec.registry import all_definitions, definition_of

SRC, DST = "02:00:00:00:00:01", "00:b0:52:00:00:01"


def _fields(fields: tuple[Field, ...]):
    for f in fields:
        yield f
        if f.kind == ARRAY and f.item is not None:
            yield from _fields(f.item.fields)


def test_every_coded_field_uses_an_enum_from_codes():
    coded = 0
    for d in all_definitions():
        for f in _fields(d.fields):
            if f.values is None:
                continue
            coded += 1
            assert isinstance(f.values, type) and issubclass(f.values, IntEnum), (d.name, f.name)
            assert getattr(codes, f.values.__name__) is f.values, (d.name, f.name)
    assert coded > 60


def test_fields_that_are_codes_have_values():
    """Fields whose names say they are coded carry an enum (result, status, *_type, role ...)."""
    coded_names = {"result", "mstatus", "key_type", "requested_key_type", "pid", "peks", "avln_status",
                   "application_type", "security_type", "resp_type", "station_role", "role", "device_class",
                   "reason_code", "request_type", "cco_capability", "pb_action", "link_status", "mod_op"}
    missing = [(d.name, f.name) for d in all_definitions() for f in _fields(d.fields)
               if f.name in coded_names and f.values is None and not d.name.startswith("SPC_")]
    assert missing == []


def test_keys_constants_re_export_the_codec_enums():
    from plcstack.keys import constants

    for name in ("KeyType", "Peks", "ProtocolId", "AvlnStatus", "SecurityLevel", "GetKeyResult"):
        assert getattr(constants, name) is getattr(codes, name)


def test_json_keeps_the_integer_and_adds_the_name_and_vendor_note():
    raw = encode_frame(make_frame(SRC, DST, m.CM_SET_KEY_CNF(result=1, pid=4, pmn=0xFF)))
    f = decode_frame(raw)
    js = to_jsonable(definition_of(f.message).layout, f.message)
    assert js["result"] == 1 and js["result_name"] == "FAILURE"
    assert "Qualcomm" in js["result_note"]
    assert js["pid"] == 4 and js["pid_name"] == "HLE"
    assert "pmn_name" not in js  # not a coded field


def test_value_outside_the_enum_has_no_name():
    assert codes.value_name(codes.SetKeyResult, 7) is None
    assert codes.value_name(codes.DeviceClass, 0x20) == "QCA7420"
    assert codes.value_name(None, 1) is None
    assert codes.value_note(codes.KeyType, 1) is None


def test_slac_fields_carry_units():
    d = {f.name: f for f in definition_of(m.CM_SLAC_PARM_CNF).fields}
    assert (d["time_out"].unit, d["time_out"].scale) == ("ms", 100)
