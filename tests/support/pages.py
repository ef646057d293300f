"""Reading the admin's pages as a person does: the markup, its words, a section, the messages shown."""

import html
import re


def markup(response) -> str:
    """The HTML of a page answered 200, its entities decoded."""
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


def page(client, url: str, **query) -> str:
    """Open `url` (with `query`) and return its markup."""
    return markup(client.get(url, query))


def text_of(markup: str) -> str:
    """The words of `markup` as a reader sees them: tags left out, entities decoded, spaces collapsed."""
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
    return re.sub(r" (?=[.,:;!?)])", "", words)  # "<a>the link</a>." reads "the link."


def text(response) -> str:
    """The words of a page answered 200."""
    return text_of(markup(response))


def section(markup: str, element_id: str) -> str:
    """The words of the element `element_id`, up to its first closing </div>."""
    start = markup.index(f'id="{element_id}"')
    return text_of(markup[start : markup.index("</div>", start)])


def messages(response) -> list[tuple[str, str]]:
    """The messages the page shows after an action, as (level, words)."""
    shown = re.search(r'<ul class="messagelist">(.*?)</ul>', response.content.decode(), re.S)
    if shown is None:
        return []
    return [
        (level, text_of(words))
        for level, words in re.findall(r'<li class="(\w+)">(.*?)</li>', shown.group(1), re.S)
    ]
