"""Connector authentication: the `X-VTEX-API-AppKey` + `X-VTEX-API-AppToken` pair of a connector."""

import hmac

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import Connector
from .services import app_token_digest


class ConnectorPrincipal:
    """Who is calling: a connector. Stands in for `request.user` on the connector API."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, connector: Connector):
        self.connector = connector

    def __str__(self):
        return f"connector {self.connector}"


class ConnectorAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        app_key = request.META.get("HTTP_X_VTEX_API_APPKEY", "")
        app_token = request.META.get("HTTP_X_VTEX_API_APPTOKEN", "")
        if not app_key or not app_token:
            raise exceptions.NotAuthenticated("Send the X-VTEX-API-AppKey and X-VTEX-API-AppToken headers.")
        connector = Connector.objects.select_related("account").filter(app_key=app_key).first()
        if connector is None or not hmac.compare_digest(
            connector.app_token_digest, app_token_digest(app_token)
        ):
            raise exceptions.AuthenticationFailed("Invalid X-VTEX-API-AppKey or X-VTEX-API-AppToken.")
        if not connector.active:
            raise exceptions.AuthenticationFailed("This connector is deactivated.")
        return ConnectorPrincipal(connector), connector

    def authenticate_header(self, request):
        return "X-VTEX-API-AppToken"


class ConnectorAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ConnectorAuthentication
    name = ["appKey", "appToken"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "X-VTEX-API-AppKey"},
            {"type": "apiKey", "in": "header", "name": "X-VTEX-API-AppToken"},
        ]

    def get_security_requirement(self, auto_schema):
        return {"appKey": [], "appToken": []}
