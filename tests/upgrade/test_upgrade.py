"""An installation of the pinned commit upgrades to today's code without losing a row (issue 15, item 6).

Once per run: `git archive` extracts the code of `PINNED_COMMIT` into a folder, and that code (with
this checkout's virtualenv) migrates an empty database of its own and fills it through its own
commands and services (`fill.py`). Today's `migrate` then upgrades it. Every table, column and row
the old code wrote must still be there with the same values, except the changes `CHANGED` names,
each with the value it must become (and `FILLED`, the new columns filled from a row's values);
and the seller API, the connector API and the Owner's admin read the upgraded rows back
(`read_back.py`).

It needs the repository's git history (a clone, not an export of the files) and PostgreSQL.
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

pytestmark = pytest.mark.upgrade

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# main before issue 15 moved models between apps: the installation every upgrade starts from.
PINNED_COMMIT = "19193dd3bea725135e5e2e435758db0872d92162"

# Values today's migrations change on purpose, as {(table, column): expected(row before)}. Every
# other value of every row the pinned commit wrote must come through unchanged, and no column or
# table may go.
CHANGED: dict[tuple[str, str], object] = {
    # Account, Membership and ApiToken moved to the accounts app (accounts.0001): their content
    # types keep their ids, so permissions, role groups and the admin's log follow them.
    ("django_content_type", "app_label"): lambda row: (
        "accounts"
        if (row["app_label"], row["model"])
        in {("authorization", model) for model in ("account", "membership", "apitoken")}
        else row["app_label"]
    ),
    # The packed "route:reason" of an order is split (orders.0005): the reason stays here …
    ("orders_order", "decision_reason"): lambda row: row["decision_reason"].rpartition(":")[2],
}

# … and the route goes to a column of its own. Columns today's migrations add and fill from what a
# row held, as {(table, column): expected(row before)}.
FILLED: dict[tuple[str, str], object] = {
    ("orders_order", "decision_route"): lambda row: row["decision_reason"].rpartition(":")[0],
}


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=False, capture_output=True, **kwargs)


def _pinned_tree(folder: Path) -> Path:
    """Extract the pinned commit's files into `folder`; skip when this checkout has no git history."""
    if shutil.which("git") is None or _git("cat-file", "-e", f"{PINNED_COMMIT}^{{commit}}").returncode:
        pytest.skip(
            f"the upgrade test builds the database of commit {PINNED_COMMIT[:12]} from the git history, "
            "which this checkout does not have (an export of the files, or a shallow clone): run it in a "
            "full clone"
        )
    archive = folder / "pinned.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", PINNED_COMMIT], check=True, stdout=out)
    tree = folder / "pinned"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def _server_url(database: dict, name: str) -> str:
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}/{name}"


def _run(command: list[str], *, cwd: Path, env: dict, stdin: str | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(command)} in {cwd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )
    return done.stdout


def _primary_key(connection, table: str) -> list[str]:
    rows = connection.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
        [table],
    ).fetchall()
    return [name for (name,) in rows]


def rows_of(url: str) -> dict[str, dict[tuple, dict]]:
    """Every row of every table: {table: {primary key: {column: value}}}."""
    tables = {}
    with psycopg.connect(url) as connection:
        names = connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        for (table,) in names:
            cursor = connection.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
            columns = [column.name for column in cursor.description]
            key = _primary_key(connection, table) or columns
            rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            tables[table] = {tuple(row[name] for name in key): row for row in rows}
    return tables


