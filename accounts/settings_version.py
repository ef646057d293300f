"""The version of an account's processing settings, kept by the database (`SettingsVersion`).

Processing reads an account, its franchises, its connectors (with their feed and hook settings),
its rule, shipping policies and pickup points once a batch; with this number it reads them once a change instead
(`orders.intake.account_settings`). Every table those reads touch has a
trigger here that bumps the account's number in the same transaction as the write, whatever
wrote it: a service, the admin, a bulk update, a cascade. A test checks the reads touch no
table without one. PostgreSQL only: elsewhere there is no number, and nothing is kept.
"""

from collections.abc import Callable

from django.db import connection, migrations

from kit.together import fetch_later

from .models import SettingsVersion

FUNCTION = "accounts_settings_changed"


def settings_version(account_id: int) -> int | None:
    """The account's number now, or None where the database keeps none (not PostgreSQL)."""
    return settings_version_later(account_id)()


def settings_version_later(account_id: int) -> Callable[[], int | None]:
    """`settings_version`, its read sent now with others (`kit.together`): call the result for it."""
    if connection.vendor != "postgresql":
        return lambda: None
    found = fetch_later(_READ, [account_id])
    return lambda: found.rows[0][0] if found.rows else 0


_READ = f'SELECT "version" FROM "{SettingsVersion._meta.db_table}" WHERE "account_id" = %s'


# Versions come from one sequence, so a number is never given twice, not even to an account
# whose row was deleted: a process keeping a read under a number can never meet that number again.
SEQUENCE = "accounts_settings_version_seq"


def function_sql() -> str:
    table = SettingsVersion._meta.db_table
    return f"""
CREATE SEQUENCE IF NOT EXISTS {SEQUENCE};
CREATE OR REPLACE FUNCTION {FUNCTION}(changed bigint) RETURNS void AS $$
BEGIN
    IF changed IS NOT NULL THEN
        INSERT INTO "{table}" ("account_id", "version") VALUES (changed, nextval('{SEQUENCE}'))
        ON CONFLICT ("account_id") DO UPDATE SET "version" = nextval('{SEQUENCE}');
    END IF;
END
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str, *accounts_of: str) -> str:
    """A row trigger on `table` bumping the number of each account `accounts_of` give; in them,
    `row` stands for the row written (both the old and the new one of an update)."""
    old = " ".join(f"PERFORM {FUNCTION}({each.replace('row.', 'OLD.')});" for each in accounts_of)
    new = " ".join(f"PERFORM {FUNCTION}({each.replace('row.', 'NEW.')});" for each in accounts_of)
    return f"""
CREATE OR REPLACE FUNCTION {table}_settings_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN {old} END IF;
    IF TG_OP <> 'DELETE' THEN {new} END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_settings_changed AFTER INSERT OR UPDATE OR DELETE ON "{table}"
    FOR EACH ROW EXECUTE FUNCTION {table}_settings_changed();
"""


def drop_sql(table: str) -> str:
    return f'DROP TRIGGER IF EXISTS {table}_settings_changed ON "{table}"; DROP FUNCTION IF EXISTS {table}_settings_changed();'


def on_postgresql(sql: str, reverse_sql: str):
    """A migration operation running `sql` on PostgreSQL only."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(reverse_sql)

    return migrations.RunPython(forward, backward, elidable=False)
