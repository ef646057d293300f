"""The order as the OMS API shows it to its connector: the contract's order document.

Names follow the contract's `GET /api/oms/pvt/orders/{orderId}` (orders-api-subset.json);
money is integer cents. `priceDivergence` adds what this app decided: the values compared,
the divergence, the band and the decision. The approvers' names stay in the seller's admin.
"""

from django.utils import translation

from connectors.status_changes import iso
from orders.models import Order, OrderEvent, OrderItem
from orders.statuses import OrderStatus


def contract_text(text) -> str:
    """A label the contract shows, in English whatever language the request asked for."""
    with translation.override("en"):
        return str(text)


NOT_CANCELABLE = frozenset({OrderStatus.INVOICED, OrderStatus.CANCELED})
AUTHORIZED = frozenset({OrderStatus.PAYMENT_PENDING, OrderStatus.READY_FOR_HANDLING})


def _when(value):
    return iso(value) if value else None


def _address(payload: dict) -> dict:
    address = dict((payload.get("shippingData", {}).get("selectedAddresses") or [{}])[0])
    coordinates = address.pop("geoCoordinates", None)
    document = {key: value for key, value in address.items() if value is not None}
    if coordinates:
        document["geoCoordinates"] = [coordinates["longitude"], coordinates["latitude"]]
    return document


def _logistics(order: Order, items: list[OrderItem]) -> list[dict]:
    declared = order.payload.get("shippingData", {}).get("logisticsInfo") or []
    lines = []
    for item in items:
        info = declared[item.index] if item.index < len(declared) else {}
        line = {
            "itemIndex": item.index,
            "selectedSla": item.sla,
            "selectedDeliveryChannel": item.delivery_channel,
            "lockTTL": info.get("lockTTL") or "",
            "price": item.freight_cents,
            "listPrice": item.freight_cents,
            "sellingPrice": item.freight_cents,
            "shippingEstimate": info.get("shippingEstimate") or "",
            "sellerFreight": item.seller_freight_cents,
        }
        if item.stock_id:
            line["deliveryIds"] = [
                {"warehouseId": item.stock.warehouse.warehouse_id, "quantity": item.quantity}
            ]
        lines.append(line)
    return lines


def _client(payload: dict) -> dict:
    profile = payload.get("clientProfileData") or {}
    document = {
        key: profile.get(key) or "" for key in ("email", "firstName", "lastName", "phone", "document")
    }
    for key in ("corporateName", "tradeName", "corporateDocument", "stateInscription", "corporatePhone"):
        document[key] = profile.get(key)
    document["isCorporate"] = bool(profile.get("corporateDocument"))
    return document


def _packages(events: list[OrderEvent], items: list[OrderItem]) -> list[dict]:
    """The order's invoices, the last receipt of each number winning, as `packageAttachment.packages`."""
    index_of = {}
    for item in items:
        index_of.setdefault(item.sku_id, item.index)
    packages: dict[tuple[str, str], dict] = {}
    for event in events:
        number = (event.data or {}).get("invoiceNumber")
        if event.to_status == OrderStatus.INVOICED and number:
            # Invoiced in the admin: only the number is known, until the connector sends the invoice.
            packages[("Output", number)] = {
                "type": "Output",
                "invoiceNumber": number,
                "issuanceDate": iso(event.created_at),
                "items": [],
            }
        invoice = (event.data or {}).get("invoice") if event.kind == OrderEvent.Kind.NOTE else None
        if not invoice:
            continue
        package = {
            "type": invoice["type"],
            "invoiceNumber": invoice["invoiceNumber"],
            "invoiceValue": invoice["invoiceValue"],
            "issuanceDate": invoice["issuanceDate"],
            "invoiceKey": invoice.get("invoiceKey"),
            "invoiceUrl": invoice.get("invoiceUrl"),
            "courier": invoice.get("courier"),
            "trackingNumber": invoice.get("trackingNumber"),
            "trackingUrl": invoice.get("trackingUrl"),
            "items": [
                {"itemIndex": index_of[line["id"]], "quantity": line["quantity"], "price": line["price"]}
                for line in invoice.get("items") or []
                if line["id"] in index_of
            ],
            "receipt": event.data["receipt"],
            "receivedAt": iso(event.created_at),
        }
        if invoice.get("embeddedInvoice") is not None:
            package["embeddedInvoice"] = invoice["embeddedInvoice"]
        packages[(invoice["type"], invoice["invoiceNumber"])] = package
    return list(packages.values())


