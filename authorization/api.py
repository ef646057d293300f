"""Seller API for the price divergence rule: read, replace, delete, history."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import request_account
from accounts.roles import EDIT_RULE
from kit.fields import whole_number

from .bands import band_problems_listed, segments
from .selectors import rule_bands, rule_of
from .serializers import RuleInputSerializer, RuleOutputSerializer, RuleRevisionSerializer
from .services import rule_delete, rule_replace, rule_version, version_tag

ACCOUNT_PARAMETER = OpenApiParameter(
    "an", str, description="Account name; may be left out by a user of a single account."
)
ERROR_BODY = inline_serializer(
    "RuleApiError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": inline_serializer(
            "RuleApiFieldError",
            {"field": serializers.CharField(allow_null=True), "message": serializers.CharField()},
            many=True,
        ),
    },
)
READ_ERRORS = {
    400: OpenApiResponse(ERROR_BODY, description="`an` is needed: the user has several accounts."),
    401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
    403: OpenApiResponse(ERROR_BODY, description="Not a user of the account."),
}
WRITE_ERRORS = {
    **READ_ERRORS,
    403: OpenApiResponse(ERROR_BODY, description="Not an Owner or OMS Full user of the account."),
}
NO_RULE = OpenApiResponse(ERROR_BODY, description="The account has no rule.")
CHANGED = OpenApiResponse(
    ERROR_BODY,
    description="`If-Match` names an older version: someone changed the rule since (who and when); "
    "nothing was saved. Read the rule again, then retry.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The rule\'s ETag as read (e.g. `"7"`): the change is refused with 412 if the rule has '
    "changed since. Without it the last write wins.",
)
ETAG = OpenApiParameter(
    "ETag",
    str,
    location=OpenApiParameter.HEADER,
    response=True,
    description="The rule's version, for `If-Match` on the next change.",
)


def etag(account) -> str:
    return version_tag(rule_version(account=account))


def based_on(request) -> int | None:
    """The version named by `If-Match` (a strong or weak ETag); None without one or with `*`.

    A value that is no version of ours can match nothing: -1 makes the change fail with 412.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tag = header.removeprefix("W/").strip().strip('"')
    try:
        return whole_number(tag, low=0, high=2**63 - 1)
    except ValueError:
        return -1


def rule_body(*, account, rule, warnings=()) -> dict:
    bands = rule_bands(rule=rule)
    return {
        "account": account.name,
        "bands": [band.as_dict() for band in bands],
        "gaps": [
            {"from": f"{segment.lower_percent:.2f}", "to": f"{segment.upper_percent:.2f}"}
            for segment in segments(bands)
            if segment.kind == "gap"
        ],
        "updatedAt": rule.updated_at,
        "updatedBy": rule.updated_by.email if rule.updated_by else None,
        "warnings": band_problems_listed(list(warnings)),
    }


def require_rule_editor(request, account) -> None:
    if not request.user.has_perm(EDIT_RULE, account):
        raise PermissionDenied(_("Only an Owner or OMS Full user of this account may change its rule."))


class PriceDivergenceRuleView(APIView):
    @extend_schema(
        operation_id="price_divergence_rule_read",
        parameters=[ACCOUNT_PARAMETER, ETAG],
        responses={200: RuleOutputSerializer, 404: NO_RULE, **READ_ERRORS},
    )
    def get(self, request):
        account = request_account(request)
        rule = rule_of(account=account)
        if rule is None:
            raise NotFound(
                _("Account '%(account)s' has no price divergence rule.") % {"account": account.name}
            )
        return Response(rule_body(account=account, rule=rule), headers={"ETag": etag(account)})

    @extend_schema(
        operation_id="price_divergence_rule_replace",
        parameters=[ACCOUNT_PARAMETER, IF_MATCH, ETAG],
        request=RuleInputSerializer,
        responses={
            200: RuleOutputSerializer,
            **WRITE_ERRORS,
            400: OpenApiResponse(ERROR_BODY, description="Invalid bands, each named; nothing was saved."),
            412: CHANGED,
        },
    )
    def put(self, request):
        account = request_account(request)
        require_rule_editor(request, account)
        serializer = RuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule, warnings = rule_replace(
            account=account,
            bands=serializer.bands_value(),
            actor=request.user,
            based_on=based_on(request),
        )
        return Response(
            rule_body(account=account, rule=rule_of(account=account) or rule, warnings=warnings),
            headers={"ETag": etag(account)},
        )

    @extend_schema(
        operation_id="price_divergence_rule_delete",
        parameters=[ACCOUNT_PARAMETER, IF_MATCH],
        responses={204: None, 404: NO_RULE, 412: CHANGED, **WRITE_ERRORS},
    )
    def delete(self, request):
        account = request_account(request)
        require_rule_editor(request, account)
        deleted = rule_delete(account=account, actor=request.user, based_on=based_on(request))
        if not deleted:
            raise NotFound(
                _("Account '%(account)s' has no price divergence rule.") % {"account": account.name}
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PriceDivergenceRuleHistoryView(APIView):
    @extend_schema(
        operation_id="price_divergence_rule_history",
        parameters=[ACCOUNT_PARAMETER],
        responses={200: RuleRevisionSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request):
        account = request_account(request)
        revisions = account.rule_revisions.select_related("actor")[:200]
        return Response(RuleRevisionSerializer(revisions, many=True).data)
