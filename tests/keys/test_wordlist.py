"""plcstack.keys.wordlist: the built-in dictionary and its variants."""

from __future__ import annotations

from plcstack.keys.wordlist import (
    DEFAULT_PASSWORDS,
    DEFAULT_WORDLIST,
    MANGLE_FACTOR,
    builtin_candidates,
    mangle,
)


def test_defaults_are_in_the_dictionary() -> None:
    assert set(DEFAULT_PASSWORDS) <= set(DEFAULT_WORDLIST)
    assert "HomePlug AV" in DEFAULT_WORDLIST  # the escaped space
    assert len(DEFAULT_WORDLIST) == len(set(DEFAULT_WORDLIST)) > 300


def test_mangle() -> None:
    variants = list(mangle(["Word"]))
    assert variants[0] == b"Word" and b"word123" in variants and b"WORD2025" in variants
    assert len(variants) == len(set(variants)) <= MANGLE_FACTOR
    assert len(list(mangle([b"abc", "abc"]))) == len(list(mangle(["abc"])))  # duplicates removed
    assert builtin_candidates(with_mangling=False) == [w.encode() for w in DEFAULT_WORDLIST]
    assert len(builtin_candidates()) <= MANGLE_FACTOR * len(DEFAULT_WORDLIST)
