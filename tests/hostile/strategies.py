"""What a hostile client sends: odd strings, wrong types, malformed JSON, for frames, params and bodies.

Hypothesis also draws string constants from t3site's own code, so a strategy that could reach a
value with an effect beyond the test (a network-access mode, an SSH target, a folder outside the
scratch folder) keeps it out explicitly.
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

LONG_TEXT = st.integers(min_value=4000, max_value=10_000).flatmap(
    lambda n: st.sampled_from(["a" * n, "é" * n, "../" * (n // 3), "a/" * (n // 2), "\ud800" * n, "\x00" * n])
)
LONE_SURROGATES = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=4)
WITH_SURROGATE = st.tuples(st.text(max_size=8), LONE_SURROGATES, st.text(max_size=8)).map("".join)
WITH_NUL = st.tuples(st.text(max_size=8), st.text(max_size=8)).map("\x00".join)
TRICKY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "..",
        "../..",
        "a/../../b",
        "/",
        "//",
        "~",
        "~root",
        ".git",
        ".git/config",
        ".GIT/hooks/pre-commit",
        "\\..\\..",
        "%2e%2e%2f",
        "\u202e",
        "\ufeff",
        "\u0085",
        "a\u2028b",
        "C:\\Windows",
        "/etc/passwd",
        "/proc/self/environ",
        "t3s_" + "A" * 43,
        "t3w_" + "A" * 43,
        "💣" * 300,
    ]
)
ODD_TEXT = st.one_of(st.text(max_size=40), WITH_SURROGATE, WITH_NUL, TRICKY_TEXT, LONG_TEXT)

# Everything JSON can carry, floats that only Python's JSON writes (NaN, Infinity) included.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63) - 1, 10**100, -1, 0])
    | st.floats()
    | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
ODD_VALUES = st.one_of(ODD_TEXT, JSON_VALUES)
WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(JSON_VALUES, max_size=3),
    st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3),
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Nesting deeper than any JSON parser goes: always a parse error, whatever this process's recursion limit.
DEEP_JSON = st.one_of(
    st.integers(min_value=5000, max_value=200_000).map(nested),
    st.integers(min_value=5000, max_value=50_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
MALFORMED_JSON = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ['{"jsonrpc": "2.0", "id": 1,', "{", "}", '"', "nul", "[1,]", "{'a': 1}", "\x00", "\ufeff{}", "{}}"]
    ),
)


def encoded(value) -> str:
    """Return ``value`` as a JSON text: lone surrogates escaped, NaN and Infinity as Python writes them."""
    return json.dumps(value)


def params_for(known: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """Return params objects with each known parameter present or missing, plus extra unknown ones."""
    extra = st.dictionaries(st.text(max_size=12).filter(lambda key: key not in known), ODD_VALUES, max_size=3)
    return st.tuples(st.fixed_dictionaries({}, optional=known), extra).map(lambda pair: {**pair[1], **pair[0]})
