"""Alembic steps on a throwaway database, for the migration tests."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine

from nimbus.store.migrate import alembic_config


def run_migration(url: str, step: str, revision: str) -> None:
    """``step`` ("upgrade" or "downgrade") the database at ``url`` to ``revision``."""
    engine = create_engine(url)
    with engine.connect() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)
        connection.commit()
    engine.dispose()
