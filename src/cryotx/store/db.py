"""Engine, transactions and migrations.

SQLite (the embedded default) is opened in WAL mode with foreign keys on and
``synchronous=FULL``, so that a write the service acknowledged survives the process being
killed.  Write transactions start with ``BEGIN IMMEDIATE`` so that concurrent writers queue
on SQLite's lock (up to ``busy_timeout``) instead of failing when a read transaction tries
to upgrade.  PostgreSQL is selected by a ``postgresql+psycopg://`` URL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["MIGRATIONS_DIR", "Database", "upgrade"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_WRITE = "cryotx_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        # Straight to the driver: exec_driver_sql would cost a full SQLAlchemy statement
        # execution (events, result set-up), about 70 us, on every transaction.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """One engine and its read and write session factories.

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.removeprefix("sqlite://").removeprefix("/")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine = create_engine(url, pool_size=8, max_overflow=32, pool_timeout=60)
            else:  # in-memory: one connection per thread (SQLAlchemy's default for it)
                self.engine = create_engine(url)
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(
                url, pool_size=10, max_overflow=40, pool_pre_ping=True, pool_timeout=60
            )
        writer = self.engine.execution_options(**{_WRITE: True})
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (its transaction is discarded when it closes)."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A unit of work committed at the end, or rolled back entirely on any error.

        On SQLite the writers of this process queue on a lock first: SQLite's own busy
        handler waits by polling with sleeps of up to 100 ms, which made write latency
        under load jump to seconds.  The busy timeout still covers other processes.
        """
        with self._write_lock, self._write() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        upgrade(self.engine)

    def schema_tables(self) -> set[str]:
        """Names of the tables currently in the database."""
        return set(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` on ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        # Batch migrations rebuild SQLite tables (copy, DROP, rename); with foreign keys on,
        # dropping a referenced table fails or cascades.  SQLite ignores this pragma inside
        # a transaction, and any SQLAlchemy statement opens one, so it goes straight to the
        # driver before the first statement (and back on after the commit).
        if sqlite:
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                _driver(connection).execute("PRAGMA foreign_keys=ON")


def _driver(connection: Any) -> Any:
    """The DBAPI connection under a SQLAlchemy ``Connection`` (no transaction begun)."""
    return connection.connection.driver_connection
