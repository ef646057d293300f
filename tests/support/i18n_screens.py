"""Our English words left on one app's screens, leaving out the sidebar that lists every app.

The sidebar names the models of every app, each translated with its own app: a page of the
catalog is checked for the catalog's words and the page's own, not for another app's menu entry.
Bodies sent to connectors (JSON) are in the contract's words and stay so.

    assert screen_english_left(client.get(url, HTTP_ACCEPT_LANGUAGE="pt-BR"), "pt_BR") == []
"""

import re

from .i18n import english_left
from .pages import markup

SIDEBAR = re.compile(r'(?s)<nav class="sticky" id="nav-sidebar".*?</nav>')
# What a row sent or received, shown as JSON: the contract's words, not the admin's.
SENT = re.compile(r'(?s)<pre class="oa-json">.*?</pre>')
# A list's hidden search heading, "Search %(name)s", has no Spanish in Django's own catalog.
DJANGOS_UNTRANSLATED = re.compile(r'(?s)<h2 id="changelist-search-form" class="visually-hidden">.*?</h2>')


def screen_english_left(response, language: str) -> list[str]:
    page = SENT.sub(" ", SIDEBAR.sub(" ", markup(response)))
    return english_left(DJANGOS_UNTRANSLATED.sub(" ", page), language)
