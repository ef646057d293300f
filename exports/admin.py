"""Exports in the admin: "Export CSV" on a list, the background export's progress page, and the download.

`ExportableAdmin` gives a list its export: the CSV holds the rows the list shows, every page,
with its filters, search, date range and sort order. Up to `EXPORT_INLINE_MAX_ROWS` rows it
streams at once; a longer list is offered as a background export, whose page follows its
progress and offers the file when ready. The file is downloaded only through `download_view`,
which asks the list's own permission (the one rule) about every account the file may hold.
"""

import re

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpResponseNotAllowed,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.backends import account_roles
from kit.admin_display import ADMIN_CSS, badge
from kit.admin_lists import ROWS, ViewOnlyAdmin, count_capped, list_refused
from kit.numbers import count, percent

from .lists import (
    exportable_admin,
    list_accounts,
    list_query,
    list_request,
    list_rows,
    list_title,
    zone_label,
)
from .models import Export
from .selectors import export_of, exports_of, may_see_rows_of
from .services import CHUNK_ROWS, FAILURES, export_start, export_storage, inline_max, retention
from .tables import CsvTable, csv_lines, csv_text


class Unpaged(Paginator):
    """An export reads every row: its list's page is never read, nor counted."""

    count = 0


def changelist_url(label: str, query: str = "") -> str:
    return reverse(f"admin:{label.replace('.', '_')}_changelist") + (f"?{query}" if query else "")


class ExportableAdmin:
    """Admin mixin: the list's "Export CSV", its columns said by `export_table`."""

    export_table: CsvTable | None = None
    change_list_template = "admin/exports/list_with_export.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        return [
            path("export.csv", self.admin_site.admin_view(self.export_view), name=name),
            *super().get_urls(),
        ]

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if getattr(request, "exporting", False):
            return Unpaged(queryset, per_page)
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)

    def changelist_view(self, request, extra_context=None):
        query = list_query(request.GET)
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_export")
        extra_context = {**(extra_context or {}), "export_url": url + (f"?{query}" if query else "")}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        """Stream the list as filtered, every page; offer a background export when it is too long."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = list_query(request.GET)
        try:
            rows = list_rows(self, list_request(user=request.user, query=query))
        except IncorrectLookupParameters:
            return list_refused(self)
        limit = inline_max()
        if count_capped(rows, cap=limit) > limit:
            return self.export_offer(request, query, limit)
        lines = csv_lines(
            self.export_table,
            rows.iterator(chunk_size=CHUNK_ROWS),
            zone=zone_label(list_accounts(user=request.user, query=query)),
        )
        response = StreamingHttpResponse(csv_text(lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.export_table.file_name()}"'
        return response

    def export_offer(self, request, query: str, limit: int):
        """Say the list is too long to download at once, and offer to write it in the background."""
        return TemplateResponse(
            request,
            "admin/exports/export/offer.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Export: %(list)s") % {"list": list_title(self)},
                "limit": count(limit),
                "nouns": self.export_table.nouns[1],
                "list_label": self.opts.label_lower,
                "query": query,
                "list_url": changelist_url(self.opts.label_lower, query),
            },
        )


def progress_words(export: Export) -> str:
    """Say how far the export got, as its page does while it reloads itself."""
    listed = exportable_admin(export.list_label)
    nouns = listed.export_table.nouns if listed else ROWS
    total, done = export.total, export.done
    counted = f"{count(total)} {nouns[0] if total == 1 else nouns[1]}" if total is not None else ""
    if export.state == Export.State.PENDING:
        return _("Waiting for a worker to start it.")
    if export.state == Export.State.RUNNING and total is None:
        return _("Counting the %(rows)s…") % {"rows": nouns[1]}
    if export.state == Export.State.RUNNING:
        share = min(100, done * 100 // total) if total else 100
        return _("Writing: %(done)s of %(total)s (%(share)s).") % {
            "done": count(min(done, total)),
            "total": counted,
            "share": percent(share),
        }
    if export.state == Export.State.READY:
        return _("Ready: %(total)s.") % {"total": counted}
    if export.state == Export.State.FAILED:
        return _("Failed: %(error)s") % {"error": failure_words(export.error)}
    return _("Deleted: files are kept %(hours)s after they are written.") % {"hours": retention_words()}


def _template_pattern(template: str) -> re.Pattern:
    """Match a text written from `template`, its `%(name)s` placeholders as named groups."""
    parts = re.split(r"%\((\w+)\)s", template)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)" for index, part in enumerate(parts)
    )
    return re.compile(pattern + r"\Z", re.S)


def failure_words(error: str) -> str:
    """Say why an export failed in the reader's language, when it is one of the reasons the app writes."""
    for template in FAILURES:
        found = _template_pattern(template).match(error)
        if found:
            return _(template) % found.groupdict()
    return error


