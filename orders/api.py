"""Seller API for orders: the account's orders, filtered and paginated, and one order with its history.

Any member of the account may read. The account comes from `?an=`; an order of another
account, like an unknown one, answers 404.
"""

import datetime

from django.utils.text import capfirst
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import request_account
from authorization.models import DenyReason
from kit import fields
from kit.dates import date_or_datetime
from kit.fields import whole_number
from kit.openapi import DATE_OR_DATETIME

from . import api_examples
from .approvals import DENY_NOTE_MAX, order_approve, order_deny
from .filters import OrderFilter
from .models import Order
from .selectors import order_get, orders_list
from .serializers import OrderDetailSerializer, OrderSerializer

ACCOUNT_PARAMETER = OpenApiParameter(
    "an", str, description="Account name; may be left out by a user of a single account."
)
ERROR_BODY = inline_serializer(
    "OrderApiError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": inline_serializer(
            "OrderApiFieldError",
            {"field": serializers.CharField(allow_null=True), "message": serializers.CharField()},
            many=True,
        ),
    },
)
READ_ERRORS = {
    400: OpenApiResponse(
        ERROR_BODY, description="The request has errors: a filter, the cursor, a NUL character in the URL."
    ),
    401: OpenApiResponse(ERROR_BODY, description="No or bad token."),
    403: OpenApiResponse(ERROR_BODY, description="Not a user of the account."),
}


class OrderCursorPagination(CursorPagination):
    """Newest first; pages follow `next` / `previous` links, with no count of the whole table."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 200

    def decode_cursor(self, request):
        """Refuse a cursor this API did not give with a 400 naming it (DRF answers 404).

        The cursor's position is compared with the creation time: one that is not a time
        would fail in the database.
        """
        refused = ValidationError(
            {self.cursor_query_param: ["Not a cursor of this list: follow the next and previous links."]}
        )
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise refused from None
        if cursor is not None and cursor.position is not None:
            try:
                position = date_or_datetime(cursor.position)
            except ValueError:
                raise refused from None
            if not isinstance(position, datetime.datetime):
                raise refused
        return cursor

    def get_page_size(self, request):
        """Refuse a page size out of range with a 400 naming it (DRF takes the default instead)."""
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        try:
            return whole_number(text, low=1, high=self.max_page_size)
        except ValueError as error:
            raise ValidationError({self.page_size_query_param: [f"{capfirst(str(error))}."]}) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["description"] = (
                    f"Orders per page, 1 to {self.max_page_size}; {self.page_size} when left out."
                )
        return parameters


class AccountFilterBackend(DjangoFilterBackend):
    """Hand the view's account to the filter set: dates are read in the account's time zone."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {
            **super().get_filterset_kwargs(request, queryset, view),
            "account": getattr(view, "account", None),
        }


class OrdersApi(ListAPIView):
    serializer_class = OrderSerializer
    queryset = Order.objects.none()  # the real one is the account's, in get_queryset
    filter_backends = [AccountFilterBackend]
    filterset_class = OrderFilter
    pagination_class = OrderCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        self.account = request_account(self.request)
        return orders_list(account=self.account)

    @extend_schema(
        operation_id="orders_list",
        summary="List the account's orders",
        parameters=[
            ACCOUNT_PARAMETER,
            *(
                OpenApiParameter(
                    name, DATE_OR_DATETIME, description=OrderFilter.base_filters[name].extra["help_text"]
                )
                for name in ("createdFrom", "createdTo")
            ),
        ],
        responses={200: OrderSerializer(many=True), **READ_ERRORS},
        tags=["Orders"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OrderApi(RetrieveAPIView):
    serializer_class = OrderDetailSerializer
    queryset = Order.objects.none()

    def get_object(self):
        account = request_account(self.request)
        main_order_id = self.kwargs["main_order_id"]
        order = order_get(account=account, main_order_id=main_order_id)
        if order is None:
            raise NotFound(f"Account '{account.name}' has no order {main_order_id}.")
        return order

    @extend_schema(
        operation_id="orders_read",
        summary="Read one order with its events and notifications",
        parameters=[
            ACCOUNT_PARAMETER,
            OpenApiParameter("main_order_id", str, OpenApiParameter.PATH, description="The mainOrderId."),
        ],
        responses={
            200: OpenApiResponse(
                OrderDetailSerializer,
                examples=[OpenApiExample("Waiting for a decision", api_examples.ORDER, response_only=True)],
            ),
            404: OpenApiResponse(ERROR_BODY, description="No such order in the account."),
            **READ_ERRORS,
        },
        tags=["Orders"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DenyInputSerializer(serializers.Serializer):
    reasonCode = serializers.ChoiceField(choices=DenyReason.chosen_by_people())
    note = fields.CharField(max_length=DENY_NOTE_MAX, trim_whitespace=True)


class ApproveInputSerializer(serializers.Serializer):
    note = fields.CharField(max_length=2000, required=False, allow_blank=True, default="")


DECISION_ERRORS = {
    **READ_ERRORS,
    400: OpenApiResponse(ERROR_BODY, description="The body has errors (a deny needs reasonCode and note)."),
    403: OpenApiResponse(
        ERROR_BODY,
        description="Not a user of the account, or not an approver of the band that held the order.",
    ),
    404: OpenApiResponse(ERROR_BODY, description="No such order in the account."),
    409: OpenApiResponse(
        ERROR_BODY, description="Already decided (who and when), or not waiting for a decision."
    ),
}


class OrderDecisionApi(APIView):
    """Approve or deny an order held for manual authorization; the same rule as the admin."""

    input_serializer = None

    def service_call(self, order, user, data):
        raise NotImplementedError

    def post(self, request, main_order_id):
        account = request_account(request)
        order = order_get(account=account, main_order_id=main_order_id)
        if order is None:
            raise NotFound(f"Account '{account.name}' has no order {main_order_id}.")
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.service_call(order, request.user, serializer.validated_data)
        return Response(OrderDetailSerializer(order_get(account=account, main_order_id=main_order_id)).data)


class OrderApproveApi(OrderDecisionApi):
    input_serializer = ApproveInputSerializer

    def service_call(self, order, user, data):
        order_approve(order=order, approver=user, note=data.get("note", ""))

    @extend_schema(
        operation_id="orders_approve",
        summary="Approve an order waiting for manual authorization",
        parameters=[ACCOUNT_PARAMETER],
        request=ApproveInputSerializer,
        responses={200: OrderDetailSerializer, **DECISION_ERRORS},
        tags=["Orders"],
    )
    def post(self, request, main_order_id):
        return super().post(request, main_order_id)


class OrderDenyApi(OrderDecisionApi):
    input_serializer = DenyInputSerializer

    def service_call(self, order, user, data):
        order_deny(order=order, approver=user, reason_code=data["reasonCode"], note=data["note"])

    @extend_schema(
        operation_id="orders_deny",
        summary="Deny an order waiting for manual authorization (it is canceled)",
        parameters=[ACCOUNT_PARAMETER],
        request=DenyInputSerializer,
        responses={200: OrderDetailSerializer, **DECISION_ERRORS},
        tags=["Orders"],
    )
    def post(self, request, main_order_id):
        return super().post(request, main_order_id)
