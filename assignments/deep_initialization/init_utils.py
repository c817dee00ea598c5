"""Helpers imported by the deep-initialisation notebook.

Small numpy-only tools for looking inside a deep ReLU network at initialisation: how large its
activations are layer after layer, and whether the units of a layer differ at all. They never
touch the global numpy random state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["activation_stds", "distinct_units", "relu"]


def relu(x: Any) -> Any:
    """The rectified linear unit max(0, x), elementwise.

    Args:
        x: a number or a numpy array.

    Returns:
        max(0, x), with the shape of ``x``.
    """
    return np.maximum(0, x)


def _activations(X: np.ndarray, parameters: dict[str, Any]) -> list[np.ndarray]:
    """The activations A1, A2, ... of a ReLU network on X (every layer uses ReLU)."""
    activations = []
    A = X
    layer = 1
    while f"W{layer}" in parameters:
        A = relu(np.dot(parameters[f"W{layer}"], A) + parameters[f"b{layer}"])
        activations.append(A)
        layer += 1
    return activations


def activation_stds(X: np.ndarray, parameters: dict[str, Any]) -> list[float]:
    """The root-mean-square activation of each layer of a ReLU network, from the first to the last.

    Args:
        X: input data of shape (layer_dims[0], number of examples).
        parameters: a dictionary holding W1, b1, W2, b2, ...

    Returns:
        One number per layer: sqrt(mean(A ** 2)) over the layer's units and the examples. A
        well-initialised network keeps these of the same order from layer to layer.
    """
    return [float(np.sqrt(np.mean(A**2))) for A in _activations(X, parameters)]


def distinct_units(X: np.ndarray, parameters: dict[str, Any]) -> list[int]:
    """How many units of each layer compute different activations on X.

    Args:
        X: input data of shape (layer_dims[0], number of examples).
        parameters: a dictionary holding W1, b1, W2, b2, ...

    Returns:
        One count per layer: the number of distinct rows of the layer's activations. When it is
        1, every unit of the layer computes the same function: the layer acts like one unit.
    """
    return [len(np.unique(A, axis=0)) for A in _activations(X, parameters)]
