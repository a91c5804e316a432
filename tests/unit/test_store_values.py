"""Values read back from the embedded store as they were written: UTC times, JSON."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from nimbus.core.clock import rfc3339, rfc3339_micros
from nimbus.store.base import JsonValue, UtcDateTime
from nimbus.store.db import Database

_metadata = MetaData()
_things = Table(
    "things",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=True),
    Column("doc", JsonValue, nullable=True),
)


def _database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'values.db'}")
    _metadata.create_all(database.engine)
    return database


def test_times_come_back_utc_whatever_zone_they_were_written_in(tmp_path: Path) -> None:
    database = _database(tmp_path)
    written = [
        dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        None,
    ]
    with database.engine.begin() as connection:
        for index, moment in enumerate(written):
            connection.execute(insert(_things).values(id=index, at=moment))
        # A row written by hand in another form still reads (the generic parser).
        connection.execute(text("INSERT INTO things (id, at) VALUES (9, '2026-01-02 03:04:05')"))
        read = dict(connection.execute(select(_things.c.id, _things.c.at)).all())
    assert read[0] == written[0] and read[0].tzinfo is dt.UTC
    assert read[1] == written[1]
    assert read[2] == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert read[3] is None
    assert read[9] == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    database.dispose()


def test_json_past_64_bit_integers_still_reads(tmp_path: Path) -> None:
    database = _database(tmp_path)
    documents = {1: {"a": [1, "b"], "n": None}, 2: {"big": 2**70}, 3: []}
    with database.engine.begin() as connection:
        for key, document in documents.items():
            connection.execute(insert(_things).values(id=key, doc=document))
        read = dict(connection.execute(select(_things.c.id, _things.c.doc)).all())
    assert read == documents
    database.dispose()


def test_google_timestamps_truncate_to_the_millisecond_in_utc() -> None:
    moment = dt.datetime(2026, 1, 2, 5, 4, 5, 678901, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert rfc3339(moment) == "2026-01-02T03:04:05.678Z"
    assert rfc3339_micros(moment) == "2026-01-02T03:04:05.678901Z"
    assert rfc3339(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"
