from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csp import csp_override
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.views import preferences_view
from orders.decision_link_views import decide

# Redoc writes styles into the page as it loads (before any nonce can reach it) and searches in a
# worker of its own making: on its page alone, styles written in the page and that worker are allowed.
REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}

admin.site.site_header = "Order Authorization"
admin.site.site_title = "Order Authorization"
admin.site.index_title = _("Orders, rules and connectors")

urlpatterns = [
    # The connectors' calls first: Django tries the patterns in turn for every request, and
    # these come the most often (a marketplace's orders), the admin's pages the least.
    path("api/order-integration/", include("connector_api.urls")),
    path("api/fulfillment/", include("connector_api.fulfillment_urls")),
    path("api/checkout/", include("connector_api.checkout_urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Accounts and team members moved from the authorization app to accounts: their old admin
    # addresses (bookmarks, links in old e-mails) lead to the new ones, with their query.
    re_path(
        r"^admin/authorization/(?P<model>account|membership)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/accounts/%(model)s/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/preferences/", preferences_view, name="preferences"),
    path("admin/", admin.site.urls),
    # A decision link from an approver's e-mail: its own page, outside the admin, without a sign-in.
    path("decide/<str:token>", decide, name="decide"),
    # Django's set_language, for choosing a language before signing in.
    path("i18n/", include("django.conf.urls.i18n")),
    # The admin's scripts' strings (`gettext()` in static/*/*.js), in the reader's language:
    # load `{% url 'javascript-catalog' %}` before a script that uses them.
    path(
        "i18n/scripts.js",
        JavaScriptCatalog.as_view(
            packages=["kit", "catalog", "authorization", "orders", "insight", "exports"]
        ),
        name="javascript-catalog",
    ),
    path("api/absences/", include("accounts.absence_urls")),
    path("api/", include("accounts.urls")),
    path("api/authorization/", include("authorization.urls")),
    path("api/catalog/", include("catalog.urls")),
    # Before orders.urls, whose orders/<main_order_id> would take orders/feed.
    path("api/", include("connector_api.oms_urls")),
    path("api/", include("orders.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    # The API docs from the app's own static files, with no script or style written in the page:
    # Swagger UI's start is a script of its own (`?script`).
    path(
        "api/docs",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "api/redoc",
        csp_override(REDOC_CSP)(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
    # The demo connector's receiver (bin/run): 404 unless DEMO_RECEIVER is on (demo/views.py).
    path("demo/connector", include("demo.urls")),
]

handler500 = "kit.views.server_error"
