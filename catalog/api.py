"""Seller catalog API: read and upsert SKUs (prices, stock), shipping policies and pickup points.

Every PUT takes a JSON list and is all-or-nothing: a 400 answer names every bad row by its
position (`[2].price`) and nothing is saved. Reading needs any role in the account; writing
needs the catalog permissions of an Owner or OMS Full user.
"""

from django.utils.text import capfirst
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import request_account
from kit.fields import whole_number

from .selectors import pickup_points_list, shipping_policies_list, skus_list
from .serializers import (
    PickupPointInputSerializer,
    PickupPointOutputSerializer,
    ShippingPolicyInputSerializer,
    ShippingPolicyOutputSerializer,
    SkuInputSerializer,
    SkuOutputSerializer,
)
from .services import (
    pickup_points_check,
    pickup_points_upsert,
    shipping_policies_check,
    shipping_policies_upsert,
    skus_check,
    skus_upsert,
)

MAX_ROWS = 5000
DEFAULT_LIMIT = 1000
MAX_OFFSET = 2**31 - 1  # beyond every catalog; larger numbers overflow the database's OFFSET

ACCOUNT_PARAMETER = OpenApiParameter(
    "an", str, description="Account name; may be left out by a user of a single account."
)
ERROR_BODY = inline_serializer(
    "CatalogError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": inline_serializer(
            "CatalogFieldError",
            {
                "field": serializers.CharField(allow_null=True, help_text="E.g. [2].price: row 2's price."),
                "message": serializers.CharField(),
            },
            many=True,
        ),
    },
)
ERROR_RESPONSES = {
    400: OpenApiResponse(ERROR_BODY, description="Bad rows, each named; nothing was saved."),
    401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
    403: OpenApiResponse(ERROR_BODY, description="Not a user of the account, or not allowed to change it."),
}


def require_perms(request, account, perms: tuple[str, ...]) -> None:
    if not all(request.user.has_perm(perm, account) for perm in perms):
        raise PermissionDenied(f"Only an Owner or OMS Full user of {account.name} may change its catalog.")


def _add_problems(details: list[dict], problems, positions: list[int]) -> None:
    for problem in problems:
        row = details[positions[problem.index]]
        row.setdefault(problem.field or "non_field_errors", []).append(problem.message)


def rows_from(request, *, account, serializer_class, check) -> list:
    """Validate every row of the body; raise one 400 naming every bad row, or return the rows.

    When some rows are malformed, the well-formed ones are still checked against the
    catalog (`check`), so the answer lists every bad row at once.
    """
    data = request.data
    if not isinstance(data, list):
        raise ValidationError({"non_field_errors": ["Send a JSON list of rows: [{...}, {...}]."]})
    if len(data) > MAX_ROWS:
        raise ValidationError({"non_field_errors": [f"At most {MAX_ROWS} rows per request."]})
    rows, positions, details = [], [], [{} for _ in data]
    for index, item in enumerate(data):
        serializer = serializer_class(data=item)
        if serializer.is_valid():
            rows.append(serializer.to_row())
            positions.append(index)
        else:
            details[index] = dict(serializer.errors)
    if any(details):
        _add_problems(details, check(account=account, rows=rows), positions)
        raise ValidationError(details)
    return rows


def page_of(request, queryset):
    """Slice by `?limit=&offset=`; return the page and the total for `X-Total-Count`."""
    bounds = {"limit": (DEFAULT_LIMIT, 1, DEFAULT_LIMIT), "offset": (0, 0, MAX_OFFSET)}
    values = {}
    for name, (default, low, high) in bounds.items():
        text = request.query_params.get(name)
        try:
            values[name] = default if text is None else whole_number(text, low=low, high=high)
        except ValueError as error:
            raise ValidationError({name: [f"{capfirst(str(error))}."]}) from None
    limit, offset = values["limit"], values["offset"]
    return queryset[offset : offset + limit], queryset.count()


