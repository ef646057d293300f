"""The previous fulfillment protocol: simulation, place fulfillment order, authorize dispatch.

Some connectors still speak it (vtex-contract.md §2). A fulfillment order becomes an
order-integration body (`as_order_body`) and goes through the same intake, planning, rule and
notifications as the order API. With `isCreatedAsync` it is queued exactly like an order of the
order API; without it, it is decided in the request and any divergence is refused with FMT007.

Refusals answer in the Fulfillment style, `{"error": {"code", "message", "exception"}}`, the
message being the first problem's, with every problem listed in `errors` (`{"source", "code",
"description"}`, as in the order API) so that a connector can correct them all at once.
"""

import hashlib
import json
import uuid

from django.db import transaction

from catalog.availability import active_policies, freight_order, sellable, with_stock
from catalog.models import DeliveryChannel
from catalog.selectors import skus_list
from kit.errors import DomainError
from orders.events import connector_actor
from orders.intake.approve import order_marketplace_approve
from orders.intake.pipeline import intake_process_now
from orders.intake.receive import intake_receive
from orders.models import IntakeRecord, Order
from orders.statuses import IntakeStatus

from . import contract
from .contract import MESSAGES, PLACE_ORDER, ContractError


class FulfillmentError(DomainError):
    """A refusal of the previous protocol: answered with `status` and its error body.

    `code` is the protocol's own (EOI001, FMT0021…); `contract_errors` are the contract's errors.
    """

    def __init__(self, status: int, code: str, message: str, errors=()):
        super().__init__(message, code=code)
        self.status = status
        self.contract_errors = list(errors) or [ContractError(code, message)]


def error_body(*, code: str, message: str, errors: list[ContractError]) -> dict:
    return {
        "error": {"code": code, "message": message, "exception": None},
        "errors": [error.as_dict() for error in errors],
    }


# ---------------------------------------------------------------------------------------------
# Checking a fulfillment order, and turning it into an order-integration body


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _with_camel_profile(order: dict) -> dict:
    """Accept `Email`, `FirstName`… (the guide's example) as well as `email`, `firstName`…."""
    profile = order.get("clientProfileData")
    if not isinstance(profile, dict):
        return order
    return {**order, "clientProfileData": {_camel(key): value for key, value in profile.items()}}


def single_order(body) -> dict:
    """The order of a checked body: the contract's array of one, or the published schema's object."""
    return body[0] if isinstance(body, list) else body


def check_place_fulfillment_order(body) -> list[ContractError]:
    """Return every problem with a place-fulfillment-order body, each naming its field; empty when fine."""
    if isinstance(body, list) and len(body) != 1:
        return [ContractError("EOI005", "body must hold exactly one order: send one order per request")]
    order = single_order(body)
    if not isinstance(order, dict):
        return [ContractError("EOI005", "body must be an order, or an array of one order")]
    order = _with_camel_profile(order)
    errors = contract.shape_errors("place_fulfillment_order", order)
    shipping = order.get("shippingData")
    if isinstance(shipping, dict):
        errors += _address_errors(shipping) + _logistics_errors(order.get("items"), shipping)
    if errors:
        return errors
    # What the order API checks beyond the shape (pickup points above all), named as it was sent.
    _, source = _chosen_address(order["shippingData"])
    return [
        ContractError(error.code, error.description.replace("shippingData.selectedAddresses[0]", source))
        for error in contract.check_place_order(as_order_body(order))
    ]


def _address_errors(shipping: dict) -> list[ContractError]:
    if "address" not in shipping and "selectedAddresses" not in shipping:
        return [ContractError("EOI005", "shippingData.address is required")]
    errors = []
    for address, path in _addresses(shipping):
        coordinates = address.get("geoCoordinates") if isinstance(address, dict) else None
        if isinstance(coordinates, list) and len(coordinates) == 1:
            errors.append(
                ContractError("EOI005", f"{path}.geoCoordinates must be [longitude, latitude], or empty")
            )
    return errors


def _logistics_errors(items, shipping: dict) -> list[ContractError]:
    """One logisticsInfo entry per item, tied to it by `itemIndex`."""
    logistics = shipping.get("logisticsInfo")
    if not isinstance(items, list) or not isinstance(logistics, list):
        return []
    indexes = [info.get("itemIndex") if isinstance(info, dict) else None for info in logistics]
    errors = [
        ContractError(
            "EOI005",
            f"shippingData.logisticsInfo[{position}].itemIndex {index} names no item "
            f"(there are {len(items)})",
        )
        for position, index in enumerate(indexes)
        if type(index) is int and not 0 <= index < len(items)
    ]
    for item_index in range(len(items)):
        count = indexes.count(item_index)
        if count != 1:
            errors.append(
                ContractError(
                    "EOI005",
                    f"shippingData.logisticsInfo must have one entry per item: itemIndex {item_index} "
                    f"has {count}",
                )
            )
    return errors


