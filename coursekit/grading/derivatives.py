"""Lessons 0 and 1: the centred difference, the chain rule, the total derivative."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..exercise_calls import TEST_FUNCTIONS
from ..gradcheck import numerical_gradient
from ..graph import Graph
from .cases import scalars
from .exercise import Exercise, add

L0, L1 = "00_how_to_use_this_course", "01_derivatives_and_chain_rule"


def _ref_numerical_gradient(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    return numerical_gradient(f, x, h)


def _ref_chain_rule(t: float) -> float:
    return Graph.trace(lambda t: 5 * (1 - t**2), t=t).backward()["t"]


def _ref_total_derivative(t: float) -> float:
    def f(t):
        x, y, z = t - 1, t * t, 1 / t
        return x.sin() * (y * z * z).exp()

    return Graph.trace(f, t=t).backward()["t"]


def _one_sided(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def _fixed_h(f, x, h=1e-5):
    return numerical_gradient(f, x, 1e-5)


def _total_without(path: str) -> Callable[[float], float]:
    """The total derivative with one of its three paths (x, y or z) left out."""

    def wrong(t):
        x, y, z = t - 1, t * t, 1 / t
        e = math.exp(y * z * z)
        paths = {
            "x": math.cos(x) * e,
            "y": math.sin(x) * e * z * z * 2 * t,
            "z": math.sin(x) * e * 2 * y * z * (-1 / t**2),
        }
        return sum(v for k, v in paths.items() if k != path)

    return wrong


F = TEST_FUNCTIONS
add(
    Exercise(
        "numerical_gradient",
        "the centred-difference numerical gradient",
        _ref_numerical_gradient,
        # the default h on four functions, then two other steps h: an answer must use its h
        public=lambda rng: (
            [(f, x) for f, x in zip(F.values(), scalars(rng, 4))]
            + [(F["sin"], x, h) for x, h in zip(scalars(rng, 2), (1e-3, 1e-2))]
        ),
        hidden=lambda rng: [
            (f, x, h) for f, x, h in zip(F.values(), scalars(rng, 4, -3, 3), (1e-3, 1e-4, 1e-2, 1e-6))
        ],
        tol=1e-9,
        outputs="the numerical gradient",
        hint="Look at f on both sides of x, at x + h and at x - h, and divide by the distance between "
        "those two points. Use the h you are given.",
        lesson=L1,
        section="1. Two ways to get a derivative",
        mistakes=[
            (_fixed_h, "your result does not change with h: use the step h you are given, not 1e-5"),
            (
                _one_sided,
                "this is the one-sided difference (f(x + h) - f(x)) / h; the centred one looks at "
                "x + h and x - h",
            ),
        ],
    )
)
add(
    Exercise(
        "chain_rule",
        "df/dt of f = 5x, x = 1 - u, u = t²",
        _ref_chain_rule,
        public=lambda rng: [(1.5,), (0.5,), (-float(rng.uniform(0.2, 3)),)],  # a negative t too
        hidden=lambda rng: [(t,) for t in scalars(rng, 2, -3, -0.2) + scalars(rng, 3, 0.2, 3)],
        tol=1e-10,
        outputs="df/dt",
        hint="Write f as a chain t -> u -> x -> f and multiply the three local derivatives along it.",
        lesson=L0,
        section="Exercises and checks",
        mistakes=[
            (lambda t: -5.0, "that is df/dx times dx/du only: the last factor, du/dt = 2t, is missing"),
            (lambda t: -10.0 * t * t, "du/dt is 2t, not 2t²: check the last factor"),
        ],
    )
)
add(
    Exercise(
        "total_derivative",
        "df/dt of f = sin(x) e^(y z²) with x = t - 1, y = t², z = 1/t",
        _ref_total_derivative,
        public=lambda rng: [(2.0,), (0.5,), (float(rng.uniform(0.2, 4)),)],
        hidden=lambda rng: [(t,) for t in scalars(rng, 5, 0.2, 4)],
        tol=1e-10,
        outputs="df/dt",
        hint="f depends on t through x, y and z: add up the three paths, each the product of df/dx (or "
        "dy, dz) and dx/dt (or dy/dt, dz/dt).",
        lesson=L1,
        section="3. The total derivative: add up every path",
        mistakes=[
            (
                _total_without(p),
                f"the path through {p} is missing: f depends on t through x, y and z, so add all three paths",
            )
            for p in "xyz"
        ],
    )
)
