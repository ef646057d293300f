from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

TABLES = ("connectors_connector", "connectors_feedconfig", "connectors_hookconfig")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_settings_version"),
        ("connectors", "0011_connector_rate_limit"),
    ]

    operations = [on_postgresql(trigger_sql(table, "row.account_id"), drop_sql(table)) for table in TABLES]
