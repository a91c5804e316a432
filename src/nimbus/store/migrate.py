"""Run Alembic migrations from code, serialised across replicas on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from nimbus.store.epochs import install_triggers

if TYPE_CHECKING:
    from nimbus.store.db import Database

_MIGRATIONS = Path(__file__).parent / "migrations"
# An arbitrary constant: the advisory-lock key that serialises concurrent upgrades.
_PG_LOCK_KEY = 0x4E494D42


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(database: Database) -> None:
    with database.engine.connect() as connection:
        if not database.is_sqlite:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
        try:
            config = alembic_config(database.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            if database.is_sqlite:
                install_triggers(connection)
            connection.commit()
        finally:
            if not database.is_sqlite:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
