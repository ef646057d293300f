"""The previous protocol's fulfillment endpoints, under /api/fulfillment/."""

from django.urls import path

from . import fulfillment_api

urlpatterns = [
    path("pvt/orders", fulfillment_api.FulfillmentOrdersView.as_view(), name="fulfillment-orders"),
    path(
        "pvt/orders/<str:order_id>/fulfill",
        fulfillment_api.AuthorizeDispatchView.as_view(),
        name="fulfillment-authorize-dispatch",
    ),
]
