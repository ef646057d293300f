"""Seller API for the account's own settings: every member reads them, the Owner turns on decisions
from the e-mail (`PATCH {"emailDecisions": true}`)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from kit import fields
from kit.openapi import ACCOUNT_PARAMETER, error_body_schema

from .api_auth import request_account
from .models import NoRulePolicy
from .services import email_decisions_set

ERROR_BODY = error_body_schema("AccountApi")
SETTINGS_EXAMPLE = {
    "account": "acme",
    "currency": "BRL",
    "timeZone": "America/Sao_Paulo",
    "noRulePolicy": "deny",
    "overpaymentIsDivergence": True,
    "emailDecisions": True,
}


class AccountSettingsSerializer(serializers.Serializer):
    account = serializers.CharField(source="name")
    currency = serializers.CharField(help_text="ISO 4217: the currency of the account's prices and orders.")
    timeZone = serializers.CharField(source="time_zone", help_text="IANA name; the account's days and times.")
    noRulePolicy = serializers.ChoiceField(
        source="no_rule_policy",
        choices=NoRulePolicy.choices,
        help_text="What happens to a divergent order while the account has no rule.",
    )
    overpaymentIsDivergence = serializers.BooleanField(source="overpayment_is_divergence")
    emailDecisions = serializers.BooleanField(
        source="email_decisions",
        help_text="Each order in an approver's e-mail carries a single-use link to approve or deny it.",
    )


class AccountSettingsInputSerializer(serializers.Serializer):
    """What a PATCH may change: the Owner's switch of decisions from the e-mail, nothing else."""

    # Optional, as a PATCH's fields are: an empty body changes nothing (and is still the Owner's).
    emailDecisions = fields.BooleanField(required=False)

    def to_internal_value(self, data):
        """Name every field the body gets wrong at once: a bad value, and a setting it may not change."""
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        try:
            value = super().to_internal_value(data)
            problems = {}
        except serializers.ValidationError as invalid:
            value, problems = None, dict(invalid.detail)
        for name in unknown:
            problems[name] = ["Not a setting this API changes: only emailDecisions."]
        if problems:
            raise serializers.ValidationError(problems)
        return value


class AccountSettingsApi(APIView):
    @extend_schema(
        operation_id="account_read",
        summary="Read the account's settings",
        parameters=[ACCOUNT_PARAMETER],
        responses={
            200: OpenApiResponse(
                AccountSettingsSerializer,
                examples=[
                    OpenApiExample("Decisions from the e-mail on", SETTINGS_EXAMPLE, response_only=True)
                ],
            ),
            400: OpenApiResponse(ERROR_BODY, description="`an` is needed: the user has several accounts."),
            401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
            403: OpenApiResponse(ERROR_BODY, description="Not a user of the account."),
        },
        tags=["Account"],
    )
    def get(self, request):
        return Response(AccountSettingsSerializer(request_account(request)).data)

    @extend_schema(
        operation_id="account_change",
        summary="Turn decisions from the e-mail on or off (the account's Owner)",
        parameters=[ACCOUNT_PARAMETER],
        request=AccountSettingsInputSerializer,
        examples=[OpenApiExample("Turn them on", {"emailDecisions": True}, request_only=True)],
        responses={
            200: OpenApiResponse(
                AccountSettingsSerializer,
                examples=[
                    OpenApiExample("Decisions from the e-mail on", SETTINGS_EXAMPLE, response_only=True)
                ],
            ),
            400: OpenApiResponse(
                ERROR_BODY,
                description="Not a body of emailDecisions true or false, or a field this API does not change; "
                "nothing was saved.",
                examples=[
                    OpenApiExample(
                        "A field it does not change",
                        {
                            "code": "invalid",
                            "message": "The request has errors.",
                            "errors": [
                                {
                                    "field": "currency",
                                    "message": "Not a setting this API changes: only emailDecisions.",
                                }
                            ],
                        },
                        response_only=True,
                    )
                ],
            ),
            401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
            403: OpenApiResponse(
                ERROR_BODY,
                description="Not a user of the account, or not its Owner.",
                examples=[
                    OpenApiExample(
                        "Not the Owner",
                        {
                            "code": "permission_denied",
                            "message": "Only an Owner of acme may turn decisions from the e-mail on or off.",
                            "errors": [],
                        },
                        response_only=True,
                    )
                ],
            ),
        },
        tags=["Account"],
    )
    def patch(self, request):
        account = request_account(request)
        serializer = AccountSettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enabled = serializer.validated_data.get("emailDecisions", account.email_decisions)
        email_decisions_set(account=account, enabled=enabled, actor=request.user)
        return Response(AccountSettingsSerializer(account).data)
