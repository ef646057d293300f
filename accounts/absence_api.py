"""Seller API for absences: an approver's own (`/api/absences/me`), and a member's for the Owner
(`/api/absences/{email}`).

`GET` reads the member's absence in force, else their next one; `PUT` sets it (replacing any of
theirs it overlaps); `DELETE` ends it now (one to come is removed). Any member of the account
reads; who may set and end is the one rule of `accounts.absences` (oneself, or the Owner).
"""

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from kit.openapi import ACCOUNT_PARAMETER, error_body_schema

from . import absences
from .api_auth import request_account
from .models import Membership

EMAIL_PARAMETER = OpenApiParameter(
    "email", str, OpenApiParameter.PATH, description="The e-mail of a member of the account."
)
ERROR_BODY = error_body_schema("AbsenceApi")
READ_ERRORS = {
    400: OpenApiResponse(ERROR_BODY, description="`an` is needed: the user has several accounts."),
    401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
    403: OpenApiResponse(ERROR_BODY, description="Not a user of the account."),
    404: OpenApiResponse(ERROR_BODY, description="No such member of the account, or no absence to come."),
}
WRITE_ERRORS = {
    **READ_ERRORS,
    403: OpenApiResponse(
        ERROR_BODY, description="Not a user of the account, or neither the absent member nor its Owner."
    ),
}
SET_ERRORS = {
    **WRITE_ERRORS,
    400: OpenApiResponse(
        ERROR_BODY,
        description="The absence is refused for its own values, and why: it ends before it starts or is "
        "over already, or names its member as their own substitute; or `an` is needed.",
    ),
    409: OpenApiResponse(
        ERROR_BODY,
        description="The absence is refused by the account as it is now, and why: the member or the "
        "substitute may not decide the account's orders, or the substitute is away then with substitutes "
        "leading back; without a substitute, it would leave a band of the rule or a waiting order with no "
        "approver.",
        examples=[
            OpenApiExample(
                "Only approver",
                {
                    "code": "absence_refused",
                    "message": "ana@acme.example is the only approver left of the band 20.00–100.00 % of "
                    "the rule. Name a substitute.",
                    "errors": [
                        {
                            "field": "substitute",
                            "message": "ana@acme.example is the only approver left of the band "
                            "20.00–100.00 % of the rule. Name a substitute.",
                        }
                    ],
                },
            )
        ],
    ),
}


class AbsenceInputSerializer(serializers.Serializer):
    startsAt = serializers.DateTimeField(required=False, help_text="When it starts; now when left out.")
    endsAt = serializers.DateTimeField(help_text="When it ends (excluded): the member is back.")
    substitute = serializers.EmailField(
        required=False,
        allow_null=True,
        help_text="Who decides in the member's place meanwhile: a member of the account who may decide "
        "orders. Null or left out: the member's turn passes to the next approver of each chain.",
    )


class AbsenceSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.name")
    email = serializers.EmailField(source="user.email", help_text="The absent member.")
    startsAt = serializers.DateTimeField(source="starts_at")
    endsAt = serializers.DateTimeField(source="ends_at")
    substitute = serializers.EmailField(source="substitute.email", allow_null=True, default=None)
    inForce = serializers.SerializerMethodField(help_text="Whether the absence has started.")
    setBy = serializers.EmailField(source="created_by.email", allow_null=True, default=None)

    def get_inForce(self, absence) -> bool:
        return absence.starts_at <= timezone.now() < absence.ends_at


EXAMPLE = {
    "account": "acme",
    "email": "ana@acme.example",
    "startsAt": "2026-12-21T08:00:00-03:00",
    "endsAt": "2027-01-04T08:00:00-03:00",
    "substitute": "bo@acme.example",
    "inForce": False,
    "setBy": "ana@acme.example",
}
REQUEST_EXAMPLE = OpenApiExample(
    "Away for the holidays",
    {
        "startsAt": "2026-12-21T08:00:00-03:00",
        "endsAt": "2027-01-04T08:00:00-03:00",
        "substitute": "bo@acme.example",
    },
    request_only=True,
)
READ = OpenApiResponse(AbsenceSerializer, examples=[OpenApiExample("Set", EXAMPLE, response_only=True)])
TAGS = ["Absences"]


