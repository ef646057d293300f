from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/authorization/", include("authorization.urls")),
    path("api/catalog/", include("catalog.urls")),
    path("api/order-integration/", include("connectors.urls")),
    path("api/fulfillment/", include("connectors.fulfillment_urls")),
    path("api/checkout/", include("connectors.checkout_urls")),
    # Before orders.urls, whose orders/<main_order_id> would take orders/feed.
    path("api/", include("connectors.oms_urls")),
    path("api/", include("orders.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler500 = "config.views.server_error"
