"""The signed-in user's own preferences page in the admin: the language it speaks to them."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .middleware import SESSION_LANGUAGE
from .selectors import language_for
from .services import language_set


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[("", gettext_lazy("The language my browser asks for")), *settings.LANGUAGES],
        required=False,
    )


def preferences(request):
    """Show and save the user's language; the page answers in the new language at once."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            language = form.cleaned_data["language"]
            language_set(user=request.user, language=language, actor=request.user)
            request.session[SESSION_LANGUAGE] = language
            translation.activate(language or translation.get_language_from_request(request))
            messages.success(request, _("Your language is saved."))
            response = HttpResponseRedirect(reverse("preferences"))
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language or "", samesite="Lax")
            return response
    else:
        form = PreferencesForm(initial={"language": language_for(user=request.user)})
    context = {
        **admin.site.each_context(request),
        "title": _("Your preferences"),
        "form": form,
    }
    return TemplateResponse(request, "admin/accounts/preferences.html", context)


preferences_view = admin.site.admin_view(preferences)
