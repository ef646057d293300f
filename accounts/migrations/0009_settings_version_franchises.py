from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

ACCOUNT = "authorization_account"  # the table kept its name when the model moved to accounts


class Migration(migrations.Migration):
    """An account's franchises are kept with its settings: a franchise's write moves its parent's
    number too (the parent before and after, when it changes)."""

    dependencies = [
        ("accounts", "0008_settings_version_account_trigger"),
    ]

    operations = [
        on_postgresql(
            drop_sql(ACCOUNT) + trigger_sql(ACCOUNT, "row.id", "row.parent_id"),
            drop_sql(ACCOUNT) + trigger_sql(ACCOUNT, "row.id"),
        ),
    ]
