"""Seller order API, under /api/. More specific paths (feed, approve, deny) go before the detail."""

from django.urls import path

from . import api

urlpatterns = [
    path("orders", api.OrdersApi.as_view(), name="orders"),
    path("orders/<str:main_order_id>/approve", api.OrderApproveApi.as_view(), name="order-approve"),
    path("orders/<str:main_order_id>/deny", api.OrderDenyApi.as_view(), name="order-deny"),
    path("orders/<str:main_order_id>", api.OrderApi.as_view(), name="order"),
]
