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


def heart_curve(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The heart: x = 0, 1/n, ..., (n-1)/n and y(x) on a heart-shaped closed curve in [0, 1]^2.

    y = ([16 sin(2 pi x)^3, 13 cos(2 pi x) - 5 cos(4 pi x) - 2 cos(6 pi x) - cos(8 pi x)] / 20 + 1) / 2

    Returns X of shape (n, 1) and Y of shape (n, 2).
    """
    if n < 1:
        raise ValueError(f"heart_curve: n must be at least 1, got {n}")
    x = np.arange(0, 1, 1 / n)[:n]
    t = 2 * np.pi * x
    y = np.stack(
        [16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)],
        axis=1,
    )
    return x[:, None], (y / 20 + 1) / 2


def spiral(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """CS231n's spiral: ``classes`` arms of ``n_per_class`` points. X (N, 2), y (N,) ints."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4, (k + 1) * 4, n_per_class) + rng.normal(0, noise, n_per_class)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as sklearn's make_moons). X (n, 2), y (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X + rng.normal(0, noise, X.shape), y


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0):
    """A small circle inside a big one (as sklearn's make_circles). X (n, 2), y (n,) in {0, 1}."""
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be between 0 and 1, got {factor}")
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.r_[np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]]
    y = np.r_[np.zeros(n_out, int), np.ones(n_in, int)]
    return X + rng.normal(0, noise, X.shape), y


def xor(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Points in [-1, 1]^2 labelled 1 where x1 and x2 have the same sign. X (n, 2), y (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + rng.normal(0, noise, X.shape), y


def gauss(n: int = 200, spread: float = 0.35, seed: int = 0):
    """Two Gaussian clouds centred at (-0.5, -0.5) and (0.5, 0.5). X (n, 2), y (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
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
    rng = np.random.default_rng(seed)
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
    if name == "heart":
        return heart_curve(**kwargs)
    if name not in CLASSIFICATION:
        raise ValueError(f"unknown dataset {name!r}; choose one of: heart, {', '.join(CLASSIFICATION)}")
    return CLASSIFICATION[name](**kwargs)


def one_hot(labels: np.ndarray, classes: int | None = None) -> np.ndarray:
    """Integer labels (N,) as rows of a (N, classes) matrix with a single 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"one_hot: expected a 1-D array of integer labels, got {labels.dtype} {labels.shape}"
        )
    classes = int(labels.max()) + 1 if classes is None else classes
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
