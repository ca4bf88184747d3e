"""plcstack.capture.typefilter: every spelling, every variant, categories, numbers, unknown names."""

from __future__ import annotations

import pytest

from plcstack.capture.typefilter import SLAC_BASES, TypeFilterError, parse_type_filter
from plcstack.codec.names import OUI_QCA, OUI_ST, mmtype_name
from plcstack.codec.registry import all_definitions

SLAC_PARM_REQ, SLAC_PARM_CNF = 0x6064, 0x6065


def matches(spec: str | list[str], mmtype: int, oui: bytes | None = None) -> bool:
    tf = parse_type_filter(spec)
    assert tf is not None
    return tf.matches(mmtype, oui)


def test_empty_specs_select_everything() -> None:
    assert parse_type_filter(None) is None and parse_type_filter("") is None and parse_type_filter([" , "]) is None


@pytest.mark.parametrize("spec", ["CM_SLAC_PARM.REQ", "cm_slac_parm.req", "CM_SLAC_PARM_REQ", "CM_SLAC_PARAM.REQ",
                                  "CM_SLAC_PARAM_REQ", "0x6064.REQ", "24676.req"])
def test_one_variant(spec: str) -> None:
    assert matches(spec, SLAC_PARM_REQ) and not matches(spec, SLAC_PARM_CNF)


@pytest.mark.parametrize("spec", ["CM_SLAC_PARM", "cm_slac_param", "0x6064", "24676"])
def test_base_names_and_base_numbers_select_every_variant(spec: str) -> None:
    assert matches(spec, SLAC_PARM_REQ) and matches(spec, SLAC_PARM_CNF)
    assert not matches(spec, 0x6068)  # CM_START_ATTEN_CHAR.REQ: another base


def test_exact_numbers() -> None:
    assert matches("0x6065", SLAC_PARM_CNF) and not matches("0x6065", SLAC_PARM_REQ)
    assert matches("24677", SLAC_PARM_CNF)
    assert matches("0xA001", 0xA001, OUI_QCA) and matches("0xA001", 0xA001, OUI_ST)  # any vendor


@pytest.mark.parametrize(("spec", "mmtype"), [
    ("GET_SW.CNF", 0xA001), ("get_sw", 0xA000), ("NW_INFO.CNF", 0xA039), ("TONE_MAP_RX.CNF", 0xA091),
    ("TONE_MAP_TX", 0xA070), ("OP_ATTR.REQ", 0xA068), ("LINK_STATUS.CNF", 0xA0B9), ("SW_VER.CNF", 0xA001),
    ("VS_SW_VER.CNF", 0xA001), ("NVM_MOD.REQ", 0xA028), ("GET_ENET_PHY.CNF", 0xA06D), ("SET_KEY.REQ", 0xA050),
])
def test_wireshark_and_prefixless_qualcomm_spellings(spec: str, mmtype: int) -> None:
    assert matches(spec, mmtype, OUI_QCA)


@pytest.mark.parametrize(("spec", "mmtype"), [("CM_STA_INDENTIFY.CNF", 0x6061), ("CM_SC_CHAN_EST.IND", 0x6016),
                                              ("CC_DETECTC_REPORT.REQ", 0x0028), ("CM_ASSOCIATED_STA.IND", 0x6002)])
def test_other_public_spellings(spec: str, mmtype: int) -> None:
    assert matches(spec, mmtype)


def test_categories() -> None:
    assert all(matches("SLAC", base) for base in (0x6064, 0x6068, 0x606C, 0x6074, 0x6078, 0x607C, 0x6080, 0x6084))
    assert not matches("SLAC", 0x6008)  # CM_SET_KEY follows SLAC but is not part of it
    assert {mmtype_name(b).rsplit(".")[0] for b in (0x6064, 0x607C)} <= SLAC_BASES
    assert matches("CM", 0x6008) and not matches("CM", 0x0030) and matches("CC", 0x0030)
    assert matches("VS", 0xA000, OUI_QCA) and matches("VS", 0xA22E, OUI_ST) and not matches("VS", 0x8000)
    assert matches("MS", 0x8000) and matches("NN", 0x4000) and matches("CP", 0x2000)
    assert matches("QCA", 0xA000, OUI_QCA) and not matches("QCA", 0xA22E, OUI_ST)
    assert matches("ST", 0xA22E, OUI_ST) and not matches("ST", 0xA000, OUI_QCA)
    tf = parse_type_filter("HP10")
    assert tf is not None and tf.includes_hp10 and not tf.matches(0x6064)
    tf = parse_type_filter("SLAC")
    assert tf is not None and not tf.includes_hp10


def test_lists_and_commas_combine() -> None:
    assert matches(["CM_SLAC_PARM.REQ", "VS_SW_VER.CNF,0xA039"], 0xA039, OUI_QCA)
    assert matches("CM_SLAC_PARM.REQ, VS_SW_VER.CNF", 0xA001, OUI_QCA)
    assert not matches("CM_SLAC_PARM.REQ,VS_SW_VER.CNF", 0xA000, OUI_QCA)


def test_every_declared_message_by_name_base_and_number() -> None:
    for d in all_definitions():
        name = d.name
        base = name.rsplit(".", 1)[0]
        for spec in (name, name.replace(".", "_"), base, f"0x{d.mmtype:04X}", str(d.mmtype)):
            assert matches(spec, d.mmtype, d.oui), (spec, name)
        other = d.mmtype ^ 1  # another variant of the same base
        assert not matches(name, other, d.oui)
        assert matches(base, other, d.oui)


@pytest.mark.parametrize(("term", "suggested"), [("CM_SLAC_PARAMS", "CM_SLAC_PARM"), ("GET_SW.CNFF", "VS_SW_VER.CNF"),
                                                 ("CM_SLAC_MATHC", "CM_SLAC_MATCH"), ("VS_NW_INF", "VS_NW_INFO")])
def test_unknown_names_are_errors_with_suggestions(term: str, suggested: str) -> None:
    with pytest.raises(TypeFilterError) as info:
        parse_type_filter(term)
    assert suggested in info.value.suggestions and term in str(info.value) and suggested in str(info.value)


def test_numbers_out_of_range_and_garbage() -> None:
    for bad in ("0x10000", "-1", "xyzzy", "CM_SLAC_PARM.FOO"):
        with pytest.raises(TypeFilterError):
            parse_type_filter(bad)