def _addresses(shipping: dict) -> list[tuple[dict, str]]:
    """The addresses of the order with where each was sent: `address` first, then `selectedAddresses`."""
    found = []
    if isinstance(shipping.get("address"), dict):
        found.append((shipping["address"], "shippingData.address"))
    for index, address in enumerate(shipping.get("selectedAddresses") or []):
        found.append((address, f"shippingData.selectedAddresses[{index}]"))
    return found


def _chosen_address(shipping: dict) -> tuple[dict, str]:
    """The address the order goes to: the first pickup address for a pickup order, else the first."""
    addresses = _addresses(shipping)
    if any(info.get("selectedDeliveryChannel") == "pickup-in-point" for info in shipping["logisticsInfo"]):
        for address, path in addresses:
            if str(address.get("addressType", "")).lower() == "pickup":
                return address, path
    return addresses[0]


ADDRESS_TYPES = {"residencial": "residential", "comercial": "commercial"}


def _address(sent: dict) -> dict:
    address = {key: value for key, value in sent.items() if key != "geoCoordinates"}
    kind = sent["addressType"].lower()
    address["addressType"] = ADDRESS_TYPES.get(kind, kind)
    coordinates = sent.get("geoCoordinates") or []
    address["geoCoordinates"] = (
        {"longitude": float(coordinates[0]), "latitude": float(coordinates[1])}
        if len(coordinates) == 2
        else None
    )
    return address


def _open_text(value):
    return value.get("value") if isinstance(value, dict) else value


def as_order_body(order: dict) -> dict:
    """Return the order-integration body of one checked fulfillment order.

    Items keep id, price and quantity; `clientProfileData` keys become camelCase; each
    `logisticsInfo` entry lands at its item's position; the address (`[longitude, latitude]`
    coordinates become an object) goes to `selectedAddresses`; `openTextField` becomes its text.
    The order is `new`: the marketplace authorizes dispatch later (`/fulfill`). Payment is the
    marketplace's, so there are no payment methods.
    """
    order = _with_camel_profile(order)
    shipping = order["shippingData"]
    by_item = {info["itemIndex"]: info for info in shipping["logisticsInfo"]}
    address, _ = _chosen_address(shipping)
    profile = dict(order["clientProfileData"])
    profile["phone"] = profile.get("phone") or ""
    body = {
        "marketplaceOrderId": order["marketplaceOrderId"],
        "marketplaceOrderStatus": "new",
        "marketplacePaymentValue": order["marketplacePaymentValue"],
        "items": [
            {"id": item["id"], "price": item["price"], "quantity": item["quantity"], "seller": item["seller"]}
            for item in order["items"]
        ],
        "clientProfileData": profile,
        "shippingData": {
            "logisticsInfo": [
                {
                    "price": by_item[index]["price"],
                    "selectedDeliveryChannel": by_item[index].get("selectedDeliveryChannel") or "delivery",
                    "selectedSla": by_item[index].get("selectedSla"),
                    "lockTTL": by_item[index]["lockTTL"],
                    "shippingEstimate": by_item[index]["shippingEstimate"],
                }
                for index in range(len(order["items"]))
            ],
            "selectedAddresses": [_address(address)],
            "isFob": shipping.get("isFob") is True,
        },
        "invoiceData": {"userPaymentInfo": {"paymentMethods": []}},
        "customData": order.get("customData"),
        "openTextField": _open_text(order.get("openTextField")),
        "isCreatedAsync": order.get("isCreatedAsync") is True,
        "marketplaceServicesEndpoint": order["marketplaceServicesEndpoint"],
    }
    for key in ("marketplaceOrderGroup", "marketplacePaymentReferenceValue"):
        if order.get(key) is not None:
            body[key] = order[key]
    return body


# ---------------------------------------------------------------------------------------------
# Placing an order, and authorizing its dispatch


def _digest(body: dict, *, salt: str = "") -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((canonical + salt).encode()).hexdigest()


