"""Hidden checks' public messages name no hidden input: sizes, rates and shapes stay symbolic.

Every hidden check of both bundled assignments runs (in-process, as in test_planar_checks)
against the reference, every mutant of its ``mutants.toml`` and a few hostile variants of our
own, through a ``submission`` fixture that records every argument the check passes. The
student-facing message (``CheckResult.student_message``) of each result must contain none of
those values as text: no scalar, no array shape, no list of layer sizes, no shape built from
them. The instructor's full message keeps them (checked too, so the recording is known to work).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from checks_harness import InProcess

from grader.assignment import Check
from grader.expect import (
    Name,
    expect_array,
    expect_binary,
    expect_close,
    expect_distinct_rows,
    expect_finite,
    expect_int,
    expect_keys,
    expect_normal,
    expect_normal_scale,
    expect_not_constant,
    expect_number,
    expect_sequence,
    expect_shape,
    expect_size,
    expect_zeros,
)
from grader.extract import Program
from grader.results import CheckResult
from grader.runner import judge
from grader.testing import CheckFailed, LocalSubmission, Signature

PLANAR = InProcess(
    "planar_data_classification",
    (
        "layer_sizes",
        "initialize_parameters",
        "forward_propagation",
        "compute_cost",
        "backward_propagation",
        "update_parameters",
        "nn_model",
        "predict",
    ),
)
DEEP = InProcess(
    "deep_initialization",
    ("initialize_parameters_deep", "initialize_parameters_he", "initialize_parameters_zeros"),
)
EMPTY = Program(units=(), functions={})

# Wrong in every way the mutants are not: other shapes (one row or column more, flattened,
# swapped), other types, keys missing or extra. Each produces failing messages that mention
# shapes and calls.
PLANAR_HOSTILE = {
    "sizes_from_columns": '''
def layer_sizes(X, Y):
    return (X.shape[1], 3, Y.shape[1])
''',
    "one_row_more": '''
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.random.randn(n_h + 1, n_x) * 0.01, "b1": np.zeros((n_h + 1, 1)),
            "W2": np.random.randn(n_y + 1, n_h) * 0.01, "b2": np.zeros((n_y + 1, 1))}

def forward_propagation(X, parameters):
    A = np.full((parameters["W1"].shape[0] + 1, X.shape[1]), 0.5)
    return A[:1] * np.ones((2, 1)), {"Z1": A, "A1": A, "Z2": A[:2], "A2": A[:2]}

def backward_propagation(parameters, cache, X, Y):
    return {"d" + k: np.zeros((v.shape[0] + 1, v.shape[1])) for k, v in parameters.items()}

def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: np.zeros((v.shape[0], v.shape[1] + 1)) for k, v in parameters.items()}

def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    return initialize_parameters(X.shape[0], n_h, Y.shape[0])

def predict(parameters, X):
    return np.zeros((1, X.shape[1] + 1))
''',
    "flat_values": '''
def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.random.randn(n_h * n_x) * 0.01, "b1": np.zeros(n_h),
            "W2": np.random.randn(n_y * n_h) * 0.01, "b2": np.zeros(n_y)}

def forward_propagation(X, parameters):
    return [1.0, 2.0, 3.0]

def compute_cost(A2, Y):
    return np.ones((1, 1))

def backward_propagation(parameters, cache, X, Y):
    return {"dW1": 0.0}

def update_parameters(parameters, grads, learning_rate=1.2):
    return [learning_rate]

def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    return {k: v.T for k, v in initialize_parameters(X.shape[0], n_h, Y.shape[0]).items()}

def predict(parameters, X):
    return np.full(X.shape[1], 2.0)
''',
}
DEEP_HOSTILE = {
    "one_layer_short": '''
def initialize_parameters_deep(layer_dims):
    return {f"{k}{l}": np.zeros((layer_dims[l], 1)) for l in range(1, len(layer_dims) - 1)
            for k in "Wb"}

def initialize_parameters_he(layer_dims):
    return {f"{k}{l}": np.ones((layer_dims[l] + 1, 2)) for l in range(1, len(layer_dims) + 1)
            for k in "Wb" if l < len(layer_dims)} | {"W99": np.zeros(1)}

def initialize_parameters_zeros(layer_dims):
    return [0.0] * len(layer_dims)
''',
    "he_scaled_by_this_layer": '''
def initialize_parameters_he(layer_dims):
    parameters = {}
    for l in range(1, len(layer_dims)):
        W = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l])
        parameters["W" + str(l)] = W
        parameters["b" + str(l)] = np.ones((layer_dims[l], 1))
    return parameters

def initialize_parameters_zeros(layer_dims):
    return {f"{k}{l}": np.ones((layer_dims[l], layer_dims[l - 1] + 1))
            for l in range(1, len(layer_dims)) for k in "Wb"}
''',
}


class Recording:
    """A ``submission`` that keeps every argument a check passes to the student's functions."""

    def __init__(self, inner: LocalSubmission) -> None:
        self.inner = inner
        self.seen: list[object] = []

    def has(self, name: str) -> bool:
        return self.inner.has(name)

    def signature(self, name: str) -> Signature:
        return self.inner.signature(name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        func = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.seen.extend(args)
            self.seen.extend(kwargs.values())
            return func(*args, **kwargs)

        return call


def _texts(value: object) -> Iterator[str]:
    """Every way a message could show ``value`` (or a shape built from it) as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, np.ndarray):
        yield str(value.shape)
        if value.ndim == 2:
            yield f"{value.shape[0]}, {value.shape[1]}"
        if value.dtype.kind == "f" and value.size <= 64:
            for x in value.ravel().tolist():
                yield from _texts(x)
    elif isinstance(value, (list, tuple)):
        yield repr(value)
        if len(value) >= 3:
            yield str(len(value))  # the number of layers is a hidden input too
        numbers = [v for v in value if isinstance(v, int)]
        for a, b in itertools.pairwise(numbers):
            yield from (f"({b}, {a})", f"({a}, {b})", f"{b}, {a}")
        for a in numbers:
            yield f"({a}, 1)"
        for item in value:
            yield from _texts(item)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) >= 3:  # 0, 1 and 2 are in every other word: found inside shapes only
            yield str(value)
    elif isinstance(value, float):
        for text in {repr(value), f"{value:.3g}"}:
            # A float that prints as a small integer ("1" for 0.9996, a 0/1 label) is in every
            # other word, as small integers are.
            if not (re.fullmatch(r"-?\d+(\.0)?", text) and abs(value) < 3):
                yield text


_PLACE = re.compile(r"cell \d+, line \d+")  # where in the notebook, not an input


def _leaks(message: str, seen: list[object]) -> set[str]:
    """The texts of ``seen`` that ``message`` contains, as whole tokens."""
    message = _PLACE.sub("", message)
    found = set()
    for text in {t for value in seen for t in _texts(value)}:
        # Not part of a longer number or name ("W5", "13", "0.51"), nor an index ("[5]").
        pattern = rf"(?<![\w.\[]){re.escape(text)}(?![\w\]]|\.\d)"
        if re.search(pattern, message):
            found.add(text)
    return found


Case = tuple[str, InProcess, str, frozenset[str] | None]


def _grade(
    harness: InProcess, extra: str, only: frozenset[str] | None
) -> list[tuple[CheckResult, list[object]]]:
    """The hidden checks' results on the reference plus ``extra``, and the values they passed.

    ``only``, when given, limits the run to those check ids (the others pass: a passing check
    has no message).
    """
    namespace = harness.namespace(extra=extra)
    graded = []
    for index, spec in enumerate(harness.checks):
        if spec not in harness.hidden or (only is not None and spec.id not in only):
            continue
        np.random.seed(index)
        submission = Recording(harness.submission(namespace))
        fixtures = {"submission": submission, "reference": harness.reference}
        verdict = judge(Check(spec, "hidden"), fixtures, EMPTY)
        result = CheckResult(
            spec.id, spec.function, 0.0, spec.points, verdict.outcome, verdict.message,
            "hidden", public_message=verdict.public_message,
        )
        graded.append((result, submission.seen))
    return graded


def _cases() -> list[Case]:
    """The reference, every mutant and every hostile variant of both assignments.

    A mutant fails exactly its ``fails`` checks (test_planar_checks and test_deep_checks hold
    that), so only those run: the others pass, without a message.
    """
    cases: list[Case] = []
    for harness, hostile in ((PLANAR, PLANAR_HOSTILE), (DEEP, DEEP_HOSTILE)):
        name = harness.root.name
        cases.append((f"{name}:reference", harness, "", None))
        cases += [
            (f"{name}:{m['name']}", harness, m["code"], frozenset(m["fails"]))
            for m in harness.mutants
        ]
        cases += [(f"{name}:{key}", harness, code, None) for key, code in hostile.items()]
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def graded() -> dict[str, list[tuple[CheckResult, list[object]]]]:
    return {name: _grade(harness, extra, only) for name, harness, extra, only in CASES}


@pytest.mark.parametrize("case", [case[0] for case in CASES])
def test_no_hidden_input_in_a_student_message(
    graded: dict[str, list[tuple[CheckResult, list[object]]]], case: str
) -> None:
    for result, seen in graded[case]:
        leaked = _leaks(result.student_message, seen)
        assert not leaked, f"{result.id}: {leaked} in {result.student_message!r}"


def test_the_recording_finds_inputs_in_the_instructors_messages(
    graded: dict[str, list[tuple[CheckResult, list[object]]]],
) -> None:
    # The premise: failures happened, and their full messages name the concrete inputs (so a
    # leak would be seen), while the student's version keeps a message to act on.
    results = [pair for pairs in graded.values() for pair in pairs]
    failed = [(r, seen) for r, seen in results if r.outcome != "passed"]
    assert len(failed) >= 60
    assert len([r for r, seen in failed if _leaks(r.message, seen)]) >= 30
    assert all(len(r.student_message) >= 20 for r, _ in failed)


def _student_message(case: str, check_id: str, graded: dict[str, Any]) -> str:
    result = next(r for r, _ in graded[case] if r.id == check_id)
    assert result.outcome == "failed", result
    return str(result.student_message)


def test_symbolic_messages_stay_actionable(
    graded: dict[str, list[tuple[CheckResult, list[object]]]],
) -> None:
    planar, deep = "planar_data_classification", "deep_initialization"
    shapes = _student_message(f"{planar}:transposed_W1", "initialize_parameters.shapes", graded)
    assert "initialize_parameters(n_x, n_h, n_y)" in shapes
    assert "(n_h, n_x)" in shapes and "transposed" in shapes
    he = _student_message(f"{deep}:he_xavier", "initialize_parameters_he.scale", graded)
    assert "sqrt(2 / layer_dims[0])" in he and "Xavier" in he
    assert "initialize_parameters_he(layer_dims)" in he
    short = _student_message(f"{deep}:one_layer_short", "initialize_parameters_deep.shapes", graded)
    assert "for l in range(1, L)" in short


# ---------------------------------------------------------------------------------------------
# The helpers' side: a Name's public form, and symbolic shapes instead of numbers.


def _public(call: Callable[[], object]) -> tuple[str, str]:
    with pytest.raises(CheckFailed) as info:
        call()
    assert info.value.public is not None
    return str(info.value), info.value.public


WHAT = Name("W1 from f(3, 5, 2)", public="W1 from f(n_x, n_h, n_y)")


def test_a_name_is_its_full_text_and_keeps_a_public_form() -> None:
    assert WHAT == "W1 from f(3, 5, 2)" and WHAT.public == "W1 from f(n_x, n_h, n_y)"
    assert Name("b1").public == "b1"


def test_expect_shape_shows_the_symbols_to_a_student() -> None:
    full, public = _public(lambda: expect_shape(np.zeros((3, 5)), (5, 3), WHAT, names="(n_h, n_x)"))
    assert full.startswith("W1 from f(3, 5, 2) has shape (3, 5), expected (5, 3) = (n_h, n_x)")
    assert public.startswith("W1 from f(n_x, n_h, n_y) has the wrong shape, expected (n_h, n_x)")
    assert "transposed" in public and not re.search(r"\d, \d", public)
    _, public = _public(lambda: expect_size(np.zeros(7), (2, 3), "W1"))
    assert public.startswith("W1 has the wrong shape") and "(2, 3)" not in public


def test_expect_zeros_and_scale_use_the_public_name_and_formula() -> None:
    _, public = _public(lambda: expect_zeros(np.ones((2, 1)), WHAT))
    assert public.startswith("W1 from f(n_x, n_h, n_y) should be all zeros")
    values = np.random.default_rng(0).normal(0, 1.0, 20_000)
    full, public = _public(
        lambda: expect_normal_scale(values, WHAT, std=0.1, expected="sqrt(2 / layer_dims[0])")
    )
    assert "expected about 0.1 = sqrt(2 / layer_dims[0])" in full
    assert "expected sqrt(2 / layer_dims[0])" in public and "0.1" not in public


NORMAL = np.random.default_rng(1).normal(0, 1.0, 20_000)


@pytest.mark.parametrize(
    "call",
    [
        lambda: expect_array([1.0], WHAT),
        lambda: expect_array(np.array(["a"]), WHAT),
        lambda: expect_shape(np.zeros(3), (5, 3), WHAT),
        lambda: expect_size(np.zeros(3), (5, 3), WHAT, names="(n_h, n_x)"),
        lambda: expect_keys([], ["W1"], WHAT),
        lambda: expect_keys({}, ["W1"], WHAT),
        lambda: expect_sequence(1.0, 2, WHAT),
        lambda: expect_sequence([1.0], 2, WHAT),
        lambda: expect_int(1.5, WHAT),
        lambda: expect_number("x", WHAT),
        lambda: expect_number(np.zeros((1, 1)), WHAT),
        lambda: expect_finite(np.array([np.nan]), WHAT),
        lambda: expect_close(1.0, 2.0, WHAT),
        lambda: expect_close(np.ones(2), np.zeros(2), WHAT),
        lambda: expect_zeros(np.ones(2), WHAT),
        lambda: expect_binary(np.full(2, 3.0), WHAT),
        lambda: expect_not_constant(np.ones(2), WHAT),
        lambda: expect_distinct_rows(np.ones((2, 2)), WHAT),
        lambda: expect_normal(np.ones(20_000), WHAT, std=1.0),
        lambda: expect_normal(NORMAL, WHAT, std=3.0),
        lambda: expect_normal(NORMAL + 1, WHAT, std=1.0),
        lambda: expect_normal(np.sign(NORMAL), WHAT, std=1.0),
        lambda: expect_normal_scale(NORMAL, WHAT, std=3.0),
    ],
)
def test_every_helper_names_the_value_by_its_public_form(call: Callable[[], object]) -> None:
    full, public = _public(call)
    assert "f(3, 5, 2)" in full
    assert "f(n_x, n_h, n_y)" in public and "f(3, 5, 2)" not in public
