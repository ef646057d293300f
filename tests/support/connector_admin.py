"""The connector admin's form as a person fills it in to add a connector (its change form takes the same)."""


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
