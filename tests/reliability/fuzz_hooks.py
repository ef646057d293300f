"""Schemathesis hooks of the OpenAPI fuzz runs, bin/fuzz-api's and the suite's (tests/reliability/schemathesis.toml).

Saving a hook pings its URL, and a generated URL names any host of the internet: a hook URL the
document takes (its `pattern`) is sent as FUZZ_HOOK_URL instead, a receiver on 127.0.0.1 that
answers 200, so that a run calls nothing outside this machine. Any other URL is sent as it was
generated: the app refuses it by its text, before any call. That the document's pattern takes
no URL the app refuses is tested on its own (tests/connectors/test_hook_url_pattern.py).

An absence ends after it starts and is still to come, which no schema keyword can say of two
fields: a generated one is given a start tomorrow and an end the day after (its refusals are
tested on their own, tests/accounts/test_absence_api.py).
"""

import os
import re
from datetime import UTC, datetime, timedelta

import schemathesis

HOOK_CONFIG_PATH = "/api/orders/hook/config"
ABSENCES_PATH = "/api/absences/"


def _url_pattern(operation) -> re.Pattern:
    body = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    return re.compile(body["properties"]["hook"]["properties"]["url"]["pattern"])


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is None or not isinstance(body, dict):
        return body
    if operation.path.startswith(ABSENCES_PATH):
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        times = {"startsAt": tomorrow, "endsAt": tomorrow + timedelta(days=1)}
        return {**body, **{key: value.isoformat() for key, value in times.items() if key in body}}
    if operation.path != HOOK_CONFIG_PATH:
        return body
    hook = body.get("hook")
    url = hook.get("url") if isinstance(hook, dict) else None
    if isinstance(url, str) and _url_pattern(operation).search(url):
        return {**body, "hook": {**hook, "url": os.environ["FUZZ_HOOK_URL"]}}
    return body
