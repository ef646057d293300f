import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('orders', '0005_order_decision_route'),
    ]

    # The account now belongs to the accounts app, on the same table (accounts.0001): the
    # foreign keys point there in the migration state only; no column or row changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='bulkdecision',
                    name='account',
                    field=models.ForeignKey(blank=True, help_text='The account of the orders; empty when the selection spans several accounts.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='bulk_decisions', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='intakerecord',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='intake_records', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='orders', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='franchise_account',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='franchise_orders', to='accounts.account'),
                ),
            ],
        ),
    ]
