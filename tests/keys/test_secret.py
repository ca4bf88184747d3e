"""Secret: key material never shows in repr/str/format/exceptions."""

from __future__ import annotations

import logging
import pickle

import pytest

from plcstack.keys.secret import Secret, reveal

KEY = bytes.fromhex("50D3E4933F855B7040784DF815AA8DB7")


def test_redacted_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    s = Secret(KEY)
    texts = [repr(s), str(s), f"{s}", f"{s!r}", f"{s:x}", repr([s]), repr({"nmk": s})]
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("key %s %r", s, s)
    texts.append(caplog.text)
    for text in texts:
        assert KEY.hex() not in text.lower() and "redacted" in text


def test_explicit_reveal_and_compare() -> None:
    s = Secret(KEY)
    assert s.reveal() == KEY and reveal(s) == KEY and reveal(KEY) == KEY
    assert s.reveal_hex() == "50D3E4933F855B7040784DF815AA8DB7"
    assert s == Secret(KEY) and s == KEY and s != Secret(bytes(16))
    assert len(s) == 16 and pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(AttributeError):
        s._value = b""  # type: ignore[misc]
    with pytest.raises(TypeError):
        Secret("text")  # type: ignore[arg-type]
