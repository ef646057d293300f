from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a background process last said it was alive: each worker by its name, and beat.

    Kept in the database every process shares, so that any web process can tell whether the
    workers and beat are running (`operations.health`).
    """

    name = models.CharField(max_length=200, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
