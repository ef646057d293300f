"""The seller API of the account's own settings, under /api/."""

from django.urls import path

from . import api

urlpatterns = [
    path("account", api.AccountSettingsApi.as_view(), name="account-settings"),
]
