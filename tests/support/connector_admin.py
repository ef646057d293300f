"""The connector admin as a person uses it: the form that adds a connector (its change form takes the
same fields), and the app token its page shows once."""

import re


def add_form(account, **overrides) -> dict:
    """A new certified connector NEW of `account`, its endpoint public; `overrides` change fields."""
    return {
        "account": account.pk,
        "name": "New marketplace",
        "type": "certified",
        "affiliate_id": "NEW",
        "endpoint": "https://new.example/vtex",
        "sales_channel": "1",
        "active": "on",
        "new_signing_secret": "",
        "legacy_rate_percent": "",
        **overrides,
    }


def shown_token(page: str) -> str:
    """The app token the page shows, once: after adding a connector or rotating its token."""
    return re.search(r"app token <code>([^<]+)</code>", page)[1]
