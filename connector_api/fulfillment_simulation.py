"""The previous fulfillment protocol's simulation: what the seller can sell, at what price, and how it gets there."""

from catalog.availability import active_policies, freight_order, sellable, with_stock
from catalog.models import DeliveryChannel
from catalog.selectors import skus_list

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
