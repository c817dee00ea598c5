"""Who may do what: each permission rule of the API, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from apikit import (
    NOTEBOOK,
    PLANAR,
    SECRET,
    bearer,
    check,
    client,
    course,
    grade_all,
    people,
    rows,
    upload,
)
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.testclient import TestClient

from grader.server import accounts
from grader.server.app import Settings, create_app
from grader.server.auth import SESSION_COOKIE, start_session
from grader.server.models import ApiToken, SessionRow, User
from grader.server.ratelimit import Limit

INSTRUCTOR_ONLY = [
    ("GET", f"/api/assignments/{PLANAR}/results"),
    ("GET", f"/api/assignments/{PLANAR}/gradebook.csv"),
    ("POST", f"/api/assignments/{PLANAR}/regrade"),
    ("GET", "/api/regrades/1"),
    ("POST", "/api/roster"),
    ("POST", "/api/users/alice/signin-link"),
    ("PUT", f"/api/assignments/{PLANAR}/extensions/alice"),
    ("DELETE", f"/api/assignments/{PLANAR}/extensions/alice"),
    ("GET", "/api/students"),
]
EVERY_ENDPOINT = [
    *INSTRUCTOR_ONLY,
    ("POST", f"/api/assignments/{PLANAR}/submissions"),
    ("GET", "/api/submissions/1"),
    ("GET", "/api/submissions/1/file"),
    ("GET", "/api/assignments"),
    ("GET", f"/api/assignments/{PLANAR}/submissions"),
]


def _session(engine: Engine, user_id: str) -> tuple[str, str]:
    """Sign ``user_id`` in as a browser would be: (the session cookie, its CSRF token)."""
    response = Response()
    with Session(engine, expire_on_commit=False) as db:
        user = db.get(User, user_id)
        assert user is not None
        start_session(response, db, user, SECRET)
        csrf = db.query(SessionRow).filter_by(user_id=user_id).one().csrf
    cookie = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return cookie, csrf


def _browser(engine: Engine, tmp_path: Path, user_id: str) -> tuple[TestClient, str]:
    web = client(engine, course(tmp_path))
    cookie, csrf = _session(engine, user_id)
    web.cookies.set(SESSION_COOKIE, cookie)
    return web, csrf


def test_another_students_submission_result_and_file_are_not_found(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    mine = upload(web, tokens.alice).json()["id"]
    grade_all(engine, lambda _: (check("a", 1.0, "visible"),))
    for path in (f"/api/submissions/{mine}", f"/api/submissions/{mine}/file"):
        assert web.get(path, headers=bearer(tokens.alice)).status_code == 200
        assert web.get(path, headers=bearer(tokens.prof)).status_code == 200
        stranger = web.get(path, headers=bearer(tokens.bob))
        missing = web.get(path.replace(f"/{mine}", "/999"), headers=bearer(tokens.bob))
        # the same answer as for a submission that does not exist: no existence leak
        assert stranger.status_code == missing.status_code == 404
        assert stranger.json() == missing.json() == {"error": "no such submission"}
    history = web.get(
        f"/api/assignments/{PLANAR}/submissions?student=alice", headers=bearer(tokens.bob)
    )
    assert history.status_code == 403
    own = web.get(f"/api/assignments/{PLANAR}/submissions", headers=bearer(tokens.bob))
    assert own.status_code == 200 and own.json()["submissions"] == []


def test_a_student_on_an_instructor_endpoint_gets_403(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    for method, path in INSTRUCTOR_ONLY:
        response = web.request(method, path, headers=bearer(tokens.alice))
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "only instructors may do this"}
    assert rows(engine) == (0, 0, 0)


def test_no_credentials_get_401_everywhere(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    web = client(engine, course(tmp_path))
    for method, path in EVERY_ENDPOINT:
        response = web.request(method, path)
        assert response.status_code == 401, (method, path)
        assert "sign in first" in response.json()["error"]


def test_an_unknown_or_revoked_token_gets_401(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    assert web.get("/api/assignments", headers=bearer(tokens.alice)).status_code == 200
    assert web.get("/api/assignments", headers=bearer("gr_" + "x" * 43)).status_code == 401
    assert web.get("/api/assignments", headers={"Authorization": "Bearer"}).status_code == 401
    with Session(engine) as db:
        db.execute(update(ApiToken).where(ApiToken.user_id == "alice").values(revoked=True))
        db.commit()
    assert web.get("/api/assignments", headers=bearer(tokens.alice)).status_code == 401
    assert upload(web, tokens.alice).status_code == 401
    assert rows(engine) == (0, 0, 0)


def test_a_browser_upload_needs_its_csrf_token(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    web, csrf = _browser(engine, tmp_path, "alice")
    files = {"file": ("mine.ipynb", NOTEBOOK, "application/octet-stream")}
    path = f"/api/assignments/{PLANAR}/submissions"
    refused = web.post(path, files=files)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    wrong = web.post(path, files=files, data={"csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert rows(engine) == (0, 0, 0)
    assert web.post(path, files=files, data={"csrf_token": csrf}).status_code == 202
    assert web.post(path, files=files, headers={"X-CSRF-Token": csrf}).status_code == 202
    assert rows(engine)[0] == 2


def test_a_browser_request_to_the_instructor_api_needs_its_csrf_token(
    engine: Engine, tmp_path: Path
) -> None:
    people(engine)
    web, csrf = _browser(engine, tmp_path, "prof")
    path = f"/api/assignments/{PLANAR}/extensions/alice"
    body = {"deadline": "2030-01-01T00:00:00Z"}
    assert web.put(path, json=body).status_code == 403
    assert web.put(path, json=body, headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert web.post(f"/api/assignments/{PLANAR}/regrade").status_code == 403
    ok = web.put(path, json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["deadline"] == "2030-01-01T00:00:00Z"
    # reading needs no token
    assert web.get("/api/students").status_code == 200


def test_an_expired_session_gets_401(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    web, _ = _browser(engine, tmp_path, "alice")
    assert web.get("/api/assignments").status_code == 200
    with Session(engine) as db:
        past = dt.datetime(2000, 1, 1)
        db.execute(update(SessionRow).where(SessionRow.user_id == "alice").values(expires_at=past))
        db.commit()
    assert web.get("/api/assignments").status_code == 401


def test_a_forged_session_cookie_gets_401(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    web, _ = _browser(engine, tmp_path, "alice")
    cookie = web.cookies.get(SESSION_COOKIE)
    assert cookie is not None
    web.cookies.set(SESSION_COOKIE, cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB"))
    assert web.get("/api/assignments").status_code == 401


def test_signing_in_is_rate_limited_per_address(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as db:
        user = accounts.add_user(db, "alice", "student")
        accounts.set_password(user, "correct horse")
        db.commit()
    settings = Settings(signin_limit=Limit(per_minute=1, burst=3))
    where = course(tmp_path)
    app = create_app(engine, where, secret=SECRET, settings=settings)
    first = TestClient(app, client=("10.0.0.1", 5000))
    other = TestClient(app, client=("10.0.0.2", 5000))
    form = {"user": "alice", "password": "wrong password", "csrf_token": "c" * 43}
    first.cookies.set("grader_csrf", "c" * 43)
    answers = [first.post("/signin", data=form).status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    limited = first.post("/signin", data=form)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    other.cookies.set("grader_csrf", "c" * 43)
    assert other.post("/signin", data=form).status_code == 401  # another address: its own


def test_the_upload_rate_limit_per_account_says_when_to_retry(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    settings = Settings(upload_limit=Limit(per_minute=1, burst=2))
    web = TestClient(create_app(engine, course(tmp_path), secret=SECRET, settings=settings))
    assert [upload(web, tokens.alice).status_code for _ in range(2)] == [202, 202]
    limited = upload(web, tokens.alice)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "try again in" in limited.json()["error"]
    assert upload(web, tokens.bob).status_code == 202  # another account: its own bucket
    assert rows(engine)[0] == 3


@pytest.mark.parametrize("header", ["Basic YWxpY2U6eA==", "Bearer " + "x" * 5000, "bearer"])
def test_odd_authorization_headers_get_401(tmp_path: Path, header: str, engine: Engine) -> None:
    people(engine)
    web = client(engine, course(tmp_path))
    response = web.get("/api/assignments", headers={"Authorization": header})
    assert response.status_code == 401 and "error" in response.json()


def test_a_non_ascii_csrf_token_is_refused_not_an_error(engine: Engine, tmp_path: Path) -> None:
    people(engine)
    web, csrf = _browser(engine, tmp_path, "alice")
    files = {"file": ("mine.ipynb", NOTEBOOK, "application/octet-stream")}
    path = f"/api/assignments/{PLANAR}/submissions"
    assert web.post(path, files=files, data={"csrf_token": "é" + csrf[1:]}).status_code == 403
    header = {"X-CSRF-Token": ("\xe9" + csrf[1:]).encode("latin-1")}
    assert web.post(path, files=files, headers=header).status_code == 403  # type: ignore[dict-item]
    anonymous = client(engine, course(tmp_path))
    cookie = {"Cookie": ("grader_csrf=" + "\xe9" * 40).encode("latin-1")}
    form = {"user": "alice", "password": "x", "csrf_token": "é" * 40}
    signin = anonymous.post("/signin", data=form, headers=cookie)  # type: ignore[arg-type]
    assert signin.status_code == 403
    assert rows(engine) == (0, 0, 0)


def test_a_page_that_needs_a_session_sends_the_browser_to_sign_in_and_back(
    engine: Engine, tmp_path: Path
) -> None:
    web = client(engine, course(tmp_path))
    response = web.get("/?tab=a&b=c", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2F"
