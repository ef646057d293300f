"""Times shown in the time zone of the signed-in user's accounts."""

from django.utils import timezone, translation

from .selectors import language_for, time_zone_for
from .services import browser_language_note


class AccountTimeZone:
    """Show a signed-in user's times in the time zone of their accounts.

    A user whose accounts share one zone — nearly everyone: one account — sees every time of
    the admin in it, and its date drill-downs and date filters count days in it; a user of
    accounts in several zones sees the server's TIME_ZONE. The admin's header names the zone
    either way. Calls to the APIs with tokens are not signed in here and are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = time_zone_for(user=request.user)
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# The user's chosen language ("" for none) kept in their session from sign-in, so that no request
# reads it again: `language_remember` on login, the preferences page when it changes.
SESSION_LANGUAGE = "accounts.language"


def language_remember(sender, request, user, **kwargs) -> None:
    """On sign-in: keep the language the user chose in their session; when they chose none,
    note the one their browser asked for, which their e-mails speak."""
    if request is not None and hasattr(request, "session"):
        chosen = request.session[SESSION_LANGUAGE] = language_for(user=user)
        if not chosen:
            browser_language_note(user=user, language=translation.get_language() or "")


class UserLanguage:
    """Speak a signed-in user's own language, when they chose one, over the browser's.

    `LocaleMiddleware` (before this) has activated the browser's Accept-Language, or the
    language cookie of the sign-in page's choice; a choice saved in the user's preferences wins.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = ""
        if getattr(request.user, "is_authenticated", False) and hasattr(request, "session"):
            language = request.session.get(SESSION_LANGUAGE)
            if language is None:  # a session begun before the preference existed: read once
                language = request.session[SESSION_LANGUAGE] = language_for(user=request.user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
