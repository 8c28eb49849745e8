"""Gates: one class per operation, with the lecture's forward/backward API.

A gate's ``forward`` computes its output and keeps what ``backward`` needs;
``backward(upstream)`` returns the downstream gradients, shaped like the inputs::

    gate = MultiplyGate()
    z = gate.forward(x, y)       # keeps x and y
    dx, dy = gate.backward(dz)   # dx = dz * y, dy = dz * x

Each gate writes its maths exactly once, in two small functions:

- ``compute(*inputs)``: the output value;
- ``vjp(upstream, output, *inputs)``: upstream gradient times the local gradient
  (a vector-Jacobian product), one result per input.

``forward``/``backward`` (for lessons and :class:`coursekit.Graph`) and
:class:`coursekit.Value` (the autodiff engine) both call these two functions, so
every derivative in the course lives in this file and nowhere else.

Inputs are Python floats or float64 numpy arrays. Binary elementwise gates follow
numpy broadcasting; ``backward`` sums gradients back to each input's shape.
Unary gates return one gradient from ``backward``, binary gates a pair.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Constants as 0-d float64 arrays: numpy's ufuncs take them on the array fast path, while a
# Python float first goes through scalar type resolution (about 0.2 us a call, a sixth of an
# elementwise operation on the lessons' 100 x 7 batches).
_ONE = np.array(1.0)
_EXP_CAP = np.array(709.0)

Array = np.ndarray
Data = Any  # float | np.ndarray


class ShapeError(ValueError):
    """Inputs whose shapes an operation cannot combine."""


def shape_of(x: Data) -> tuple[int, ...]:
    """The shape of a float (``()``) or an array."""
    return x.shape if isinstance(x, np.ndarray) else ()


def reduce_to_shape(grad: Data, like: Data) -> Data:
    """Sum a broadcast gradient back to the shape of the input ``like``.

    ``grad`` has the broadcast output's shape; the result has ``like``'s shape
    (a float when ``like`` is a float). This is the backward of broadcasting.
    """
    if not isinstance(grad, np.ndarray):
        return np.full(like.shape, grad) if isinstance(like, np.ndarray) else grad
    if not isinstance(like, np.ndarray):
        return float(grad.sum())
    if grad.shape == like.shape:
        return grad
    extra = grad.ndim - like.ndim
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    squeezed = tuple(i for i, n in enumerate(like.shape) if n == 1 and grad.shape[i] != 1)
    if squeezed:
        grad = grad.sum(axis=squeezed, keepdims=True)
    return grad


def _broadcast_shape(gate: Gate, x: Data, y: Data) -> None:
    """Raise :class:`ShapeError` naming the gate when x and y do not broadcast."""
    try:
        np.broadcast_shapes(shape_of(x), shape_of(y))
    except ValueError:
        raise ShapeError(
            f"{gate.name}: cannot broadcast shapes {shape_of(x)} and {shape_of(y)} "
            f"(numpy broadcasting compares trailing dimensions; each pair must be "
            f"equal or 1)"
        ) from None


class Gate:
    """Base class. Subclasses define ``symbol``, ``arity``, ``compute`` and ``vjp``."""

    # slots keep gate objects small: the engine creates one per constant operation
    __slots__ = ("inputs", "output")

    symbol: str = "?"
    arity: int = 1
    #: what the lessons call the gate's behaviour in the backward pass
    pattern: str = ""

    @property
    def name(self) -> str:
        return type(self).__name__

    def check(self, *inputs: Data) -> None:
        """Raise a clear error when ``inputs`` do not fit this gate (default: no check)."""

    def compute(self, *inputs: Data) -> Data:  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, upstream: Data, output: Data, *inputs: Data) -> Any:  # pragma: no cover
        raise NotImplementedError

    # --- the lecture's API -------------------------------------------------
    def forward(self, *inputs: Data) -> Data:
        """Compute the output and keep the inputs and output for ``backward``."""
        if len(inputs) != self.arity:
            raise TypeError(f"{self.name}.forward takes {self.arity} input(s), got {len(inputs)}")
        inputs = tuple(as_data(x, self.name) for x in inputs)
        self.check(*inputs)
        self.inputs = inputs
        self.output = self.compute(*inputs)
        return self.output

    def backward(self, upstream: Data) -> Any:
        """Downstream gradients: one per input, each shaped like that input."""
        if not hasattr(self, "inputs"):
            raise RuntimeError(f"{self.name}.backward called before forward")
        upstream = as_data(upstream, f"{self.name}.backward")
        if shape_of(upstream) != shape_of(self.output):
            raise ShapeError(
                f"{self.name}.backward: upstream gradient has shape {shape_of(upstream)}, "
                f"but the gate's output has shape {shape_of(self.output)}"
            )
        grads = self.vjp(upstream, self.output, *self.inputs)
        if self.arity == 1:
            return reduce_to_shape(grads, self.inputs[0])
        return tuple(reduce_to_shape(g, x) for g, x in zip(grads, self.inputs))

    def local_gradients(self) -> tuple:
        """Local gradients dz/dinput at the last forward, for scalar gates (upstream = 1)."""
        grads = self.vjp(1.0, self.output, *self.inputs)
        return (grads,) if self.arity == 1 else tuple(grads)

    def __repr__(self) -> str:
        return f"{self.name}()"


def as_data(x: Any, where: str = "Value") -> Data:
    """Convert a number or array-like to a float or a float64 array, or raise TypeError."""
    if type(x) is float:
        return x
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        arr = np.asarray(x)
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
        raise TypeError(
            f"{where}: expected numbers, got an array of dtype {arr.dtype} "
            f"(only real numbers can flow through the graph)"
        )
    raise TypeError(
        f"{where}: expected a number or a numpy array of numbers, got {type(x).__name__} {x!r:.40}"
    )


# ---------------------------------------------------------------------------
# Binary gates
# ---------------------------------------------------------------------------


class _Elementwise2(Gate):
    __slots__ = ()
    arity = 2

    def check(self, x: Data, y: Data) -> None:
        if type(x) is not float or type(y) is not float:
            _broadcast_shape(self, x, y)


class AddGate(_Elementwise2):
    """z = x + y. Gradient *distributor*: both inputs get the upstream gradient."""

    __slots__ = ()

    symbol = "+"
    pattern = "distributor"

    @staticmethod
    def compute(x, y):
        return x + y

    @staticmethod
    def vjp(dz, z, x, y):
        return dz, dz


class SubtractGate(_Elementwise2):
    """z = x - y. x gets the upstream gradient, y gets its negative."""

    __slots__ = ()

    symbol = "-"

    @staticmethod
    def compute(x, y):
        return x - y

    @staticmethod
    def vjp(dz, z, x, y):
        return dz, -dz


class MultiplyGate(_Elementwise2):
    """z = x * y. Gradient *switcher*: each input gets upstream times the *other* input."""

    __slots__ = ()

    symbol = "*"
    pattern = "switcher"

    @staticmethod
    def compute(x, y):
        return x * y

    @staticmethod
    def vjp(dz, z, x, y):
        return dz * y, dz * x


class DivideGate(_Elementwise2):
    """z = x / y. dz/dx = 1/y, dz/dy = -x/y^2 = -z/y."""

    __slots__ = ()

    symbol = "/"

    def check(self, x, y):
        super().check(x, y)
        if type(y) is float and y == 0.0:
            raise ZeroDivisionError(f"DivideGate: division by zero ({x!r} / 0.0)")

    @staticmethod
    def compute(x, y):
        return x / y

    @staticmethod
    def vjp(dz, z, x, y):
        dx = dz / y
        return dx, -dx * z


class MaxGate(_Elementwise2):
    """z = max(x, y). Gradient *router*: all of it to the larger input (x on a tie)."""

    __slots__ = ()

    symbol = "max"
    pattern = "router"

    @staticmethod
    def compute(x, y):
        if type(x) is float and type(y) is float:
            return x if x >= y else y
        return np.maximum(x, y)

    @staticmethod
    def vjp(dz, z, x, y):
        if type(x) is float and type(y) is float:
            return (dz, 0.0) if x >= y else (0.0, dz)
        x_wins = np.greater_equal(x, y)
        return dz * x_wins, dz * ~x_wins


class MatMulGate(Gate):
    """z = x @ y for 1-D and 2-D arrays. dx = dz @ y^T, dy = x^T @ dz."""

    __slots__ = ()

    symbol = "@"
    arity = 2

    def check(self, x, y):
        for arg, v in (("left", x), ("right", y)):
            if not isinstance(v, np.ndarray) or v.ndim not in (1, 2):
                raise ShapeError(
                    f"MatMulGate: the {arg} operand must be a 1-D or 2-D array, got shape {shape_of(v)}"
                )
        if x.shape[-1] != y.shape[0]:
            raise ShapeError(
                f"MatMulGate: shapes {x.shape} and {y.shape} do not align: "
                f"{x.shape[-1]} (last dim of left) != {y.shape[0]} (first dim of right)"
            )

    @staticmethod
    def compute(x, y):
        z = x @ y
        return float(z) if z.ndim == 0 else z

    @staticmethod
    def vjp(dz, z, x, y):
        x2 = x if x.ndim == 2 else x[None, :]
        y2 = y if y.ndim == 2 else y[:, None]
        dz2 = np.reshape(dz, (x2.shape[0], y2.shape[1]))
        return (dz2 @ y2.T).reshape(x.shape), (x2.T @ dz2).reshape(y.shape)


# ---------------------------------------------------------------------------
# Unary gates with a constant
# ---------------------------------------------------------------------------


def _constant_text(c: Data) -> str:
    return f"{c:g}" if type(c) is float else f"array{shape_of(c)}"


class AddConstantGate(Gate):
    """z = x + c for a constant c (the lecture's "+1" gate). Passes the gradient through."""

    __slots__ = ("c",)

    pattern = "distributor"

    def __init__(self, c: Data):
        self.c = as_data(c, "AddConstantGate")

    @property
    def symbol(self) -> str:
        c = self.c
        if type(c) is float and c < 0:
            return f"-{_constant_text(-c)}"
        return f"+{_constant_text(c)}"

    def check(self, x):
        if type(x) is not float or type(self.c) is not float:
            _broadcast_shape(self, x, self.c)

    def compute(self, x):
        return x + self.c

    @staticmethod
    def vjp(dz, z, x):
        return dz

    def __repr__(self):
        return f"AddConstantGate({_constant_text(self.c)})"


class MultiplyConstantGate(Gate):
    """z = c * x for a constant c (the lecture's "*-1" gate). Scales the gradient by c."""

    __slots__ = ("c",)

    pattern = "scaler"

    def __init__(self, c: Data):
        self.c = as_data(c, "MultiplyConstantGate")

    @property
    def symbol(self) -> str:
        return f"*{_constant_text(self.c)}"

    def check(self, x):
        if type(x) is not float or type(self.c) is not float:
            _broadcast_shape(self, x, self.c)

    def compute(self, x):
        return self.c * x

    def vjp(self, dz, z, x):
        return self.c * dz

    def __repr__(self):
        return f"MultiplyConstantGate({_constant_text(self.c)})"


class PowerGate(Gate):
    """z = x ** p for a number p. dz/dx = p x^(p-1)."""

    __slots__ = ("p",)

    def __init__(self, p: float):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"PowerGate: the exponent must be a number, got {type(p).__name__} "
                f"(for x ** y with a Value y, write (y * x.log()).exp())"
            )
        self.p = float(p)

    @property
    def symbol(self) -> str:
        return f"**{self.p:g}"

    def check(self, x):
        p = self.p
        if p != int(p) and np.any(np.less(x, 0)):
            raise ValueError(
                f"PowerGate: a negative base raised to the non-integer power {p:g} is not a real number"
            )
        if p < 0 and np.any(np.equal(x, 0)):
            raise ZeroDivisionError(f"PowerGate: 0 raised to the negative power {p:g}")

    def compute(self, x):
        if type(x) is float:
            try:
                return x**self.p
            except OverflowError:
                return math.inf
        return x**self.p

    def vjp(self, dz, z, x):
        p = self.p
        if p == 2.0:
            return dz * 2.0 * x
        if type(x) is float:
            try:
                return dz * p * x ** (p - 1.0)
            except OverflowError:
                return math.copysign(math.inf, dz * p)
        return dz * p * x ** (p - 1.0)

    def __repr__(self):
        return f"PowerGate({self.p:g})"


