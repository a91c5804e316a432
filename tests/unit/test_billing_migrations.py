"""Migrations 0009 and 0012: their tables are the models' (billing accounts, project
links, budgets and budget alerts), upgraded and downgraded cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from nimbus.store.models import Base
from tests.unit.migrations import run_migration

MINE = ("billing_accounts", "project_billing", "budgets", "budget_alerts")


def test_billing_tables_match_the_models_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    run_migration(url, "upgrade", "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if any(table in repr(d) for table in MINE)] == []
    run_migration(url, "downgrade", "0008")
    assert not set(MINE) & set(inspect(engine).get_table_names())
    engine.dispose()
