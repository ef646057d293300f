from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

from .views import BareOrders

urlpatterns = [path("bench/baseline/orders", BareOrders.as_view()), *app_urlpatterns]
