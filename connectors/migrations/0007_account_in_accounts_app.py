import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('connectors', '0006_endpoint_address_policy'),
    ]

    # The account now belongs to the accounts app, on the same table (accounts.0001): the
    # foreign keys point there in the migration state only; no column or row changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='connector',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='connectors', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='feedconfig',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='feed_configs', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='historicalconnector',
                    name='account',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='hookconfig',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hook_configs', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='hookdelivery',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hook_deliveries', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='accounts.account'),
                ),
            ],
        ),
    ]
