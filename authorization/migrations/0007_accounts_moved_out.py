import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('authorization', '0006_account_time_zone_validated'),
        ('catalog', '0004_account_in_accounts_app'),
        ('connectors', '0007_account_in_accounts_app'),
        ('insight', '0004_account_in_accounts_app'),
        ('orders', '0006_account_in_accounts_app'),
    ]

    # Account, Membership and ApiToken now belong to the accounts app, on the same tables
    # (accounts.0001): the foreign keys of the rule, its history and the approval tasks point
    # there, and the models leave this app. The state changes; no table or row does.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='account',
                    name='parent',
                ),
                migrations.AlterField(
                    model_name='pricedivergencerule',
                    name='account',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='price_divergence_rule', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='approvaltask',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='approval_tasks', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='rulerevision',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rule_revisions', to='accounts.account'),
                ),
                migrations.RemoveField(
                    model_name='apitoken',
                    name='user',
                ),
                migrations.RemoveConstraint(
                    model_name='membership',
                    name='one_role_per_account',
                ),
                migrations.DeleteModel(
                    name='ApiToken',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='account',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='added_by',
                ),
                migrations.RemoveField(
                    model_name='membership',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='Account',
                ),
                migrations.DeleteModel(
                    name='Membership',
                ),
            ],
        ),
    ]
