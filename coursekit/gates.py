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
        if not hasattr(self, "inputs"):
            raise RuntimeError(f"{self.name}.local_gradients called before forward: run forward(...) first")
        if any(isinstance(d, np.ndarray) for d in (self.output, *self.inputs)):
            raise ShapeError(
                f"{self.name}.local_gradients: the last forward had array input(s) or output, "
                f"whose local gradient is a Jacobian, not a number; use backward(upstream) instead"
            )
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
        try:
            arr = np.asarray(x)
        except ValueError:  # a ragged nested list: numpy's "inhomogeneous shape"
            raise ShapeError(
                f"{where}: expected a rectangular array of numbers, got a nested "
                f"{type(x).__name__} whose rows have different lengths {_row_lengths(x)}"
            ) from None
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
        if arr.dtype == object and any(type(e).__name__ == "Value" for e in arr.flat):
            raise TypeError(
                f"{where}: expected numbers, got a {type(x).__name__} of Values; to make one "
                f"array Value of them with gradients, use coursekit.stack(values)"
            )
        raise TypeError(
            f"{where}: expected numbers, got an array of dtype {arr.dtype} "
            f"(only real numbers can flow through the graph)"
        )
    if type(x).__name__ == "Value" and hasattr(x, "data"):
        raise TypeError(
            f"{where}: expected a number or a numpy array of numbers, got a Value; "
            f"use the Value itself in an operation, or its number/array v.data"
        )
    raise TypeError(
        f"{where}: expected a number or a numpy array of numbers, got {type(x).__name__} {x!r:.40}"
    )


def _row_lengths(x: Any) -> str:
    lengths = [len(r) if isinstance(r, (list, tuple, np.ndarray)) else "a number" for r in x]
    return f"({', '.join(map(str, lengths[:6]))}{', ...' if len(lengths) > 6 else ''})"


def _check_axis(where: str, axis: Any) -> int | None:
    """``axis`` as an int (or None), or a TypeError naming it."""
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{where}: axis must be an int or None, got {type(axis).__name__} {axis!r:.40}")
    return int(axis)


