"""The website in a real browser: Playwright driving Debian's Chromium against a real server.

One server per module: uvicorn on a free loopback port in a thread, a real Worker grading in
another, SQLite in the test's temporary folder. Skipped when Chromium or Playwright is missing,
unless GRADER_REQUIRE_BROWSER=1 (CI), which makes that a failure. Screenshots of the main
pages go to the test's temporary folder; with GRADER_SAVE_SCREENSHOTS=DIR the result page and
the instructor's dashboard are also saved there (docs/screenshots for the README).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from grader.server import accounts, db
from grader.server.app import create_app
from grader.server.course import Course, demo_course
from grader.server.submit import accept
from grader.server.worker import Worker

CHROMIUM = "/usr/bin/chromium"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANAR = "planar_data_classification"
PASSWORD = "a long enough password"
TIMEOUT_MS = 90_000  # grading in a shared, busy machine: generous ceilings, never a race

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

if sync_playwright is None or not Path(CHROMIUM).exists():
    if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
        pytest.fail(
            "GRADER_REQUIRE_BROWSER=1 but Playwright or /usr/bin/chromium is missing",
            pytrace=False,
        )
    pytest.skip("Playwright or /usr/bin/chromium is missing", allow_module_level=True)


@dataclass
class Site:
    """A running server: its URL, its course and where screenshots go."""

    url: str
    course: Course
    shots: Path
    engine: Any


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    folder = tmp_path_factory.mktemp("site")
    engine = db.make_engine(db.default_url(folder))
    db.upgrade(engine)
    base = demo_course(folder)
    course = Course(base.root, "Browser course", {PLANAR: base.assignments[PLANAR]})
    with Session(engine, expire_on_commit=False) as session:
        for user_id, role in (("bob", "student"), ("eve", "student"), ("prof", "instructor")):
            accounts.set_password(accounts.add_user(session, user_id, role), PASSWORD)
        session.commit()
        # classmates whose results fill the instructor's dashboard (graded in the background)
        for user_id, example in (("ann", "carol.ipynb"), ("cy", "frank.py"), ("dee", "bob.ipynb")):
            user = accounts.add_user(session, user_id, "student")
            session.commit()
            data = (EXAMPLES / example).read_bytes()
            accept(session, course, user, PLANAR, example, data)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(engine, course, secret=b"b" * 32),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    stop = threading.Event()
    worker = Worker(engine, course)
    threads = [
        threading.Thread(target=server.run, daemon=True),
        threading.Thread(target=worker.run, args=(stop.is_set,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield Site(f"http://127.0.0.1:{port}", course, folder / "shots", engine)
    finally:
        server.should_exit = True
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        worker.close()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def _page(browser: Browser, **options: Any) -> Page:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _sign_in(page: Page, site: Site, user: str) -> None:
    page.goto(f"{site.url}/signin")
    page.get_by_label("User id").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .who")).to_have_text(user)


def _shot(page: Page, site: Site, name: str, readme: bool = False) -> None:
    site.shots.mkdir(exist_ok=True)
    page.screenshot(path=str(site.shots / f"{name}.png"), full_page=True)
    target = os.environ.get("GRADER_SAVE_SCREENSHOTS")
    if readme and target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=False)


_WIDER = """() => Array.from(document.querySelectorAll("body *")).filter(e => {
    if (e.getBoundingClientRect().right <= window.innerWidth + 1) { return false; }
    for (let up = e.parentElement; up; up = up.parentElement) {
        const x = getComputedStyle(up).overflowX;
        if (x === "auto" || x === "scroll" || x === "hidden") { return false; }
    }
    return true;
}).slice(0, 5).map(e => e.tagName + "." + e.className)"""


def _fits_a_phone(page: Page) -> None:
    """Nothing is wider than a phone's screen but inside its own scrolling box."""
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 800})
    wider = page.evaluate(_WIDER)
    assert wider == [], "wider than a phone's screen: " + ", ".join(wider)
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    if size is not None:
        page.set_viewport_size(size)