# ---------------------------------------------------------------------------
# Unary gates
# ---------------------------------------------------------------------------


class NegateGate(Gate):
    """z = -x (the lecture's "*-1" gate)."""

    __slots__ = ()

    symbol = "*-1"
    pattern = "scaler"

    @staticmethod
    def compute(x):
        return -x

    @staticmethod
    def vjp(dz, z, x):
        return -dz


class ExpGate(Gate):
    """z = e^x. dz/dx = e^x = z."""

    __slots__ = ()

    symbol = "exp"

    @staticmethod
    def compute(x):
        if type(x) is float:
            return math.exp(x) if x < 709.78 else math.inf
        with np.errstate(over="ignore"):
            return np.exp(x)

    @staticmethod
    def vjp(dz, z, x):
        return dz * z


class LogGate(Gate):
    """z = ln x for x > 0. dz/dx = 1/x."""

    __slots__ = ()

    symbol = "log"

    def check(self, x):
        if type(x) is float:
            bad = x <= 0.0
        else:
            bad = bool(np.any(x <= 0.0))
        if bad:
            where = x if type(x) is float else f"{np.min(x)!r} (smallest entry)"
            raise ValueError(f"LogGate: log of a non-positive number {where}; log needs x > 0")

    @staticmethod
    def compute(x):
        return math.log(x) if type(x) is float else np.log(x)

    @staticmethod
    def vjp(dz, z, x):
        return dz / x