def _check_number(where: str, name: str, x: Any) -> float:
    """``x`` as a finite float, or a TypeError/ValueError naming the parameter."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__} {x!r:.40}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{where}: {name} must be a finite number, got {x}")
    return x


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
    """z = max(x, y). Gradient *router*: all of it to the larger input (x on a tie).

    NaN propagates as in ``np.maximum``: max(nan, 1) = max(1, nan) = nan. The gradient
    goes to the input the output came from: the NaN one (x when both are NaN).
    """

    __slots__ = ()

    symbol = "max"
    pattern = "router"

    @staticmethod
    def compute(x, y):
        if type(x) is float and type(y) is float:
            return x if x >= y or x != x else y
        return np.maximum(x, y)

    @staticmethod
    def vjp(dz, z, x, y):
        if type(x) is float and type(y) is float:
            return (dz, 0.0) if x >= y or x != x else (0.0, dz)
        x_wins = np.greater_equal(x, y) | np.isnan(x)
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
        if not math.isfinite(p):
            raise ValueError(f"PowerGate: the exponent must be a finite number, got {float(p)}")
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
            if x < 709.78:
                return math.exp(x)
            return math.inf if x == x else x  # NaN stays NaN, as in np.exp
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


def _sin(x: float) -> float:
    """math.sin, but NaN (as np.sin) rather than an error at +-inf."""
    return math.sin(x) if x - x == 0.0 else math.nan


def _cos(x: float) -> float:
    """math.cos, but NaN (as np.cos) rather than an error at +-inf."""
    return math.cos(x) if x - x == 0.0 else math.nan


class SinGate(Gate):
    """z = sin x. dz/dx = cos x."""

    __slots__ = ()

    symbol = "sin"

    @staticmethod
    def compute(x):
        return _sin(x) if type(x) is float else np.sin(x)

    @staticmethod
    def vjp(dz, z, x):
        return dz * (_cos(x) if type(x) is float else np.cos(x))


class CosGate(Gate):
    """z = cos x. dz/dx = -sin x."""

    __slots__ = ()

    symbol = "cos"

    @staticmethod
    def compute(x):
        return _cos(x) if type(x) is float else np.cos(x)

    @staticmethod
    def vjp(dz, z, x):
        return -dz * (_sin(x) if type(x) is float else np.sin(x))


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
    """z = max(0, x). The gradient passes where x > 0 and is zero elsewhere.

    NaN propagates as in ``np.maximum(x, 0)``: relu(nan) = nan, and, as in :class:`MaxGate`,
    the gradient goes to the NaN input (it passes where x is NaN).
    """

    __slots__ = ()

    symbol = "relu"
    pattern = "router"

    @staticmethod
    def compute(x):
        if type(x) is float:
            return 0.0 if x <= 0.0 else x
        return np.maximum(x, 0.0)

    @staticmethod
    def vjp(dz, z, x):
        if type(z) is float:
            return 0.0 if z <= 0.0 else dz
        return dz * ~(z <= 0.0)


class LeakyReLUGate(Gate):
    """z = max(slope x, x) for 0 < slope < 1: like ReLU, but a small gradient flows where x < 0."""

    __slots__ = ("slope",)

    def __init__(self, slope: float = 0.1):
        slope = _check_number("LeakyReLUGate", "slope", slope)
        if not 0.0 <= slope < 1.0:
            raise ValueError(f"LeakyReLUGate: slope must be in [0, 1), got {slope}")
        self.slope = slope

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
        alpha = _check_number("ELUGate", "alpha", alpha)
        if alpha <= 0:
            raise ValueError(f"ELUGate: alpha must be positive, got {alpha}")
        self.alpha = alpha

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
        self.axis = _check_axis(type(self).__name__, axis)

    @property
    def symbol(self) -> str:
        return "sum" if self.axis is None else f"sum(axis={self.axis})"

    def check(self, x):
        ndim = len(shape_of(x))
        if self.axis is not None and not -ndim <= self.axis < ndim:
            valid = f"-{ndim} to {ndim - 1}" if ndim else "only None (a number has no axes)"
            raise ShapeError(
                f"{self.name}: axis {self.axis} is out of range for shape {shape_of(x)}; valid axes: {valid}"
            )

    def compute(self, x):
        if type(x) is float:
            if self.axis is not None:
                self.check(x)
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

    def check(self, x):
        super().check(x)
        if self._count(x) == 0:
            over = "all entries" if self.axis is None else f"axis {self.axis}"
            raise ValueError(
                f"MeanGate: mean over {over} of an empty array of shape {shape_of(x)}: "
                f"there are no entries to average (check the data or the axis)"
            )

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


def _index_text(index: Any) -> str:
    """The index as one writes it between brackets: 0, :, 1:3, ..., [0 2], mask(3,)."""
    parts = index if type(index) is tuple else (index,)
    out = []
    for k in parts:
        if isinstance(k, slice):
            text = ":".join("" if b is None else str(b) for b in (k.start, k.stop, k.step))
            out.append(text[:-1] if k.step is None else text)
        elif k is None:
            out.append("None")
        elif k is Ellipsis:
            out.append("...")
        elif isinstance(k, np.ndarray):
            if k.dtype == bool:
                out.append(f"mask{k.shape}")
            else:
                out.append(np.array2string(k, threshold=6, separator=",") if k.size <= 6 else f"int{k.shape}")
        else:
            out.append(str(k))
    return ", ".join(out) if out else "()"


def _check_index(index: Any) -> Any:
    """An index as numpy takes it (lists become arrays), or a TypeError naming the bad part."""
    parts = index if type(index) is tuple else (index,)
    clean = []
    for k in parts:
        if type(k).__name__ == "Value" and hasattr(k, "data"):
            raise TypeError(
                "IndexGate: a Value cannot be an index (indexing is not differentiable in the "
                "index); use an int, a slice, or an array of ints or booleans (e.g. v.data.astype(int))"
            )
        if isinstance(k, (list, tuple)):
            k = np.asarray(k)
            if k.size == 0:
                k = k.astype(np.intp)
        if isinstance(k, np.ndarray):
            if k.dtype.kind not in "biu":
                raise TypeError(
                    f"IndexGate: an index array must hold ints or booleans, got dtype {k.dtype} "
                    f"(convert with .astype(int))"
                )
        elif isinstance(k, (bool, np.bool_)):
            raise TypeError(
                "IndexGate: a bare True/False is not an index; use an int, a slice or a mask array"
            )
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            raise TypeError(
                f"IndexGate: an index must be an int, a slice, None, ..., or an array of ints or "
                f"booleans, got {type(k).__name__} {k!r:.40}"
            )
        clean.append(k)
    return tuple(clean) if type(index) is tuple else clean[0]


class IndexGate(Gate):
    """z = x[index]: basic (ints, slices) and advanced (int arrays, masks) numpy indexing.

    The gradient is scattered back into an array of zeros shaped like x with ``np.add.at``,
    so an entry picked several times (repeated indices) receives the sum of its gradients.
    """

    __slots__ = ("index",)

    pattern = "router"

    def __init__(self, index: Any):
        self.index = _check_index(index)

    @property
    def symbol(self) -> str:
        return f"[{_index_text(self.index)}]"

    def check(self, x):
        if not isinstance(x, np.ndarray) or x.ndim == 0:
            raise TypeError(
                f"IndexGate: cannot index a number (shape ()) with [{_index_text(self.index)}]; "
                f"only array Values can be indexed"
            )
        try:
            x[self.index]
        except IndexError as e:
            raise IndexError(
                f"IndexGate: index [{_index_text(self.index)}] does not fit shape {x.shape}: {e}"
            ) from None

    def compute(self, x):
        z = x[self.index]
        return float(z) if np.ndim(z) == 0 else np.array(z)  # a copy, not a view of x

    def vjp(self, dz, z, x):
        dx = np.zeros_like(x)
        np.add.at(dx, self.index, dz)
        return dx

    def __repr__(self):
        return f"IndexGate([{_index_text(self.index)}])"


class StackGate(Gate):
    """z = np.stack(inputs, axis): n inputs of one shape along a new axis. Each input gets
    its slice of the upstream gradient back. ``arity`` is the number of inputs."""

    __slots__ = ("axis", "arity")

    pattern = "distributor"

    def __init__(self, n: int, axis: int = 0):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"StackGate: needs at least one input, got n={n!r}")
        self.arity = int(n)
        self.axis = _check_axis("StackGate", axis)
        if self.axis is None:
            raise TypeError("StackGate: axis must be an int, got None")

    @property
    def symbol(self) -> str:
        return f"stack(axis={self.axis})"

    def check(self, *xs):
        shape = shape_of(xs[0])
        for i, x in enumerate(xs):
            if shape_of(x) != shape:
                raise ShapeError(
                    f"StackGate: all inputs must have the same shape; input 0 has shape {shape}, "
                    f"input {i} has shape {shape_of(x)} (to join along an existing axis, use concatenate)"
                )
        ndim = len(shape) + 1
        if not -ndim <= self.axis < ndim:
            raise ShapeError(
                f"StackGate: axis {self.axis} is out of range for stacking inputs of shape {shape}; "
                f"valid axes: -{ndim} to {ndim - 1}"
            )

    def compute(self, *xs):
        return np.stack(xs, axis=self.axis)

    def vjp(self, dz, z, *xs):
        parts = np.moveaxis(dz, self.axis, 0)
        grads = tuple(float(p) if type(x) is float else p.copy() for p, x in zip(parts, xs))
        return grads[0] if self.arity == 1 else grads

    def __repr__(self):
        return f"StackGate({self.arity}, axis={self.axis})"


class ConcatenateGate(Gate):
    """z = np.concatenate(inputs, axis): arrays joined along an existing axis. Each input gets
    its slab of the upstream gradient back. ``arity`` is the number of inputs."""

    __slots__ = ("axis", "arity")

    pattern = "distributor"

    def __init__(self, n: int, axis: int = 0):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"ConcatenateGate: needs at least one input, got n={n!r}")
        self.arity = int(n)
        self.axis = _check_axis("ConcatenateGate", axis)
        if self.axis is None:
            raise TypeError("ConcatenateGate: axis must be an int, got None")

    @property
    def symbol(self) -> str:
        return f"concatenate(axis={self.axis})"

    def check(self, *xs):
        for i, x in enumerate(xs):
            if not isinstance(x, np.ndarray) or x.ndim == 0:
                raise ShapeError(
                    f"ConcatenateGate: input {i} is a number (shape ()); only arrays of one or more "
                    f"dimensions can be concatenated (to make an array of numbers, use stack)"
                )
        first = xs[0].shape
        ndim = len(first)
        if not -ndim <= self.axis < ndim:
            raise ShapeError(
                f"ConcatenateGate: axis {self.axis} is out of range for inputs of shape {first}; "
                f"valid axes: -{ndim} to {ndim - 1}"
            )
        axis = self.axis % ndim
        for i, x in enumerate(xs):
            if x.ndim != ndim or any(a != b for k, (a, b) in enumerate(zip(x.shape, first)) if k != axis):
                raise ShapeError(
                    f"ConcatenateGate: input 0 has shape {first}, input {i} has shape {x.shape}; "
                    f"along axis {self.axis} shapes must agree in every dimension but that axis"
                )

    def compute(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def vjp(self, dz, z, *xs):
        ends = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        grads = tuple(p.copy() for p in np.split(dz, ends, axis=self.axis))
        return grads[0] if self.arity == 1 else grads

    def __repr__(self):
        return f"ConcatenateGate({self.arity}, axis={self.axis})"


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
    "IndexGate",
    "StackGate",
    "ConcatenateGate",
]
