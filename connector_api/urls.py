from django.urls import path

from . import api

urlpatterns = [
    path("orders", api.OrderIntegrationView.as_view(), name="order-integration"),
    path("orders/status", api.OrderStatusView.as_view(), name="order-integration-status"),
]
