"""coursekit: the library behind the backpropagation course.

- :class:`Value` and :func:`maximum`: the autodiff engine (:mod:`coursekit.engine`)
- :mod:`coursekit.gates`: one gate class per operation, forward/backward
- :class:`Graph`: the lecture's ComputationalGraph (:mod:`coursekit.graph`)
- :mod:`coursekit.gradcheck`: numerical gradients and gradient checks
"""

from . import gates, gradcheck
from .engine import NumericalWarning, Value, maximum
from .gates import ShapeError
from .graph import BackwardStep, Graph

__version__ = "0.1.0"

__all__ = [
    "Value",
    "maximum",
    "NumericalWarning",
    "ShapeError",
    "Graph",
    "BackwardStep",
    "gates",
    "gradcheck",
    "__version__",
]
