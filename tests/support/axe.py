"""Accessibility checked in the browser tests with axe-core (package.json; `bin/test` installs it).

    with open_page(browser, live_server, settings, request, bypass_csp=True) as page:
        page.goto(url)
        assert serious_violations(page) == []

axe-core is injected as a script, which the admin's Content-Security-Policy would refuse: pages
checked this way are opened with `bypass_csp=True` (the policy itself is held by
tests/browser/test_content_security_policy.py).
"""

import os
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each with where."""
    if not AXE.exists():
        reason = f"{AXE} is missing (npm ci installs it; bin/test does) so accessibility cannot be checked"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — {node['target']}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
        for node in violation["nodes"][:5]
    ]
