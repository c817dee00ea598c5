import numpy as np

from grader.testing import CheckFailed, check


@check("add", "values", points=2)
def values(submission, reference, rng):
    a, b = rng.normal(size=2)
    if not np.isclose(submission.add(a, b), reference.add(a, b)):
        raise CheckFailed("add returns the wrong sum")


@check("scale", "values", points=3)
def scale_values(submission, reference, rng):
    x = rng.normal(size=(2, 3))
    got = submission.scale(x)
    if not (isinstance(got, np.ndarray) and np.allclose(got, reference.scale(x))):
        raise CheckFailed("scale returns the wrong array")
