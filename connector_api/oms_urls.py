"""The OMS API for connectors, under /api/: orders, feed and hook. Included before the seller's `api/orders/…`."""

from django.urls import path

from . import feed_api, hook_api, oms_api

urlpatterns = [
    path("orders/feed/config", feed_api.FeedConfigApi.as_view(), name="oms-feed-config"),
    path("orders/feed", feed_api.FeedApi.as_view(), name="oms-feed"),
    path("orders/hook/config", hook_api.HookConfigApi.as_view(), name="oms-hook-config"),
    path("oms/pvt/orders/<str:order_id>", oms_api.OrderApi.as_view(), name="oms-order"),
    path("oms/pvt/orders/<str:order_id>/cancel", oms_api.OrderCancelApi.as_view(), name="oms-order-cancel"),
    path(
        "oms/pvt/orders/<str:order_id>/invoice", oms_api.OrderInvoiceApi.as_view(), name="oms-order-invoice"
    ),
]