def _decision(order: Order) -> dict | None:
    task = getattr(order, "approval_task", None)
    if task is None:
        return None
    return {
        "decision": task.decision or None,
        "decidedAt": _when(task.decided_at),
        "reasonCode": task.reason_code or None,
        "note": task.note or None,
    }


def _cancellation(order: Order, events: list[OrderEvent]) -> dict | None:
    event = next((e for e in events if e.to_status == OrderStatus.CANCELED), None)
    if event is None:
        return None
    reason = (event.data or {}).get("reason") or (event.data or {}).get("note") or event.note
    return {
        "RequestedByUser": event.actor_id is not None,
        "RequestedBySystem": event.actor_id is None and event.actor_label == "system",
        "RequestedBySellerNotification": False,
        "RequestedByPaymentNotification": False,
        "Reason": reason or None,
        "CancellationDate": iso(event.created_at),
    }


def order_document(order: Order) -> dict:
    """Return the order as `GET /api/oms/pvt/orders/{orderId}` answers it."""
    items = list(order.items.all())
    events = list(order.events.all())
    connector = order.connector
    authorized = next(
        (e.created_at for e in events if e.to_status in AUTHORIZED or e.to_status == OrderStatus.HANDLING),
        None,
    )
    invoiced = next((e.created_at for e in events if e.to_status == OrderStatus.INVOICED), None)
    cancellation = _cancellation(order, events)
    band = order.band or {}
    return {
        "orderId": order.main_order_id,
        "marketplaceOrderId": order.marketplace_order_id,
        "franchiseOrderId": order.franchise_order_id or None,
        "origin": "Fulfillment",
        "affiliateId": connector.affiliate_id,
        "salesChannel": connector.sales_channel,
        "hostname": order.account.name,
        "status": order.status,
        "statusDescription": contract_text(order.get_status_display()),
        "workflowIsInError": False,
        "value": order.payment_value_cents,
        "creationDate": iso(order.created_at),
        "lastChange": iso(order.updated_at),
        "isCompleted": True,
        "allowCancellation": order.status not in NOT_CANCELABLE,
        "allowEdition": False,
        "authorizedDate": _when(authorized),
        "invoicedDate": _when(invoiced),
        "cancelReason": cancellation["Reason"] if cancellation else None,
        "cancellationData": cancellation,
        "totals": [
            {"id": "Items", "name": "Items total", "value": sum(i.price_cents * i.quantity for i in items)},
            {"id": "Discounts", "name": "Discounts total", "value": 0},
            {"id": "Shipping", "name": "Shipping total", "value": sum(i.freight_cents for i in items)},
            {"id": "Tax", "name": "Tax total", "value": order.tax_cents},
        ],
        "items": [
            {
                "uniqueId": f"{order.main_order_id}-{item.index}",
                "id": item.sku_id,
                "sellerSku": item.sku_id,
                "name": item.name,
                "quantity": item.quantity,
                "seller": "1",
                "price": item.price_cents,
                "listPrice": item.price_cents,
                "sellingPrice": item.price_cents,
                "measurementUnit": "un",
                "unitMultiplier": 1,
                "isGift": False,
                "sellerPrice": item.seller_price_cents,
                "divergencePercent": f"{item.divergence_percent:.2f}",
                "reservedQuantity": item.reserved_quantity,
            }
            for item in items
        ],
        "shippingData": {
            "id": "shippingData",
            "isFob": order.payload.get("shippingData", {}).get("isFob") is True,
            "address": _address(order.payload),
            "logisticsInfo": _logistics(order, items),
        },
        "clientProfileData": _client(order.payload),
        "marketplace": {
            "name": connector.name,
            "baseURL": connector.endpoint,
            "isCertified": connector.type == "certified",
        },
        "packageAttachment": {"packages": _packages(events, items)},
        "priceDivergence": {
            "paidValue": order.paid_value_cents,
            "sellerValue": order.seller_value_cents,
            "divergencePercent": f"{order.divergence_percent:.2f}",
            "allowanceRate": f"{order.allowance_rate}" if order.allowance_rate is not None else None,
            "outcome": order.outcome,
            "reason": order.route_and_reason,
            "band": {"from": band["from"], "to": band["to"], "action": band["action"]} if band else None,
            "decision": _decision(order),
        },
    }
