"""Migration 0020: existing buckets get a generation (their creation time in
microseconds), the soft-deleted tables are the models', and it downgrades cleanly; on
SQLite, and on PostgreSQL when the tests have one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from nimbus.store.models import Base
from tests.servers import fresh_database
from tests.unit.migrations import run_migration

MINE = ("buckets", "soft_deleted_buckets", "soft_deleted_bucket_objects")
CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)


def test_existing_buckets_get_generations_and_the_tables_match(tmp_path: Path) -> None:
    with fresh_database() as pg_url:
        url = pg_url or f"sqlite:///{tmp_path / 'store.db'}"
        run_migration(url, "upgrade", "0019")
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO buckets (name, project_number, location, location_type,"
                    " storage_class, labels, versioning, lifecycle_rules, uniform_access, extra,"
                    " metageneration, time_created, updated) VALUES ('old', 1, 'US',"
                    " 'multi-region', 'STANDARD', '{}', false, '[]', false, '{}', 1, :t, :t)"
                ),
                {"t": CREATED},
            )
        run_migration(url, "upgrade", "head")
        with engine.connect() as connection:
            generation = connection.execute(text("SELECT generation FROM buckets")).scalar()
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert generation == int(CREATED.timestamp() * 1_000_000)
        assert [d for d in differences if any(f"'{t}'" in repr(d) for t in MINE)] == []
        run_migration(url, "downgrade", "0019")
        tables = set(inspect(engine).get_table_names())
        assert "soft_deleted_buckets" not in tables
        assert "generation" not in {c["name"] for c in inspect(engine).get_columns("buckets")}
        engine.dispose()
