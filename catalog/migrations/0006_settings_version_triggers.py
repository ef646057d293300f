from django.db import migrations

from accounts.settings_version import drop_sql, on_postgresql, trigger_sql

POLICY = "catalog_shippingpolicy"
POLICY_WAREHOUSES = "catalog_shippingpolicy_warehouses"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_settings_version"),
        ("catalog", "0005_verbose_names_for_people"),
    ]

    operations = [
        on_postgresql(trigger_sql(POLICY, "row.account_id"), drop_sql(POLICY)),
        on_postgresql(
            trigger_sql(
                POLICY_WAREHOUSES, f'(SELECT "account_id" FROM "{POLICY}" WHERE "id" = row.shippingpolicy_id)'
            ),
            drop_sql(POLICY_WAREHOUSES),
        ),
    ]
