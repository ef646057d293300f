"""Text no database stores: the NUL character and lone surrogates, which JSON and URLs can carry.

PostgreSQL refuses NUL in text and JSON columns, and a lone surrogate cannot be encoded as
UTF-8 at all, so a request holding either is refused before anything looks it up or stores it.
"""

import re
from collections.abc import Iterator

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
ESCAPED_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def may_hold_unstorable(raw: bytes) -> bool:
    """Whether the strings of the JSON text `raw` may hold NUL or a lone surrogate: valid UTF-8
    JSON carries them only escaped (`kit.api.json_body` refuses a raw NUL), which nearly no body
    is, sparing it a walk through every string. A surrogate pair (an escaped emoji) is a false
    alarm, which the walk clears."""
    return ESCAPED_UNSTORABLE.search(raw) is not None


def unstorable_character(text: str) -> str | None:
    """Return the first NUL or lone surrogate in `text`, or None."""
    found = UNSTORABLE.search(text)
    return found.group() if found else None


def _holds_unstorable(node) -> bool:
    if isinstance(node, str):
        return UNSTORABLE.search(node) is not None
    if isinstance(node, dict):
        return any(_holds_unstorable(key) or _holds_unstorable(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_holds_unstorable(value) for value in node)
    return False


def unstorable_texts(node, parts: tuple = ()) -> Iterator[tuple[tuple, str, bool]]:
    """Yield (path, character, in a key) for every string of a parsed JSON value holding such a character."""
    if isinstance(node, dict):
        for key, value in node.items():
            bad = unstorable_character(key) if isinstance(key, str) else None
            if bad is not None:
                yield parts, bad, True
            else:
                yield from unstorable_texts(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from unstorable_texts(value, (*parts, index))
    elif isinstance(node, str):
        bad = unstorable_character(node)
        if bad is not None:
            yield parts, bad, False


def json_path(parts) -> str:
    """Write a path as `items[0].id`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def unstorable_problems(node) -> list[str]:
    """Describe each string of `node` holding NUL or a lone surrogate, naming where it is."""
    if not _holds_unstorable(node):  # nearly always: a quick look before naming paths
        return []
    problems = []
    for parts, char, in_key in unstorable_texts(node):
        where = json_path(parts) or "body"
        problem = (
            f"{where} must not have a key with the character U+{ord(char):04X}"
            if in_key
            else f"{where} must not contain the character U+{ord(char):04X}"
        )
        if problem not in problems:
            problems.append(problem)
    return problems
