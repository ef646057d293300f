from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

ACCOUNT = "authorization_account"  # the table kept its name when the model moved to accounts


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_settings_version"),
    ]

    operations = [
        on_postgresql(trigger_sql(ACCOUNT, "row.id"), drop_sql(ACCOUNT)),
    ]
