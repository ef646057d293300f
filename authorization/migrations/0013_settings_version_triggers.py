from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

RULE = "authorization_pricedivergencerule"
BAND = "authorization_authorizationband"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_settings_version"),
        ("authorization", "0012_approval_on_behalf_of"),
    ]

    operations = [
        on_postgresql(trigger_sql(RULE, "row.account_id"), drop_sql(RULE)),
        on_postgresql(
            trigger_sql(BAND, f'(SELECT "account_id" FROM "{RULE}" WHERE "id" = row.rule_id)'), drop_sql(BAND)
        ),
    ]