def _upload(page: Page, site: Site, name: str, data: bytes) -> None:
    page.goto(f"{site.url}/assignments/{PLANAR}")
    page.locator("#file").set_input_files(
        {"name": name, "mimeType": "application/x-ipynb+json", "buffer": data}
    )
    page.get_by_role("button", name="Upload and grade").click()
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    expect(page.locator("#live .status")).to_have_text("graded")


def test_a_student_uploads_a_wrong_notebook_then_a_fixed_one(browser: Browser, site: Site) -> None:
    page = _page(browser)
    _sign_in(page, site, "bob")
    expect(page.locator(f'a[href="/assignments/{PLANAR}"]')).to_be_visible()
    _shot(page, site, "student-home")
    page.goto(f"{site.url}/assignments/{PLANAR}")  # a refusal shows beside the form
    page.locator("#file").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a notebook"}
    )
    page.get_by_role("button", name="Upload and grade").click()
    expect(page.locator("#upload-status")).to_contain_text("'notes.txt' is not a notebook")
    assert page.url.endswith(f"/assignments/{PLANAR}")
    _upload(page, site, "bob.ipynb", (EXAMPLES / "bob.ipynb").read_bytes())
    marks = page.locator("ul.marks")
    expect(marks.locator("li.none, li.partial").first).to_be_visible()
    expect(page.locator("tr.failed td.mark").first).to_contain_text("✗")
    # bob's weights have the wrong scale: its check's message, in the student's words
    expect(page.get_by_text("W1 has the wrong standard deviation").first).to_be_visible()
    expect(page.locator(".notebook .celltag_grader-feedback").first).to_be_visible()
    _shot(page, site, "student-result", readme=True)

    # the fixed notebook, dropped onto the form (the script's drag-and-drop path)
    page.goto(f"{site.url}/assignments/{PLANAR}")
    fixed = json.dumps(json.loads((EXAMPLES / "alice.ipynb").read_text(encoding="utf-8")))
    page.evaluate(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "fixed.ipynb", {type: "application/json"}));
            const drop = document.getElementById("drop");
            drop.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        fixed,
    )
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    expect(page.locator("#live .status")).to_have_text("graded")
    expect(page.locator("ul.marks li.none, ul.marks li.partial")).to_have_count(0)
    expect(page.locator("ul.marks li.full").first).to_contain_text("✓")
    expect(page.get_by_text("this submission counts")).to_be_visible()
    _shot(page, site, "student-result-fixed")
    _fits_a_phone(page)
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    _shot(page, site, "student-result-phone")
    page.context.close()


def test_the_plain_form_works_without_javascript(browser: Browser, site: Site) -> None:
    page = _page(browser, java_script_enabled=False)
    _sign_in(page, site, "eve")
    _upload(page, site, "eve.ipynb", (EXAMPLES / "alice.ipynb").read_bytes())
    expect(page.locator("ul.marks li.full").first).to_be_visible()
    page.context.close()


def test_a_student_cannot_open_another_students_result(browser: Browser, site: Site) -> None:
    bob = _page(browser)
    _sign_in(bob, site, "bob")
    bob.goto(f"{site.url}/assignments/{PLANAR}")
    first = bob.locator("table.history tbody tr a").first.get_attribute("href")
    assert first is not None and first.startswith("/submissions/")
    bob.context.close()
    eve = _page(browser)
    _sign_in(eve, site, "eve")
    answer = eve.goto(f"{site.url}{first}")
    assert answer is not None and answer.status == 404
    expect(eve.locator("main .error")).to_have_text("no such submission")
    answer = eve.goto(f"{site.url}/instructor/gradebook")
    assert answer is not None and answer.status == 403
    eve.context.close()


def _hostile_notebook() -> bytes:
    notebook = json.loads((EXAMPLES / "alice.ipynb").read_text(encoding="utf-8"))
    notebook["cells"].insert(
        0,
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "# Hi\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n"
            '<a href="javascript:alert(3)">click</a> $x^2$',
        },
    )
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and "def predict(" in "".join(cell["source"]):
            cell["source"] = (
                "".join(cell["source"])
                + "\n\ndef predict(parameters, X):\n"
                + "    raise ValueError('<img src=x onerror=alert(4)><script>alert(5)</script>')\n"
            )
    return json.dumps(notebook).encode()