class SkusApi(APIView):
    @extend_schema(
        operation_id="catalog_skus_list",
        summary="List the account's SKUs, ordered by id",
        parameters=[
            ACCOUNT_PARAMETER,
            OpenApiParameter("id", str, many=True, description="Only these SKU ids (repeatable)."),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": DEFAULT_LIMIT},
                description=f"At most this many (1–{DEFAULT_LIMIT}, default {DEFAULT_LIMIT}).",
            ),
            OpenApiParameter(
                "offset",
                {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                description=f"Skip this many (0–{MAX_OFFSET}).",
            ),
            OpenApiParameter(
                "X-Total-Count",
                int,
                location=OpenApiParameter.HEADER,
                response=[200],
                description="How many SKUs match, over every page.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                SkuOutputSerializer(many=True),
                description="The SKUs; the header X-Total-Count gives how many there are in all.",
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request):
        account = request_account(request)
        ids = request.query_params.getlist("id") or None
        skus, total = page_of(request, skus_list(account=account, sku_ids=ids))
        return Response(SkuOutputSerializer(skus, many=True).data, headers={"X-Total-Count": str(total)})

    @extend_schema(
        operation_id="catalog_skus_upsert",
        summary="Create or update SKUs, their prices and units on hand (all or nothing)",
        parameters=[ACCOUNT_PARAMETER],
        request=SkuInputSerializer(many=True),
        responses={200: SkuOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def put(self, request):
        account = request_account(request)
        require_perms(request, account, ("catalog.change_sku", "catalog.change_stock"))
        rows = rows_from(request, account=account, serializer_class=SkuInputSerializer, check=skus_check)
        skus = skus_upsert(account=account, rows=rows, actor=request.user)
        saved = skus_list(account=account, sku_ids=[sku.sku_id for sku in skus])
        return Response(SkuOutputSerializer(saved, many=True).data)


class ShippingPoliciesApi(APIView):
    @extend_schema(
        operation_id="catalog_shipping_policies_list",
        summary="List the account's shipping policies, ordered by id",
        parameters=[ACCOUNT_PARAMETER],
        responses={200: ShippingPolicyOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request):
        account = request_account(request)
        return Response(
            ShippingPolicyOutputSerializer(shipping_policies_list(account=account), many=True).data
        )

    @extend_schema(
        operation_id="catalog_shipping_policies_upsert",
        summary="Create or update shipping policies (all or nothing)",
        parameters=[ACCOUNT_PARAMETER],
        request=ShippingPolicyInputSerializer(many=True),
        responses={200: ShippingPolicyOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def put(self, request):
        account = request_account(request)
        require_perms(request, account, ("catalog.change_shippingpolicy",))
        rows = rows_from(
            request,
            account=account,
            serializer_class=ShippingPolicyInputSerializer,
            check=shipping_policies_check,
        )
        policies = shipping_policies_upsert(account=account, rows=rows, actor=request.user)
        saved = shipping_policies_list(account=account).filter(pk__in=[policy.pk for policy in policies])
        return Response(ShippingPolicyOutputSerializer(saved, many=True).data)


class PickupPointsApi(APIView):
    @extend_schema(
        operation_id="catalog_pickup_points_list",
        summary="List the account's pickup points, ordered by id",
        parameters=[ACCOUNT_PARAMETER],
        responses={200: PickupPointOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request):
        account = request_account(request)
        return Response(PickupPointOutputSerializer(pickup_points_list(account=account), many=True).data)

    @extend_schema(
        operation_id="catalog_pickup_points_upsert",
        summary="Create or update pickup points (all or nothing)",
        parameters=[ACCOUNT_PARAMETER],
        request=PickupPointInputSerializer(many=True),
        responses={200: PickupPointOutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def put(self, request):
        account = request_account(request)
        require_perms(request, account, ("catalog.change_pickuppoint",))
        rows = rows_from(
            request, account=account, serializer_class=PickupPointInputSerializer, check=pickup_points_check
        )
        points = pickup_points_upsert(account=account, rows=rows, actor=request.user)
        saved = pickup_points_list(account=account).filter(pk__in=[point.pk for point in points])
        return Response(PickupPointOutputSerializer(saved, many=True).data)
