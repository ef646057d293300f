"""Keep an order's route and reason apart: `decision_reason` held "route:reason" in one field.

The split is a data migration both ways, in one UPDATE each: every order keeps its row, and
migrating back joins the two again as they were ("ignored-divergence" had no route).
"""

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat, Left, StrIndex, Substr
from django.utils.translation import gettext_lazy


def split(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    colon = StrIndex(F("decision_reason"), Value(":"))
    # Both sides of an UPDATE read the row as it was, so the reason is cut from the old value.
    Order.objects.filter(decision_reason__contains=":").update(
        decision_route=Left(F("decision_reason"), colon - 1),
        decision_reason=Substr(F("decision_reason"), colon + 1),
    )


def join(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Order.objects.exclude(decision_route="").update(
        decision_reason=Concat(F("decision_route"), Value(":"), F("decision_reason"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_drop_indexes_a_composite_index_covers"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="decision_route",
            field=models.CharField(
                blank=True,
                default="",
                max_length=24,
                help_text=gettext_lazy(
                    "The way the order went before the bands; empty when the divergence was ignored on "
                    "reprocessing."
                ),
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="order",
            name="decision_reason",
            field=models.CharField(max_length=40, help_text=gettext_lazy("Why the decision came out so.")),
        ),
        migrations.RunPython(split, join),
    ]
