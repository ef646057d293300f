import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0003_pending_import'),
    ]

    # The account now belongs to the accounts app, on the same table (accounts.0001): the
    # foreign keys point there in the migration state only; no column or row changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='historicalsku',
                    name='account',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='pendingimport',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='pickuppoint',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='pickup_points', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='shippingpolicy',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='shipping_policies', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='sku',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='skus', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='stock',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stock', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='warehouse',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='warehouses', to='accounts.account'),
                ),
            ],
        ),
    ]