class MemberAbsenceApi(APIView):
    """A member's absence; the member is named in the path, or is the user (`me`)."""

    def member(self, request, email: str | None):
        account = request_account(request)
        if email is None:
            return account, request.user
        membership = (
            Membership.objects.select_related("user")
            .filter(account=account, user__email__iexact=email.strip())
            .first()
        )
        if membership is None:
            raise NotFound(f"Account '{account.name}' has no member {email}.")
        return account, membership.user

    def current(self, account, user):
        absence = absences.absence_current(account=account, user=user)
        if absence is None:
            raise NotFound(f"{user.email} has no absence in force or to come in '{account.name}'.")
        return absence

    def read(self, request, email=None):
        account, user = self.member(request, email)
        return Response(AbsenceSerializer(self.current(account, user)).data)

    def set(self, request, email=None):
        account, user = self.member(request, email)
        serializer = AbsenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        absence = absences.absence_set(
            account=account,
            user=user,
            starts_at=data.get("startsAt") or timezone.now(),
            ends_at=data["endsAt"],
            substitute=absences.substitute_named(account=account, email=data.get("substitute")),
            actor=request.user,
        )
        return Response(AbsenceSerializer(absence).data)

    def end(self, request, email=None):
        account, user = self.member(request, email)
        absences.absence_end(absence=self.current(account, user), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyAbsenceApi(MemberAbsenceApi):
    @extend_schema(
        operation_id="absences_me_read",
        summary="Read my absence: the one in force, else my next",
        parameters=[ACCOUNT_PARAMETER],
        responses={200: READ, **READ_ERRORS},
        tags=TAGS,
    )
    def get(self, request):
        return self.read(request)

    @extend_schema(
        operation_id="absences_me_set",
        summary="Set my absence, with a substitute who decides in my place",
        parameters=[ACCOUNT_PARAMETER],
        request=AbsenceInputSerializer,
        examples=[REQUEST_EXAMPLE],
        responses={200: READ, **SET_ERRORS},
        tags=TAGS,
    )
    def put(self, request):
        return self.set(request)

    @extend_schema(
        operation_id="absences_me_end",
        summary="End my absence now (one to come is removed)",
        parameters=[ACCOUNT_PARAMETER],
        responses={204: None, **WRITE_ERRORS},
        tags=TAGS,
    )
    def delete(self, request):
        return self.end(request)


class MemberAbsenceByEmailApi(MemberAbsenceApi):
    @extend_schema(
        operation_id="absences_member_read",
        summary="Read a member's absence: the one in force, else their next",
        parameters=[ACCOUNT_PARAMETER, EMAIL_PARAMETER],
        responses={200: READ, **READ_ERRORS},
        tags=TAGS,
    )
    def get(self, request, email):
        return self.read(request, email)

    @extend_schema(
        operation_id="absences_member_set",
        summary="Set a member's absence (the account's Owner)",
        parameters=[ACCOUNT_PARAMETER, EMAIL_PARAMETER],
        request=AbsenceInputSerializer,
        examples=[REQUEST_EXAMPLE],
        responses={200: READ, **SET_ERRORS},
        tags=TAGS,
    )
    def put(self, request, email):
        return self.set(request, email)

    @extend_schema(
        operation_id="absences_member_end",
        summary="End a member's absence now (the account's Owner)",
        parameters=[ACCOUNT_PARAMETER, EMAIL_PARAMETER],
        responses={204: None, **WRITE_ERRORS},
        tags=TAGS,
    )
    def delete(self, request, email):
        return self.end(request, email)
