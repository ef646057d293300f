import accounts.models
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("account", "membership", "apitoken")


def content_types_follow(apps, schema_editor, *, source="authorization", target="accounts"):
    """Relabel the moved models' content types, keeping their ids.

    The permissions (`accounts.change_account` …), the role groups holding them and the admin's
    log entries refer to a content type by id, so they follow without a row of theirs changing.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)
    ContentType.objects.clear_cache()


def content_types_back(apps, schema_editor):
    content_types_follow(apps, schema_editor, source="accounts", target="authorization")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("authorization", "0006_account_time_zone_validated"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The models leave the authorization app with their tables and rows (`db_table`): this app
    # takes them over in the migration state only, and authorization.0007 lets them go.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Account',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=64, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9-]*$', 'Use lower-case letters, digits and hyphens, starting with a letter or digit.')])),
                        ('order_prefix', models.CharField(blank=True, help_text="Prefix of this franchise account's order ids, e.g. MKT in MKT-MKP-123-01.", max_length=16, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9]*$', 'Letters and digits only.')])),
                        ('no_rule_policy', models.CharField(choices=[('deny', 'Deny divergent orders (EOI003)'), ('authorize', 'Authorize divergent orders')], default='deny', help_text='What happens to a divergent order from an external or certified connector while the account has no price divergence rule.', max_length=16)),
                        ('overpayment_is_divergence', models.BooleanField(default=True, help_text="Off: a marketplace paying more than the seller's price is not a divergence.")),
                        ('time_zone', models.CharField(default='UTC', help_text="The time zone the account's people see times and count days in, such as America/Sao_Paulo.", max_length=64, validators=[accounts.models.validate_time_zone])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('parent', models.ForeignKey(blank=True, help_text='The parent account, for a franchise account (multilevel omnichannel inventory).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='franchises', to='accounts.account')),
                    ],
                    options={
                        'db_table': 'authorization_account',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key_digest', models.CharField(max_length=64, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='api_token', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'authorization_apitoken',
                    },
                ),
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('owner', 'Owner'), ('oms-full', 'OMS Full'), ('approver', 'Approver'), ('viewer', 'Viewer')], max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('notice_pending', models.CharField(blank=True, choices=[('added', 'Added to the account'), ('created', 'Added to the account as a new user')], max_length=16)),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='accounts.account')),
                        ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'authorization_membership',
                        'ordering': ['account__name', 'user__email'],
                        'constraints': [models.UniqueConstraint(fields=('user', 'account'), name='one_role_per_account')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_follow, content_types_back),
    ]
