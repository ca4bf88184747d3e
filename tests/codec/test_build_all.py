"""Every declared message builds with default values, and the generated docs cover every message."""

from __future__ import annotations

import pytest

from plcstack.codec import decode_frame, encode_frame, make_frame
from plcstack.codec.docs import all_markdown, message_markdown
from plcstack.codec.layout import ARRAY, VARBYTES, _count_refs, _eval, from_jsonable, to_jsonable
from plcstack.codec.registry import MessageDef, all_definitions, by_name, definition_of, lookup

DST = "00:b0:52:00:00:01"
SRC = "02:00:00:00:00:01"
DEFS = all_definitions()


def _filled(msg, rec):
    """``msg`` as decode returns it: absent conditional fields None, counts = length of their data."""
    counts = _count_refs(rec.fields)
    values = list(msg)
    names = [f.name for f in rec.fields]
    seen: dict[str, object] = {}
    for k, f in enumerate(rec.fields):
        if f.when is not None and not _eval(f.when, seen):
            values[k] = None
        seen[f.name] = values[k]
    for ref, target in counts.items():
        i, j = names.index(ref), names.index(target.name)
        if values[i] is None and values[j] is not None:
            values[i] = len(values[j])
    for k, f in enumerate(rec.fields):
        if f.kind == ARRAY and values[k] == ():
            values[k] = []
    return tuple(values)


@pytest.mark.parametrize("mdef", DEFS, ids=lambda d: d.layout.name)
def test_default_message_builds_encodes_decodes(mdef: MessageDef):
    msg = mdef.cls()
    frame = make_frame(DST, SRC, msg)
    assert (frame.mmtype, frame.mmv, frame.oui) == (mdef.mmtype, mdef.default_mmv, mdef.oui)
    assert frame.fmi == (0 if mdef.default_mmv else None)
    raw = encode_frame(frame)
    assert len(raw) >= 60  # padded to the Ethernet minimum
    back = decode_frame(raw)
    assert back.truncated is None
    assert lookup(back.mmv, back.mmtype, back.oui) is mdef, "the built header selects this declaration"
    assert definition_of(back.message) is mdef
    assert (back.dst, back.src, back.mmv, back.mmtype, back.fmi, back.oui) == (
        frame.dst, frame.src, frame.mmv, frame.mmtype, frame.fmi, frame.oui)
    rest_last = mdef.fields and mdef.fields[-1].kind == "rest"
    if not rest_last:  # a trailing rest() field takes the padding; everything else leaves it in trailing
        assert tuple(back.message) == _filled(msg, mdef.layout)
        assert back.trailing == raw[len(raw) - len(back.trailing):] and set(back.trailing) <= {0}
    assert encode_frame(back) == raw
    # unpadded, the decoded message is exactly the built one (counts filled in)
    raw0 = encode_frame(frame._replace(trailing=b""))
    back0 = decode_frame(raw0)
    assert tuple(back0.message) == _filled(msg, mdef.layout)
    assert encode_frame(back0) == raw0
    # and JSON form round-trips too
    js = to_jsonable(mdef.layout, back0.message)
    assert from_jsonable(mdef.layout, js) == back0.message


def test_names_and_classes_are_unique():
    assert len({d.layout.name for d in DEFS}) == len(DEFS)
    for d in DEFS:
        assert by_name(d.layout.name) is d
    # variable-length fields always name where their length comes from
    for d in DEFS:
        for f in d.fields:
            if f.kind in (VARBYTES, ARRAY):
                assert f.count, f"{d.name}.{f.name}"


def test_docs_cover_every_message():
    md = all_markdown()
    for d in DEFS:
        section = message_markdown(d)
        assert section in md
        assert f"`{d.layout.name}`" in section and f"0x{d.mmtype:04X}" in section
        for f in d.fields:
            assert f"| {f.name} |" in section, f"{d.name}: field {f.name} missing from the docs"
            if f.kind == ARRAY and f.item is not None:
                for sub in f.item.fields:
                    assert f"{sub.name} |" in section
    assert md.count("### ") == len(DEFS)
