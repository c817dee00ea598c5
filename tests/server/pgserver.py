"""A throwaway PostgreSQL server for the tests: a Unix socket in a temporary folder.

``GRADER_TEST_POSTGRES`` names a running server's base URL (``.ci/run`` starts one and sets
it); otherwise one is started here with ``initdb`` and ``pg_ctl``, as the ``postgres`` user when
the tests run as root (PostgreSQL refuses to run as root). When neither works the PostgreSQL
cases are skipped, unless ``GRADER_REQUIRE_POSTGRES=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["create_database", "postgres_base_url"]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def postgres_base_url() -> Iterator[str | None]:
    """A base URL (``postgresql+psycopg://user@/%s?host=SOCKETDIR``), or None when impossible."""
    given = os.environ.get("GRADER_TEST_POSTGRES")
    if given:
        yield given
        return
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        yield None
        return
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            yield None
            return
    folder = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        for path in (folder, sock):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    # from /: the postgres user may not be allowed into the folder the tests run from
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True, "cwd": "/"}
    try:
        subprocess.run(
            _as_postgres(["initdb", "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]),
            **quiet,  # type: ignore[call-overload]
        )
        options = f"-c listen_addresses='' -c unix_socket_directories={sock} -c fsync=off"
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(data), "-o", options, "-w", "-l",
                          str(folder / "log"), "start"]),
            **quiet,  # type: ignore[call-overload]
        )
    except (subprocess.CalledProcessError, OSError):
        shutil.rmtree(folder, ignore_errors=True)
        yield None
        return
    try:
        yield f"postgresql+psycopg://{user}@/%s?host={sock}"
    finally:
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd="/",
        )
        shutil.rmtree(folder, ignore_errors=True)


def create_database(base_url: str) -> str:
    """A new empty database on that server; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    admin = base_url.replace("postgresql+psycopg://", "postgresql://") % "postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return base_url % name