class SinGate(Gate):
    """z = sin x. dz/dx = cos x."""

    __slots__ = ()

    symbol = "sin"

    @staticmethod
    def compute(x):
        return math.sin(x) if type(x) is float else np.sin(x)

    @staticmethod
    def vjp(dz, z, x):
        return dz * (math.cos(x) if type(x) is float else np.cos(x))


class CosGate(Gate):
    """z = cos x. dz/dx = -sin x."""

    __slots__ = ()

    symbol = "cos"

    @staticmethod
    def compute(x):
        return math.cos(x) if type(x) is float else np.cos(x)

    @staticmethod
    def vjp(dz, z, x):
        return -dz * (math.sin(x) if type(x) is float else np.sin(x))


class ReciprocalGate(Gate):
    """z = 1/x (the lecture's "1/x" gate). dz/dx = -1/x^2."""

    __slots__ = ()

    symbol = "1/x"

    def check(self, x):
        if type(x) is float and x == 0.0:
            raise ZeroDivisionError("ReciprocalGate: 1/x at x = 0")

    @staticmethod
    def compute(x):
        return 1.0 / x

    @staticmethod
    def vjp(dz, z, x):
        return -dz * z * z


class TanhGate(Gate):
    """z = tanh x. dz/dx = 1 - z^2."""

    __slots__ = ()

    symbol = "tanh"

    @staticmethod
    def compute(x):
        return math.tanh(x) if type(x) is float else np.tanh(x)

    @staticmethod
    def vjp(dz, z, x):
        return dz * (1.0 - z * z)


