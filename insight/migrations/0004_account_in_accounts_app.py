import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('insight', '0003_drop_indexes_a_composite_index_covers'),
    ]

    # The account now belongs to the accounts app, on the same table (accounts.0001): the
    # foreign keys point there in the migration state only; no column or row changes.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='dailydecisionstat',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='dailyskustat',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='decisionrecord',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='queuedorder',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
            ],
        ),
    ]
