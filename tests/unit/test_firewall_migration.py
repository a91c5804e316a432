"""Migration 0008: its tables and columns are the models', and default networks made
before it get Google's four rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from nimbus.store.migrate import alembic_config
from nimbus.store.models import Base

MINE = {"firewalls": None, "subnetworks": "description", "instances": "subnetwork_name",
        "compute_projects": "default_network_made"}  # fmt: skip


def _upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
    engine.dispose()


def test_default_networks_made_before_get_their_rules_and_the_schema_matches(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO networks (id, project_number, name, description, "
                "auto_create_subnetworks, routing_mode, mtu, creation_time) VALUES "
                "(42, 7, 'default', '', 1, 'REGIONAL', 1460, :now), "
                "(43, 7, 'other', '', 0, 'REGIONAL', 1460, :now)"
            ),
            {"now": dt.datetime(2026, 1, 1)},
        )
    _upgrade(url, "head")
    with engine.connect() as connection:
        rules = connection.execute(
            text("SELECT name, network_id, priority FROM firewalls ORDER BY name")
        ).all()
        assert [tuple(rule) for rule in rules] == [
            ("default-allow-icmp", 42, 65534),
            ("default-allow-internal", 42, 65534),
            ("default-allow-rdp", 42, 65534),
            ("default-allow-ssh", 42, 65534),
        ]
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    mine = [d for d in differences if _touches_mine(d)]
    assert mine == []


def _touches_mine(difference: object) -> bool:
    text_of = repr(difference)
    return any(
        table in text_of and (column is None or column in text_of) for table, column in MINE.items()
    )
