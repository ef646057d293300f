"""The rows the catalog's upserts take, and what can be wrong with one.

Problems name fields as the seller API and the CSV files do (`price`, `stock.WH1`,
`address.city`), so every caller can show them as they are; `CatalogInvalid` carries the
problems of every bad row.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext

from kit.errors import REQUEST_INVALID, DomainError

from .models import DeliveryChannel, catalog_id

MAX_QUANTITY = 2_147_483_647  # the largest PositiveIntegerField every database stores


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row: `index` in the list, `field` ("" for the whole row)."""

    index: int
    field: str
    message: str


class CatalogInvalid(DomainError):
    """Rows that cannot be saved; `problems` lists every problem of every bad row, by row."""

    code = "invalid"
    status = 400

    def __init__(self, problems: Iterable[RowProblem]):
        self.problems = sorted(problems, key=lambda problem: problem.index)
        # The rows are the whole request, answered as any request with errors.
        super().__init__(REQUEST_INVALID)

    @property
    def errors(self) -> list[dict]:
        """Every problem, row by row and, within a row, field by field as first named: the field is
        a path into the list (`[2].price`, `[2]` for the whole row)."""
        by_field: dict[tuple[int, str], list[str]] = {}
        for problem in self.problems:
            by_field.setdefault((problem.index, problem.field), []).append(problem.message)
        return [
            {"field": f"[{index}].{field}" if field else f"[{index}]", "message": message}
            for (index, field), messages in by_field.items()
            for message in messages
        ]


@dataclass(frozen=True)
class SkuRow:
    """A SKU as the seller sends it; None keeps the current value (or the default, for a new SKU).

    `stock` maps warehouse ids to units on hand; warehouses it does not name keep theirs.
    """

    sku_id: str
    name: str | None = None
    price_cents: int | None = None
    active: bool | None = None
    sales_channels: tuple[str, ...] | None = None
    stock: Mapping[str, int] | None = None


@dataclass(frozen=True)
class PickupPointRow:
    point_id: str
    name: str
    warehouse_id: str
    latitude: float
    longitude: float
    postal_code: str = ""
    street: str = ""
    number: str = ""
    neighborhood: str = ""
    complement: str = ""
    city: str = ""
    state: str = ""
    country: str = ""


@dataclass(frozen=True)
class ShippingPolicyRow:
    policy_id: str
    delivery_channel: str
    freight_cents: int
    estimate: str
    warehouse_ids: tuple[str, ...] = ()
    pickup_point_ids: tuple[str, ...] = ()
    active: bool = True


SKU_FIELDS = {
    "sku_id": "id",
    "name": "name",
    "price_cents": "price",
    "active": "active",
    "sales_channels": "salesChannels",
}
PICKUP_POINT_FIELDS = {
    "point_id": "id",
    "name": "name",
    "warehouse": "warehouse",
    "postal_code": "address.postalCode",
    "street": "address.street",
    "number": "address.number",
    "neighborhood": "address.neighborhood",
    "complement": "address.complement",
    "city": "address.city",
    "state": "address.state",
    "country": "address.country",
    "latitude": "geoCoordinates.latitude",
    "longitude": "geoCoordinates.longitude",
}
SHIPPING_POLICY_FIELDS = {
    "policy_id": "id",
    "delivery_channel": "deliveryChannel",
    "freight_cents": "freight",
    "estimate": "estimate",
    "active": "active",
}


def duplicate_problems(ids: Sequence[str]) -> list[RowProblem]:
    """Name every repeat of an id after its first row."""
    seen: set[str] = set()
    problems = []
    for index, item_id in enumerate(ids):
        if item_id in seen:
            problems.append(
                RowProblem(
                    index,
                    "id",
                    gettext("'%(id)s' is sent more than once; send each id once.") % {"id": item_id},
                )
            )
        seen.add(item_id)
    return problems


def model_problems(instance, *, index: int, names: Mapping[str, str], exclude=()) -> list[RowProblem]:
    """Run the model's own validation; return its complaints under the callers' field names."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return [
            RowProblem(index, "" if name == NON_FIELD_ERRORS else names.get(name, name), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return []


def warehouse_id_problem(value) -> str | None:
    """Return why `value` is not a warehouse id, or None when it is one."""
    if not isinstance(value, str) or not value:
        return gettext("A warehouse id is a non-empty string.")
    if len(value) > 64:
        return gettext("A warehouse id has at most 64 characters.")
    try:
        catalog_id(value)
    except ValidationError as error:
        return gettext("Not a warehouse id: '%(value)s'. %(reason)s") % {
            "value": value,
            "reason": error.messages[0],
        }
    return None


def quantity_problem(quantity) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= MAX_QUANTITY:
        return gettext("Units on hand are a whole number, 0 or more.")
    return None


def shipping_policy_target_problems(
    *, delivery_channel: str, warehouse_ids: Sequence[str], pickup_point_ids: Sequence[str]
) -> dict[str, str]:
    """Say what a policy of this delivery channel lacks or should not have: {field: message}."""
    problems = {}
    if delivery_channel == DeliveryChannel.DELIVERY:
        if not warehouse_ids:
            problems["warehouses"] = gettext("A delivery policy ships from at least one warehouse.")
        if pickup_point_ids:
            problems["pickupPoints"] = gettext("Only pickup-in-point policies have pickup points.")
    elif delivery_channel == DeliveryChannel.PICKUP_IN_POINT and not pickup_point_ids:
        problems["pickupPoints"] = gettext("A pickup-in-point policy needs at least one pickup point.")
    return problems