def losses(before: dict, after: dict) -> list[str]:
    """What of `before` is missing or changed in `after`, beyond what `CHANGED` allows."""
    found = []
    for table, rows in before.items():
        if table not in after:
            found.append(f"table {table} is gone ({len(rows)} rows)")
            continue
        for key, row in rows.items():
            kept = after[table].get(key)
            if kept is None:
                found.append(f"{table} {key} is gone")
                continue
            for column, value in row.items():
                expected = CHANGED[(table, column)](row) if (table, column) in CHANGED else value
                if column not in kept:
                    found.append(f"{table}.{column} is gone")
                    break
                if kept[column] != expected:
                    should = f", not {expected!r}" if expected != value else ""
                    found.append(f"{table} {key} {column}: {value!r} became {kept[column]!r}{should}")
            for (filled_table, column), expected_of in FILLED.items():
                if filled_table == table and kept.get(column) != expected_of(row):
                    found.append(f"{table} {key} {column}: {kept.get(column)!r}, not {expected_of(row)!r}")
    return found


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory):
    """Fill a database at the pinned commit, then migrate it with today's code; yield what both saw."""
    database = settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        message = "the upgrade test needs PostgreSQL (DATABASE_URL): run bin/test"
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("upgrade")
    tree = _pinned_tree(folder)
    shutil.copy(HERE / "fill.py", tree / "upgrade_fill.py")

    # A database of this run's own, beside its test database.
    name = f"{database.get('TEST', {}).get('NAME') or 'test_' + database['NAME']}_upgrade"
    server = _server_url(database, "postgres")
    url = _server_url(database, name)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=url,
        # Tasks run in the process, as a worker would run them, so the fill has every row they write.
        CELERY_TASK_ALWAYS_EAGER="1",
        OUTBOUND_ALLOW_PRIVATE_URLS="1",
        HOOK_ALLOW_PRIVATE_URLS="1",
        NOTIFICATION_TIMEOUT_SECONDS="1",
        EMAIL_URL="memorymail://",
        EXPORT_ROOT=str(folder / "exports"),
        IMPORT_ROOT=str(folder / "imports"),
        LOG_LEVEL="WARNING",
    )
    try:
        handles = json.loads(
            _run([sys.executable, "upgrade_fill.py", str(folder)], cwd=tree, env=env).splitlines()[-1]
        )
        before = rows_of(url)
        _run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env)
        after = rows_of(url)
        account = next(
            row for row in before["authorization_account"].values() if row["name"] == handles["account"]
        )
        orders = sorted(
            (row for row in before["orders_order"].values() if row["account_id"] == account["id"]),
            key=lambda row: row["id"],
        )
        exports = sorted(before["exports_export"].values(), key=lambda row: row["id"])
        arguments = {
            "handles": handles,
            "orders": [{"id": row["id"], "main_order_id": row["main_order_id"]} for row in orders],
            "export_ids": [row["id"] for row in exports],
            "account_id": account["id"],
        }
        read = json.loads(
            _run(
                [sys.executable, "-m", "tests.upgrade.read_back"],
                cwd=ROOT,
                env=env,
                stdin=json.dumps(arguments),
            )
            .strip()
            .splitlines()[-1]
        )
        yield {
            "before": before,
            "after": after,
            "read": read,
            "account": account,
            "orders": orders,
            "exports": exports,
            "export_root": folder / "exports",
            "handles": handles,
        }
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_the_pinned_installation_holds_every_kind_of_row(upgrade):
    """The fill wrote what an installation has: without it, "nothing was lost" would prove little."""
    before = upgrade["before"]
    statuses = {row["status"] for row in upgrade["orders"]}
    assert statuses == {
        "waiting-for-manual-authorization",
        "payment-pending",
        "ready-for-handling",
        "handling",
        "invoiced",
        "canceled",
    }
    roles = {row["role"] for row in before["authorization_membership"].values()}
    assert roles == {"owner", "oms-full", "approver", "viewer"}
    for table in (
        "authorization_apitoken",
        "authorization_rulerevision",
        "authorization_authorizationband",
        "authorization_approvaltask",
        "orders_orderevent",
        "orders_intakerecord",
        "insight_decisionrecord",
        "connectors_notification",
        "connectors_notificationattempt",
        "connectors_hookdelivery",
        "connectors_hookattempt",
        "connectors_feeditem",
        "exports_export",
        "django_admin_log",
    ):
        assert before[table], f"the fill wrote no {table}"
    assert len(before["authorization_rulerevision"]) == 2
    assert {row["decision"] for row in before["authorization_approvaltask"].values()} == {
        "approved",
        "denied",
        "",
    }
    assert [row["state"] for row in upgrade["exports"]] == ["ready"]


