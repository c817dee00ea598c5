"""Fixtures of the server's tests: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import create_database, postgres_base_url
from sqlalchemy import Engine

from grader.server import db


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    with postgres_base_url() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database's URL: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        return db.default_url(tmp_path)
    base = request.getfixturevalue("postgres_server")
    if base is None:
        if os.environ.get("GRADER_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (GRADER_REQUIRE_POSTGRES=1) but could not start")
        pytest.skip("no PostgreSQL server (initdb/pg_ctl) on this machine")
    return create_database(base)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with the schema applied."""
    made = db.make_engine(db_url)
    db.upgrade(made)
    yield made
    made.dispose()
