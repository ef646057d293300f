"""The hook's settings for connectors (contract §4.4): where each status change the filter takes is POSTed.

Same credentials, account scoping and error shape as the rest of the OMS API; the filter is the
feed's (`connector_api.feed_api`); what happens lives in `connectors.hook` and `connectors.filters`.
"""

from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework.response import Response

from connectors.filters import MAX_HEADERS, RESERVED_HEADERS, hook_settings
from connectors.hook import hook_configure, hook_delete, hook_of

from . import examples
from .examples import answer, request_example
from .feed_api import EMPTY_OK, FILTER_CONFLICT_ERROR, FILTER_REQUEST, FILTER_SCHEMA, filter_body, filter_of
from .oms_view import ACCOUNT_PARAMETER, NOT_FOUND, PING_FAILED, OmsApiView, OmsError, errors, refused

# A URL as the address policy takes it by its text (`connectors.egress.url_problem`): http(s), a host
# name with a dot whose last label is not a number (decimal, or hexadecimal as 0x…: either makes the
# host an address to a browser or curl), a port from 1 to 65535, no user, no backslash,
# nothing outside printable ASCII.
HOOK_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9-]+\.)+"
    r"([A-Za-z][A-Za-z0-9-]*|[1-9-][A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*|0[A-WYZa-wyz][A-Za-z0-9-]*"
    r"|0[0-9-][A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*|0[Xx][0-9A-Fa-f]*[G-Zg-z-][A-Za-z0-9-]*)"
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
NO_HOOK = "No hook is configured for this app key: POST /api/orders/hook/config first."
NO_HOOK_ERROR = ("No hook for this app key (OMS002).", [refused("No hook", NOT_FOUND, NO_HOOK)])


class HookConfigApi(OmsApiView):
    def hook(self):
        hook = hook_of(connector=self.connector)
        if hook is None:
            raise OmsError(404, NOT_FOUND, NO_HOOK)
        return hook

    @staticmethod
    def body(hook) -> dict:
        return {"filter": filter_body(hook.statuses), "hook": {"url": hook.url, "headers": hook.headers}}

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
        statuses = filter_of(request.data)
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
