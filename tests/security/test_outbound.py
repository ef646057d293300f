"""The address policy of the app's outbound calls: notifications, hook calls and pings.

A connector chooses the URLs the app calls. Whatever it writes, and whatever its DNS answers,
the app connects only to public addresses, to the very address it checked, follows no
redirect, and never tells the connector what answered where it may not call.

Names resolve through a fake DNS (`dns`), so that a name can stand for any address; the
servers the tests call listen on 127.0.0.1.
"""

import ast
import datetime
import http.server
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from connectors import egress, egress_addresses
from connectors.checks import outbound_urls_check
from connectors.models import Connector, HookConfig, HookDelivery, Notification
from tests import factories
from tests.connector_client import ConnectorClient
from tests.connectors.oms_support import OmsClient
from tests.orders.payloads import order_body
from tests.support.connector_admin import add_form
from tests.support.shop import make_shop

ROOT = Path(__file__).resolve().parents[2]
APPS = ["authorization", "catalog", "config", "connectors", "exports", "insight", "orders"]
REFUSED_ERROR = "Not sent: the URL or its address is not public (outbound address policy)."
PING_FAILED = "hook.url: the hook URL did not answer the ping with HTTP 200 in time."

REFUSED_ADDRESSES = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "0.0.0.0",  # unspecified
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local: the cloud's metadata service
    "100.64.0.1",  # shared (carrier-grade NAT)
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",  # link-local
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "ff0e::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2001::1",  # Teredo
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:db8::1",  # documentation
    "100::1",  # discard
]
PUBLIC_ADDRESSES = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]

# URLs that two parsers read differently, or that hide where they go: refused by their text,
# before any lookup, whether or not private addresses are allowed.
MISLEADING_URLS = [
    "http://127.0.0.1:8744\\@8.8.8.8/x",
    "http://8.8.8.8\\@127.0.0.1:8744/x",
    "http://8.8.8.8@127.0.0.1:8744/x",
    "http://user:secret@connector.example/x",
    "http://8.8.8.8 @127.0.0.1/x",
    "http://connector.example\t/x",
    "http://connec\ntor.example/x",
    "http://connector.example/x\r\nX-Injected: 1",
    "http://[fe80::1%25lo]:8744/x",
    "http://127.1:8744/x",
    "http://0x7f000001:8744/x",
    "http://2130706433:8744/x",
    "http://0177.0.0.1:8744/x",
    "http://exämple.com/x",
    "http://ⓔxample.com/x",
    "file:///etc/passwd",
    "gopher://connector.example/x",
    "ftp://connector.example/x",
    "http:///x",
    "http://connector.example:0/x",
    "http://connector.example:99999/x",
    "",
]


@pytest.fixture(autouse=True)
def policy_on(settings):
    """The address policy as in production (the suite allows private addresses elsewhere)."""
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = False


class FakeDns:
    """Answers `socket.getaddrinfo` for the names it is given; counts the lookups of each."""

    def __init__(self, real):
        self.real, self.answers, self.lookups = real, {}, []

    def answer(self, name: str, *rounds: list[str]) -> None:
        """Each lookup of `name` gets the next round of addresses; the last round repeats."""
        self.answers[name] = list(rounds)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if host not in self.answers:
            return self.real(host, port, family, type, proto, flags)
        self.lookups.append(host)
        rounds = self.answers[host]
        addresses = rounds.pop(0) if len(rounds) > 1 else rounds[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        found = []
        for text in addresses:
            address, _, zone = text.partition("%")
            if ipaddress.ip_address(address).version == 4:
                found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port))))
            else:
                scope = socket.if_nametoindex(zone) if zone else 0
                found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, scope)))
        return found


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def sockets(monkeypatch):
    """Record every connection the policy lets through; connect for real only to 127.0.0.1."""
    opened = []
    real = egress._open_socket

    def record(family, sockaddr, **options):
        opened.append(sockaddr[0])
        if sockaddr[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, "Connection refused (test)")
        return real(family, sockaddr, **options)

    monkeypatch.setattr(egress, "_open_socket", record)
    return opened


def post(url: str) -> egress.Reply:
    return egress.post(url, payload=b"{}", headers={"Content-Type": "application/json"}, timeout=2)


def literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


# ---------------------------------------------------------------------------------------------
# Addresses: as written in the URL, and as a name resolving to them


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_a_url_naming_a_non_public_address_is_refused_before_any_connection(address, dns, sockets):
    url = f"http://{literal(address)}:8744/x"
    problem = egress.url_problem(url)
    assert problem is not None
    assert problem.startswith(f"{address} is ")
    assert problem.endswith("; use a public address.")
    assert post(url) == egress.Reply(status=None, failure=egress.Failure.REFUSED)
    assert sockets == []


