"""Migration 0021: the managed_folders table is the model's, upgraded and downgraded
cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from nimbus.store.models import Base
from tests.unit.migrations import run_migration


def test_managed_folders_table_matches_the_model_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    run_migration(url, "upgrade", "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "managed_folders" in repr(d)] == []
    run_migration(url, "downgrade", "0020")
    assert "managed_folders" not in inspect(engine).get_table_names()
    engine.dispose()
