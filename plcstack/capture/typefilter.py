"""The one ``--type`` filter: which MMTYPEs a user asked for, in any spelling they know.

``parse_type_filter("CM_SLAC_PARM,VS_SW_VER.CNF,0xA038,SLAC")`` returns a :class:`TypeFilter` whose
``matches(mmtype, oui)`` says whether a frame's header is wanted.  Accepted terms (case-insensitive,
comma-separated, or as a list):

* a message name with its variant: ``CM_SLAC_PARM.REQ``, ``CM_SLAC_PARM_REQ`` (class-name form);
* a base name without variant, for every variant: ``CM_SLAC_PARM`` matches .REQ and .CNF;
* other tools' spellings (``docs/capture.md``, "Type names"): Wireshark/tshark's ``GET_SW.CNF``,
  ``NW_INFO``, ``TONE_MAP_RX``, ``CM_STA_INDENTIFY``, ``CM_SC_CHAN_EST``, ``CC_DETECTC_REPORT``;
  open-plc-utils' ``CM_SLAC_PARAM`` and ``CM_ASSOCIATED_STA``; a Qualcomm name without its ``VS_``
  prefix (``SW_VER``);
* a category: ``CC``, ``CP``, ``NN``, ``CM``, ``MS``, ``VS`` (the MMTYPE ranges), ``SLAC`` (the
  ISO 15118-3 matching messages), ``QCA`` / ``ST`` (that vendor's OUI), ``HP10`` (HomePlug 1.0
  frames, ethertype 0x887B);
* a number, hex or decimal: ``0x6065`` / ``24677`` is exactly that MMTYPE; a number whose two low
  bits are 0 (``0x6064``) is a base and matches every variant, like a base name; ``0x6064.REQ``
  selects one variant.

An unknown term raises :class:`TypeFilterError` with the closest known names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from plcstack.codec.names import (
    OUI_NONE,
    OUI_QCA,
    OUI_ST,
    PUBLIC_BASES,
    QCA_MS_BASES,
    VENDOR_BASES,
    mmtype_name,
    range_prefix,
)

_VARIANTS = ("REQ", "CNF", "IND", "RSP")

#: ISO 15118-3 SLAC (matching) messages, GreenPHY 1.1 11.5.x.
SLAC_BASES = frozenset({
    "CM_SLAC_PARM", "CM_START_ATTEN_CHAR", "CM_MNBC_SOUND", "CM_ATTEN_CHAR", "CM_ATTEN_PROFILE",
    "CM_VALIDATE", "CM_SLAC_MATCH", "CM_SLAC_USER_DATA",
})

#: Other tools' base names -> ours.  Wireshark 4.0 packet-homeplug-av.c value strings
#: (``tshark -G values`` for homeplug_av.mmhdr.mmtype[.qualcomm]); open-plc-utils mme/homeplug.h.
ALIASES: dict[str, str] = {
    # Wireshark names for Qualcomm vendor-specific messages that differ beyond the VS_ prefix
    "GET_SW": "VS_SW_VER", "NVM_MOD": "VS_MOD_NVM", "OP_ATTR": "VS_OP_ATTRIBUTES",
    "GET_ENET_PHY": "VS_ENET_SETTINGS", "TONE_MAP_TX": "VS_TONE_MAP_CHAR",
    "TONE_MAP_RX": "VS_RX_TONE_MAP_CHAR", "LINK_STATUS": "VS_PL_LINK_STATUS",
    # Wireshark spellings of public names
    "CC_DETECTC_REPORT": "CC_DETECT_REPORT", "CM_SC_CHAN_EST": "CM_CHAN_EST",
    "CM_STA_INDENTIFY": "CM_STA_IDENTIFY",
    # open-plc-utils spellings
    "CM_SLAC_PARAM": "CM_SLAC_PARM", "CM_ASSOCIATED_STA": "CM_UNASSOCIATED_STA",
}

#: Categories: MMTYPE ranges (HomePlug AV 1.1 table 11-2), SLAC, vendors, HomePlug 1.0.
RANGE_CATEGORIES = frozenset({"CC", "CP", "NN", "CM", "MS", "VS"})
VENDOR_CATEGORIES: dict[str, frozenset[bytes]] = {"QCA": frozenset({OUI_QCA, OUI_NONE}), "ST": frozenset({OUI_ST})}
CATEGORIES = RANGE_CATEGORIES | {"SLAC", "HP10"} | set(VENDOR_CATEGORIES)


class TypeFilterError(ValueError):
    """A ``--type`` term that names no message; ``suggestions`` holds the closest known names."""

    def __init__(self, term: str, suggestions: list[str], reason: str | None = None) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(reason or f"unknown message type {term!r}{hint} (see `plcstack messages` for the names)")
        self.term = term
        self.suggestions = suggestions


def known_base_names() -> frozenset[str]:
    """Every base name the codec knows (public, Qualcomm MS/VS, ST/IoTecha, SPiDCOM ...)."""
    names = set(PUBLIC_BASES.values()) | set(QCA_MS_BASES.values())
    for table in VENDOR_BASES.values():
        names.update(table.values())
    return frozenset(names)


_KNOWN = known_base_names()


@dataclass
class TypeFilter:
    """What ``--type`` selected; ``matches(mmtype, oui)`` is the test (``oui`` None when absent)."""

    spec: str = ""
    mmtypes: set[int] = field(default_factory=set)  # exact MMTYPEs
    bases: set[int] = field(default_factory=set)  # MMTYPE bases (low two bits 0): every variant
    names: set[str] = field(default_factory=set)  # "CM_SLAC_PARM.REQ"
    base_names: set[str] = field(default_factory=set)  # "CM_SLAC_PARM"
    ranges: set[str] = field(default_factory=set)  # "CM", "VS", ...
    ouis: set[bytes] = field(default_factory=set)  # vendor categories
    includes_hp10: bool = False  # HomePlug 1.0 (0x887B) frames wanted

    def matches(self, mmtype: int, oui: bytes | None = None) -> bool:
        if mmtype in self.mmtypes or mmtype & ~3 in self.bases:
            return True
        if self.ranges and range_prefix(mmtype) in self.ranges:
            return True
        if self.ouis and oui in self.ouis:
            return True
        if self.names or self.base_names:
            name = mmtype_name(mmtype, oui)
            return name in self.names or name.rsplit(".", 1)[0] in self.base_names
        return False

    def __str__(self) -> str:
        return self.spec


def _terms(spec: str | Iterable[str]) -> list[str]:
    items = [spec] if isinstance(spec, str) else list(spec)
    return [t.strip() for item in items for t in item.split(",") if t.strip()]


def _canonical_base(name: str) -> str | None:
    """Our base name for a spelling without variant, or None."""
    name = ALIASES.get(name, name)
    if name in _KNOWN:
        return name
    if "VS_" + name in _KNOWN:
        return "VS_" + name
    return None


def _split_variant(term: str) -> tuple[str, str | None]:
    for sep in (".", "_"):
        head, _, tail = term.rpartition(sep)
        if head and tail in _VARIANTS:
            return head, tail
    return term, None


def _number(text: str) -> int | None:
    try:
        value = int(text, 0)
    except ValueError:
        return None
    if not 0 <= value <= 0xFFFF:
        raise TypeFilterError(text, [], f"MMTYPE {text.lower()} is out of range (0x0000-0xFFFF)")
    return value


def parse_type_filter(spec: str | Iterable[str] | None) -> TypeFilter | None:
    """Parse ``--type`` terms (a string, comma-separated, or a list of them); None selects everything."""
    if spec is None:
        return None
    terms = _terms(spec)
    if not terms:
        return None
    tf = TypeFilter(spec=",".join(terms))
    for raw in terms:
        term = raw.upper().replace("-", "_")
        if term in ("HP10", "HP1.0", "HOMEPLUG1.0", "HOMEPLUG_1_0"):
            tf.includes_hp10 = True
            continue
        if term in RANGE_CATEGORIES:
            tf.ranges.add(term)
            continue
        if term == "SLAC":
            tf.base_names.update(SLAC_BASES)
            continue
        if term in VENDOR_CATEGORIES:
            tf.ouis.update(VENDOR_CATEGORIES[term])
            continue
        head, variant = _split_variant(term)
        value = _number(head)
        if value is not None:
            if variant is not None:
                tf.mmtypes.add((value & ~3) | _VARIANTS.index(variant))
            elif value & 3:
                tf.mmtypes.add(value)
            else:
                tf.bases.add(value)
            continue
        base = _canonical_base(head)
        if base is None and variant is not None:  # e.g. a base name that itself ends in _IND
            base = _canonical_base(term)
            variant = None if base is not None else variant
        if base is None:
            raise TypeFilterError(raw, _suggest(term))
        if variant is None:
            tf.base_names.add(base)
        else:
            tf.names.add(f"{base}.{variant}")
    return tf


def _suggest(term: str) -> list[str]:
    head, dot, tail = term.rpartition(".")
    if dot and head and _canonical_base(head) is not None:  # a known name with a misspelled variant
        close = difflib.get_close_matches(tail, _VARIANTS, n=2, cutoff=0.3) or list(_VARIANTS)
        return [f"{_canonical_base(head)}.{v}" for v in close]
    pool = sorted(_KNOWN | set(ALIASES) | CATEGORIES)
    close = difflib.get_close_matches(term, pool, n=5, cutoff=0.6)
    if not close:  # a fragment of a name: CM_SLAC -> CM_SLAC_MATCH, CM_SLAC_PARM ...
        close = [n for n in pool if term in n]
    return list(dict.fromkeys(ALIASES.get(c, c) for c in close))[:3]
