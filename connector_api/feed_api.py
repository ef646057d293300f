"""Feed v3 for connectors (contract §4.3): its settings, reading and committing it.

One feed and one hook per connector (per app key), each with a FromWorkflow filter: the
statuses whose changes it takes; the filter's shape is shared with the hook's settings
(`connector_api.hook_api`). Same credentials, account scoping and error shape as the rest of
the OMS API (`connector_api.oms_view`); what happens lives in `connectors.feed` and
`connectors.filters`.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework.response import Response

from connectors.feed import (
    MAX_LOT,
    feed_commit,
    feed_configure,
    feed_delete,
    feed_item_body,
    feed_of,
    feed_read,
    feed_stats,
)
from connectors.filters import (
    FILTER_STATUSES,
    filter_statuses,
    queue_settings,
)
from kit.fields import whole_number

from . import examples
from .examples import answer, request_example
from .oms_view import (
    ACCOUNT_PARAMETER,
    FILTER_CONFLICT,
    INVALID,
    NOT_FOUND,
    OmsApiView,
    OmsError,
    errors,
    refused,
)

FILTER_SCHEMA = {
    "type": "object",
    "required": ["type", "status"],
    "description": "Which status changes to take. Only FromWorkflow is supported: FromOrders (a JSONata "
    "expression) answers 400, and status mixed with its fields expression or disableSingleFire 409.",
    "properties": {
        "type": {"type": "string", "enum": ["FromWorkflow"]},
        "status": {
            "type": "array",
            "items": {"type": "string", "enum": list(FILTER_STATUSES)},
            "minItems": 1,
        },
    },
}
# In a request, no filter (or null) takes every status.
FILTER_REQUEST = {
    **FILTER_SCHEMA,
    "nullable": True,
    "description": f"{FILTER_SCHEMA['description']} Without a filter, or with null, every status.",
}
QUEUE_SCHEMA = {
    "type": "object",
    "properties": {
        "visibilityTimeoutInSeconds": {
            "type": "integer",
            "minimum": 0,
            "maximum": 43200,
            "default": 250,
            "description": "How long an item read stays invisible; it comes back unless committed.",
        },
        "MessageRetentionPeriodInSeconds": {
            "type": "integer",
            "minimum": 345600,
            "maximum": 1209600,
            "default": 345600,
            "description": "How long an item nobody commits stays in the feed.",
        },
    },
}
FEED_CONFIG_REQUEST = {
    "type": "object",
    "properties": {"filter": FILTER_REQUEST, "queue": {**QUEUE_SCHEMA, "nullable": True}},
}
FEED_CONFIG_SCHEMA = {
    "type": "object",
    "required": ["filter", "queue", "quantity", "approximateAgeOfOldestMessageInSeconds"],
    "properties": {
        "filter": FILTER_SCHEMA,
        "queue": QUEUE_SCHEMA,
        "quantity": {"type": "integer", "description": "Items in the feed, invisible ones included."},
        "approximateAgeOfOldestMessageInSeconds": {"type": "number"},
    },
}
FEED_ITEM_SCHEMA = {
    "type": "object",
    "required": [
        "eventId",
        "handle",
        "domain",
        "state",
        "lastState",
        "orderId",
        "lastChange",
        "currentChange",
    ],
    "properties": {
        "eventId": {"type": "string", "description": "The same on every redelivery, and in the hook."},
        "handle": {"type": "string", "description": "Commit it to remove the item."},
        "domain": {"type": "string", "enum": ["Fulfillment"]},
        "state": {"type": "string", "description": "The order's new status."},
        "lastState": {"type": "string", "description": "Its status before; empty for a new order."},
        "orderId": {"type": "string", "description": "The mainOrderId."},
        "lastChange": {"type": "string", "description": "When the order took its previous status."},
        "currentChange": {"type": "string", "description": "When it took this one."},
    },
}
COMMIT_SCHEMA = {
    "type": "object",
    "required": ["handles"],
    "properties": {"handles": {"type": "array", "items": {"type": "string"}, "maxItems": 1000}},
}
EMPTY_OK = OpenApiResponse(description="Done; no body.")


def filter_of(data) -> list[str]:
    if not isinstance(data, dict):
        raise OmsError(400, INVALID, "The body must be a JSON object.")
    return filter_statuses(data.get("filter"))


def filter_body(statuses: list[str]) -> dict:
    return {"type": "FromWorkflow", "status": statuses}


NO_FEED = "No feed is configured for this app key: POST /api/orders/feed/config first."
HANDLES = "handles: a list of at most 1000 handles (strings)."
FROM_ORDERS = (
    "filter: FromOrders (JSONata expression) filters are not supported; use "
    '{"type": "FromWorkflow", "status": [...]} with the statuses you want.'
)
NO_FEED_ERROR = ("No feed for this app key (OMS002).", [refused("No feed", NOT_FOUND, NO_FEED)])
FILTER_CONFLICT_ERROR = (
    "The filter mixes FromWorkflow and FromOrders fields (OMS004).",
    [
        refused(
            "A mixed filter",
            FILTER_CONFLICT,
            "filter: status belongs to FromWorkflow filters, expression and disableSingleFire to FromOrders "
            "filters; send one or the other.",
        )
    ],
)


class FeedView(OmsApiView):
    def feed(self):
        feed = feed_of(connector=self.connector)
        if feed is None:
            raise OmsError(404, NOT_FOUND, NO_FEED)
        return feed


class FeedConfigApi(FeedView):
    def body(self, feed) -> dict:
        stats = feed_stats(feed=feed)
        return {
            "filter": filter_body(feed.statuses),
            "queue": {
                "visibilityTimeoutInSeconds": feed.visibility_timeout_seconds,
                "MessageRetentionPeriodInSeconds": feed.retention_seconds,
            },
            "quantity": stats.quantity,
            "approximateAgeOfOldestMessageInSeconds": stats.oldest_age_seconds,
        }

    @extend_schema(
        operation_id="GetFeedConfiguration",
        summary="Get feed configuration",
        parameters=[ACCOUNT_PARAMETER],
        responses={
            200: OpenApiResponse(
                FEED_CONFIG_SCHEMA,
                description="The feed, and how many items wait in it.",
                examples=[answer("The feed", examples.FEED)],
            ),
            **errors({404: NO_FEED_ERROR}),
        },
        tags=["Feed v3"],
    )
    def get(self, request):
        return Response(self.body(self.feed()))

    @extend_schema(
        operation_id="FeedConfiguration",
        summary="Create or update feed configuration",
        description="One feed per app key. Items already in the feed stay when it is reconfigured.",
        parameters=[ACCOUNT_PARAMETER],
        request={
            "application/json": OpenApiRequest(
                FEED_CONFIG_REQUEST,
                examples=[request_example("Handled, invoiced and canceled orders", examples.FEED_CONFIG)],
            )
        },
        responses={
            200: OpenApiResponse(
                FEED_CONFIG_SCHEMA,
                description="The feed as saved.",
                examples=[
                    answer(
                        "Saved",
                        {**examples.FEED, "quantity": 0, "approximateAgeOfOldestMessageInSeconds": 0.0},
                    )
                ],
            ),
            **errors(
                {
                    400: (
                        "The filter or the queue settings have errors (OMS001).",
                        [refused("A FromOrders filter", INVALID, FROM_ORDERS)],
                    ),
                    409: FILTER_CONFLICT_ERROR,
                }
            ),
        },
        tags=["Feed v3"],
    )
    def post(self, request):
        statuses = filter_of(request.data)
        visibility, retention = queue_settings(request.data.get("queue"))
        feed = feed_configure(
            connector=self.connector,
            statuses=statuses,
            visibility_timeout_seconds=visibility,
            retention_seconds=retention,
        )
        return Response(self.body(feed))

    @extend_schema(
        operation_id="FeedConfigurationDelete",
        summary="Delete feed configuration",
        description="Removes the feed and every item in it.",
        parameters=[ACCOUNT_PARAMETER],
        request=None,
        responses={200: EMPTY_OK, **errors({404: NO_FEED_ERROR})},
        tags=["Feed v3"],
    )
    def delete(self, request):
        if not feed_delete(connector=self.connector):
            raise OmsError(404, NOT_FOUND, NO_FEED)
        return Response(status=200)


class FeedApi(FeedView):
    @extend_schema(
        operation_id="Getfeedorderstatus1",
        summary="Retrieve feed items",
        description="Up to `maxlot` status changes, oldest first. Each is invisible for the feed's visibility "
        "timeout and comes back after it unless its handle is committed: delivery is at least once, and "
        "`eventId` tells a change already seen.",
        parameters=[
            ACCOUNT_PARAMETER,
            OpenApiParameter(
                "maxlot",
                {"type": "integer", "minimum": 1, "maximum": MAX_LOT},
                description=f"How many items, 1 to {MAX_LOT}; 1 when left out.",
            ),
        ],
        responses={
            200: OpenApiResponse(
                {"type": "array", "items": FEED_ITEM_SCHEMA},
                description="The items.",
                examples=[answer("An order invoiced", examples.FEED_ITEMS)],
            ),
            **errors(
                {
                    400: (
                        "maxlot is not 1 to 10 (OMS001).",
                        [
                            refused(
                                "maxlot out of range", INVALID, f"maxlot: a whole number from 1 to {MAX_LOT}."
                            )
                        ],
                    ),
                    404: NO_FEED_ERROR,
                }
            ),
        },
        tags=["Feed v3"],
    )
    def get(self, request):
        try:
            max_items = whole_number(request.query_params.get("maxlot", "1"), low=1, high=MAX_LOT)
        except ValueError as error:
            raise OmsError(400, INVALID, f"maxlot: {error}.") from None
        items = feed_read(feed=self.feed(), max_items=max_items)
        return Response([feed_item_body(item) for item in items])

    @extend_schema(
        operation_id="Commititemfeedorderstatus",
        summary="Commit feed items",
        description="Removes the items of these handles from the feed. Handles already committed or unknown "
        "are ignored, so a commit can be repeated.",
        parameters=[ACCOUNT_PARAMETER],
        request={
            "application/json": OpenApiRequest(
                COMMIT_SCHEMA, examples=[request_example("The handle read", examples.FEED_COMMIT)]
            )
        },
        responses={
            200: EMPTY_OK,
            **errors(
                {
                    400: (
                        "handles is not a list of strings (OMS001).",
                        [refused("No handles", INVALID, HANDLES)],
                    ),
                    404: NO_FEED_ERROR,
                }
            ),
        },
        tags=["Feed v3"],
    )
    def post(self, request):
        handles = request.data.get("handles") if isinstance(request.data, dict) else None
        if (
            not isinstance(handles, list)
            or len(handles) > 1000
            or not all(isinstance(handle, str) for handle in handles)
        ):
            raise OmsError(400, INVALID, HANDLES)
        feed_commit(feed=self.feed(), handles=handles)
        return Response(status=200)
