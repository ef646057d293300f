"""Exports written in the background: a CSV of one admin list, as filtered when it was asked for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """One list exported by a worker: how far it got, and where the file is once written.

    The file is kept in the `exports` storage, which no URL serves: it leaves only through the
    download view, which asks the permission rule about every account the file may hold.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Writing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Deleted")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_label = models.CharField(
        max_length=100, help_text='The admin list exported, as "app_label.model_name".'
    )
    title = models.CharField(
        _("list"), max_length=200, help_text="What the list is called, as its page says."
    )
    query = models.TextField(
        blank=True, help_text="The list's filters, search and date range: its query string."
    )
    accounts = models.JSONField(default=list, help_text="Ids of the accounts whose rows the file may hold.")
    language = models.CharField(
        max_length=8, blank=True, help_text="The language the list was read in: the file's words are in it."
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Rows of the list, once counted.")
    done = models.PositiveBigIntegerField(default=0, help_text="Rows written so far.")
    file_path = models.CharField(max_length=255, blank=True, help_text="The file in the exports storage.")
    file_name = models.CharField(max_length=200, blank=True, help_text="The name it downloads under.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why it failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last wrote progress; long silent means lost."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        default_permissions = ()
        indexes = [
            models.Index(fields=["user", "-created_at"], name="export_user_recent"),
            models.Index(fields=["state", "created_at"], name="export_state"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED, self.State.EXPIRED)
