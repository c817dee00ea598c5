"""What a student sees of a hidden check: nothing that the student's code chose."""

from __future__ import annotations

import numpy as np
import pytest

from grader.assignment import Check
from grader.expect import (
    expect_binary,
    expect_close,
    expect_distinct_rows,
    expect_finite,
    expect_int,
    expect_keys,
    expect_normal,
    expect_normal_scale,
    expect_number,
    expect_sequence,
    expect_shape,
    expect_zeros,
)
from grader.extract import Program, Unit
from grader.redact import hidden_error_message, safe_where, student_error_message
from grader.results import CheckResult
from grader.runner import Verdict, judge, run_check
from grader.testing import CheckFailed, CheckSpec, StudentCodeError

PROGRAM = Program(
    units=(Unit("def", ("f",), "def f(x):\n    y = x\n    raise ValueError(y)\n", 3, 5),),
    functions={},
)
SECRET = "0.7368421052631579"


def test_an_exception_keeps_function_type_and_place_but_not_its_message() -> None:
    exc = StudentCodeError(
        "f", "exception", f"`f` raised ValueError: {SECRET} (cell 3, line 7)",
        exc_type="ValueError", where="cell 3, line 7",
    )
    public = hidden_error_message(exc, PROGRAM)
    assert public.startswith("`f` raised ValueError (cell 3, line 7); ")
    assert SECRET not in public
    assert SECRET in student_error_message(exc, PROGRAM)


@pytest.mark.parametrize(
    ("exc_type", "where"),
    [
        (f"Leak_{SECRET[2:]}", "cell 3, line 7"),  # a class made at run time, named by data
        ("ValueError", f"cell 3: {SECRET}, line 7"),  # code compiled as "<cell 3: ...>"
        ("ValueError", f"cell 3, line {SECRET[2:9]}"),  # a line number made of data
        ("ValueError", f"cell {SECRET[2:6]}, line 1"),  # a cell that does not exist
    ],
)
def test_student_chosen_names_and_places_are_left_out(exc_type: str, where: str) -> None:
    exc = StudentCodeError("f", "exception", "x", exc_type=exc_type, where=where)
    public = hidden_error_message(exc, PROGRAM)
    assert SECRET[2:6] not in public


def test_only_real_places_in_the_notebook_are_named() -> None:
    assert safe_where("cell 3, line 5", PROGRAM) == "cell 3, line 5"
    assert safe_where("cell 3, line 7", PROGRAM) == "cell 3, line 7"
    assert safe_where("cell 3, line 8", PROGRAM) == ""
    assert safe_where("cell 4, line 5", PROGRAM) == ""


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("exit", "`f` exited without a result (exit status 73)"),
        ("crash", "`f` could not be loaded: exited without a result (exit status 73)"),
        ("unsupported", "`f` returned a value the grader cannot use: unsupported return "
         "type Leak73"),
        ("too_large", "`f` returned a value the grader cannot use: result too large (73 MB)"),
        ("memory", "`f` exceeded the memory limit (512 MB) (cell 73, line 73)"),
    ],
)
def test_exit_statuses_and_type_names_are_left_out(kind: str, message: str) -> None:
    exc = StudentCodeError("f", kind, message, where="cell 73, line 73")  # type: ignore[arg-type]
    public = hidden_error_message(exc, PROGRAM)
    assert "73" not in public and public.startswith("`f` ")


def test_grader_words_stay() -> None:
    exc = StudentCodeError("f", "timeout", "`f` timed out after 5 s")
    assert hidden_error_message(exc, PROGRAM) == "`f` timed out after 5 s"


def test_a_hidden_result_shows_its_public_message_and_a_visible_one_everything() -> None:
    hidden = CheckResult("f.x", "f", 0.0, 1.0, "error", SECRET, "hidden", public_message="p")
    assert hidden.student_message == "p"
    visible = CheckResult("f.y", "f", 0.0, 1.0, "error", SECRET, "visible")
    assert visible.student_message == SECRET
    assert CheckResult.from_dict(hidden.to_dict()) == hidden


# The expect helpers: a public message without the numbers taken from the student's value.
ARR = np.full((2, 3), 1234.5678)


@pytest.mark.parametrize(
    "call",
    [
        lambda: expect_shape(ARR, (3, 2), "W1"),
        lambda: expect_close(ARR, np.zeros((2, 3)), "W1"),
        lambda: expect_zeros(ARR, "W1"),
        lambda: expect_binary(ARR, "W1"),
        lambda: expect_finite(np.array([np.nan, 1234.5678, np.inf, 0, 0, 0, 0]), "W1"),
        lambda: expect_distinct_rows(np.array([[0.0], [1234.0], [1234.0]]), "W1"),
        lambda: expect_sequence([0.0] * 1234, 3, "result"),
        lambda: expect_sequence(np.zeros((1234, 0)), 3, "result"),
        lambda: expect_keys(np.zeros((1234, 0)), ["W1"], "params"),
        lambda: expect_int(np.zeros((1234, 0)), "n_x"),
        lambda: expect_number(np.zeros((1234, 0)), "cost"),
        lambda: expect_normal(np.full(20_000, 1234.5678), "W1", std=0.01),
        lambda: expect_normal(np.random.default_rng(0).normal(0, 12.34, 20_000), "W1", std=1),
        lambda: expect_normal(np.random.default_rng(0).normal(12.34, 1, 20_000), "W1", std=1),
        lambda: expect_normal(np.random.default_rng(0).uniform(-1.7, 1.7, 20_000), "W", std=1),
        lambda: expect_normal_scale(
            np.random.default_rng(0).normal(0, 12.34, 20_000), "W1", std=1, expected="1"
        ),
    ],
)
def test_expect_helpers_give_a_public_message_without_the_students_numbers(call: object) -> None:
    with pytest.raises(CheckFailed) as info:
        call()  # type: ignore[operator]
    public = info.value.public
    assert public is not None
    assert not any(text in public for text in ("1234", "12.3", "1.23e+03", "kurtosis"))
    assert public.split(":")[0] != str(info.value).split(":")[0]  # the full one has them


def _check(func: object) -> Check:
    return Check(CheckSpec("f", "c", 1.0, func), "hidden")  # type: ignore[arg-type]


def test_judge_gives_full_and_public_messages() -> None:
    def quoting() -> None:
        raise CheckFailed(f"f returned {SECRET}", public="f returned a wrong value")

    def blank() -> None:
        raise CheckFailed(f"f returned {SECRET}", public=" ")

    def crashing() -> None:
        float(f"not a number {SECRET}")

    verdict = judge(_check(quoting), {}, PROGRAM)
    assert verdict == Verdict("failed", f"f returned {SECRET}", "f returned a wrong value")
    assert run_check(_check(quoting), {}, PROGRAM) == ("failed", f"f returned {SECRET}")
    assert judge(_check(blank), {}, PROGRAM).public_message.startswith("the result is not")
    error = judge(_check(crashing), {}, PROGRAM)
    assert SECRET in error.message and SECRET not in error.public_message
    assert "ValueError" in error.public_message