def sigmoid(x: Data) -> Data:
    """The logistic function 1 / (1 + e^-x), computed without overflow for any x."""
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    # e^x / (1 + e^x) with e^x capped at e^709 (the largest finite power of e): no overflow,
    # within 2.2 ulp of the exact value everywhere (1 / (1 + e^-x): 2.4 ulp), in four numpy
    # calls instead of five. Above the cap the quotient is 1.0, which sigma(x) is in float64.
    t = np.exp(np.minimum(x, _EXP_CAP))
    return t / (t + _ONE)


class SigmoidGate(Gate):
    """z = sigma(x) = 1/(1 + e^-x). dz/dx = (1 - z) z: one gate for four primitive ones."""

    __slots__ = ()

    symbol = "sigmoid"

    @staticmethod
    def compute(x):
        return sigmoid(x)

    @staticmethod
    def vjp(dz, z, x):
        if type(z) is float:
            return dz * (1.0 - z) * z
        local = np.subtract(_ONE, z)  # (1 - z) z, then times dz, in one buffer
        local *= z
        local *= dz
        return local


class ReLUGate(Gate):
    """z = max(0, x). The gradient passes where x > 0 and is zero elsewhere."""

    __slots__ = ()

    symbol = "relu"
    pattern = "router"

    @staticmethod
    def compute(x):
        if type(x) is float:
            return x if x > 0.0 else 0.0
        return np.maximum(x, 0.0)

    @staticmethod
    def vjp(dz, z, x):
        if type(z) is float:
            return dz if z > 0.0 else 0.0
        return dz * (z > 0.0)


class LeakyReLUGate(Gate):
    """z = max(slope x, x) for 0 < slope < 1: like ReLU, but a small gradient flows where x < 0."""

    __slots__ = ("slope",)

    def __init__(self, slope: float = 0.1):
        if not 0.0 <= slope < 1.0:
            raise ValueError(f"LeakyReLUGate: slope must be in [0, 1), got {slope}")
        self.slope = float(slope)

    @property
    def symbol(self) -> str:
        return f"leaky_relu({self.slope:g})"

    def compute(self, x):
        if type(x) is float:
            return x if x > 0.0 else self.slope * x
        return np.maximum(x, self.slope * x)

    def vjp(self, dz, z, x):
        if type(x) is float:
            return dz if x > 0.0 else self.slope * dz
        return dz * np.where(x > 0.0, 1.0, self.slope)

    def __repr__(self):
        return f"LeakyReLUGate({self.slope:g})"


