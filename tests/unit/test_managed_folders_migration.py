"""Migration 0021: the managed_folders table is the model's, upgraded and downgraded
cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from nimbus.store.migrate import alembic_config
from nimbus.store.models import Base


def _run(url: str, step: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)
        connection.commit()
    engine.dispose()


def test_managed_folders_table_matches_the_model_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _run(url, "upgrade", "head")
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "managed_folders" in repr(d)] == []
    _run(url, "downgrade", "0020")
    assert "managed_folders" not in inspect(engine).get_table_names()
    engine.dispose()
