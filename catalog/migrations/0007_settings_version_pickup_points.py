from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

POLICY = "catalog_shippingpolicy"
POINT = "catalog_pickuppoint"
POLICY_POINTS = "catalog_shippingpolicy_pickup_points"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_settings_version"),
        ("catalog", "0006_settings_version_triggers"),
    ]

    operations = [
        on_postgresql(trigger_sql(POINT, "row.account_id"), drop_sql(POINT)),
        on_postgresql(
            trigger_sql(POLICY_POINTS, f'(SELECT "account_id" FROM "{POLICY}" WHERE "id" = row.shippingpolicy_id)'),
            drop_sql(POLICY_POINTS),
        ),
    ]
