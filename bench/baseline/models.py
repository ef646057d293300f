from django.db import connection, models


class Submission(models.Model):
    """An order body as the bare endpoint stores it: one row, no checks."""

    marketplace_order_id = models.CharField(max_length=100)
    body = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bench_baseline"

    def __str__(self):
        return self.marketplace_order_id


def table_create() -> None:
    """Create the baseline's table when it is missing: the app has no migrations, being bench-only."""
    if Submission._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(Submission)


def table_drop() -> None:
    if Submission._meta.db_table in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.delete_model(Submission)
