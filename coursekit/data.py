"""Datasets of the course. Samples are rows: X has shape (N, D).

- :func:`heart_curve`: the regression task of the training lesson (SYLLABUS section 7).
- :func:`spiral`, :func:`moons`, :func:`circles`, :func:`xor`, :func:`gauss`: 2-D
  classification sets (labels 0..K-1), seeded so every run draws the same points.
- :func:`two_layer_problem`: the random data and weights of the 20-line two-layer network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._checks import describe, random_generator, real_number, whole_number


def heart_curve(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The heart: x = 0, 1/n, ..., (n-1)/n and y(x) on a heart-shaped closed curve in [0, 1]^2.

    y = ([16 sin(2 pi x)^3, 13 cos(2 pi x) - 5 cos(4 pi x) - 2 cos(6 pi x) - cos(8 pi x)] / 20 + 1) / 2

    Returns X of shape (n, 1) and Y of shape (n, 2).
    """
    n = whole_number(n, "n", "heart_curve", example=100)
    x = np.arange(0, 1, 1 / n)[:n]
    t = 2 * np.pi * x
    y = np.stack(
        [16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)],
        axis=1,
    )
    return x[:, None], (y / 20 + 1) / 2


def spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """CS231n's spiral: ``classes`` arms of ``n_per_class`` points. X (N, 2), y (N,) ints."""
    n_per_class = whole_number(n_per_class, "n_per_class", "spiral", example=100)
    classes = whole_number(classes, "classes", "spiral", example=3)
    noise = real_number(noise, "noise", "spiral", minimum=0.0, example=0.2)
    rng = random_generator(seed, "spiral")
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4, (k + 1) * 4, n_per_class) + rng.normal(0, noise, n_per_class)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as sklearn's make_moons). X (n, 2), y (n,) in {0, 1}."""
    n = whole_number(n, "n", "moons", minimum=2, example=200)
    noise = real_number(noise, "noise", "moons", minimum=0.0, example=0.1)
    rng = random_generator(seed, "moons")
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X + rng.normal(0, noise, X.shape), y


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0):
    """A small circle inside a big one (as sklearn's make_circles). X (n, 2), y (n,) in {0, 1}."""
    n = whole_number(n, "n", "circles", minimum=2, example=200)
    noise = real_number(noise, "noise", "circles", minimum=0.0, example=0.05)
    factor = real_number(factor, "factor", "circles", example=0.5)
    if not 0 < factor < 1:
        raise ValueError(
            f"circles: factor must be between 0 and 1 (exclusive), got {factor!r}; pass e.g. factor=0.5"
        )
    rng = random_generator(seed, "circles")
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X + rng.normal(0, noise, X.shape), y


def xor(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Points in [-1, 1]^2 labelled 1 where x1 and x2 have the same sign. X (n, 2), y (n,)."""
    n = whole_number(n, "n", "xor", example=200)
    noise = real_number(noise, "noise", "xor", minimum=0.0, example=0.1)
    rng = random_generator(seed, "xor")
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + rng.normal(0, noise, X.shape), y


def gauss(n: int = 200, spread: float = 0.35, seed: int = 0):
    """Two Gaussian clouds centred at (-0.5, -0.5) and (0.5, 0.5). X (n, 2), y (n,) in {0, 1}."""
    n = whole_number(n, "n", "gauss", minimum=2, example=200)
    spread = real_number(spread, "spread", "gauss", minimum=0.0, example=0.35)
    rng = random_generator(seed, "gauss")
    n0 = n // 2
    y = np.r_[np.zeros(n0, int), np.ones(n - n0, int)]
    centres = np.where(y[:, None] == 0, -0.5, 0.5)
    return centres + rng.normal(0, spread, (n, 2)), y


class TwoLayerProblem(NamedTuple):
    """Random data and initial weights of the 20-line two-layer network."""

    x: np.ndarray  # (N, D_in)
    y: np.ndarray  # (N, D_out)
    w1: np.ndarray  # (D_in, H)
    w2: np.ndarray  # (H, D_out)


def two_layer_problem(
    N: int = 64, D_in: int = 1000, H: int = 100, D_out: int = 10, seed: int = 0
) -> TwoLayerProblem:
    """Standard-normal x (N, D_in), y (N, D_out), w1 (D_in, H), w2 (H, D_out)."""
    N = whole_number(N, "N", "two_layer_problem", example=64)
    D_in = whole_number(D_in, "D_in", "two_layer_problem", example=1000)
    H = whole_number(H, "H", "two_layer_problem", example=100)
    D_out = whole_number(D_out, "D_out", "two_layer_problem", example=10)
    rng = random_generator(seed, "two_layer_problem")
    return TwoLayerProblem(
        rng.standard_normal((N, D_in)),
        rng.standard_normal((N, D_out)),
        rng.standard_normal((D_in, H)),
        rng.standard_normal((H, D_out)),
    )


#: the classification sets by name, for widgets and exercises
CLASSIFICATION: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "spiral": spiral,
    "moons": moons,
    "circles": circles,
    "xor": xor,
    "gauss": gauss,
}


def load(name: str, **kwargs):
    """A dataset by name: 'heart' or one of :data:`CLASSIFICATION`."""
    if not isinstance(name, str):
        raise TypeError(f"load: name must be a dataset name such as 'spiral', got {describe(name)}")
    if name == "heart":
        return heart_curve(**kwargs)
    if name not in CLASSIFICATION:
        raise ValueError(f"unknown dataset {name!r}; choose one of: heart, {', '.join(CLASSIFICATION)}")
    return CLASSIFICATION[name](**kwargs)


def one_hot(labels: np.ndarray, classes: int | None = None) -> np.ndarray:
    """Integer labels (N,) as rows of a (N, classes) matrix with a single 1.

    Labels run from 0 to classes - 1 (default: the largest label + 1); others are an error.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        hint = ""
        if labels.dtype.kind == "f" and labels.ndim == 1:
            hint = "; convert whole-number floats with labels.astype(int)"
        elif labels.ndim == 2:
            hint = "; for a column of labels use labels.ravel()"
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got {labels.dtype} {labels.shape}{hint}"
        )
    if classes is not None:
        classes = whole_number(classes, "classes", "one_hot", example=3)
    elif labels.size == 0:
        raise ValueError("one_hot: no labels and no classes: pass classes=K to get an empty (0, K) matrix")
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"one_hot: labels must be 0 or more, got {labels.min()} at position {int(np.argmin(labels))}; "
            "class labels count from 0"
        )
    classes = int(labels.max()) + 1 if classes is None else classes
    if labels.size and labels.max() >= classes:
        raise ValueError(
            f"one_hot: label {labels.max()} at position {int(np.argmax(labels))} is too large for "
            f"classes={classes} (labels 0..{classes - 1}); "
            f"pass classes={int(labels.max()) + 1} or fix the label"
        )
    out = np.zeros((labels.size, classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


__all__ = [
    "heart_curve",
    "spiral",
    "moons",
    "circles",
    "xor",
    "gauss",
    "two_layer_problem",
    "TwoLayerProblem",
    "CLASSIFICATION",
    "load",
    "one_hot",
]