def test_a_hostile_notebooks_markup_shows_as_text(browser: Browser, site: Site) -> None:
    page = _page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _sign_in(page, site, "bob")
    name = "<img src=x onerror=alert(6)>.ipynb"
    _upload(page, site, name, _hostile_notebook())
    expect(page.locator("main .meta .file")).to_have_text(name)
    expect(page.get_by_text("<img src=x onerror=alert(4)>").first).to_be_visible()
    expect(page.locator(".notebook math").first).to_be_attached()  # $x^2$ as MathML
    assert page.locator("img[src=x], main script, [onerror], a[href^=javascript]").count() == 0
    scripts = page.locator("script").evaluate_all("(all) => all.map(s => s.src)")
    assert all(src.startswith(site.url + "/static/") for src in scripts)
    page.reload()
    assert dialogs == []
    page.context.close()


def test_an_instructor_uploads_a_roster_extends_a_deadline_downloads_and_regrades(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    page = _page(browser)
    _sign_in(page, site, "prof")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\ncarol,Carol Ng,carol@example.org\n", encoding="utf-8")
    page.get_by_role("link", name="Students", exact=True).click()
    page.get_by_label("Roster CSV").set_input_files(str(roster))
    page.get_by_role("button", name="Upload roster").click()
    expect(page.get_by_role("status")).to_contain_text("1 added")
    _shot(page, site, "roster")

    page.get_by_role("link", name="carol").click()
    page.get_by_label("Own deadline").fill("2031-05-06T07:08")
    page.get_by_role("button", name="Set deadline").click()
    expect(page.get_by_text("extended to 2031-05-06 07:08 UTC")).to_be_visible()
    _shot(page, site, "student-page")

    page.get_by_role("link", name="Gradebook", exact=True).click()
    expect(page.locator("table.gradebook")).to_contain_text("carol")
    _shot(page, site, "gradebook")
    _fits_a_phone(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["id", "name", "email", PLANAR, "total"]
    assert {row[0] for row in rows[1:]} >= {"bob", "carol", "eve"}

    page.goto(f"{site.url}/instructor/assignments/{PLANAR}")
    expect(page.get_by_role("img", name=f"Scores of {PLANAR}")).to_be_visible()
    expect(page.get_by_role("img", name=f"Failure rate per check of {PLANAR}")).to_be_visible()
    expect(page.locator("#missing-h + ul")).to_contain_text("carol")
    _shot(page, site, "dashboard", readme=True)
    _fits_a_phone(page)
    page.get_by_role("button", name=f"Regrade {PLANAR}").click()
    page.wait_for_url(re.compile(r".*/instructor/regrades/\d+$"))
    expect(page.locator("#regrade-progress")).to_contain_text("done")  # by its own refresh
    page.context.close()


def _focus_order(page: Page, presses: int) -> list[str]:
    order = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.id || e.getAttribute('href') || e.textContent.trim(); }"
            )
        )
    return order


def test_the_pages_work_from_the_keyboard(browser: Browser, site: Site) -> None:
    page = _page(browser)
    page.goto(f"{site.url}/signin")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # from the main content: its first field
    assert page.evaluate("document.activeElement.id") == "user"
    page.keyboard.type("bob")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("header .who")).to_have_text("bob")
    page.goto(f"{site.url}/assignments/{PLANAR}")
    order = _focus_order(page, 8)
    assert "file" in order and "Upload and grade" in order
    page.goto(f"{site.url}/assignments/{PLANAR}")
    first = page.locator("table.history tbody tr a").first.get_attribute("href")
    page.goto(f"{site.url}{first}")
    closed = page.locator("details.function:not([open]) > summary").first
    closed.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.function").first).to_have_attribute("open", "")
    page.context.close()