def fulfillment_order_place(*, connector, account, order: dict) -> str:
    """Place one checked fulfillment order; return its `orderId`, or raise `FulfillmentError`.

    With `isCreatedAsync` the order is stored and queued exactly as the order API does (an exact
    replay starts nothing), and the outcome reaches the connector as notifications. Without it
    the order is decided now and any divergence refused; every such submission is decided afresh
    (its digest is salted), so a connector may send an order again once the seller has restocked.
    """
    body = as_order_body(order)
    if body["isCreatedAsync"]:
        intake_receive(
            connector=connector, account=account, flow=PLACE_ORDER, body=body, body_digest=_digest(body)
        )
        return f"{connector.affiliate_id}-{body['marketplaceOrderId']}"
    with transaction.atomic():
        intake, _ = intake_receive(
            connector=connector,
            account=account,
            flow=PLACE_ORDER,
            body=body,
            body_digest=_digest(body, salt=uuid.uuid4().hex),
        )
        # The processing task queued for after commit finds the submission decided: it does nothing.
        intake = intake_process_now(intake_id=intake.pk)
    if intake.status == IntakeStatus.INTEGRATED:
        return intake.order.main_order_id
    raise _refusal(intake)


def _refusal(intake: IntakeRecord) -> FulfillmentError:
    """The answer to a submission that did not become an order.

    Stock, SLA and pickup point problems answer `ORD027`, the code the previous protocol's guide
    gives all three, with each item's `FMT005`/`FMT010` in `errors`; a divergence answers
    `FMT007`, a duplicate `FMT009`.
    """
    errors = [
        ContractError(error["code"], error["description"], error.get("source", "")) for error in intake.errors
    ] or [ContractError(intake.code, intake.held_reason or MESSAGES.get(intake.code, intake.code))]
    code = "ORD027" if intake.code in ("EOI002", "EOI004") else errors[0].code
    return FulfillmentError(400, code, errors[0].description, errors)


