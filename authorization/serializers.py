"""Input and output shapes of the price divergence rule API (contract-style camelCase)."""

from decimal import Decimal

from rest_framework import serializers

from kit import fields
from kit.fields import MAX_CENTS

from .decision import DEADLINE_MINUTES_MAX, DEFAULT_ESCALATE_AFTER_MINUTES, Band, BandAction, OnDeadline
from .models import RuleRevision

PERCENT_FIELD = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal(0), "max_value": Decimal(100)}


class BandSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared below through the field map.
    to = serializers.DecimalField(**PERCENT_FIELD, coerce_to_string=False)
    action = serializers.ChoiceField(choices=[action.value for action in BandAction])
    approvers = serializers.ListField(child=serializers.EmailField(), required=False, default=list)
    escalateAfterMinutes = fields.IntegerField(
        min_value=1, max_value=60 * 24 * 30, required=False, default=DEFAULT_ESCALATE_AFTER_MINUTES
    )
    onDeadline = serializers.ChoiceField(
        choices=[choice.value for choice in OnDeadline],
        required=False,
        default=OnDeadline.WAIT.value,
        help_text="Manual bands: what happens once `deadlineMinutes` have passed since the order was held "
        "without a decision. `wait` (the default) keeps waiting for the approvers; `deny` denies it with "
        "the reason code `expired`; `approve-up-to` approves it when its paid value is at most "
        "`approveUpToCents`, and keeps it waiting otherwise.",
    )
    deadlineMinutes = fields.IntegerField(
        min_value=1,
        max_value=DEADLINE_MINUTES_MAX,
        required=False,
        allow_null=True,
        default=None,
        help_text="Minutes from the hold to the deadline; needed unless `onDeadline` is `wait`, and at least "
        "the chain's own time (approvers × `escalateAfterMinutes`).",
    )
    approveUpToCents = fields.IntegerField(
        min_value=1,
        max_value=MAX_CENTS,
        required=False,
        allow_null=True,
        default=None,
        help_text="`approve-up-to` only: the most paid value, in cents, the deadline approves.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DecimalField(**PERCENT_FIELD, coerce_to_string=False)
        return {"from": fields.pop("from"), **fields}

    def to_band(self, data) -> Band:
        return Band(
            lower_percent=data["from"],
            upper_percent=data["to"],
            action=BandAction(data["action"]),
            approvers=tuple(data.get("approvers", ())),
            escalate_after_minutes=data.get("escalateAfterMinutes", DEFAULT_ESCALATE_AFTER_MINUTES),
            on_deadline=OnDeadline(data.get("onDeadline") or OnDeadline.WAIT),
            deadline_minutes=data.get("deadlineMinutes"),
            approve_up_to_cents=data.get("approveUpToCents"),
        )


class BandOutputSerializer(BandSerializer):
    """A band as the API answers it: percentages as decimal strings ("10.00")."""

    to = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True)
        return fields


class RuleInputSerializer(serializers.Serializer):
    bands = BandSerializer(many=True, allow_empty=False)

    def bands_value(self) -> list[Band]:
        band_serializer = BandSerializer()
        return [band_serializer.to_band(band) for band in self.validated_data["bands"]]


class ProblemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class RuleOutputSerializer(serializers.Serializer):
    account = serializers.CharField()
    bands = BandOutputSerializer(many=True)
    gaps = serializers.ListField(
        child=serializers.DictField(),
        help_text="Stretches of 0–100 % no band covers: orders there are denied.",
    )
    updatedAt = serializers.DateTimeField()
    updatedBy = serializers.EmailField(allow_null=True)
    warnings = ProblemSerializer(many=True)


class RuleRevisionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    bandsBefore = serializers.JSONField(source="bands_before")
    bandsAfter = serializers.JSONField(source="bands_after")

    class Meta:
        model = RuleRevision
        fields = ["change", "actor", "createdAt", "bandsBefore", "bandsAfter"]

    def get_actor(self, revision) -> str | None:
        return revision.actor.email if revision.actor else None
