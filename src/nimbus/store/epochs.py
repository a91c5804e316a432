"""A counter that every change to the tables authorization reads moves (embedded store).

The short path (``store/snapshots``) keeps what it read from these tables, and a read
transaction that finds the counter moved starts again from an empty cache. A request
then reads one tiny row instead of the five an authorization takes, and a change made
by any process (a revoked key, a new binding, a bucket's public access prevention) is
seen by the very next read, never later.

SQLite triggers move the counter, in the same transaction as the change. They belong
to the code, not to a migration: a migration that rebuilds a table (SQLite's batch
mode) drops the table's triggers, so they are installed again after every upgrade.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

AUTHORIZATION = "authorization"
# Everything the short path's authorization reads: the access token with its account,
# key and grant, the bucket, its project, their IAM policies and custom roles.
AUTHORIZATION_TABLES = frozenset(
    {
        "access_tokens",
        "refresh_tokens",
        "service_accounts",
        "service_account_keys",
        "buckets",
        "projects",
        "iam_policies",
        "custom_roles",
    }
)
CURRENT_EPOCH = f"SELECT value FROM store_epochs WHERE name = '{AUTHORIZATION}'"
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def install_triggers(connection: Connection) -> None:
    """(Re)create the triggers on every authorization table, as this code defines them."""
    for table in sorted(AUTHORIZATION_TABLES):
        for event in _EVENTS:
            trigger = f"store_epoch_{table}_{event.lower()}"
            connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
            connection.execute(
                text(
                    f"CREATE TRIGGER {trigger} AFTER {event} ON {table} BEGIN "
                    f"UPDATE store_epochs SET value = value + 1 WHERE name = '{AUTHORIZATION}'; "
                    "END"
                )
            )


def current_epoch(session: Session) -> int:
    """The epoch as this session's transaction sees it."""
    return int(session.connection().exec_driver_sql(CURRENT_EPOCH).scalar_one())
