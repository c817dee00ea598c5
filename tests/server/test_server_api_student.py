"""The students' API: the assignments as they stand, the history, which submission counts, files."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from apikit import (
    NOTEBOOK,
    PLANAR,
    ago,
    bearer,
    check,
    client,
    course,
    grade_all,
    people,
    upload,
)
from sqlalchemy import Engine

from grader.server.api_student import attachment

HISTORY = f"/api/assignments/{PLANAR}/submissions"


def test_the_assignments_list_gives_the_callers_standing(engine: Engine, tmp_path: Path) -> None:
    tokens = people(engine)
    where = course(
        tmp_path,
        deadline=ago(days=-7),
        late="penalty",
        penalty_per_day=5.0,
        max_submissions=5,
        counts="last",
        hidden="after_deadline",
    )
    web = client(engine, where)
    empty = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"]
    assert empty[0]["counting"] is None and empty[0]["latest"] is None
    first = upload(web, tokens.alice).json()["id"]
    grade_all(engine, lambda _: (check("a", 1.0, "visible"), check("b", 1.0, "hidden")))
    second = upload(web, tokens.alice).json()["id"]  # queued
    (mine,) = web.get("/api/assignments", headers=bearer(tokens.alice)).json()["assignments"]
    assert mine["id"] == PLANAR and mine["title"].startswith("Planar data classification")
    assert mine["deadline"] is not None and mine["deadline"].endswith("Z")
    assert mine["late"] == "penalty" and mine["penalty_per_day"] == 5.0
    assert mine["submissions"] == {"used": 2, "max": 5} and mine["open"] is True
    assert mine["latest"] == {"id": second, "status": "queued"}
    # the last graded counts; before the deadline it is scored on the visible checks only
    assert mine["counting"] == {
        "id": first,
        "status": "graded",
        "score": 1.0,
        "max_score": 1.0,
        "provisional": False,
    }
    (bobs,) = web.get("/api/assignments", headers=bearer(tokens.bob)).json()["assignments"]
    assert bobs["submissions"]["used"] == 0 and bobs["counting"] is None


def test_the_history_marks_the_last_graded_submission_as_counting(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    ids = [upload(web, tokens.alice).json()["id"] for _ in range(3)]
    grade_all(engine, lambda sid: (check("a", 1.0 if sid == ids[0] else 0.0, "visible"),))
    upload(web, tokens.bob)
    history = web.get(HISTORY, headers=bearer(tokens.alice)).json()
    assert history["student"] == "alice" and history["provisional"] is False
    items = history["submissions"]
    assert [i["id"] for i in items] == ids  # oldest first, bob's not among them
    assert [i["counts"] for i in items] == [False, False, True]
    assert [i["score"] for i in items] == [1.0, 0.0, 0.0]
    assert all(i["status"] == "graded" and i["filename"] == "mine.ipynb" for i in items)


def test_best_counts_on_what_the_student_may_see_while_hidden_checks_are_withheld(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path, deadline=ago(days=-7), counts="best"))
    first = upload(web, tokens.alice).json()["id"]
    second = upload(web, tokens.alice).json()["id"]
    # the first does better on the visible check, the second on the hidden ones
    grade_all(
        engine,
        lambda sid: (
            check("a", 1.0 if sid == first else 0.0, "visible"),
            check("b", 0.0 if sid == first else 1.0, "hidden"),
            check("c", 0.0 if sid == first else 1.0, "hidden"),
        ),
    )
    student = web.get(HISTORY, headers=bearer(tokens.alice)).json()
    assert student["provisional"] is True
    assert [i["counts"] for i in student["submissions"]] == [True, False]
    assert [i["score"] for i in student["submissions"]] == [1.0, 0.0]
    prof = web.get(f"{HISTORY}?student=alice", headers=bearer(tokens.prof)).json()
    assert prof["provisional"] is False
    assert [i["counts"] for i in prof["submissions"]] == [False, True]
    assert [i["score"] for i in prof["submissions"]] == [1.0, 2.0]
    results = web.get(f"/api/assignments/{PLANAR}/results", headers=bearer(tokens.prof)).json()
    assert [s["counts"] for s in results["submissions"]] == [False, True]
    assert second == results["submissions"][1]["submission_id"]


def test_a_submission_downloads_as_an_attachment_with_a_safe_name(
    engine: Engine, tmp_path: Path
) -> None:
    tokens = people(engine)
    web = client(engine, course(tmp_path))
    name = 'my "notes" é.ipynb'
    sid = upload(web, tokens.alice, name=name).json()["id"]
    for token in (tokens.alice, tokens.prof):
        got = web.get(f"/api/submissions/{sid}/file", headers=bearer(token))
        assert got.status_code == 200 and got.content == NOTEBOOK
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["x-content-type-options"] == "nosniff"
        plain, encoded = _disposition(got.headers["content-disposition"])
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*\.ipynb", plain)
        assert encoded.endswith("%C3%A9.ipynb")  # the real name, percent-encoded


def _disposition(header: str) -> tuple[str, str]:
    match = re.fullmatch(r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)', header)
    assert match is not None, header
    return match.group(1), match.group(2)


def test_a_download_name_cannot_break_out_of_its_header() -> None:
    for name in ('a"; x=1.ipynb', "a\r\nSet-Cookie: x=1.ipynb", "..\\..\\.bashrc", "", "é" * 300):
        plain, encoded = _disposition(attachment(name))
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", plain), name
        assert re.fullmatch(r"[A-Za-z0-9%._~-]*", encoded), name
        assert unquote(encoded) == (name[:200] or "submission")