@pytest.mark.parametrize("address", [*REFUSED_ADDRESSES, "fe80::1%lo"])
def test_a_name_resolving_to_a_non_public_address_is_refused_when_called(address, dns, sockets):
    dns.answer("connector.example", [address])
    assert egress.url_problem("http://connector.example:8744/x") is None  # the text alone is fine
    assert post("http://connector.example:8744/x") == egress.Reply(
        status=None, failure=egress.Failure.REFUSED
    )
    assert dns.lookups == ["connector.example"]
    assert sockets == []


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(dns, sockets):
    dns.answer("connector.example", ["8.8.8.8", "2606:4700::1111", "10.0.0.1"])
    assert post("http://connector.example/x").failure is egress.Failure.REFUSED
    assert sockets == []


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_public_address_is_called(address, dns, sockets):
    dns.answer("connector.example", [address])
    assert egress_addresses.address_problem(ipaddress.ip_address(address)) is None
    assert post("http://connector.example:8744/x").failure is egress.Failure.UNREACHABLE
    assert sockets == [address]


@pytest.mark.parametrize("url", MISLEADING_URLS)
def test_a_misleading_url_is_refused_by_its_text_without_a_lookup(url, dns, sockets, settings):
    dns.answer("connector.example", ["8.8.8.8"])
    for allowed in (False, True):
        settings.OUTBOUND_ALLOW_PRIVATE_URLS = allowed
        assert egress.url_problem(url) is not None, url
        assert post(url).failure is egress.Failure.REFUSED
    assert (dns.lookups, sockets) == ([], [])


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("localhost", "localhost is this server itself; use a public address."),
        ("localhost.", "localhost. is this server itself; use a public address."),
        ("admin.localhost", "admin.localhost is this server itself; use a public address."),
        ("intranet", "intranet is a name on this server's own network; use a public host name."),
    ],
)
def test_local_names_are_refused_by_their_text(host, message, dns, sockets):
    assert egress.url_problem(f"http://{host}:8744/x") == message
    assert post(f"http://{host}:8744/x").failure is egress.Failure.REFUSED
    assert (dns.lookups, sockets) == ([], [])


# ---------------------------------------------------------------------------------------------
# The connection: one lookup, to the address checked, no redirect, no proxy


def test_an_allowed_private_address_is_reached_by_its_name(dns, connector_server, settings):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    port = connector_server.server.server_address[1]
    dns.answer("connector.test", ["127.0.0.1"])
    assert post(f"http://connector.test:{port}/api/vtex") == egress.Reply(status=200)
    (received,) = connector_server.received
    assert received.headers["Host"] == f"connector.test:{port}"
    assert dns.lookups == ["connector.test"]


def test_the_same_name_is_not_called_under_the_policy(dns, connector_server):
    port = connector_server.server.server_address[1]
    dns.answer("connector.test", ["127.0.0.1"])
    assert post(f"http://connector.test:{port}/api/vtex").failure is egress.Failure.REFUSED
    assert connector_server.received == []


def test_dns_rebinding_cannot_move_the_call_to_another_address(dns, sockets, connector_server):
    """The DNS answers a public address to the check and loopback to the connection: there is one
    lookup, and the connection goes to the address checked."""
    port = connector_server.server.server_address[1]
    dns.answer("rebind.test", ["93.184.215.14"], ["127.0.0.1"])
    assert post(f"http://rebind.test:{port}/x").failure is egress.Failure.UNREACHABLE
    assert dns.lookups == ["rebind.test"]
    assert sockets == ["93.184.215.14"]
    assert connector_server.received == []


