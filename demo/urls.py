from django.urls import re_path

from .views import connector_receive

# Under RECEIVER_PATH: the endpoint itself and every path a connector is called on below it.
urlpatterns = [re_path(r"^(?:/(?P<rest>.*))?$", connector_receive, name="demo-connector")]
