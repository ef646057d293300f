from django.db import migrations, models

from accounts.settings_version import FUNCTION, SEQUENCE, function_sql, on_postgresql


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_account_email_decisions"),
    ]

    operations = [
        migrations.CreateModel(
            name="SettingsVersion",
            fields=[
                ("account_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "settings version", "verbose_name_plural": "settings versions"},
        ),
        on_postgresql(
            function_sql(), f"DROP FUNCTION IF EXISTS {FUNCTION}(bigint); DROP SEQUENCE IF EXISTS {SEQUENCE};"
        ),
    ]