def shown_title(export: Export) -> str:
    """The list's name in the reader's language; the one it had when exported, once the list is gone."""
    listed = exportable_admin(export.list_label)
    return list_title(listed) if listed else export.title


def retention_words() -> str:
    hours = int(retention().total_seconds() // 3600)
    return ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": count(hours)}


@admin.register(Export)
class ExportAdmin(ViewOnlyAdmin):
    """The user's exports: their progress, and the files while they are kept."""

    list_display = ["created_at", "list_name", "state_badge", "rows", "download"]
    list_display_links = None
    list_per_page = 50

    class Media:
        css = ADMIN_CSS

    def has_module_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or bool(account_roles(user)))

    def get_queryset(self, request):
        return exports_of(user=request.user)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "title": _("Your exports")})

    @admin.display(description=gettext_lazy("List"))
    def list_name(self, export):
        return shown_title(export)

    @admin.display(description=gettext_lazy("State"))
    def state_badge(self, export):
        return badge(export.state, export.get_state_display())

    @admin.display(description=gettext_lazy("Rows"))
    def rows(self, export):
        if export.total is None:
            return "-"
        if export.finished:
            return count(export.total)
        return _("%(done)s of %(total)s") % {"done": count(export.done), "total": count(export.total)}

    @admin.display(description=gettext_lazy("File"))
    def download(self, export):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:exports_export_progress", args=[export.pk]),
            export.file_name if export.state == Export.State.READY else _("Progress"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="exports_export_changelist"),
            path("start/", view(self.start_view), name="exports_export_start"),
            path("<int:export_id>/", view(self.progress_view), name="exports_export_progress"),
            path("<int:export_id>/download/", view(self.download_view), name="exports_export_download"),
        ]

    def start_view(self, request):
        """Start the background export of a list as filtered; answer with its progress page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        model_admin = exportable_admin(request.POST.get("list", ""))
        if model_admin is None:
            raise Http404(_("No such list to export."))
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        query = list_query(QueryDict(request.POST.get("query", "")))
        try:
            list_rows(model_admin, list_request(user=request.user, query=query))
        except IncorrectLookupParameters:
            return list_refused(model_admin)
        export = export_start(
            user=request.user,
            model_admin=model_admin,
            query=query,
            accounts=list_accounts(user=request.user, query=query),
        )
        return redirect(reverse("admin:exports_export_progress", args=[export.pk]))

    def mine(self, request, export_id) -> Export:
        export = export_of(user=request.user, export_id=export_id)
        if export is None:
            raise Http404(_("No such export of yours."))
        return export

    def progress_view(self, request, export_id):
        export = self.mine(request, export_id)
        listed = exportable_admin(export.list_label)
        return TemplateResponse(
            request,
            "admin/exports/export/progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Export: %(list)s") % {"list": shown_title(export)},
                "list_name": shown_title(export),
                "export": export,
                "words": progress_words(export),
                "filters": [(name, ", ".join(values)) for name, values in QueryDict(export.query).lists()],
                "may_download": export.state == Export.State.READY and may_see_rows_of(request, export),
                "kept_until": export.finished_at + retention() if export.finished_at else None,
                "list_url": changelist_url(export.list_label, export.query) if listed else "",
            },
        )

    def download_view(self, request, export_id):
        """Send the file, to its owner, while every account in it is one whose list they may see."""
        export = self.mine(request, export_id)
        if export.state != Export.State.READY or not export.file_path:
            raise Http404(_("This export has no file."))
        if not may_see_rows_of(request, export):
            raise PermissionDenied
        return FileResponse(
            export_storage().open(export.file_path, "rb"),
            as_attachment=True,
            filename=export.file_name,
            content_type="text/csv; charset=utf-8",
        )
