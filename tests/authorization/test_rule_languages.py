"""The rule editor, its history and its script speak Portuguese and Spanish; the sign-in page offers the languages."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import NoRulePolicy
from authorization.decision_words import outcome_label, reason_label, route_label
from authorization.services import rule_replace
from tests.factories import band
from tests.support.i18n import english_left
from tests.support.pages import markup, text
from tests.support.rule_editor import rule_url

ANA = "ana@acme.example"
BO = "bo@acme.example"


@pytest.fixture
def rule(account, owner, approver, second_approver):
    rule_replace(account=account, bands=[band(0, 10, "authorize"), band(10, 30, "deny")], actor=owner)
    return rule_replace(
        account=account,
        bands=[band(0, "12.5", "authorize"), band("12.5", 30, "manual", [ANA, BO]), band(40, 100, "deny")],
        actor=owner,
    )[0]


def content(response) -> str:
    """The page's own part: the admin's sidebar lists every app, each translated by its own.

    The account's no-rule policy is named in the accounts app's words, translated there: left out.
    """
    page = markup(response)
    page = page[page.index('<div id="content"') :]
    with translation.override("en"):
        for _value, label in NoRulePolicy.choices:
            page = page.replace(f"“{label}”", "")
    return page


@pytest.mark.parametrize(
    ("accept", "language", "words"),
    [
        (
            "pt-BR",
            "pt_BR",
            [
                "Regra de divergência de preço de acme",
                "0–12,5 %: Autorizar",
                "12,5–30 %: Reter para aprovação",
                "30–40 %: Não integrado (intervalo sem faixa)",
                "Em 12,5 %: a faixa 12,5–30 % retém o pedido para aprovação por ana@acme.example, depois bo@acme.example",
                "Experimente",
            ],
        ),
        (
            "es",
            "es",
            [
                "Regla de divergencia de precio de acme",
                "0–12,5 %: Autorizar",
                "12,5–30 %: Retener para aprobación",
                "Con 12,5 %: la franja 12,5–30 % retiene el pedido para aprobación de ana@acme.example, luego bo@acme.example",
                "Pruébela",
            ],
        ),
    ],
)
def test_the_rule_editor_reads_in_the_browsers_language(owner_client, account, rule, accept, language, words):
    response = owner_client.get(rule_url("editor", account), {"at": "12.5"}, HTTP_ACCEPT_LANGUAGE=accept)

    assert english_left(content(response), language) == []
    for shown in words:
        assert shown in text(response)
    # The form's fields keep the plain numbers a number input takes.
    assert 'name="bands-1-lower_percent" value="12.5"' in markup(response)


@pytest.mark.parametrize(
    ("accept", "language", "words"),
    [
        (
            "pt-BR",
            "pt_BR",
            ["Histórico da regra de divergência de preço de acme", "Alterada", "Faixas antes"],
        ),
        (
            "es",
            "es",
            ["Historial de la regla de divergencia de precio de acme", "Modificada", "Franjas antes"],
        ),
    ],
)
def test_the_rules_history_reads_in_the_browsers_language(
    owner_client, account, rule, accept, language, words
):
    response = owner_client.get(rule_url("rule_history", account), HTTP_ACCEPT_LANGUAGE=accept)

    assert english_left(content(response), language) == []
    for shown in words:
        assert shown in text(response)


def test_a_refused_rule_says_what_is_wrong_in_the_readers_language(owner_client, account, rule):
    from tests.support.rule_editor import formset_data

    response = owner_client.post(
        rule_url("editor", account),
        formset_data((0, 10, "authorize"), (5, 20, "manual", [ANA])),
        HTTP_ACCEPT_LANGUAGE="pt-BR",
    )

    assert "A regra não foi salva." in text(response)
    assert "Sobrepõe-se à faixa 0–10 %." in text(response)
    assert english_left(content(response), "pt_BR") == []


def test_the_scripts_strings_come_translated_from_the_javascript_catalog(client):
    portuguese = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="pt-BR").content.decode()
    spanish = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Reter para aprova\\u00e7\\u00e3o" in portuguese or "Reter para aprovação" in portuguese
    assert "Adicionar faixa" in portuguese
    assert "Agregar franja" in spanish


def test_the_decision_has_words_for_people_in_each_language():
    with translation.override("pt-br"):
        assert outcome_label("manual") == "Aguardando aprovação"
        assert reason_label("band") == "dentro de uma faixa da regra"
        assert route_label("rule") == "decidido pela regra da conta"
    with translation.override("es"):
        assert outcome_label("deny") == "Rechazado"
    with translation.override("en"):
        assert outcome_label("manual") == "Held for approval"
        assert reason_label("band") == "within a band of the rule"
    # A value the vocabulary no longer knows is shown as stored.
    assert reason_label("retired-reason") == "retired-reason"


def test_the_sign_in_page_offers_the_three_languages_and_speaks_the_one_chosen(client):
    login = reverse("admin:login")
    page = markup(client.get(login))
    for code, name in (("en", "English"), ("pt-br", "Português (Brasil)"), ("es", "Español")):
        assert f'<option value="{code}" lang="{code}"' in page and name in page
    assert f'action="{reverse("set_language")}"' in page

    chosen = client.post(reverse("set_language"), {"language": "pt-br", "next": login}, follow=True)

    assert chosen.redirect_chain[-1][0] == login
    assert "Acessar" in text(chosen) and "Mudar idioma" in text(chosen)
    assert '<option value="pt-br" lang="pt-br" selected>' in markup(chosen)

    spanish = client.post(reverse("set_language"), {"language": "es", "next": login}, follow=True)
    assert "Cambiar idioma" in text(spanish)


@pytest.mark.parametrize("language", ["pt_BR", "es"])
def test_every_other_page_of_the_rule_reads_in_the_browsers_language(
    client, owner_client, viewer_client, account, rule, language
):
    from accounts.roles import Role
    from accounts.services import membership_set
    from tests.factories import AccountFactory, member

    accept = language.replace("_", "-")
    pages = [
        owner_client.get(rule_url("delete_rule", account), HTTP_ACCEPT_LANGUAGE=accept),
        viewer_client.get(rule_url("editor", account), HTTP_ACCEPT_LANGUAGE=accept),
    ]
    other = AccountFactory(name="initech")
    owner = member(other, Role.OWNER, "boss@initech.example")
    client.force_login(owner)
    no_rule = client.get(rule_url("editor", other), HTTP_ACCEPT_LANGUAGE=accept)
    assert {"pt_BR": "Sem regra, os pedidos divergentes", "es": "Sin regla, los pedidos divergentes"}[
        language
    ] in text(no_rule)
    pages.append(no_rule)
    membership_set(user=owner, account=account, role=Role.VIEWER)
    pages.append(
        client.get(reverse("admin:authorization_pricedivergencerule_changelist"), HTTP_ACCEPT_LANGUAGE=accept)
    )

    for response in pages:
        assert response.status_code == 200, response.request
        assert english_left(content(response), language) == [], text(response)
