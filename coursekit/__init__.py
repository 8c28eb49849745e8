"""coursekit: the library behind the backpropagation course.

- :class:`Value`, :func:`maximum`, :func:`stack` and :func:`concatenate`: the autodiff engine
  (:mod:`coursekit.engine`)
- :mod:`coursekit.gates`: one gate class per operation, forward/backward
- :class:`Graph`: the lecture's ComputationalGraph (:mod:`coursekit.graph`)
- :mod:`coursekit.gradcheck`: numerical gradients and gradient checks
- :mod:`coursekit.jacobian`: Jacobians, vector-Jacobian products and their cost
- :mod:`coursekit.nn`: layers with forward/backward, losses, ``MLP``, ``SGD`` and ``fit``
- :mod:`coursekit.data`: the heart curve and the 2-D datasets
- :mod:`coursekit.viz` and :mod:`coursekit.widgets`: drawings and interactive explorers
- :mod:`coursekit.grading`: exercises with instant checks (and :mod:`coursekit.exercise_calls`: how
  an exercise calls an answer); :mod:`coursekit.instructor`: nbgrader and sandboxed grading

Import the heavier modules explicitly (``from coursekit import nn``); ``import coursekit``
loads only the engine.
"""

from . import gates, gradcheck
from .engine import NumericalWarning, Value, concatenate, maximum, stack
from .gates import ShapeError
from .graph import BackwardStep, Graph

__version__ = "0.1.0"

__all__ = [
    "Value",
    "maximum",
    "stack",
    "concatenate",
    "NumericalWarning",
    "ShapeError",
    "Graph",
    "BackwardStep",
    "gates",
    "gradcheck",
    "__version__",
]
