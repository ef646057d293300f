"""Security settings: admin login lockout, CSRF, production checks."""

import os
import subprocess
import sys
from pathlib import Path

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


def test_admin_forms_require_a_csrf_token(owner, account):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(
        f"/admin/authorization/account/{account.pk}/change/", {"no_rule_policy": "authorize"}
    )
    assert response.status_code == 403


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
