"""Each person's screens in their language, at 1280×800, accessible: checked in Chromium.

Screenshots of every page in every language are kept in test-artifacts/.
"""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tests.support.axe import serious_violations
from tests.support.i18n import english_left

from .conftest import open_page

LANGUAGES = [
    ("en", "en", "Your preferences"),
    ("pt-BR", "pt_BR", "Suas preferências"),
    ("es", "es", "Sus preferencias"),
]
SCREEN = {"width": 1280, "height": 800}


def sign_in(page, user):
    page.goto(reverse("admin:login"))
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.parametrize(("accept", "catalog", "title"), LANGUAGES, ids=[code for code, _, _ in LANGUAGES])
def test_the_preferences_page_speaks_the_browsers_language_and_is_accessible(
    browser, live_server, settings, request, owner, accept, catalog, title
):
    with open_page(
        browser,
        live_server,
        settings,
        request,
        locale=accept,
        extra_http_headers={"Accept-Language": accept},
        viewport=SCREEN,
        bypass_csp=True,
    ) as page:
        sign_in(page, owner)
        page.goto(reverse("preferences"))
        assert page.get_attribute("html", "lang") == accept.lower()
        assert title in page.inner_text("#content")
        if catalog != "en":
            assert english_left(page.inner_html("#content"), catalog) == []
        assert serious_violations(page) == []
