"""The database: an engine from a URL, the schema brought up to date by Alembic.

SQLite (the default, a file in the course folder) runs in WAL mode with ``synchronous=FULL``,
so a committed submission survives a crash of the machine, and every transaction begins
``IMMEDIATE``: writers queue on the busy timeout instead of failing when two processes (the web
server and its workers) upgrade a read to a write at once. PostgreSQL is reached with psycopg 3
(``postgresql://`` URLs are read as ``postgresql+psycopg://``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from grader.errors import UsageError

__all__ = [
    "current_revision",
    "default_url",
    "head_revision",
    "make_engine",
    "normalise_url",
    "server_secret",
    "sessions",
    "upgrade",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url(folder: str | Path) -> str:
    """``sqlite:///<folder>/grader.db``: the embedded default."""
    return f"sqlite:///{Path(folder).resolve() / 'grader.db'}"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` for psycopg 3; refuse other back ends."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        )
    return url


def _sqlite_setup(dbapi_connection: Any, _record: Any, synchronous: str = "FULL") -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event starts transactions
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=30000",
    ):
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str, *, survive_power_loss: bool = True) -> Engine:
    """An engine for ``url`` with the settings the server counts on.

    ``survive_power_loss=False`` (the workers' engines) lets SQLite skip the fsync of each
    commit (``synchronous=NORMAL`` in WAL mode): a commit still survives any crash of a
    process, and a power loss can only undo a worker's last claims and results, which are then
    graded again, never written twice. Uploads always use ``FULL``: an accepted submission
    survives the machine.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        synchronous = "FULL" if survive_power_loss else "NORMAL"
        event.listen(
            engine, "connect", lambda conn, rec: _sqlite_setup(conn, rec, synchronous)
        )

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (what ``grader db upgrade`` does)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


def head_revision() -> str:
    """The newest migration this grader has."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(make_engine("sqlite://"))).get_current_head()
    return str(head)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def server_secret(engine: Engine) -> bytes:
    """The key that signs session cookies: made once, kept in the database."""
    import secrets

    from sqlalchemy.exc import IntegrityError

    from grader.server.models import ServerSetting

    factory = sessions(engine)
    with factory() as db:
        found = db.get(ServerSetting, "session_secret")
        if found is None:
            db.add(ServerSetting(key="session_secret", value=secrets.token_hex(32)))
            try:
                db.commit()
            except IntegrityError:  # another process made it first: use theirs
                db.rollback()
            found = db.get(ServerSetting, "session_secret")
        assert found is not None
        return bytes.fromhex(found.value)
