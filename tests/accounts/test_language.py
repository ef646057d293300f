"""The admin speaks each person's language: their own choice, else their browser's."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import Account, Preferences
from accounts.services import NotYourPreferences, language_set
from tests.support.pages import text


def test_the_admin_speaks_the_language_the_browser_asks_for(owner_client):
    assert "Encerrar sessão" in text(owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="pt-BR"))
    assert "Cerrar sesión" in text(owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es"))
    assert "Log out" in text(owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="de"))


def test_a_user_chooses_a_language_that_wins_over_the_browsers(owner_client, owner):
    page = text(owner_client.get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Your preferences" in page and "The language my browser asks for" in page

    response = owner_client.post(reverse("preferences"), {"language": "pt-br"}, follow=True)

    assert Preferences.objects.get(user=owner).language == "pt-br"
    assert "Seu idioma foi salvo." in text(response)
    assert "Encerrar sessão" in text(owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es"))

    owner_client.post(reverse("preferences"), {"language": ""})
    assert "Cerrar sesión" in text(owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="es"))


def test_a_language_the_site_does_not_speak_is_refused_on_the_page(owner_client, owner):
    response = owner_client.post(reverse("preferences"), {"language": "xx"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Preferences.objects.filter(user=owner).exclude(language="").exists()  # none chosen


def test_no_one_sets_another_users_language(owner, approver):
    with pytest.raises(NotYourPreferences):
        language_set(user=approver, language="es", actor=owner)
    assert not Preferences.objects.filter(user=approver).exists()


def test_the_operator_sets_a_new_users_language(account):
    out = io.StringIO()
    call_command(
        "create_user", "rosa@seller.example", account=account.name, role="approver", language="ES", stdout=out
    )
    assert Preferences.objects.get(user__email="rosa@seller.example").language == "es"
    with pytest.raises(CommandError, match="Unknown language 'xx'; use one of: en, pt-br, es"):
        call_command(
            "create_user", "rosa@seller.example", account=account.name, role="approver", language="xx"
        )


def test_an_account_has_a_currency_and_a_time_zone_from_its_creation(db):
    out = io.StringIO()
    call_command(
        "create_account", "loja", currency="ars", time_zone="America/Argentina/Buenos_Aires", stdout=out
    )
    account = Account.objects.get(name="loja")
    assert (account.currency, account.time_zone) == ("ARS", "America/Argentina/Buenos_Aires")
    assert "in ARS and America/Argentina/Buenos_Aires" in out.getvalue()
    call_command("create_account", "tienda", stdout=io.StringIO())
    assert Account.objects.get(name="tienda").currency == "BRL"
    with pytest.raises(CommandError, match="is not a currency"):
        call_command("create_account", "otra", currency="R$", stdout=io.StringIO())


def test_a_language_set_before_signing_in_is_spoken_from_the_first_page(client, approver):
    language_set(user=approver, language="es", actor=None)
    client.force_login(approver)
    assert "Cerrar sesión" in text(client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="pt-BR"))


@pytest.mark.parametrize(
    ("accept", "title", "search"),
    [("pt-BR", "Pedidos, regras e conectores", "Buscar"), ("es", "Pedidos, reglas y conectores", "Buscar")],
)
def test_the_admins_own_title_and_search_box_speak_the_readers_language(owner_client, accept, title, search):
    index = owner_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f"<h1>{title}</h1>" in index
    skus = owner_client.get("/admin/catalog/sku/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert 'alt="Search"' not in skus and f'alt="{search}"' in skus
