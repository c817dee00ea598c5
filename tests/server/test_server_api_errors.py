"""Bad input: refused with a specific 4xx and a JSON message, nothing stored, never a 500."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from apikit import NOTEBOOK, PLANAR, SECRET, bearer, client, course, people, rows, upload
from sqlalchemy import Engine

from grader.server.app import Settings, create_app
from grader.server.submit import MAX_UPLOAD_BYTES

UPLOAD = f"/api/assignments/{PLANAR}/submissions"


def _drive(app: Any, scope: dict[str, Any], receive: Any) -> tuple[int, bytes]:
    """Run one request through the ASGI app; (status, body)."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


def _scope(token: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": UPLOAD,
        "raw_path": UPLOAD.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"multipart/form-data; boundary=XyZ"),
            *headers,
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


def test_a_huge_declared_upload_is_413_without_reading_the_body(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    app = create_app(engine, course(tmp_path), secret=SECRET)

    async def receive() -> dict[str, Any]:
        pytest.fail("the app read the body of a request it had to refuse")

    scope = _scope(tokens.alice, [(b"content-length", b"%d" % (10 * 1024**3))])
    status, body = _drive(app, scope, receive)
    assert status == 413 and b"larger than the limit" in body
    assert rows(engine) == (0, 0, 0)


def test_a_chunked_upload_over_the_cap_is_413_and_cut_off(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    settings = Settings(max_upload_bytes=1000)
    app = create_app(engine, course(tmp_path), secret=SECRET, settings=settings)
    chunk = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.ipynb"\r\n\r\n'
    calls = 0

    async def receive() -> dict[str, Any]:  # no Content-Length: an endless chunked body
        nonlocal calls
        calls += 1
        assert calls < 100, "the app kept reading past the cap"
        body = chunk if calls == 1 else b"x" * 16384
        return {"type": "http.request", "body": body, "more_body": True}

    status, body = _drive(app, _scope(tokens.alice, []), receive)
    assert status == 413 and b"error" in body
    assert calls <= (1000 + 64 * 1024) // 16384 + 2  # stopped right after the cap
    assert rows(engine) == (0, 0, 0)


def test_a_file_over_the_cap_inside_the_envelope_is_413(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    from starlette.testclient import TestClient

    app = create_app(
        engine, course(tmp_path), secret=SECRET, settings=Settings(max_upload_bytes=1000)
    )
    refused = upload(TestClient(app), tokens.alice, data=b"{" + b" " * 2000 + b"}")
    assert refused.status_code == 413 and "1000 bytes" in refused.json()["error"]
    assert rows(engine) == (0, 0, 0)
    assert MAX_UPLOAD_BYTES >= 1024 * 1024  # the default cap fits real notebooks


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("notes.txt", NOTEBOOK, 415, "not a notebook"),
        ("mine.ipynb.exe", NOTEBOOK, 415, "not a notebook"),
        ("broken.ipynb", b'{"cells": [', 422, "cannot be graded"),
        ("empty.ipynb", b"", 422, "empty"),
        ("list.ipynb", b"[1, 2]", 422, "cannot be graded"),
        ("latin1.py", "x = 'é'".encode("latin-1"), 422, "cannot be graded"),
    ],
)
def test_not_a_notebook_is_refused_and_nothing_is_stored(
    engine: Engine, tmp_path: Path, name: str, data: bytes, status: int, words: str
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    refused = upload(web, tokens.alice, name=name, data=data)
    assert refused.status_code == status
    assert words in refused.json()["error"]
    assert rows(engine) == (0, 0, 0)


def test_malformed_requests_get_the_right_4xx(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    auth = bearer(tokens.alice)
    garbage = web.post(
        UPLOAD,
        headers={**auth, "content-type": "multipart/form-data; boundary=XyZ"},
        content=b"--XyZ\r\nthis is not a part header\r\n\r\n\x00\x01",
    )
    assert garbage.status_code == 400
    no_boundary = web.post(
        UPLOAD, headers={**auth, "content-type": "multipart/form-data"}, content=b"x"
    )
    assert no_boundary.status_code == 400
    missing = web.post(UPLOAD, headers=auth, files={"other": ("a.ipynb", NOTEBOOK)})
    assert missing.status_code == 400 and "'file'" in missing.json()["error"]
    as_text = web.post(UPLOAD, headers=auth, data={"file": "not a file"})
    assert as_text.status_code in (400, 415)
    not_multipart = web.post(UPLOAD, headers=auth, json={"file": "x"})
    assert not_multipart.status_code == 415
    assert rows(engine) == (0, 0, 0)
    for path in (
        "/api/submissions/abc",
        "/api/submissions/%C2%B2",
        "/api/submissions/-1",
        "/api/submissions/1e3/file",
        "/api/submissions/" + "9" * 40,
    ):
        response = web.get(path, headers=auth)
        assert response.status_code == 404 and response.json() == {"error": "no such submission"}
    unknown = upload(web, tokens.alice).request.url.path.replace(PLANAR, "nope")
    answer = web.post(unknown, headers=auth, files={"file": ("a.ipynb", NOTEBOOK)})
    assert answer.status_code == 404 and "no assignment 'nope'" in answer.json()["error"]
    results = web.get("/api/assignments/nope/results", headers=bearer(tokens.prof))
    assert results.status_code == 404


def test_many_malformed_requests_never_get_a_5xx_nor_a_traceback(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    student, prof = bearer(tokens.alice), bearer(tokens.prof)
    ext = f"/api/assignments/{PLANAR}/extensions/alice"
    csv_body = {**prof, "content-type": "text/csv"}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/submissions/%00", {"headers": student}),
        ("GET", "/api/submissions/99999999999999999", {"headers": student}),
        ("GET", "/api/submissions/\uff11\uff12", {"headers": student}),
        ("GET", "/api/regrades/x", {"headers": prof}),
        ("GET", "/api/regrades/99", {"headers": prof}),
        ("GET", "/api/assignments/" + "a" * 2000 + "/results", {"headers": prof}),
        ("GET", "/api/assignments/%2e%2e/gradebook.csv", {"headers": prof}),
        ("GET", f"/api/assignments/{PLANAR}/submissions?student=%00", {"headers": prof}),
        ("GET", f"/api/assignments/{PLANAR}/submissions?student=" + "z" * 500, {"headers": prof}),
        ("PATCH", "/api/students", {"headers": prof}),
        ("DELETE", UPLOAD, {"headers": student}),
        ("PUT", ext, {"headers": prof, "content": b"[]"}),
        ("PUT", ext, {"headers": prof, "content": b"null"}),
        ("PUT", ext, {"headers": prof, "content": b"\xff\xfe{"}),
        ("PUT", ext, {"headers": prof, "json": {"deadline": 5}}),
        ("PUT", ext, {"headers": prof, "json": {"deadline": "tomorrow"}}),
        ("PUT", ext, {"headers": prof, "json": {"deadline": "9999-99-99"}}),
        (
            "PUT",
            ext.replace("alice", "nobody"),
            {"headers": prof, "json": {"deadline": "2030-01-01T00:00Z"}},
        ),
        (
            "PUT",
            ext.replace("alice", "prof"),
            {"headers": prof, "json": {"deadline": "2030-01-01T00:00Z"}},
        ),
        ("POST", "/api/roster", {"headers": csv_body, "content": b"\xff\xfe\x00"}),
        ("POST", "/api/roster", {"headers": csv_body, "content": b'"' + b"x" * 200_000}),
        ("POST", "/api/roster", {"headers": {**prof, "content-type": "application/json"}}),
        ("POST", "/api/roster", {"headers": {**prof, "content-type": "multipart/form-data"}}),
        ("POST", "/api/users/" + "u" * 300 + "/signin-link", {"headers": prof}),
        ("POST", "/api/users/%00/signin-link", {"headers": prof}),
        (
            "POST",
            UPLOAD,
            {"headers": {**student, "content-type": "multipart/form-data; boundary="}},
        ),
        (
            "POST",
            UPLOAD,
            {
                "headers": {**student, "content-type": "multipart/form-data; boundary=a"},
                "content": b'--a\r\nContent-Disposition: form-data; name="file"; '
                b'filename="x.ipynb"\r\n\r\n{}',
            },
        ),
        ("POST", UPLOAD, {"headers": student, "files": {"file": ("\x00../../etc/passwd", b"{}")}}),
        ("POST", UPLOAD, {"headers": student, "files": {"file": ("a.ipynb", b"\x00" * 100)}}),
        ("POST", UPLOAD, {"headers": {**student, "content-type": "text/plain"}, "content": b"x"}),
        ("GET", "/api/assignments", {"headers": {"Authorization": "Bearer \x7f"}}),
    ]
    for method, path, options in requests:
        response = web.request(method, path, **options)
        where = f"{method} {path[:80]} {options}"[:300]
        assert 400 <= response.status_code < 500, where
        assert "Traceback" not in response.text and 'File "' not in response.text, where
        if response.headers.get("content-type", "").startswith("application/json"):
            assert isinstance(response.json().get("error"), str), where
    assert rows(engine) == (0, 0, 0)


def test_an_internal_error_is_a_short_json_500_without_its_traceback(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: /srv/secret/path")

    monkeypatch.setattr("grader.server.api.records", broken)
    response = web.get("/api/submissions/1", headers=bearer(tokens.alice))
    assert response.status_code == 500
    assert "internal error" in response.json()["error"]
    assert "boom" not in response.text and "Traceback" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_media_type_in_capitals_is_still_multipart(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.ipynb"\r\n\r\n'
        + NOTEBOOK
        + b"\r\n--B--\r\n"
    )
    headers = {**bearer(tokens.alice), "content-type": "Multipart/Form-Data; boundary=B"}
    assert web.post(UPLOAD, headers=headers, content=body).status_code == 202
