"""The queue with nothing to show says why: nothing waits, or the filters hide what does."""

import pytest

from tests.support.orders import place_held
from tests.support.pages import page, text_of

QUEUE = "/admin/orders/waitingorder/"
NOTHING = "Nothing is waiting for you — every order is decided."


def empty_text(listing: str) -> str:
    start = listing.index(">", listing.index('id="queue-empty"')) + 1
    return text_of(listing[start : listing.index("</div>", start)])


def test_an_empty_queue_says_nothing_waits_and_what_happens_next(client, approver, db):
    client.force_login(approver)
    assert empty_text(page(client, QUEUE)) == (
        f"{NOTHING} When the rule holds an order for approval it appears here, "
        "and its approver is e-mailed a link to it."
    )


@pytest.mark.parametrize("filtered", ["mine=yes", "q=NOPE", "age=gt1d"])
def test_filters_that_hide_every_order_say_so_with_a_way_back(
    client, viewer, shop, owner, approver, second_approver, filtered
):
    place_held(shop.connector)
    client.force_login(viewer)
    listing = page(client, f"{QUEUE}?{filtered}")
    assert empty_text(listing) == (
        "No order waiting matches these filters. Other orders are waiting: the filters or the search "
        "hide them. Clear the filters and show every order waiting"
    )
    assert f'<a href="{QUEUE}">Clear the filters and show every order waiting</a>' in listing
    assert NOTHING not in listing


def test_filters_on_an_empty_queue_say_nothing_waits(client, approver, db):
    client.force_login(approver)
    assert NOTHING in empty_text(page(client, f"{QUEUE}?mine=yes"))


@pytest.mark.parametrize(
    ("accept", "nothing"),
    [
        ("pt-BR", "Nada está esperando por você — todos os pedidos foram decididos."),
        ("es", "Nada está esperándole — todos los pedidos están decididos."),
    ],
)
def test_the_empty_queue_speaks_the_readers_language(client, approver, db, accept, nothing):
    client.force_login(approver)
    listing = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert nothing in listing