def test_every_row_keeps_its_values_across_the_upgrade(upgrade):
    found = losses(upgrade["before"], upgrade["after"])
    assert not found, f"{len(found)} losses, the first: " + "\n".join(found[:30])


def test_a_lost_column_or_row_is_caught():
    """The comparison itself: a dropped column, a deleted row, a changed value are each reported."""
    before = {"t": {(1,): {"id": 1, "a": "x", "b": 2}, (2,): {"id": 2, "a": "y", "b": 3}}}
    assert losses(before, before) == []
    assert losses(before, {"t": {(1,): {"id": 1, "a": "x"}, (2,): {"id": 2, "a": "y"}}}) == [
        "t.b is gone",
        "t.b is gone",
    ]
    assert losses(before, {"t": {(1,): before["t"][(1,)]}}) == ["t (2,) is gone"]
    assert losses(before, {"t": {**before["t"], (2,): {"id": 2, "a": "z", "b": 3}}}) == [
        "t (2,) a: 'y' became 'z'"
    ]
    assert losses(before, {}) == ["table t is gone (2 rows)"]

    packed = {"orders_order": {(1,): {"id": 1, "decision_reason": "rule:band"}}}
    split = {"orders_order": {(1,): {"id": 1, "decision_reason": "band", "decision_route": "rule"}}}
    assert losses(packed, split) == []
    split["orders_order"][(1,)]["decision_route"] = ""
    assert losses(packed, split) == ["orders_order (1,) decision_route: '', not 'rule'"]


def test_the_seller_api_reads_every_order_with_its_status_and_events(upgrade):
    read, before = upgrade["read"], upgrade["before"]
    listed = read["seller_orders"]
    assert listed["status"] == 200, listed
    body = listed["body"]
    results = body["results"] if isinstance(body, dict) else body
    assert {(order["mainOrderId"], order["status"]) for order in results} == {
        (row["main_order_id"], row["status"]) for row in upgrade["orders"]
    }
    for row in upgrade["orders"]:
        answer = read["seller_order"][row["main_order_id"]]
        assert answer["status"] == 200, answer
        order = answer["body"]
        assert (order["status"], order["paidValue"], order["sellerValue"]) == (
            row["status"],
            row["paid_value_cents"],
            row["seller_value_cents"],
        )
        events = [event for event in before["orders_orderevent"].values() if event["order_id"] == row["id"]]
        assert len(order["events"]) == len(events)


def test_the_rule_and_its_history_read_back(upgrade):
    read, before = upgrade["read"], upgrade["before"]
    assert read["rule"]["status"] == 200, read["rule"]
    bands = sorted(before["authorization_authorizationband"].values(), key=lambda band: band["lower_percent"])
    assert [band["approvers"] for band in read["rule"]["body"]["bands"]] == [
        band["approvers"] for band in bands
    ]
    assert read["rule_history"]["status"] == 200
    assert len(read["rule_history"]["body"]) == len(before["authorization_rulerevision"])


def test_the_connector_reads_its_orders(upgrade):
    for main_order_id, answer in upgrade["read"]["connector_order"].items():
        assert answer["status"] == 200, (main_order_id, answer)


def test_the_owner_opens_the_admin_on_the_upgraded_rows(upgrade):
    pages, before = upgrade["read"]["admin"], upgrade["before"]
    for path, page in pages.items():
        assert page["status"] == 200, (path, page["status"], page["text"][:500])
        assert not page["url"].startswith("/admin/login/"), path
    order_list = pages["/admin/orders/order/"]["text"]
    for row in upgrade["orders"]:
        assert row["main_order_id"] in order_list
        assert row["main_order_id"] in pages[f"/admin/orders/order/{row['id']}/change/"]["text"]
    emails = {user["id"]: user["email"] for user in before["auth_user"].values()}
    team = pages["/admin/authorization/membership/"]["text"]
    for membership in before["authorization_membership"].values():
        assert emails[membership["user_id"]] in team
    for export in upgrade["exports"]:
        written = (upgrade["export_root"] / export["file_path"]).read_bytes().decode()
        assert pages[f"/admin/exports/export/{export['id']}/download/"]["text"] == written
