"""Short read transactions on the embedded store, on the driver, without the ORM.

The hottest requests (an object's bytes or its metadata) read four small rows. Through
a Session each such read costs 50 to 100 µs of bookkeeping (pool checkout, events, the
ORM's loading); through the sqlite3 driver it costs a few. Statements are still built
with SQLAlchemy and compiled once for the dialect; only their execution and the
conversion of values (by the column types' own result processors) happen here.

Statements over the tables authorization reads can be prepared ``stable``: their
results are kept while the store's authorization epoch stays put (see
``store/epochs``), so the usual request reads one counter instead of five rows.

Only SQLite has this path: a PostgreSQL read is a network round trip, which the
bookkeeping is small beside.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Select, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.util import find_tables

from nimbus.store.base import Base
from nimbus.store.epochs import AUTHORIZATION_TABLES, CURRENT_EPOCH

E = TypeVar("E", bound=Base)

_Converter = Callable[[Any], Any] | None
AnySelect = Select[*tuple[Any, ...]]


class Prepared:
    """A SELECT compiled once: its SQL, its parameters' order, its columns' converters."""

    def __init__(
        self,
        statement: AnySelect,
        dialect: Dialect,
        keys: list[str] | None = None,
        *,
        stable: bool = False,
    ) -> None:
        """``keys`` name the columns in the rows (default: the columns' own keys).
        ``stable`` results are kept while the authorization epoch stays put; only
        statements over the tables that move it may be."""
        if stable:
            tables = {table.name for table in find_tables(statement, include_joins=True)}
            if not tables <= AUTHORIZATION_TABLES:
                raise ValueError(f"not under the authorization epoch: {tables}")
        self.stable = stable
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._names = list(compiled.positiontup or ())
        # Values fixed in the statement (a LIMIT, a literal), unless given at the call.
        self._fixed = compiled.params
        self._binds = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self._names
        ]
        columns = list(statement.selected_columns)
        self.keys = keys or [str(column.key) for column in columns]
        converters: list[_Converter] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        # Most columns come from the driver as they are: only the others are visited.
        self._converting = [
            (index, self.keys[index], convert)
            for index, convert in enumerate(converters)
            if convert is not None
        ]
        self._writers = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns
        ]

    def parameters(self, values: Mapping[str, Any]) -> list[Any]:
        return [
            value if process is None else process(value)
            for value, process in zip(
                (values[name] if name in values else self._fixed[name] for name in self._names),
                self._binds,
                strict=True,
            )
        ]

    def convert(self, row: Sequence[Any]) -> dict[str, Any]:
        values = dict(zip(self.keys, row, strict=True))
        for index, key, convert in self._converting:
            value = row[index]
            if value is not None:
                values[key] = convert(value)
        return values

    def stored_form(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row this statement reads for ``values`` (keyed as ``keys``): each value
        as its column's type hands it to the driver, which gives it back unchanged."""
        return tuple(
            _as_stored(value if write is None else write(value))
            for value, write in zip((values[key] for key in self.keys), self._writers, strict=True)
        )


def _as_stored(value: Any) -> Any:
    # Binary values go to the driver as memoryviews and come back as bytes.
    return bytes(value) if isinstance(value, memoryview) else value


class PreparedEntity(Generic[E]):
    """A SELECT of one model, whose rows come back as (detached) instances of it."""

    def __init__(
        self, model: type[E], statement: AnySelect, dialect: Dialect, *, stable: bool = False
    ) -> None:
        mapper = inspect(model)
        # Rows come back keyed by attribute name: an instance's dict holds them so.
        attributes = [mapper.get_property_by_column(c).key for c in statement.selected_columns]
        self.prepared = Prepared(statement, dialect, attributes, stable=stable)
        self._new_instance = mapper.class_manager.new_instance

    def from_row(self, row: Sequence[Any]) -> E:
        """A detached instance of a row as the driver gave it (``Snapshot.rows``)."""
        return self.instance(self.prepared.convert(row))

    def instance(self, values: dict[str, Any]) -> E:
        """A detached instance holding ``values``. The model's constructor would set them
        one by one through the ORM's instrumentation, several times the cost of the read;
        values already in the instance's dict are what its attributes return."""
        instance = self._new_instance()
        instance.__dict__.update(values)
        return cast(E, instance)


class Snapshot:
    """One read transaction: every statement sees the same committed state."""

    def __init__(self, cursor: sqlite3.Cursor, stable_results: StableResults) -> None:
        self._cursor = cursor
        self._stable_results = stable_results
        self._kept: dict[Any, Any] | None = None
        self._epoch: int | None = None
        # False once a derived value this snapshot gave could not be kept (it read the
        # time): whatever was decided with it holds only now.
        self.timeless = True

    def first(self, prepared: Prepared, **values: Any) -> dict[str, Any] | None:
        if prepared.stable:
            return cast(dict[str, Any] | None, self._stable(prepared, "first", values))
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        row = self._cursor.fetchone()
        return None if row is None else prepared.convert(row)

    def all(self, prepared: Prepared, **values: Any) -> list[dict[str, Any]]:
        if prepared.stable:
            return cast(list[dict[str, Any]], self._stable(prepared, "all", values))
        return [prepared.convert(row) for row in self.rows(prepared, **values)]

    def _stable(self, prepared: Prepared, kind: str, values: dict[str, Any]) -> Any:
        """A stable statement's result, kept for this snapshot's epoch."""
        kept = self._epoch_results()
        key = (prepared, kind, *sorted(values.items()))
        if key in kept:
            return kept[key]
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        if kind == "first":
            row = self._cursor.fetchone()
            result: Any = None if row is None else prepared.convert(row)
        else:
            result = [prepared.convert(row) for row in self._cursor.fetchall()]
        kept[key] = result
        return result

    def derived(self, key: Hashable, compute: Callable[[], tuple[Any, bool]]) -> Any:
        """A value computed from stable statements' results only (a decision made on
        them), kept with them for this epoch when ``compute`` says it may be: it returns
        the value and whether nothing else (the time, say) went into it."""
        kept = self._epoch_results()
        key = ("derived", key)
        if key in kept:
            return kept[key]
        value, keep = compute()
        if keep:
            kept[key] = value
        else:
            self.timeless = False
        return value

    def epoch(self) -> int:
        """The authorization epoch this snapshot reads at."""
        self._epoch_results()
        assert self._epoch is not None
        return self._epoch

    def _epoch_results(self) -> dict[Any, Any]:
        if self._kept is None:
            self._cursor.execute(CURRENT_EPOCH)
            self._epoch = int(self._cursor.fetchone()[0])
            self._kept = self._stable_results.at(self._epoch)
        return self._kept

    def entity(self, prepared: PreparedEntity[E], **values: Any) -> E | None:
        found = self.first(prepared.prepared, **values)
        return None if found is None else prepared.instance(found)

    def entities(self, prepared: PreparedEntity[E], **values: Any) -> list[E]:
        return [prepared.instance(found) for found in self.all(prepared.prepared, **values)]

    def rows(self, prepared: Prepared, **values: Any) -> list[tuple[Any, ...]]:
        """The rows as the driver gives them, unconverted: a caller that only needs some
        of them converted (``PreparedEntity.from_row``) pays for those alone."""
        if prepared.stable:
            raise ValueError("stable statements are read through all() or first()")
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return self._cursor.fetchall()


class StableResults:
    """Stable statements' results as of the newest authorization epoch seen.

    Threads share it without a lock: each swap replaces the whole entry, and a thread
    still at an older epoch fills a dict nobody reads any more."""

    # Enough for every token, bucket and policy a busy server uses at once; past it the
    # results start again rather than grow without bound.
    LIMIT = 20_000

    def __init__(self) -> None:
        self._entry: tuple[int, dict[Any, Any]] = (-1, {})

    def at(self, epoch: int) -> dict[Any, Any]:
        """The results kept for ``epoch``: shared if it is the newest, else private."""
        kept_epoch, kept = self._entry
        if epoch == kept_epoch and len(kept) < self.LIMIT:
            return kept
        if epoch < kept_epoch:
            return {}  # A snapshot older than the results: they are not its to use.
        fresh: dict[Any, Any] = {}
        self._entry = (epoch, fresh)
        return fresh


class Snapshots:
    """Read transactions on a driver connection of the calling thread's own."""

    def __init__(self, path: str, dialect: Dialect) -> None:
        self.dialect = dialect
        self._path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._serials = itertools.count()
        self._lock = threading.Lock()
        self._stable_results = StableResults()

    def prepare(self, statement: AnySelect, *, stable: bool = False) -> Prepared:
        return Prepared(statement, self.dialect, stable=stable)

    def prepare_entity(
        self, model: type[E], *where: ColumnElement[bool], stable: bool = False
    ) -> PreparedEntity[E]:
        """The rows of ``model`` that match ``where``."""
        return PreparedEntity(model, select(model).where(*where), self.dialect, stable=stable)

    def prepare_query(self, model: type[E], statement: AnySelect) -> PreparedEntity[E]:
        """``statement``, a SELECT of ``model`` (ordered, limited...)."""
        return PreparedEntity(model, statement, self.dialect)

    @contextlib.contextmanager
    def read(self) -> Iterator[Snapshot]:
        connection = self._connection()
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield Snapshot(cursor, self._stable_results)
        finally:
            cursor.execute("COMMIT")
            cursor.close()

    def version(self) -> tuple[int, int]:
        """A mark of the store's committed state: it moves whenever any connection, in
        any process, commits (SQLite's ``data_version``; the snapshot connection itself
        never writes). What was read at one mark holds for as long as the mark stays.
        Marks are per thread: compare only marks taken on the same thread."""
        connection = self._connection()
        (value,) = connection.execute("PRAGMA data_version").fetchone()
        return self._local.serial, int(value)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # Transactions are begun and ended here, never by the driver.
            connection = sqlite3.connect(
                self._path, isolation_level=None, timeout=30, check_same_thread=False
            )
            connection.execute("PRAGMA query_only=ON")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
            # Names the connection in version marks, which only it can compare.
            self._local.serial = next(self._serials)
        return connection
