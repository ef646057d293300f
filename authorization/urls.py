from django.urls import path

from . import api

urlpatterns = [
    path("price-divergence-rule", api.PriceDivergenceRuleView.as_view(), name="price-divergence-rule"),
    path(
        "price-divergence-rule/history",
        api.PriceDivergenceRuleHistoryView.as_view(),
        name="price-divergence-rule-history",
    ),
]
