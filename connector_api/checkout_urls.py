"""The previous protocol's fulfillment simulation, under /api/checkout/."""

from django.urls import path

from . import fulfillment_api

urlpatterns = [
    path(
        "pub/orderForms/simulation",
        fulfillment_api.FulfillmentSimulationView.as_view(),
        name="fulfillment-simulation",
    ),
]
