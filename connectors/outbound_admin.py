"""What the admins of outbox rows owed to connectors share (notifications, hook deliveries).

Read-only for every member of the account: the state, the next attempt, the body, every
attempt. A failed row may be sent again, from its first try, by a user who manages the
account's connectors (Owner, OMS Full), with the list's action or the detail page's button.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import ReadOnlyAccountAdmin
from accounts.roles import MANAGE_CONNECTORS
from kit.admin_display import ChangesNothing, badge, moment, pretty_json

from .models import DeliveryState

# Why `resend_row` did not resend a row the page read failed: another user's resend took it first.
NO_LONGER_FAILED = _("it is no longer failed.")


class AttemptInline(ChangesNothing, admin.TabularInline):
    """The tries of one row; seen by whoever sees the row (`parent_view_perm`), changed by no one."""

    fields = readonly_fields = ["attempted", "status", "duration", "error"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("Attempts")
    parent_view_perm = ""

    @admin.display(description=_("Time"))
    def attempted(self, attempt):
        return moment(attempt.attempted_at)

    @admin.display(description=_("HTTP status"))
    def status(self, attempt):
        return attempt.http_status or "-"

    @admin.display(description=_("Duration (ms)"))
    def duration(self, attempt):
        return attempt.duration_ms

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(self.parent_view_perm)
        return request.user.has_perm(self.parent_view_perm, obj)


class OutboxAdmin(ReadOnlyAccountAdmin):
    """An outbox's list and detail page, with resend. Subclasses say how to name a row
    (`label`), where it goes (`target`) and how it is resent (`resend_row`)."""

    actions = ["resend"]
    resend_select_related: tuple[str, ...] = ("connector",)

    def label(self, row) -> str:
        raise NotImplementedError

    def target(self, row) -> str:
        raise NotImplementedError

    def resend_row(self, row) -> str | None:
        """Resend a failed row; return why it was not resent, or None."""
        raise NotImplementedError

    @admin.display(description=_("State"), ordering="state")
    def state_badge(self, row):
        return badge(row.state, row.get_state_display())

    @admin.display(description=_("Next attempt"), ordering="next_attempt_at")
    def next_attempt(self, row):
        return moment(row.next_attempt_at) if row.state == DeliveryState.PENDING else "-"

    @admin.display(description=_("Body"))
    def body_pretty(self, row):
        return pretty_json(row.body)

    # Resending

    def has_resend_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm(MANAGE_CONNECTORS)
        return request.user.has_perm(MANAGE_CONNECTORS, obj)

    @admin.action(description=_("Resend"), permissions=["resend"])
    def resend(self, request, queryset):
        self.resend_rows(request, queryset.select_related(*self.resend_select_related))

    def resend_rows(self, request, rows) -> None:
        """Resend each failed row the user may, and say in a message what became of each."""
        noun = self.opts.verbose_name_plural
        for row in rows:
            label = self.label(row)
            if not self.has_resend_permission(request, row):
                messages.error(
                    request,
                    gettext("%(row)s: only an Owner or OMS Full user may resend it.") % {"row": label},
                )
                continue
            if row.state != DeliveryState.FAILED:
                messages.warning(
                    request,
                    gettext("%(row)s: not resent, it is %(state)s; only failed %(rows)s are.")
                    % {"row": label, "state": row.get_state_display().lower(), "rows": noun},
                )
                continue
            refusal = self.resend_row(row)
            if refusal:
                messages.warning(
                    request, gettext("%(row)s: not resent, %(why)s") % {"row": label, "why": refusal}
                )
                continue
            self.log_change(request, row, "Resent.")
            # Not refresh_from_db(): the row may be gone already, its connector or account deleted.
            row = type(row)._default_manager.filter(pk=row.pk).first()
            if row is None:
                messages.warning(
                    request, gettext("%(row)s: resent, but it was deleted meanwhile.") % {"row": label}
                )
            elif row.state == DeliveryState.DELIVERED:
                messages.success(
                    request,
                    gettext("%(row)s: resent, delivered to %(target)s.")
                    % {"row": label, "target": self.target(row)},
                )
            elif row.state == DeliveryState.FAILED:
                messages.error(
                    request,
                    gettext("%(row)s: resent, failed again: %(error)s")
                    % {"row": label, "error": row.last_error},
                )
            else:
                messages.success(
                    request,
                    gettext("%(row)s: queued to be sent again to %(target)s.")
                    % {"row": label, "target": self.target(row)},
                )

    def _resend_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_resend"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name=self._resend_url_name(),
            ),
            *super().get_urls(),
        ]

    def resend_view(self, request, object_id):
        """The detail page's button: resend one failed row."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        row = self.get_object(request, unquote(object_id))
        if row is None:
            raise Http404(gettext("No such %(row)s.") % {"row": self.opts.verbose_name})
        if not self.has_resend_permission(request, row):
            raise PermissionDenied
        self.resend_rows(request, [row])
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[row.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        row = self.get_object(request, unquote(object_id))
        if row is not None:
            extra_context = {
                **(extra_context or {}),
                "may_resend": row.state == DeliveryState.FAILED and self.has_resend_permission(request, row),
                "resend_url": reverse(f"admin:{self._resend_url_name()}", args=[row.pk]),
            }
        return super().change_view(request, object_id, form_url, extra_context)
