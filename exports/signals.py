"""A deleted export takes its file with it.

Exports are deleted with their user (and by hand in the database): the file, which holds
customers' names and e-mails, must not stay behind on disk with nothing left to expire it.
"""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Export


@receiver(post_delete, sender=Export)
def delete_the_file(sender, instance: Export, **kwargs) -> None:
    """Once the deletion commits (a rolled-back one keeps the file), delete the export's file."""
    if not instance.file_path:
        return
    from .services import export_storage

    path = instance.file_path
    transaction.on_commit(lambda: export_storage().delete(path), robust=True)
