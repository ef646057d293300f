from django.urls import path

from . import api

urlpatterns = [
    path("skus", api.SkusApi.as_view(), name="catalog-skus"),
    path("shipping-policies", api.ShippingPoliciesApi.as_view(), name="catalog-shipping-policies"),
    path("pickup-points", api.PickupPointsApi.as_view(), name="catalog-pickup-points"),
]