class ELUGate(Gate):
    """z = x for x >= 0, alpha (e^x - 1) otherwise. dz/dx = 1, or z + alpha where x < 0."""

    __slots__ = ("alpha",)

    def __init__(self, alpha: float = 1.0):
        if alpha <= 0:
            raise ValueError(f"ELUGate: alpha must be positive, got {alpha}")
        self.alpha = float(alpha)

    @property
    def symbol(self) -> str:
        return f"elu({self.alpha:g})"

    def compute(self, x):
        if type(x) is float:
            return x if x >= 0.0 else self.alpha * math.expm1(x)
        return np.where(x >= 0.0, x, self.alpha * np.expm1(np.minimum(x, 0.0)))

    def vjp(self, dz, z, x):
        if type(x) is float:
            return dz if x >= 0.0 else dz * (z + self.alpha)
        return dz * np.where(x >= 0.0, 1.0, z + self.alpha)

    def __repr__(self):
        return f"ELUGate({self.alpha:g})"


# ---------------------------------------------------------------------------
# Array gates
# ---------------------------------------------------------------------------


class SumGate(Gate):
    """z = sum of x over ``axis`` (all entries when None). Copies the gradient to every entry."""

    __slots__ = ("axis",)

    pattern = "distributor"

    def __init__(self, axis: int | None = None):
        self.axis = axis

    @property
    def symbol(self) -> str:
        return "sum" if self.axis is None else f"sum(axis={self.axis})"

    def check(self, x):
        if self.axis is not None and not -x.ndim <= self.axis < x.ndim:
            raise ShapeError(f"SumGate: axis {self.axis} is out of range for shape {shape_of(x)}")

    def compute(self, x):
        if type(x) is float:
            return x
        return float(x.sum()) if self.axis is None else x.sum(axis=self.axis)

    def vjp(self, dz, z, x):
        if type(x) is float:
            return dz
        if self.axis is not None:
            dz = np.expand_dims(dz, self.axis)
        return np.broadcast_to(dz, x.shape).copy()

    def __repr__(self):
        return f"SumGate(axis={self.axis})"


class MeanGate(SumGate):
    """z = mean of x over ``axis``. Each entry gets the gradient divided by the count."""

    __slots__ = ()

    @property
    def symbol(self) -> str:
        return "mean" if self.axis is None else f"mean(axis={self.axis})"

    def _count(self, x) -> int:
        if type(x) is float:
            return 1
        return x.size if self.axis is None else x.shape[self.axis]

    def compute(self, x):
        return super().compute(x) / self._count(x)

    def vjp(self, dz, z, x):
        return super().vjp(dz, z, x) / self._count(x)

    def __repr__(self):
        return f"MeanGate(axis={self.axis})"


class TransposeGate(Gate):
    """z = x^T. The gradient is transposed back."""

    __slots__ = ()

    symbol = "T"

    @staticmethod
    def compute(x):
        return x if type(x) is float else x.T

    @staticmethod
    def vjp(dz, z, x):
        return dz if type(x) is float else dz.T


#: gates without parameters, shared by every Value that uses them
ADD, SUB, MUL, DIV, MAX, MATMUL = (
    AddGate(),
    SubtractGate(),
    MultiplyGate(),
    DivideGate(),
    MaxGate(),
    MatMulGate(),
)
NEG, EXP, LOG, RECIPROCAL = NegateGate(), ExpGate(), LogGate(), ReciprocalGate()
SIN, COS = SinGate(), CosGate()
TANH, SIGMOID, RELU, TRANSPOSE = TanhGate(), SigmoidGate(), ReLUGate(), TransposeGate()

__all__ = [
    "Gate",
    "ShapeError",
    "reduce_to_shape",
    "as_data",
    "shape_of",
    "sigmoid",
    "AddGate",
    "SubtractGate",
    "MultiplyGate",
    "DivideGate",
    "MaxGate",
    "MatMulGate",
    "AddConstantGate",
    "MultiplyConstantGate",
    "PowerGate",
    "NegateGate",
    "ExpGate",
    "LogGate",
    "ReciprocalGate",
    "SinGate",
    "CosGate",
    "TanhGate",
    "SigmoidGate",
    "ReLUGate",
    "LeakyReLUGate",
    "ELUGate",
    "SumGate",
    "MeanGate",
    "TransposeGate",
]
