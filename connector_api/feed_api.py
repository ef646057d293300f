"""Feed v3 and hook for connectors (contract §4.3, §4.4): their settings, reading and committing the feed.

One feed and one hook per connector (per app key), each with a FromWorkflow filter: the
statuses whose changes it takes. Same credentials, account scoping and error shape as the
rest of the OMS API (`connector_api.oms_api`); what happens lives in `connectors.feed`,
`connectors.hook` and `connectors.filters`.
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
    MAX_HEADERS,
    RESERVED_HEADERS,
    filter_statuses,
    hook_settings,
    queue_settings,
)
from connectors.hook import hook_configure, hook_delete, hook_of
from kit.fields import whole_number

from . import examples
from .examples import answer, request_example
from .oms_api import (
    ACCOUNT_PARAMETER,
    FILTER_CONFLICT,
    INVALID,
    NOT_FOUND,
    PING_FAILED,
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
# A URL as the address policy takes it by its text (`connectors.egress.url_problem`): http(s), a host
# name with a dot whose last label is not a number, a port from 1 to 65535, no user, no backslash,
# nothing outside printable ASCII.
HOOK_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9-]+\.)+[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*"
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
    r"([/?#][!-\[\]-~]*)?$"
)
HOOK_SCHEMA = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "url": {"type": "string", "description": "Pinged on save: it answered 200."},
        "headers": {
            "type": "object",
            "maxProperties": MAX_HEADERS,
            "additionalProperties": {"type": "string", "maxLength": 4000, "pattern": "^[^\\r\\n]*$"},
            "description": "Sent with every call. Names are HTTP header names (letters, digits and "
            f"!#$%&'*+.^_`|~-); {', '.join(sorted(RESERVED_HEADERS))} are the app's own.",
        },
    },
}
HOOK_CONFIG_SCHEMA = {
    "type": "object",
    "required": ["filter", "hook"],
    "properties": {"filter": FILTER_SCHEMA, "hook": HOOK_SCHEMA},
}
HOOK_REQUEST = {
    **HOOK_SCHEMA,
    "properties": {
        "url": {
            "type": "string",
            "maxLength": 1000,
            "pattern": HOOK_URL_PATTERN,
            "description": "Pinged on save: it must answer 200. Its host must resolve to public addresses.",
        },
        "headers": {**HOOK_SCHEMA["properties"]["headers"], "nullable": True},
    },
}
HOOK_CONFIG_REQUEST = {
    "type": "object",
    "required": ["hook"],
    "properties": {"filter": FILTER_REQUEST, "hook": HOOK_REQUEST},
}
EMPTY_OK = OpenApiResponse(description="Done; no body.")


def _filter_of(data) -> list[str]:
    if not isinstance(data, dict):
        raise OmsError(400, INVALID, "The body must be a JSON object.")
    return filter_statuses(data.get("filter"))


def _filter_body(statuses: list[str]) -> dict:
    return {"type": "FromWorkflow", "status": statuses}


NO_FEED = "No feed is configured for this app key: POST /api/orders/feed/config first."
NO_HOOK = "No hook is configured for this app key: POST /api/orders/hook/config first."
HANDLES = "handles: a list of at most 1000 handles (strings)."
FROM_ORDERS = (
    "filter: FromOrders (JSONata expression) filters are not supported; use "
    '{"type": "FromWorkflow", "status": [...]} with the statuses you want.'
)
NO_FEED_ERROR = ("No feed for this app key (OMS002).", [refused("No feed", NOT_FOUND, NO_FEED)])
NO_HOOK_ERROR = ("No hook for this app key (OMS002).", [refused("No hook", NOT_FOUND, NO_HOOK)])
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
            "filter": _filter_body(feed.statuses),
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
        statuses = _filter_of(request.data)
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


class HookConfigApi(OmsApiView):
    def hook(self):
        hook = hook_of(connector=self.connector)
        if hook is None:
            raise OmsError(404, NOT_FOUND, NO_HOOK)
        return hook

    @staticmethod
    def body(hook) -> dict:
        return {"filter": _filter_body(hook.statuses), "hook": {"url": hook.url, "headers": hook.headers}}

    @extend_schema(
        operation_id="GetHookConfiguration",
        summary="Get hook configuration",
        parameters=[ACCOUNT_PARAMETER],
        responses={
            200: OpenApiResponse(
                HOOK_CONFIG_SCHEMA,
                description="The hook.",
                examples=[answer("The hook", examples.HOOK_CONFIG)],
            ),
            **errors({404: NO_HOOK_ERROR}),
        },
        tags=["Order hook"],
    )
    def get(self, request):
        return Response(self.body(self.hook()))

    @extend_schema(
        operation_id="HookConfiguration",
        summary="Create or update hook configuration",
        description='The URL is pinged with `{"hookConfig": "ping"}` and the headers; unless it answers 200 '
        "the hook is not saved (400, OMS005). Then each status change the filter takes is POSTed to it with the "
        "headers, `Idempotency-Key` and `X-Event-Id` (the change's `EventId`), retried with growing delays "
        "until it answers 2xx.",
        parameters=[ACCOUNT_PARAMETER],
        request={
            "application/json": OpenApiRequest(
                HOOK_CONFIG_REQUEST,
                examples=[request_example("Invoiced and canceled orders", examples.HOOK_CONFIG)],
            )
        },
        responses={
            200: OpenApiResponse(
                HOOK_CONFIG_SCHEMA,
                description="The hook as saved.",
                examples=[answer("Saved", examples.HOOK_CONFIG)],
            ),
            **errors(
                {
                    400: (
                        "The filter or hook have errors, the URL's address among them (OMS001), or the URL "
                        "did not answer the ping with 200 (OMS005).",
                        [
                            refused(
                                "No answer to the ping",
                                PING_FAILED,
                                "hook.url: the hook URL did not answer the ping with HTTP 200 in time.",
                            )
                        ],
                    ),
                    409: FILTER_CONFLICT_ERROR,
                }
            ),
        },
        tags=["Order hook"],
    )
    def post(self, request):
        statuses = _filter_of(request.data)
        url, headers = hook_settings(request.data.get("hook"))
        hook = hook_configure(connector=self.connector, statuses=statuses, url=url, headers=headers)
        return Response(self.body(hook))

    @extend_schema(
        operation_id="DeleteHookConfiguration",
        summary="Delete hook configuration",
        description="Removes the hook; changes not yet delivered to it are not sent.",
        parameters=[ACCOUNT_PARAMETER],
        request=None,
        responses={200: EMPTY_OK, **errors({404: NO_HOOK_ERROR})},
        tags=["Order hook"],
    )
    def delete(self, request):
        if not hook_delete(connector=self.connector):
            raise OmsError(404, NOT_FOUND, NO_HOOK)
        return Response(status=200)
