"""The server's commands: users, db, worker; the contract's `users add` prints a token last."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.cli import main
from grader.server import accounts, db
from grader.server.models import User


def _run(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_add_prints_a_working_token_last(db_url: str, tmp_path: Path) -> None:
    done = _run(["users", "add", "prof", "--role", "instructor", "--db", db_url], tmp_path)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    engine = db.make_engine(db_url)
    with Session(engine) as session:
        user = accounts.user_for_token(session, token)
        assert user is not None and (user.id, user.role) == ("prof", "instructor")
    engine.dispose()


def test_users_add_with_a_password_and_refusals(tmp_path: Path) -> None:
    url = db.default_url(tmp_path)
    done = _run(
        ["users", "add", "alice", "--role", "student", "--password-stdin", "--db", url],
        tmp_path,
        stdin="long enough password\n",
    )
    assert done.returncode == 0, done.stderr
    engine = db.make_engine(url)
    with Session(engine) as session:
        alice = session.scalar(select(User).where(User.id == "alice"))
        assert accounts.check_password(alice, "long enough password")
        assert not accounts.check_password(alice, "wrong password")
    engine.dispose()
    again = _run(["users", "add", "alice", "--role", "student", "--db", url], tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    bad = _run(["users", "add", "../x", "--role", "student", "--db", url], tmp_path)
    assert bad.returncode == 2 and "invalid user id" in bad.stderr


def test_users_in_the_current_folder_by_default(tmp_path: Path) -> None:
    done = _run(["users", "add", "bob", "--role", "student"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "grader.db").is_file()


def test_roster_import_and_links(tmp_path: Path) -> None:
    url = db.default_url(tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nann,Ann A,ann@example.edu\n../bad,X,x\nben,Ben B,\n")
    done = _run(["users", "import", str(roster), "--db", url], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "added 2" in done.stdout and "line 3" in done.stderr
    link = _run(["users", "link", "ann", "--db", url, "--base-url", "https://g.example"], tmp_path)
    assert link.returncode == 0 and link.stdout.startswith("https://g.example/signin/")
    secret = link.stdout.strip().rsplit("/", 1)[1]
    engine = db.make_engine(url)
    with Session(engine) as session:
        user = accounts.redeem_signin_link(session, secret)
        assert user is not None and user.id == "ann"
        session.commit()
        assert accounts.redeem_signin_link(session, secret) is None  # once only
    engine.dispose()
    missing = _run(["users", "link", "nobody", "--db", url], tmp_path)
    assert missing.returncode == 2 and "no user 'nobody'" in missing.stderr


def test_db_upgrade_and_a_worker_refuses_an_old_schema(tmp_path: Path) -> None:
    url = db.default_url(tmp_path)
    engine = db.make_engine(url)
    with engine.begin() as connection:  # a database some older tool left: no schema
        connection.exec_driver_sql("CREATE TABLE other (x INTEGER)")
    engine.dispose()
    worker = _run(["worker", "--db", url], tmp_path)
    assert worker.returncode == 2 and "grader db upgrade" in worker.stderr
    assert main(["db", "upgrade", "--db", url]) == 0
    engine = db.make_engine(url)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_a_bad_database_url_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(["users", "add", "x", "--role", "student", "--db", "mysql://h/db"], tmp_path)
    assert done.returncode == 2 and "unsupported database" in done.stderr


def test_a_standalone_worker_grades_the_queue_and_stops_on_sigterm(
    db_url: str, tmp_path: Path
) -> None:
    """`grader worker --db URL`, as on another machine: grades what is queued, then stops."""
    import signal
    import time

    from grader import Grader, load_assignment
    from grader.server.course import demo_course
    from grader.server.models import Result
    from grader.server.submit import accept

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    examples = Path(__file__).resolve().parents[2] / "examples"
    with Session(engine, expire_on_commit=False) as session:
        user = accounts.add_user(session, "ann", "student")
        session.commit()
        names = ("alice.ipynb", "bob.ipynb")
        for name in names:
            accept(session, demo_course(tmp_path), user, "planar_data_classification",
                   name, (examples / name).read_bytes())
    worker = subprocess.Popen(
        [sys.executable, "-m", "grader", "worker", "--db", db_url],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        scores: list[float] = []
        while time.monotonic() < deadline and len(scores) < 2:
            time.sleep(0.3)
            with Session(engine) as session:
                scores = sorted(session.scalars(select(Result.score)))
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
        engine.dispose()
    with Grader(load_assignment("planar_data_classification")) as grader:
        expected = sorted(grader.grade_path(examples / n, "ann").score for n in names)
    assert scores == expected and expected[0] < expected[1] == 100.0
    assert worker.returncode == 0, err
    assert "Traceback" not in err


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(["serve", "--port", str(port), "--workers", "0"], tmp_path)
    assert done.returncode == 2 and "cannot listen on 127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_a_broken_course(tmp_path: Path) -> None:
    (tmp_path / "course.toml").write_text("[assignments.nothing_here]\n")
    done = _run(["serve", str(tmp_path), "--workers", "0"], tmp_path)
    assert done.returncode == 2 and "no assignment folder 'nothing_here'" in done.stderr
