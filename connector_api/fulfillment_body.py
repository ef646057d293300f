"""The previous fulfillment protocol's order: its check, its refusals, its order-integration body.

Some connectors still speak it (vtex-contract.md §2). A fulfillment order is checked here and
becomes an order-integration body (`as_order_body`), which `connector_api.fulfillment_place`
places. With `isCreatedAsync` it is queued exactly like an order of the order API; without it,
it is decided in the request and any divergence is refused with FMT007.

Refusals answer in the Fulfillment style, `{"error": {"code", "message", "exception"}}`, the
message being the first problem's, with every problem listed in `errors` (`{"source", "code",
"description"}`, as in the order API) so that a connector can correct them all at once.
"""

from connectors import contract
from connectors.contract import ContractError
from kit.errors import DomainError


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


def check_place_fulfillment_order(body, *, texts: bool = True) -> list[ContractError]:
    """Return every problem with a place-fulfillment-order body, each naming its field; empty when fine."""
    if isinstance(body, list) and len(body) != 1:
        return [ContractError("EOI005", "body must hold exactly one order: send one order per request")]
    order = single_order(body)
    if not isinstance(order, dict):
        return [ContractError("EOI005", "body must be an order, or an array of one order")]
    order = _with_camel_profile(order)
    errors = contract.shape_errors("place_fulfillment_order", order, texts=texts)
    shipping = order.get("shippingData")
    if isinstance(shipping, dict):
        errors += _address_errors(shipping) + _logistics_errors(order.get("items"), shipping)
    if errors:
        return errors
    # What the order API checks beyond the shape (pickup points above all), named as it was sent.
    _, source = _chosen_address(order["shippingData"])
    return [
        ContractError(error.code, error.description.replace("shippingData.selectedAddresses[0]", source))
        for error in contract.check_place_order(as_order_body(order), texts=texts)
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
