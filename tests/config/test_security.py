"""Security settings: admin login lockout, CSRF, the secret key, production checks."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.login_lockout
def test_admin_login_is_locked_after_repeated_failures(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/admin/login/", {"username": owner.username, "password": "wrong"})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    response = client.post("/admin/login/?next=/admin/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.login_lockout
def test_a_successful_login_resets_the_count(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        client.post("/admin/login/", {"username": owner.username, "password": "wrong"})
    response = client.post("/admin/login/?next=/admin/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    for _ in range(2):
        response = client.post("/admin/login/", {"username": owner.username, "password": "wrong"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "next_page",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_a_login_lands_on_the_admin_whatever_page_elsewhere_it_names(client, owner, next_page):
    response = client.post(
        f"/admin/login/?next={quote(next_page)}",
        {"username": owner.username, "password": PASSWORD, "next": next_page},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert "Orders, rules and connectors" in client.get(response["Location"]).content.decode()  # signed in


def test_a_login_goes_back_to_the_page_of_the_admin_it_names(client, owner):
    response = client.post(
        "/admin/login/?next=/admin/orders/order/",
        {"username": owner.username, "password": PASSWORD, "next": "/admin/orders/order/"},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/orders/order/")


def test_admin_forms_require_a_csrf_token(owner, account):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    policy = account.no_rule_policy
    assert policy != "authorize"
    response = browser.post(f"/admin/accounts/account/{account.pk}/change/", {"no_rule_policy": "authorize"})
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.no_rule_policy == policy


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "SECURE_", "EMAIL_URL", "DJANGO_")
        )
    }
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "orders.example.com",
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_HSTS_SECONDS": "31536000",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "SECURE_HSTS_PRELOAD": "true",
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


DEVELOPMENT_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
VENV_BIN = Path(sys.executable).parent


def started_with(tmp_path, command: list[str], **variables) -> subprocess.CompletedProcess:
    """Run an app command from a folder without `.env`, with only the variables given."""
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), **variables}
    return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("process", "command"),
    [
        ("manage.py (runserver, migrate, check)", [sys.executable, str(ROOT / "manage.py"), "check"]),
        ("gunicorn", [sys.executable, "-c", "import config.wsgi"]),
        (
            "celery",
            [str(VENV_BIN / "celery"), "--workdir", str(ROOT), "-A", "config", "worker", "--pool", "solo"],
        ),
    ],
)
@pytest.mark.parametrize(
    "keys",
    [{}, {"SECRET_KEY": DEVELOPMENT_KEY}, {"SECRET_KEY": "a" * 60, "FIELD_ENCRYPTION_KEY": DEVELOPMENT_KEY}],
    ids=["no key", "the development key", "the development key to encrypt"],
)
def test_with_debug_off_no_process_starts_on_the_development_key(tmp_path, process, command, keys):
    result = started_with(tmp_path, command, DEBUG="false", **keys)
    assert result.returncode != 0, f"{process} started"
    assert (
        "ImproperlyConfigured: SECRET_KEY (or FIELD_ENCRYPTION_KEY) is the development key" in result.stderr
    )


@pytest.mark.parametrize(
    "variables",
    [{"DEBUG": "true"}, {"DEBUG": "false", "SECRET_KEY": "b" * 60}],
    ids=["the development key with DEBUG on", "a key of its own"],
)
def test_the_app_starts_on_a_key_of_its_own_or_in_development(tmp_path, variables):
    result = started_with(tmp_path, [sys.executable, "-c", "import config.wsgi"], **variables)
    assert result.returncode == 0, result.stderr
