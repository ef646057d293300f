"""Text cells of the CSV files the app writes, safe to open in a spreadsheet.

A value from a marketplace or a seller may read as a formula (`=HYPERLINK(…)`, `@SUM(…)`,
`-2+3+cmd|…`), and a spreadsheet finds one behind what it skips or converts too: leading blanks
and line breaks, invisible format characters (a zero-width space, a byte order mark) and the
full-width ＝＋－＠. Every CSV writer of the app passes its text through `formula_safe`, which
gives such a cell a leading apostrophe: the spreadsheet shows it as text and runs nothing.
"""

import unicodedata

# What a formula starts with once blanks are skipped and full-width forms read as ASCII
# (NFKC turns ＝＋－＠ and their small forms into =+-@); U+2212 is the minus sign.
FORMULA_STARTS = frozenset("=+-@\u2212")
# What OWASP quotes whenever a cell starts with it, whatever follows.
RISKY_FIRST = frozenset("=+-@\t\r\n")
# Skipped in search of the first character that shows: controls, format characters and separators.
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def formula_safe(text: str) -> str:
    """Return the text with a leading apostrophe when a spreadsheet could read it as a formula."""
    if text[:1] in RISKY_FIRST or _first_shown(text) in FORMULA_STARTS:
        return "'" + text
    return text


def _first_shown(text: str) -> str:
    for character in text:
        if character.isspace() or unicodedata.category(character) in INVISIBLE:
            continue
        return unicodedata.normalize("NFKC", character)[:1]
    return ""


def formula_unquoted(text: str) -> str:
    """Return text that `formula_safe` quoted as it was: a file exported, then imported again."""
    if text.startswith("'") and formula_safe(text[1:]) == text:
        return text[1:]
    return text
