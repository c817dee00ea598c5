"""The website's pages through Starlette's test client, on SQLite and PostgreSQL.

Results are written through the queue (claim, finish) with documents crafted for the point of
each test, so these tests need no sandbox; the browser suite grades for real.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from grader.server import accounts, queue
from grader.server.app import create_app
from grader.server.course import Course, CourseAssignment, Rules, demo_course
from grader.server.models import Submission, User
from grader.server.submit import accept

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"
PASSWORD = "correct horse battery"


def _course(tmp_path: Path, **rules: Any) -> Course:
    base = demo_course(tmp_path)
    entry = base.assignments[PLANAR]
    deadline = rules.pop("deadline", None)
    changed = CourseAssignment(PLANAR, entry.path, deadline, Rules(**rules))
    return Course(base.root, "Test course", {PLANAR: changed})


def _user(engine: Engine, user_id: str, role: str = "student", name: str = "") -> None:
    with Session(engine) as db:
        user = accounts.add_user(db, user_id, role, name=name)
        accounts.set_password(user, PASSWORD)
        db.commit()


def _client(engine: Engine, course: Course, user_id: str | None = None) -> TestClient:
    client = TestClient(create_app(engine, course, secret=b"s" * 32), follow_redirects=False)
    if user_id is not None:
        form = client.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        answer = client.post(
            "/signin",
            data={"csrf_token": token.group(1), "user": user_id, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text
    return client


def _csrf(client: TestClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def _submit(engine: Engine, course: Course, user_id: str, name: str = "bob.ipynb") -> int:
    data = (EXAMPLES / "bob.ipynb").read_bytes()
    with Session(engine, expire_on_commit=False) as db:
        user = db.get(User, user_id)
        assert user is not None
        return accept(db, course, user, PLANAR, name, data).id


def _test(check: str, outcome: str, score: float, **extra: Any) -> dict[str, Any]:
    return {
        "id": check,
        "function": check.split(".")[0],
        "score": score,
        "max_score": 1.0,
        "outcome": outcome,
        "message": extra.pop("message", "" if outcome == "passed" else f"{check} went wrong"),
        "visibility": extra.pop("visibility", "visible"),
        "duration_s": 0.0,
        "output": "",
        "public_message": extra.pop("public_message", None),
        "check_bug": None,
        **extra,
    }


def _grade(engine: Engine, tests: list[dict[str, Any]], status: str = "graded") -> None:
    """Finish the oldest queued job with a result made of ``tests``."""
    claim = queue.claim(engine, "test-worker", 60)
    assert claim is not None
    with Session(engine) as db:
        submission = db.get(Submission, claim.submission_id)
        assert submission is not None
        document = {
            "id": submission.user_id,
            "path": submission.filename,
            "sha256": submission.sha256,
            "status": status,
            "error": None if status == "graded" else "not a notebook we can grade",
            "score": sum(t["score"] for t in tests),
            "max_score": float(len(tests)),
            "duration_s": 0.1,
            "warnings": [],
            "tests": tests,
            "submission_id": submission.id,
            "student": submission.user_id,
            "submitted_at": submission.submitted_at.isoformat() + "Z",
            "late_days": submission.late_days,
        }
    assert queue.finish(
        engine, claim, document, worker="test-worker", grader_version="t", isolation={}
    )


WRONG = [
    _test("compute_cost.value", "failed", 0.0, message="expected 0.69 (cell 7, line 3)"),
    _test("compute_cost.shape", "passed", 1.0),
    _test("sigmoid.value", "passed", 1.0),
]


def test_a_student_sees_assignments_upload_form_and_a_live_queued_page(
    engine: Engine, tmp_path: Path
) -> None:
    course = _course(tmp_path)
    _user(engine, "bob")
    client = _client(engine, course, "bob")
    home = client.get("/")
    assert home.status_code == 200
    assert f'href="/assignments/{PLANAR}"' in home.text and "not submitted" in home.text
    form = client.get(f"/assignments/{PLANAR}")
    assert 'enctype="multipart/form-data"' in form.text and 'name="csrf_token"' in form.text
    data = (EXAMPLES / "bob.ipynb").read_bytes()
    answer = client.post(
        f"/assignments/{PLANAR}/submit",
        data={"csrf_token": _csrf(client)},
        files={"file": ("bob.ipynb", data, "application/x-ipynb+json")},
    )
    assert answer.status_code == 303
    target = answer.headers["location"]
    assert re.fullmatch(r"/submissions/\d+", target)
    queued = client.get(target)
    assert queued.status_code == 200 and "waiting to be graded" in queued.text
    assert '<noscript><meta http-equiv="refresh"' in queued.text
    assert "/static/live.js" in queued.text


def test_the_upload_form_needs_its_csrf_token_and_refuses_a_non_notebook(
    engine: Engine, tmp_path: Path
) -> None:
    course = _course(tmp_path)
    _user(engine, "bob")
    client = _client(engine, course, "bob")
    data = (EXAMPLES / "bob.ipynb").read_bytes()
    files = {"file": ("bob.ipynb", data, "application/x-ipynb+json")}
    no_token = client.post(f"/assignments/{PLANAR}/submit", files=files)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    bad = client.post(
        f"/assignments/{PLANAR}/submit",
        data={"csrf_token": _csrf(client)},
        files={"file": ("notes.txt", b"hello", "text/plain")},
    )
    assert bad.status_code == 415 and "is not a notebook" in bad.text
    assert "Traceback" not in bad.text
    with Session(engine) as db:
        assert db.query(Submission).count() == 0


def test_the_result_page_shows_marks_messages_and_the_notebook_with_feedback(
    engine: Engine, tmp_path: Path
) -> None:
    course = _course(tmp_path)
    _user(engine, "bob")
    sid = _submit(engine, course, "bob")
    _grade(engine, WRONG)
    client = _client(engine, course, "bob")
    page = client.get(f"/submissions/{sid}")
    assert page.status_code == 200
    text = page.text
    assert "Score: 2 / 3" in text
    assert "✗ failed" in text and "✓ passed" in text
    assert "expected 0.69 (cell 7, line 3)" in text
    assert '<span class="mark" aria-hidden="true">~</span> <code>compute_cost</code>' in text
    assert '<span class="mark" aria-hidden="true">✓</span> <code>sigmoid</code>' in text
    assert "celltag_grader-feedback" in text  # the core's feedback cells, inside our page
    assert "<style" not in text.split("</head>", 1)[1]  # the core's inline style is dropped
    assert "refresh" not in text  # graded: no more reloading
    assert "this submission counts" in text


def test_hidden_checks_the_policy_withholds_never_reach_the_page(
    engine: Engine, tmp_path: Path
) -> None:
    deadline = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    course = _course(tmp_path, deadline=deadline)
    _user(engine, "bob")
    sid = _submit(engine, course, "bob")
    secret = _test(
        "compute_cost.hidden_edge",
        "failed",
        0.0,
        visibility="hidden",
        message="SECRET-INPUT 42 gave 7",
        public_message="SECRET-PUBLIC wrong on an edge case",
    )
    _grade(engine, [*WRONG, secret])
    student = _client(engine, course, "bob").get(f"/submissions/{sid}").text
    assert "SECRET" not in student and "hidden_edge" not in student
    assert "1 hidden check worth 1 point will be shown after" in student
    _user(engine, "prof", "instructor")
    teacher = _client(engine, course, "prof").get(f"/submissions/{sid}").text
    assert "SECRET-INPUT 42 gave 7" in teacher


def test_a_student_cannot_open_another_students_pages(engine: Engine, tmp_path: Path) -> None:
    course = _course(tmp_path)
    _user(engine, "bob")
    _user(engine, "eve")
    sid = _submit(engine, course, "bob")
    _grade(engine, WRONG)
    eve = _client(engine, course, "eve")
    assert eve.get(f"/submissions/{sid}").status_code == 404
    assert eve.get(f"/submissions/{sid + 1000}").status_code == 404
    assert eve.get("/submissions/abc").status_code == 404
    for path in (
        "/instructor/gradebook",
        f"/instructor/assignments/{PLANAR}",
        "/instructor/students/bob",
        "/instructor/roster",
    ):
        answer = eve.get(path)
        assert answer.status_code == 403, path
        assert "only instructors" in answer.text
    anonymous = _client(engine, course)
    answer = anonymous.get(f"/submissions/{sid}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_student_content_is_escaped_everywhere(engine: Engine, tmp_path: Path) -> None:
    course = _course(tmp_path)
    _user(engine, "bob", name="<b>Bobby</b>")
    _user(engine, "prof", "instructor")
    hostile_name = "<img src=x onerror=alert(1)>.ipynb"
    sid = _submit(engine, course, "bob", name=hostile_name)
    _grade(
        engine, [_test("compute_cost.value", "failed", 0.0, message="<script>alert('m')</script>")]
    )
    student = _client(engine, course, "bob").get(f"/submissions/{sid}").text
    teacher = _client(engine, course, "prof")
    pages = [
        student,
        teacher.get(f"/submissions/{sid}").text,
        teacher.get(f"/instructor/assignments/{PLANAR}").text,
        teacher.get("/instructor/gradebook").text,
        teacher.get("/instructor/students/bob").text,
    ]
    for text in pages:
        assert "<img src=x" not in text and "<script>alert" not in text and "<b>Bobby" not in text
    assert "&lt;script&gt;alert(&#39;m&#39;)&lt;/script&gt;" in student
    assert "&lt;img src=x onerror=alert(1)&gt;.ipynb" in student


def _three_students(engine: Engine, course: Course) -> None:
    for user_id, name in (("ann", "Ann Zed"), ("bob", "Bob Young"), ("cat", "Cat Xu")):
        _user(engine, user_id, name=name)
    _submit(engine, course, "ann")
    _grade(engine, [_test("f.a", "passed", 1.0), _test("f.b", "passed", 1.0)])
    _submit(engine, course, "bob")
    _grade(engine, [_test("f.a", "failed", 0.0, message="wrong"), _test("f.b", "passed", 1.0)])


def test_the_gradebook_sorts_filters_and_downloads_as_csv(engine: Engine, tmp_path: Path) -> None:
    course = _course(tmp_path)
    _three_students(engine, course)
    _user(engine, "prof", "instructor")
    client = _client(engine, course, "prof")
    page = client.get("/instructor/gradebook", params={"sort": f"a:{PLANAR}", "order": "desc"})
    assert page.status_code == 200
    order = re.findall(r'<th scope="row"><a href="/instructor/students/(\w+)"', page.text)
    assert order == ["ann", "bob", "cat"]
    page = client.get("/instructor/gradebook", params={"sort": "name", "order": "desc"})
    assert re.findall(r'<th scope="row"><a href="/instructor/students/(\w+)"', page.text) == [
        "cat",
        "bob",
        "ann",
    ]
    filtered = client.get("/instructor/gradebook", params={"q": "young"})
    assert re.findall(r'<th scope="row"><a href="/instructor/students/(\w+)"', filtered.text) == [
        "bob"
    ]
    odd = client.get("/instructor/gradebook", params={"sort": "nonsense", "order": "sideways"})
    assert odd.status_code == 200
    csv = client.get("/instructor/gradebook.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == f"id,name,email,{PLANAR},total"
    assert lines[1:] == ["ann,Ann Zed,,2,2", "bob,Bob Young,,1,1", "cat,Cat Xu,,,0"]


def test_the_dashboard_draws_the_histogram_failure_rates_and_lists_late_and_missing(
    engine: Engine, tmp_path: Path
) -> None:
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=36)
    course = _course(tmp_path, deadline=past)
    _three_students(engine, course)
    _user(engine, "prof", "instructor")
    page = _client(engine, course, "prof").get(f"/instructor/assignments/{PLANAR}")
    assert page.status_code == 200
    text = page.text
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert "<title>f.a: 1 of 2 failed</title>" in text
    assert (
        '<span class="count">1\N{MULTIPLICATION SIGN}</span> <pre class="message">f.a: wrong</pre>'
        in text
    )
    missing = text.split('id="missing-h"', 1)[1]
    assert "/instructor/students/cat" in missing and "/instructor/students/ann" not in missing
    late = text.split('id="late-h"', 1)[1].split('id="missing-h"', 1)[0]
    assert 'by <a href="/instructor/students/ann">ann</a>, 2 days late' in late


def test_regrade_roster_extension_and_signin_link_forms(engine: Engine, tmp_path: Path) -> None:
    course = _course(tmp_path)
    _three_students(engine, course)
    _user(engine, "prof", "instructor")
    client = _client(engine, course, "prof")
    token = _csrf(client)
    assert client.post(f"/instructor/assignments/{PLANAR}/regrade").status_code == 403
    started = client.post(f"/instructor/assignments/{PLANAR}/regrade", data={"csrf_token": token})
    assert started.status_code == 303
    progress = client.get(started.headers["location"])
    assert "0 of 2 submissions graded again" in progress.text
    assert '<meta http-equiv="refresh"' in progress.text
    roster = "id,name,email\ndan,Dan Web,dan@example.org\nbad id!,x,y\n"
    imported = client.post(
        "/instructor/roster",
        data={"csrf_token": token},
        files={"file": ("roster.csv", roster.encode(), "text/csv")},
    )
    assert imported.status_code == 200
    assert "1 added, 0 updated, 1 refused" in imported.text and "Dan Web" in imported.text
    extended = client.post(
        "/instructor/students/dan/extension",
        data={"csrf_token": token, "assignment": PLANAR, "deadline": "2030-01-02T03:04"},
    )
    assert extended.status_code == 303
    assert "extended to 2030-01-02 03:04 UTC" in client.get("/instructor/students/dan").text
    wrong = client.post(
        "/instructor/students/dan/extension",
        data={"csrf_token": token, "assignment": PLANAR, "deadline": "next tuesday"},
    )
    assert wrong.status_code == 400 and "not a date and time" in wrong.text
    link = client.post("/instructor/students/dan/signin-link", data={"csrf_token": token})
    found = re.search(r'value="http://testserver(/signin/[\w-]+)"', link.text)
    assert found is not None
    dan = _client(engine, course)
    assert dan.post(found.group(1)).status_code == 303
    assert "Your assignments" in dan.get("/").text
    assert client.get("/instructor/students/nobody").status_code == 404


def test_every_page_is_html_with_the_strict_csp_and_no_inline_script_or_style(
    engine: Engine, tmp_path: Path
) -> None:
    course = _course(tmp_path)
    _three_students(engine, course)
    _user(engine, "prof", "instructor")
    client = _client(engine, course, "prof")
    paths = [
        "/",
        "/instructor/gradebook",
        f"/instructor/assignments/{PLANAR}",
        "/instructor/students/bob",
        "/instructor/roster",
        "/submissions/1",
    ]
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "unsafe-inline" not in answer.headers["content-security-policy"]
        assert re.search(r"<script(?![^>]*\bsrc=)", answer.text) is None, path
        assert re.search(r"\sstyle=", answer.text) is None, path
        assert re.search(r"<style", answer.text) is None, path
        assert re.search(r"\son[a-z]+=", answer.text) is None, path


def test_the_api_status_the_live_page_polls_matches_the_page(
    engine: Engine, tmp_path: Path
) -> None:
    course = _course(tmp_path)
    _user(engine, "bob")
    sid = _submit(engine, course, "bob")
    client = _client(engine, course, "bob")
    assert client.get(f"/api/submissions/{sid}").json()["status"] == "queued"
    _grade(engine, WRONG)
    body = json.loads(client.get(f"/api/submissions/{sid}").text)
    assert body["status"] == "graded"
    assert 'data-status="graded"' in client.get(f"/submissions/{sid}").text


@pytest.mark.parametrize("path", ["/assignments/nope", "/instructor/assignments/nope"])
def test_an_unknown_assignment_is_a_404_page(engine: Engine, tmp_path: Path, path: str) -> None:
    course = _course(tmp_path)
    _user(engine, "prof", "instructor")
    _user(engine, "bob")
    who = "prof" if path.startswith("/instructor") else "bob"
    answer = _client(engine, course, who).get(path)
    assert answer.status_code == 404 and "no assignment &#39;nope&#39;" in answer.text