def test_dns_rebinding_with_private_addresses_allowed_still_connects_to_the_first_answer(
    dns, sockets, connector_server, settings
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    port = connector_server.server.server_address[1]
    dns.answer("rebind.test", ["127.0.0.1"], ["10.255.255.1"])
    assert post(f"http://rebind.test:{port}/x") == egress.Reply(status=200)
    assert (dns.lookups, sockets) == (["rebind.test"], ["127.0.0.1"])


def test_a_redirect_is_not_followed(dns, settings, connector_server, other_server):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    connector_server.respond_with(302)
    connector_server.answer_headers["Location"] = other_server.url
    assert post(connector_server.url) == egress.Reply(status=302)
    assert len(connector_server.received) == 1
    assert other_server.received == []


def test_the_environments_proxy_is_not_used(monkeypatch, settings, connector_server, other_server):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{other_server.server.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "")
    assert post(connector_server.url) == egress.Reply(status=200)
    assert len(connector_server.received) == 1
    assert other_server.received == []


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for `name`: (certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a certificate for tls.test; records SNI and Host."""
    cert_file, key_file = _certificate(tmp_path, "tls.test")
    seen = {"sni": [], "host": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1], cert_file, seen
    server.shutdown()
    server.server_close()


def test_tls_verifies_the_host_name_while_connecting_to_the_checked_address(
    dns, settings, tls_server, tmp_path
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    port, cert_file, seen = tls_server
    dns.answer("tls.test", ["127.0.0.1"])
    dns.answer("other.test", ["127.0.0.1"])
    egress._http().verify = cert_file
    try:
        assert post(f"https://tls.test:{port}/x") == egress.Reply(status=200)
        assert seen == {"sni": ["tls.test"], "host": [f"tls.test:{port}"]}
        # The same address under another name: its certificate does not match, nothing is sent.
        assert post(f"https://other.test:{port}/x").failure is egress.Failure.UNREACHABLE
        assert seen["host"] == [f"tls.test:{port}"]
    finally:
        egress._http().verify = True


# ---------------------------------------------------------------------------------------------
# Notifications and hook calls


@pytest.fixture
def public_shop(account, connector_server, eager_tasks, dns, client, django_capture_on_commit_callbacks):
    """The example seller, whose connector's endpoint is a public name when saved; the test
    decides what the name resolves to afterwards."""
    port = connector_server.server.server_address[1]
    dns.answer("connector.test", ["93.184.215.14"])
    shop = make_shop(account, f"http://connector.test:{port}/api/vtex")
    mkp = ConnectorClient(client, shop.credentials, django_capture_on_commit_callbacks)
    return shop, mkp


def test_a_notification_to_an_address_that_became_private_fails_at_once_and_says_nothing_of_it(
    public_shop, dns, connector_server, settings
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 5
    _, mkp = public_shop
    dns.answer("connector.test", ["127.0.0.1"])
    mkp.place(order_body())
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count, notification.last_error) == (
        "failed",
        1,
        REFUSED_ERROR,
    )
    assert notification.attempts.get().error == REFUSED_ERROR
    assert connector_server.received == []


def test_a_connector_stored_on_a_private_address_is_listed_and_its_notifications_fail(
    account, connector_server, eager_tasks, client, django_capture_on_commit_callbacks
):
    shop = make_shop(account, "https://connector.example/api/vtex")
    # Saved before the policy existed:
    Connector.objects.filter(pk=shop.connector.pk).update(endpoint=connector_server.url)
    HookConfig.objects.create(
        account=account, connector=shop.connector, statuses=["canceled"], url="http://10.0.0.7/hook"
    )

    warnings = {warning.id: warning for warning in run_checks() if warning.id.startswith("connectors.")}
    assert warnings["connectors.W001"].msg == (
        f"Connector 'SkyHub' of account 'acme': its notification endpoint {connector_server.url!r} is "
        "refused by the outbound address policy: 127.0.0.1 is a loopback address; use a public address."
    )
    assert warnings["connectors.W002"].msg == (
        "Connector 'SkyHub' of account 'acme': its hook URL 'http://10.0.0.7/hook' is refused by the "
        "outbound address policy: 10.0.0.7 is a private address; use a public address."
    )

    ConnectorClient(client, shop.credentials, django_capture_on_commit_callbacks).place(order_body())
    notification = Notification.objects.get()
    assert (notification.state, notification.attempt_count, notification.last_error) == (
        "failed",
        1,
        REFUSED_ERROR,
    )
    assert connector_server.received == []


def test_the_check_is_quiet_when_private_addresses_are_allowed(account, settings):
    connector, _ = factories.connector(account)
    Connector.objects.filter(pk=connector.pk).update(endpoint="http://127.0.0.1/x")  # only read, never called
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    assert outbound_urls_check() == []


@pytest.fixture
def oms(public_shop, client, django_capture_on_commit_callbacks, settings):
    settings.HOOK_TIMEOUT_SECONDS = 2
    shop, _ = public_shop
    return OmsClient(client, shop.credentials, django_capture_on_commit_callbacks)


def configure_hook(oms, url: str, statuses=("canceled",)):
    return oms.post(
        "/api/orders/hook/config",
        {"filter": {"type": "FromWorkflow", "status": list(statuses)}, "hook": {"url": url}},
    )


def test_the_backslash_hook_url_is_refused_with_a_clear_error_and_never_called(oms, connector_server):
    response = configure_hook(oms, "http://127.0.0.1:8744\\@8.8.8.8/x")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "OMS001")
    assert response.json()["error"]["message"] == "hook.url: A URL may not contain a backslash."
    assert connector_server.received == []
    assert not HookConfig.objects.exists()


def test_a_hook_on_a_private_address_is_refused_with_a_clear_error(oms, connector_server):
    port = connector_server.server.server_address[1]
    response = configure_hook(oms, f"http://127.0.0.1:{port}/hook")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "OMS001")
    assert (
        response.json()["error"]["message"]
        == "hook.url: 127.0.0.1 is a loopback address; use a public address."
    )
    assert connector_server.received == []
    assert not HookConfig.objects.exists()


@pytest.mark.parametrize(
    "case", ["refused by the policy", "closed port", 302, 500, "timeout", "no such name"]
)
def test_the_ping_fails_with_the_same_words_whatever_happened(
    case, oms, dns, connector_server, settings, closed_port
):
    port = connector_server.server.server_address[1]
    url = f"http://hook.test:{port}/hook"
    dns.answer("hook.test", ["127.0.0.1"])
    if case != "refused by the policy":
        settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    if case == "closed port":
        url = f"http://hook.test:{closed_port}/hook"
    elif case == "timeout":
        connector_server.respond_with("hang")
    elif case == "no such name":
        dns.answer("hook.test", [])
    elif isinstance(case, int):
        connector_server.respond_with(case)
    response = configure_hook(oms, url)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "OMS005")
    assert response.json()["error"]["message"] == PING_FAILED
    assert not HookConfig.objects.exists()
    if case == "refused by the policy":
        assert connector_server.received == []


def test_a_hook_call_to_an_address_that_became_private_fails_at_once(oms, dns, public_shop, connector_server):
    port = connector_server.server.server_address[1]
    dns.answer("hook.test", ["93.184.215.14"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("connectors.hook.hook_ping", lambda **ping: None)  # nothing answers at 93.184.215.14
        response = configure_hook(oms, f"http://hook.test:{port}/hook", statuses=["payment-pending"])
        assert response.status_code == 200, response.json()
    dns.answer("hook.test", ["127.0.0.1"])
    _, mkp = public_shop
    mkp.place(order_body())
    delivery = HookDelivery.objects.get()
    assert (delivery.state, delivery.attempt_count, delivery.last_error) == ("failed", 1, REFUSED_ERROR)
    assert [call.path for call in connector_server.received] == []


# ---------------------------------------------------------------------------------------------
# Where a connector's endpoint is saved


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("http://127.0.0.1:8744/vtex", "127.0.0.1 is a loopback address; use a public address."),
        ("http://[64:ff9b::7f00:1]/vtex", "64:ff9b::7f00:1 is a NAT64 address embedding a loopback address"),
        ("http://127.0.0.1:8744\\@8.8.8.8/vtex", None),  # Django's own URL check refuses it first
        ("http://internal.test/vtex", "internal.test resolves to an address that is not public"),
    ],
)
def test_the_admin_refuses_an_endpoint_the_policy_refuses(client, owner, account, dns, endpoint, message):
    dns.answer("internal.test", ["192.168.0.10"])
    client.force_login(owner)
    response = client.post("/admin/connectors/connector/add/", add_form(account, endpoint=endpoint))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["endpoint"]
    if message:
        assert any(message in error for error in errors), errors
    assert not Connector.objects.filter(affiliate_id="NEW").exists()


def test_the_admin_refuses_a_private_endpoint_on_change(client, owner, account):
    connector, _ = factories.connector(account)
    client.force_login(owner)
    form = add_form(account, name=connector.name, type=connector.type, affiliate_id=connector.affiliate_id)
    response = client.post(
        f"/admin/connectors/connector/{connector.pk}/change/", {**form, "endpoint": "http://10.0.0.5/vtex"}
    )
    assert response.context["adminform"].form.errors["endpoint"] == [
        "10.0.0.5 is a private address; use a public address."
    ]
    connector.refresh_from_db()
    assert connector.endpoint == "https://connector.example/api/vtex"


def test_create_connector_refuses_a_private_endpoint(account):
    with pytest.raises(CommandError) as refused:
        call_command(
            "create_connector",
            "--account=acme",
            "--name=Local",
            "--type=external",
            "--affiliate-id=LOC",
            "--endpoint=http://169.254.169.254/latest",
        )
    assert str(refused.value) == (
        "Cannot create the connector: --endpoint: 169.254.169.254 is a link-local address; use a public address."
    )
    assert not Connector.objects.filter(affiliate_id="LOC").exists()


def test_create_connector_accepts_a_private_endpoint_when_allowed(account, settings, capsys):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    call_command(
        "create_connector",
        "--account=acme",
        "--name=Local",
        "--type=external",
        "--affiliate-id=LOC",
        "--endpoint=http://127.0.0.1:9999/vtex",
    )
    assert Connector.objects.get(affiliate_id="LOC").endpoint == "http://127.0.0.1:9999/vtex"


@pytest.mark.parametrize(
    ("environment", "allowed"),
    [
        ({}, "False"),
        ({"HOOK_ALLOW_PRIVATE_URLS": "true"}, "True"),
        ({"OUTBOUND_ALLOW_PRIVATE_URLS": "true"}, "True"),
        ({"HOOK_ALLOW_PRIVATE_URLS": "true", "OUTBOUND_ALLOW_PRIVATE_URLS": "false"}, "False"),
    ],
)
def test_the_setting_is_off_by_default_and_read_under_its_earlier_name_too(environment, allowed):
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_ALLOW_PRIVATE_URLS")}
    answer = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.OUTBOUND_ALLOW_PRIVATE_URLS)",
        ],
        env={**clean, **environment, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert answer.stdout.strip() == allowed


# ---------------------------------------------------------------------------------------------
# Every outbound call goes through the policy


NETWORK_MODULES = {
    "requests",
    "urllib3",
    "httpx",
    "aiohttp",
    "pycurl",
    "socket",
    "http.client",
    "urllib.request",
    "ftplib",
    "telnetlib",
    "xmlrpc.client",
}


def _imports(tree) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("__import__", "import_module"):
            found.update(arg.value for arg in node.args if isinstance(arg, ast.Constant))
    return found


def test_only_the_policy_module_imports_a_network_client():
    """A new outbound call must go through `connectors.egress.post`, which enforces the policy."""
    callers = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            imported = _imports(ast.parse(path.read_text(), filename=str(path)))
            network = {
                name for name in imported if name in NETWORK_MODULES or name.split(".")[0] in NETWORK_MODULES
            }
            if network:
                callers[str(path.relative_to(ROOT))] = sorted(network)
    assert set(callers) == {"connectors/egress.py"}, callers


def test_a_json_body_reaches_an_allowed_server_unchanged(settings, connector_server):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    payload = json.dumps({"hello": "world"}).encode()
    reply = egress.post(
        connector_server.url, payload=payload, headers={"Content-Type": "application/json"}, timeout=2
    )
    assert reply == egress.Reply(status=200)
    assert connector_server.received[0].raw == payload


# ---------------------------------------------------------------------------------------------
# The words of each refusal: what the admin, the API and the operator's checks show


ADDRESS_PROBLEMS = {
    "127.8.9.10": "a loopback address",
    "0.0.0.0": "the unspecified address",
    "10.1.2.3": "a private address",
    "169.254.169.254": "a link-local address",
    "100.64.0.1": "a reserved or special-purpose address",
    "224.0.0.1": "a multicast address",
    "::1": "a loopback address",
    "::": "the unspecified address",
    "fe80::1": "a link-local address",
    "fec0::1": "a site-local address",
    "ff02::1": "a multicast address",
    "::ffff:127.0.0.1": "an IPv4-mapped address embedding a loopback address",
    "::ffff:10.0.0.1": "an IPv4-mapped address embedding a private address",
    "::2": "an IPv4-compatible IPv6 address",
    "::8.8.8.8": "an IPv4-compatible IPv6 address",
    "64:ff9b::7f00:1": "a NAT64 address embedding a loopback address",
    "64:ff9b:1::808:808": "a local-use NAT64 address",
    "2002:a00:1::1": "a 6to4 address embedding a private address",
    "2001::1": "a Teredo address",
}


@pytest.mark.parametrize(("address", "problem"), ADDRESS_PROBLEMS.items())
def test_each_refused_address_is_named_for_what_it_is(address, problem):
    assert (
        egress.url_problem(f"http://{literal(address)}/x") == f"{address} is {problem}; use a public address."
    )


def test_a_scoped_address_a_name_resolves_to_is_named_in_the_log(dns, sockets, caplog):
    dns.answer("connector.example", ["fe80::1%lo"])
    assert post("http://connector.example:8744/x").failure is egress.Failure.REFUSED
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert re.fullmatch(
        r"Outbound call to http://connector\.example:8744 refused: _HTTPConnection\(host='connector\.example', "
        r"port=8744\): connector\.example resolves to fe80::1%\d+, a scoped IPv6 address",
        record.getMessage(),
    ), record.getMessage()


URL_PROBLEMS = {
    "HTTP://127.0.0.1:8744\\x": "A URL may not contain a backslash.",
    "http://connector.example:99999/x": "This is not a valid URL.",
    "http://[v1.fe]/x": "This is not a valid URL.",
    "ftp://connector.example/x": "Give an http:// or https:// URL.",
    None: "Give an http:// or https:// URL.",
    5: "Give an http:// or https:// URL.",
    "http://user@connector.example/x": "A URL may not carry a user name or password: send credentials in a header.",
    "http:connector.example/x": "The URL has no host, or a port out of range.",
    "http://connector.example:0/x": "The URL has no host, or a port out of range.",
    "http://[fe80::1%25lo]/x": "A URL may not name an IPv6 zone (%).",
    "http://a.b.123/x": "Write an IPv4 address as four decimal numbers, e.g. 203.0.113.7.",
    "http://10.1./x": "Write an IPv4 address as four decimal numbers, e.g. 203.0.113.7.",
    "http://intranet./x": "intranet. is a name on this server's own network; use a public host name.",
    "http://admin.localhost./x": "admin.localhost. is this server itself; use a public address.",
    "http://connector.example/\x7f": (
        "A URL may not contain spaces, control characters or characters outside ASCII: "
        "write a host name in its xn-- form and percent-encode the rest."
    ),
}


@pytest.mark.parametrize(("url", "problem"), URL_PROBLEMS.items())
def test_each_refused_url_is_answered_with_why(url, problem, settings):
    assert egress.url_problem(url) == problem
    with pytest.raises(egress.UrlRefused, match=f"^{re.escape(problem)}$"):
        egress.url_check(url)


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Connector.Example/x",
        "http://connector.example:1/~user/!x?y=1#z",
        "https://[2606:4700::1111]:65535/x",
        "http://8.8.8.8/x",
    ],
)
def test_a_plain_public_url_is_accepted_in_any_case_and_with_any_printable_path(url):
    assert egress.url_problem(url) is None
    egress.url_check(url)


def test_saving_a_url_checks_its_text_then_what_its_name_resolves_to_now(dns, settings):
    dns.answer("internal.test", ["192.168.0.10"])
    dns.answer("public.test", ["8.8.8.8"])
    dns.answer("nowhere.test", [])
    with pytest.raises(ValidationError) as refused:
        egress.url_validate("https://internal.test/x")
    assert (refused.value.code, refused.value.messages) == (
        "outbound_address",
        ["internal.test resolves to an address that is not public; use a public host name."],
    )
    with pytest.raises(ValidationError) as refused:
        egress.url_validate("http://127.0.0.1/x")
    assert (refused.value.code, refused.value.messages) == (
        "outbound_url",
        ["127.0.0.1 is a loopback address; use a public address."],
    )
    egress.url_validate("http://public.test/x")
    egress.url_validate("http://nowhere.test/x")  # left to the call, which checks again
    assert dns.lookups == ["internal.test", "public.test", "nowhere.test"]
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    egress.url_validate("https://internal.test/x")
    assert dns.lookups == ["internal.test", "public.test", "nowhere.test"]  # not even looked up


# ---------------------------------------------------------------------------------------------
# What each failed call answers, and what the operator reads of it in the log (never the path
# or query of the URL, which may carry a credential)


def logged(caplog) -> list[tuple[str, str]]:
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name == "connectors.egress"
    ]


def test_a_url_refused_by_its_text_is_logged_by_its_origin_only(dns, sockets, caplog):
    assert post("http://10.0.0.1:8744/x?token=secret").failure is egress.Failure.REFUSED
    assert post("http://connector.example:99999/x?token=secret").failure is egress.Failure.REFUSED
    assert logged(caplog) == [
        (
            "WARNING",
            "Outbound call to http://10.0.0.1:8744 refused: 10.0.0.1 is a private address; use a public address.",
        ),
        ("WARNING", "Outbound call to an invalid URL refused: This is not a valid URL."),
    ]


def test_an_address_refused_when_called_is_logged_with_the_address(dns, sockets, caplog):
    dns.answer("connector.example", ["10.0.0.1"])
    assert post("https://connector.example/x?token=secret").failure is egress.Failure.REFUSED
    ((level, message),) = logged(caplog)
    assert level == "WARNING"
    assert message == (
        "Outbound call to https://connector.example: refused: _HTTPSConnection(host='connector.example', "
        "port=443): connector.example resolves to 10.0.0.1, a private address"
    )
    assert sockets == []


def test_a_name_that_does_not_resolve_is_unreachable(dns, sockets, caplog):
    dns.answer("nowhere.example", [])
    assert post("http://nowhere.example/x") == egress.Reply(status=None, failure=egress.Failure.UNREACHABLE)
    ((level, message),) = logged(caplog)
    assert level == "INFO"
    assert message.startswith(
        "Outbound call to http://nowhere.example: failed: _HTTPConnection(host='nowhere.example', port=80): "
        "Failed to resolve 'nowhere.example' ("
    ), message
    assert message.endswith("Name or service not known)"), message


def test_a_name_resolving_to_nothing_is_unreachable(monkeypatch, sockets, caplog):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: [])
    assert post("http://empty.example/x") == egress.Reply(status=None, failure=egress.Failure.UNREACHABLE)
    ((level, message),) = logged(caplog)
    assert level == "INFO"
    assert message == (
        "Outbound call to http://empty.example: failed: _HTTPConnection(host='empty.example', port=80): "
        "empty.example resolves to no address"
    )


def test_a_closed_port_is_unreachable_and_the_next_address_is_tried(
    dns, sockets, settings, connector_server, caplog
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    port = connector_server.server.server_address[1]
    dns.answer("connector.test", ["10.255.255.1", "127.0.0.1"])
    assert post(f"http://connector.test:{port}/x") == egress.Reply(status=200)
    assert sockets == ["10.255.255.1", "127.0.0.1"]
    dns.answer("connector.test", ["10.255.255.1"])
    assert post(f"http://connector.test:{port}/x").failure is egress.Failure.UNREACHABLE
    ((level, message),) = logged(caplog)
    assert level == "INFO"
    assert message == (
        f"Outbound call to http://connector.test:{port} failed: _HTTPConnection(host='connector.test', "
        f"port={port}): Failed to establish a new connection: [Errno 111] Connection refused (test)"
    )


@pytest.fixture
def full_backlog():
    """A port whose listening socket's queue is full: a connection to it is never accepted."""
    with socket.socket() as listening, socket.socket() as queued:
        listening.bind(("127.0.0.1", 0))
        listening.listen(0)
        queued.connect(listening.getsockname())
        yield listening.getsockname()[1]


def test_a_connection_that_is_not_accepted_in_time_is_a_timeout(settings, full_backlog, caplog):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    url = f"http://127.0.0.1:{full_backlog}/x"
    reply = egress.post(url, payload=b"{}", headers={}, timeout=0.3)
    assert reply == egress.Reply(status=None, failure=egress.Failure.TIMEOUT)
    ((level, message),) = logged(caplog)
    assert level == "INFO"
    assert re.fullmatch(
        rf"Outbound call to http://127\.0\.0\.1:{full_backlog} failed: \(<_HTTPConnection\(host='127\.0\.0\.1', "
        rf"port={full_backlog}\) at 0x[0-9a-f]+>, 'Connection to 127\.0\.0\.1 timed out: timed out'\)",
        message,
    ), message


def test_an_answer_that_does_not_come_in_time_is_a_timeout(settings, connector_server, caplog):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    connector_server.respond_with("hang")
    reply = egress.post(connector_server.url, payload=b"{}", headers={}, timeout=0.3)
    connector_server.release()
    assert reply == egress.Reply(status=None, failure=egress.Failure.TIMEOUT)
    port = connector_server.server.server_address[1]
    assert logged(caplog) == [("INFO", f"Outbound call to http://127.0.0.1:{port} timed out: ReadTimeout")]


@pytest.fixture
def hanging_up():
    """A server that takes each connection and closes it without a word."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        listening.settimeout(0.05)
        stop = threading.Event()

        def serve():
            while not stop.is_set():
                try:
                    connection, _ = listening.accept()
                except TimeoutError:
                    continue
                connection.recv(65536)
                connection.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield listening.getsockname()[1]
        stop.set()
        thread.join()


def test_a_server_that_hangs_up_without_answering_is_unreachable(settings, hanging_up, caplog):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    assert post(f"http://127.0.0.1:{hanging_up}/x") == egress.Reply(
        status=None, failure=egress.Failure.UNREACHABLE
    )
    assert logged(caplog) == [
        ("INFO", f"Outbound call to http://127.0.0.1:{hanging_up} failed: ConnectionError")
    ]


def test_a_header_carrying_a_line_break_is_never_sent(settings, connector_server, caplog):
    """A hook's headers are the connector's: one cannot smuggle a second header in a value."""
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    reply = egress.post(
        connector_server.url, payload=b"{}", headers={"X-Token": "a\r\nX-Injected: 1"}, timeout=2
    )
    assert reply == egress.Reply(status=None, failure=egress.Failure.UNREACHABLE)
    port = connector_server.server.server_address[1]
    assert logged(caplog) == [("INFO", f"Outbound call to http://127.0.0.1:{port} failed: InvalidHeader")]
    assert connector_server.received == []


def test_a_proxy_set_on_the_session_is_refused_not_used(settings, connector_server, other_server):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    egress._http().proxies = {"http": other_server.url}
    assert post(connector_server.url).failure is egress.Failure.UNREACHABLE
    assert (connector_server.received, other_server.received) == ([], [])


def test_a_connection_to_the_checked_address_keeps_urllib3s_socket_options(
    settings, connector_server, monkeypatch
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    no_delay = []
    real = egress._open_socket

    def connect(family, sockaddr, **options):
        sock = real(family, sockaddr, **options)
        no_delay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0)
        return sock

    monkeypatch.setattr(egress, "_open_socket", connect)
    assert post(connector_server.url) == egress.Reply(status=200)
    # urllib3 turns Nagle's delay off: each small notification goes out at once.
    assert no_delay == [True]


# ---------------------------------------------------------------------------------------------
# The answer: its headers and body as sent, cookies not kept, connections kept unless a body
# was too long to read


def test_the_headers_are_sent_and_a_cookie_answered_is_not_sent_back(settings, connector_server):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    connector_server.answer_headers["Set-Cookie"] = "session=first; Path=/"
    for _ in range(2):
        egress.post(connector_server.url, payload=b"{}", headers={"X-Token": "t1"}, timeout=2)
    first, second = connector_server.received
    assert first.headers["X-Token"] == second.headers["X-Token"] == "t1"
    assert "Cookie" not in second.headers


@dataclass
class KeepAlive:
    """What the keep-alive server answers (a body of `size` bytes, `headers`) and the client port
    of each request it received."""

    url: str = ""
    size: int = 0
    headers: dict = field(default_factory=dict)
    ports: list = field(default_factory=list)


@pytest.fixture
def keep_alive_server():
    """An HTTP/1.1 server that keeps connections open between requests, answering 200."""
    state = KeepAlive()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", str(state.size))
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"x" * state.size)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/x"
    yield state
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("size", "kept"),
    [
        (0, True),
        (egress.MAX_ANSWER_BYTES, True),
        # Read a chunk of the bound at a time: what a second chunk finishes is still read whole.
        (egress.MAX_ANSWER_BYTES + 1, True),
        (3 * egress.MAX_ANSWER_BYTES, False),
    ],
)
def test_a_connection_is_kept_for_the_next_call_unless_the_answer_was_too_long_to_read(
    settings, keep_alive_server, size, kept
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    server = keep_alive_server
    server.size = size
    assert post(server.url) == egress.Reply(status=200)
    server.size = 0
    assert post(server.url) == egress.Reply(status=200)
    assert (server.ports[0] == server.ports[1]) is kept


def test_an_answer_cut_short_still_counts_by_its_status(settings, caplog):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)

        def answer_half():
            connection, _ = listening.accept()
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            connection.close()

        thread = threading.Thread(target=answer_half, daemon=True)
        thread.start()
        port = listening.getsockname()[1]
        assert post(f"http://127.0.0.1:{port}/x") == egress.Reply(status=200)
        thread.join()
    ((level, message),) = logged(caplog)
    assert level == "INFO"
    # Cut short, or reset by the peer: either way the answer broke off after its status.
    assert message.startswith(
        f"Outbound call to http://127.0.0.1:{port}: reading the answer failed: ProtocolError("
    ), message
    assert "Connection broken" in message


def test_an_answer_is_read_as_it_came_not_decompressed(settings, keep_alive_server, caplog):
    """A body labelled gzip that is not: nothing to decode, since only the status counts."""
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    keep_alive_server.size = 100
    keep_alive_server.headers["Content-Encoding"] = "gzip"
    assert post(keep_alive_server.url) == egress.Reply(status=200)
    assert logged(caplog) == []


def test_a_process_forked_from_this_one_opens_connections_of_its_own(
    settings, keep_alive_server, monkeypatch
):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    post(keep_alive_server.url)
    monkeypatch.setattr(egress.os, "getpid", lambda: -1)  # as in a forked worker
    post(keep_alive_server.url)
    post(keep_alive_server.url)
    ports = keep_alive_server.ports
    assert ports[0] != ports[1] == ports[2]


def test_an_address_is_tried_once_when_it_refuses(settings, sockets, closed_port):
    settings.OUTBOUND_ALLOW_PRIVATE_URLS = True
    assert post(f"http://127.0.0.1:{closed_port}/x").failure is egress.Failure.UNREACHABLE
    assert sockets == ["127.0.0.1"]
