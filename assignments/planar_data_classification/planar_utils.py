"""Helpers imported by the planar-data-classification notebook.

The same names as the course's ``planar_utils`` module, written for this grader: the data sets
are generated from local, seeded generators (the global numpy random state is never touched) and
matplotlib is imported only when a plot is drawn, so importing this module needs numpy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["load_extra_datasets", "load_planar_dataset", "plot_decision_boundary", "sigmoid"]


def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(-x)), elementwise.

    Args:
        x: a number or a numpy array.

    Returns:
        sigmoid(x), with the shape of ``x``.
    """
    return 1 / (1 + np.exp(-x))


def load_planar_dataset() -> tuple[np.ndarray, np.ndarray]:
    """The "flower": 400 points in the plane, in two classes arranged as interleaved petals.

    Returns:
        ``(X, Y)``: X of shape (2, 400) holding the coordinates, Y of shape (1, 400) holding
        the labels 0 (red) and 1 (blue), as uint8. The same arrays on every call.
    """
    rng = np.random.default_rng(1)
    per_class = 200
    petals = 4  # maximum ray of the flower
    X = np.zeros((2 * per_class, 2))
    Y = np.zeros((2 * per_class, 1), dtype=np.uint8)
    for label in (0, 1):
        rows = slice(label * per_class, (label + 1) * per_class)
        theta = np.linspace(label * 3.12, (label + 1) * 3.12, per_class)
        theta = theta + rng.standard_normal(per_class) * 0.2
        radius = petals * np.sin(4 * theta) + rng.standard_normal(per_class) * 0.2
        X[rows] = np.column_stack([radius * np.sin(theta), radius * np.cos(theta)])
        Y[rows] = label
    return X.T, Y.T


def _circles(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles (outer radius 1, inner 0.5)."""
    angle = rng.uniform(0, 2 * np.pi, m)
    y = rng.integers(0, 2, m)
    radius = np.where(y == 1, 0.5, 1.0)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return X + rng.normal(0, 0.05, X.shape), y


def _moons(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving noisy half circles."""
    angle = rng.uniform(0, np.pi, m)
    y = rng.integers(0, 2, m)
    X = np.column_stack([np.cos(angle), np.sin(angle)])
    X[y == 1] = np.column_stack([1 - np.cos(angle[y == 1]), 0.5 - np.sin(angle[y == 1])])
    return X + rng.normal(0, 0.2, X.shape), y


def _blobs(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Six Gaussian blobs in the plane; the label is the blob index modulo 2."""
    centres = rng.uniform(-10, 10, (6, 2))
    blob = rng.integers(0, 6, m)
    return centres[blob] + rng.normal(0, 1.0, (m, 2)), blob % 2


def _gaussian_quantiles(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D Gaussian cloud labelled by whether a point lies beyond the median radius."""
    X = rng.normal(0, 0.5, (m, 2)) * np.array([1.0, 3.0])
    distance = np.sum((X / np.array([1.0, 3.0])) ** 2, axis=1)
    return X, (distance > np.median(distance)).astype(int)


def load_extra_datasets() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Five small extra data sets to try the model on (200 points each).

    Returns:
        ``(noisy_circles, noisy_moons, blobs, gaussian_quantiles, no_structure)``, each a pair
        ``(X, y)`` with X of shape (200, 2) and y of shape (200,), like scikit-learn's
        generators (transpose X and reshape y to (1, 200) before training).
    """
    rng = np.random.default_rng(2)
    m = 200
    no_structure = (rng.uniform(0, 1, (m, 2)), rng.integers(0, 2, m))
    return (
        _circles(rng, m),
        _moons(rng, m),
        _blobs(rng, m),
        _gaussian_quantiles(rng, m),
        no_structure,
    )


def plot_decision_boundary(model: Any, X: np.ndarray, y: np.ndarray) -> None:
    """Colour the plane by ``model``'s predictions and scatter the points of ``X`` over it.

    Args:
        model: a function taking an array of points of shape (k, 2) and returning k labels.
        X: the points, shape (2, m).
        y: their labels, shape (1, m) or (m,).
    """
    import matplotlib.pyplot as plt  # imported here: matplotlib is optional

    step = 0.01
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, step), np.arange(y_min, y_max, step))
    Z = np.asarray(model(np.c_[xx.ravel(), yy.ravel()])).reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    plt.ylabel("x2")
    plt.xlabel("x1")
    plt.scatter(X[0, :], X[1, :], c=np.ravel(y), cmap=plt.cm.Spectral)
