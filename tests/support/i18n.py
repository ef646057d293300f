"""Pages read in another language: the English words of ours still on them.

    with language("pt-br"):
        response = client.get(url)            # or client.get(url, HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert english_left(response, "pt_BR") == []

A word is suspect when our catalogs use it in English (a msgid) and no translation of that
language uses it: "Approve", "waiting", "divergence" on a Portuguese page mean a string was not
marked for translation, or was translated before the language was chosen (gettext at import
time instead of gettext_lazy). Django's own words are translated by Django; the site's name,
scripts, styles and the values people typed are no words of ours.
"""

import functools
import re
from contextlib import contextmanager
from pathlib import Path

import polib
from django.utils import translation

from .pages import markup, text_of

ROOT = Path(__file__).resolve().parents[2]
WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
# Words that read the same to everyone here: names, codes of the contract, units.
SHARED = frozenset(
    {
        "VTEX",
        "SKU",
        "SKUs",
        "API",
        "CSV",
        "JSON",
        "URL",
        "EOI",
        "SOI",
        "HTTP",
        "HTTPS",
        "BRL",
        "USD",
        "ARS",
        "MXN",
        "CLP",
        "COP",
        "PEN",
        "UTC",
        "SkyHub",
        "Magalu",
        "Netshoes",
        "Carrefour",
        "Order",
        "Authorization",
    }
)


@functools.cache
def suspects(language: str) -> frozenset[str]:
    english, translated = set(), set()
    for path in ROOT.glob(f"**/locale/{language}/LC_MESSAGES/*.po"):
        if path.relative_to(ROOT).parts[0] in {".venv", "var", "node_modules"}:
            continue
        for entry in polib.pofile(str(path)):
            english.update(WORD.findall(entry.msgid + " " + entry.msgid_plural))
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                translated.update(WORD.findall(text))
    return frozenset(english - translated - SHARED)


def visible(page: str) -> str:
    """The words a reader sees: without scripts, styles, the site's name and form values."""
    page = re.sub(r"(?s)<(script|style|template)\b.*?</\1>", " ", page)
    page = re.sub(r'(?s)<div id="site-name">.*?</div>', " ", page)
    page = re.sub(r"(?s)<textarea\b.*?</textarea>", " ", page)
    return text_of(page)


def english_left(response_or_markup, language: str) -> list[str]:
    """Our English words on a page meant to be in `language` (pt_BR, es), in page order, once each."""
    page = response_or_markup if isinstance(response_or_markup, str) else markup(response_or_markup)
    seen = []
    for word in WORD.findall(visible(page)):
        if word in suspects(language) and word not in seen:
            seen.append(word)
    return seen


def outside_the_sidebar(page: str) -> str:
    """The page without the admin's sidebar, which lists every app's name."""
    return re.sub(r'(?s)<nav class="sticky" id="nav-sidebar".*?</nav>', " ", page)


@contextmanager
def language(code: str):
    """Speak `code` (pt-br, es) in the test's own process: rendering, gettext, formats."""
    with translation.override(code):
        yield
