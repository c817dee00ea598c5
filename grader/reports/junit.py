"""JUnit XML: one ``<testsuite>`` per submission, one ``<testcase>`` per test.

CI dashboards and LMS plug-ins read this format. ElementTree escapes ``<``, ``&`` and
quotes; characters XML 1.0 cannot carry at all (student output may hold BEL, ESC, ...)
are removed first, since an escaped form of them would still be ill-formed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.reports._common import fmt_num, xml_safe
from grader.results import CheckResult, GradingRun, SubmissionResult

__all__ = ["JUnitCounts", "junit_root_tag", "junit_suite", "junit_xml"]

_MESSAGE_LIMIT = 1000  # characters kept in a message="..." attribute (the body has it all)
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SLOT = "@@suites@@"  # cannot occur in the escaped attributes of the root tag


class JUnitCounts:
    """Tallies for one suite, added up into the root's attributes."""

    def __init__(self) -> None:
        self.tests = self.failures = self.errors = self.skipped = 0
        self.time = 0.0

    def add(self, other: JUnitCounts) -> None:
        """Add another suite's tallies to these."""
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time += other.time

    def apply(self, element: ET.Element) -> None:
        """Set the ``tests``/``failures``/``errors``/``skipped``/``time`` attributes."""
        element.set("tests", str(self.tests))
        element.set("failures", str(self.failures))
        element.set("errors", str(self.errors))
        element.set("skipped", str(self.skipped))
        element.set("time", f"{self.time:.3f}")


def _sub(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text:
        element.text = xml_safe(text)
    return element


def _testcase(suite: ET.Element, sub_id: str, test: CheckResult, counts: JUnitCounts) -> None:
    case = _sub(suite, "testcase", classname=sub_id, name=test.id, time=f"{test.duration_s:.3f}")
    message = test.message or test.outcome
    short = message[:_MESSAGE_LIMIT]
    counts.tests += 1
    counts.time += test.duration_s
    if test.outcome == "failed":
        counts.failures += 1
        _sub(case, "failure", message, message=short, type="failed")
    elif test.outcome in ("error", "timeout"):
        counts.errors += 1
        _sub(case, "error", message, message=short, type=test.outcome)
    elif test.outcome == "missing":
        counts.skipped += 1
        _sub(case, "skipped", message=short)
    if test.output:
        _sub(case, "system-out", test.output)


def _suite(root: ET.Element, sub: SubmissionResult) -> JUnitCounts:
    suite = _sub(root, "testsuite", name=sub.id)
    props = _sub(suite, "properties")
    for name, value in (
        ("path", sub.path),
        ("status", sub.status),
        ("score", fmt_num(sub.score)),
        ("max_score", fmt_num(sub.max_score)),
        *(("warning", w) for w in sub.warnings),
    ):
        _sub(props, "property", name=name, value=value)
    counts = JUnitCounts()
    if sub.status == "graded":
        for test in sub.tests:
            _testcase(suite, sub.id, test, counts)
    else:
        reason = sub.error or "the submission could not be graded"
        case = _sub(suite, "testcase", classname=sub.id, name="submission", time="0.000")
        _sub(case, "error", reason, message=reason[:_MESSAGE_LIMIT], type="invalid")
        counts.tests, counts.errors = 1, 1
    counts.time = max(counts.time, sub.duration_s)
    counts.apply(suite)
    return counts


def junit_xml(run: GradingRun) -> str:
    """Render a run as a JUnit XML document.

    Failed tests carry ``<failure>``, errors and timeouts ``<error>``, functions missing from
    the submission ``<skipped>``; an invalid submission is a suite with one errored
    ``submission`` testcase. Each suite's ``tests``/``failures``/``errors``/``skipped``
    attributes count its testcases, and the root ``<testsuites>`` sums them.

    Args:
        run: the results of one grading run.

    Returns:
        The XML text with an XML declaration, ending in a newline.
    """
    root = ET.Element("testsuites", {"name": xml_safe(run.assignment.id)})
    total = JUnitCounts()
    for sub in run.submissions:
        total.add(_suite(root, sub))
    total.apply(root)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return _DECLARATION + body + "\n"


def junit_suite(sub: SubmissionResult) -> tuple[str, JUnitCounts]:
    """One submission's ``<testsuite>`` element, as :func:`junit_xml` lays it out.

    For writers that stream a document one suite at a time.

    Returns:
        The element's text (indented as a child of the root, no trailing newline) and its
        tallies (add them up for :func:`junit_root_tag`).
    """
    holder = ET.Element("testsuites")
    counts = _suite(holder, sub)
    suite = holder[0]
    ET.indent(suite, level=1)
    return ET.tostring(suite, encoding="unicode"), counts


def junit_root_tag(name: str, counts: JUnitCounts) -> tuple[str, str]:
    """The text before and after the suites of a whole document with these totals.

    ``before + "".join("  " + suite + "\n" for suite in suites) + after`` is the document
    :func:`junit_xml` renders (for at least one suite).
    """
    root = ET.Element("testsuites", {"name": xml_safe(name)})
    counts.apply(root)
    root.text = _SLOT
    before, after = ET.tostring(root, encoding="unicode").split(_SLOT)
    return _DECLARATION + before + "\n", after + "\n"
