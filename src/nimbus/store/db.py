"""The database: engine set-up for SQLite (embedded) and PostgreSQL, and units of work.

Write transactions on SQLite begin with ``BEGIN IMMEDIATE`` so that two writers never
deadlock upgrading a read lock; reads stay deferred and run beside writers thanks to
WAL. ``synchronous=FULL`` makes every acknowledged commit survive a crash of the host,
not only of the process.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from nimbus.store.snapshots import Snapshots

_WRITE = "nimbus_write"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url)
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            bind=self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        # Hot reads on the driver (see store/snapshots); None where there is no such path.
        self.snapshots = _snapshots(url, self.engine)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work."""
        with self._reader() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work that commits on success and rolls back on any error."""
        with self._writer() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to call from many replicas)."""
        from nimbus.store.migrate import upgrade_to_head

        upgrade_to_head(self)

    def dispose(self) -> None:
        if self.snapshots is not None:
            self.snapshots.close()
        self.engine.dispose()


def _snapshots(url: str, engine: Engine) -> Snapshots | None:
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if not path or path == ":memory:":
        return None
    return Snapshots(path, engine.dialect)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        json_deserializer=_loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _loads(text: str) -> Any:
    """JSON columns, read back several times faster than the standard library does;
    what orjson refuses (an integer past 64 bits) is still read, by the standard one."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def ping(database: Database) -> None:
    with database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