def fulfillment_order_authorize_dispatch(
    *, connector, order_id: str, marketplace_order_id: str | None
) -> str:
    """Apply the marketplace's authorization to dispatch; return the marketplace order id.

    The same as the order API's approval (`order_marketplace_approve`), answered at once: while
    the order waits for the seller's manual authorization the request is remembered and applied
    when the seller approves, and the answer says so (409, EOI011).
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(connector=connector, main_order_id=order_id).first()
        if order is None:
            raise FulfillmentError(404, "EOI008", f"Order {order_id} is not integrated")
        if marketplace_order_id not in (None, order.marketplace_order_id):
            raise FulfillmentError(
                400,
                "EOI005",
                f"marketplaceOrderId {marketplace_order_id} is not the marketplace id of order {order_id} "
                f"({order.marketplace_order_id})",
            )
        result = order_marketplace_approve(order=order, actor=connector_actor(connector))
    if result == "remembered":
        raise FulfillmentError(
            409,
            "EOI011",
            f"Order {order_id} waits for the seller's manual authorization (price divergence): dispatch is "
            f"authorized as soon as the seller approves it",
        )
    if result == "refused":
        raise FulfillmentError(400, "EOI009", f"Order {order_id} is {order.status} and cannot be approved")
    return order.marketplace_order_id


# ---------------------------------------------------------------------------------------------
# Simulation: what the seller can sell, at what price, and how it gets there

AVAILABLE = "available"
WITHOUT_STOCK = "withoutStock"  # no warehouse holds the quantity
CANNOT_BE_DELIVERED = "cannotBeDelivered"  # units, but no active SLA reaches them
UNAVAILABLE = "unavailable"  # inactive, or not sold in the sales channel


def _pickup_address(point) -> dict:
    return {
        "street": point.street,
        "number": point.number,
        "neighborhood": point.neighborhood,
        "city": point.city,
        "state": point.state,
        "country": point.country,
        "postalCode": point.postal_code,
    }


def _sla(policy, quantity: int, *, warehouse_id: str, point=None) -> dict:
    return {
        "id": policy.policy_id,
        "deliveryChannel": policy.delivery_channel,
        "name": policy.policy_id,
        "deliveryIds": [{"warehouseId": warehouse_id, "quantity": quantity}],
        "shippingEstimate": policy.estimate,
        "price": policy.freight_cents * quantity,
        "listPrice": policy.freight_cents * quantity,
        "tax": 0,
        "pickupStoreInfo": {
            "isPickupStore": point is not None,
            "friendlyName": point.name if point else None,
            "address": _pickup_address(point) if point else None,
            "additionalInfo": None,
            "dockId": None,
        },
        "pickupPointId": point.point_id if point else None,
        "transitTime": policy.estimate,
    }


def _slas(sku, quantity: int, policies) -> tuple[list[dict], bool]:
    """The SLAs that reach a warehouse holding `quantity` units, cheapest first; and whether any holds them.

    By the rule placing applies (`catalog.availability`).
    """
    rows = with_stock(list(sku.stock.all()), quantity)
    slas = []
    for policy in policies:
        if policy.delivery_channel == DeliveryChannel.DELIVERY:
            row = next((row for row in rows if row.warehouse_id in policy.warehouse_pks), None)
            if row is not None:
                slas.append(_sla(policy, quantity, warehouse_id=row.warehouse.warehouse_id))
            continue
        for point in policy.pickup_points.all():
            row = next((row for row in rows if row.warehouse_id == point.warehouse_id), None)
            if row is not None:
                slas.append(_sla(policy, quantity, warehouse_id=row.warehouse.warehouse_id, point=point))
    return slas, bool(rows)


def fulfillment_simulate(*, account, sales_channel: str | None, request: dict) -> dict:
    """Simulate the fulfillment of the requested items for `account` in `sales_channel`.

    Every item of the catalog comes back with the seller's price, its availability and the SLAs
    that can deliver it (freight × quantity); an item unknown to the catalog is left out, with an
    ORD027 message, as the contract's connectors expect. `sales_channel` None sells nothing.
    The catalog has no delivery areas: the postal code and coordinates are answered as sent.
    """
    wanted = request["items"]
    skus = {sku.sku_id: sku for sku in skus_list(account=account, sku_ids={item["id"] for item in wanted})}
    policies = sorted(active_policies(account, picks_up=True), key=freight_order)
    items, logistics, messages, pickup_points = [], [], [], {}
    for request_index, item in enumerate(wanted):
        sku, quantity = skus.get(item["id"]), item["quantity"]
        if sku is None:
            messages.append(
                {
                    "messageId": "ORD027",
                    "messageText": f"Item {item['id']} not found or unavailable",
                    "messageType": "error",
                }
            )
            continue
        sold = sellable(sku, sales_channel)
        slas, held = _slas(sku, quantity, policies) if sold else ([], False)
        if not sold:
            availability = UNAVAILABLE
        elif slas:
            availability = AVAILABLE
        else:
            availability = CANNOT_BE_DELIVERED if held else WITHOUT_STOCK
        seller = item.get("seller") or "1"
        logistics.append(
            {
                "itemIndex": len(items),
                "quantity": quantity,
                "selectedSla": None,
                "selectedDeliveryChannel": None,
                "addressId": None,
                "slas": slas,
                "deliveryChannels": [
                    {"id": channel} for channel in sorted({s["deliveryChannel"] for s in slas})
                ],
            }
        )
        items.append(
            {
                "id": sku.sku_id,
                "requestIndex": request_index,
                "quantity": quantity,
                "seller": seller,
                "sellerChain": [seller],
                "tax": 0,
                "price": sku.price_cents,
                "listPrice": sku.price_cents,
                "sellingPrice": sku.price_cents,
                "measurementUnit": "un",
                "unitMultiplier": 1,
                "availability": availability,
                "priceDefinition": {
                    "calculatedSellingPrice": sku.price_cents,
                    "total": sku.price_cents * quantity,
                    "sellingPrices": [{"value": sku.price_cents, "quantity": quantity}],
                },
            }
        )
        for sla in slas:
            if sla["pickupPointId"]:
                pickup_points[sla["pickupPointId"]] = {
                    "pickupPointId": sla["pickupPointId"],
                    "friendlyName": sla["pickupStoreInfo"]["friendlyName"],
                    "address": sla["pickupStoreInfo"]["address"],
                    "additionalInfo": None,
                    "dockId": None,
                }
    available = [(item, info) for item, info in zip(items, logistics, strict=True) if info["slas"]]
    return {
        "items": items,
        "postalCode": request.get("postalCode"),
        "country": request.get("country"),
        "geoCoordinates": request.get("geoCoordinates") or [],
        "logisticsInfo": logistics,
        "messages": messages,
        "pickupPoints": list(pickup_points.values()),
        "totals": [
            {
                "id": "Items",
                "name": "Items total",
                "value": sum(item["priceDefinition"]["total"] for item, _ in available),
            },
            {
                "id": "Shipping",
                "name": "Shipping total (cheapest SLA of each item)",
                "value": sum(min(sla["price"] for sla in info["slas"]) for _, info in available),
            },
        ],
    }
