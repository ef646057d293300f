"""Seller API authentication: `Authorization: Token <key>`, checked against a stored digest; and the
account a request names."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions

from kit.logs import log_context_set

from .models import Account, ApiToken
from .selectors import accounts_for
from .services import token_digest


class UserTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <key>'.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The token has characters a token never has.") from None
        token = ApiToken.objects.select_related("user").filter(key_digest=token_digest(key)).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class UserTokenScheme(OpenApiAuthenticationExtension):
    target_class = UserTokenAuthentication
    name = "sellerToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=UserTokenAuthentication.keyword
        )


def request_account(request) -> Account:
    """Return the account named by `?an=`, or the user's only account when `an` is absent.

    An account the user does not belong to answers 403, whether it exists or not.
    """
    visible = accounts_for(user=request.user)
    name = request.query_params.get("an")
    if not name:
        only = list(visible[:2])
        if len(only) == 1:
            log_context_set(account_id=only[0].pk)
            return only[0]
        raise exceptions.ValidationError({"an": ["Name the account: ?an=ACCOUNT."]})
    account = visible.filter(name=name).first()
    if account is None:
        raise exceptions.PermissionDenied(f"You have no access to account '{name}'.")
    log_context_set(account_id=account.pk)
    return account
