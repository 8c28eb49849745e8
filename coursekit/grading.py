"""Exercises with instant feedback.

Each exercise is a function (or a class) the student writes. ``check(name, answer)`` runs
the exercise's cases against coursekit's reference and shows a short verdict: it passed,
or the first failing case with its inputs, the expected and the received value and their
relative error. It never shows a raw traceback: an answer that raises is reported in one
line, and ``raise NotImplementedError()`` (the blank of a student notebook) reads as
"not attempted yet".

``answer_or_reference(name, answer)`` returns the student's answer when it passes, and
otherwise coursekit's reference with a visible note, so later cells that build on an
exercise run before it is solved.

Grading: in a normal session ``check`` only reports. When the environment variable
``COURSEKIT_AUTOGRADE`` is set (the grading command sets it for nbgrader's autograde),
a failed check raises :class:`ExerciseFailed`, so nbgrader withholds the cell's points.
``check(name, answer, cases="hidden")`` runs a second set of cases, for hidden tests.
"""

from __future__ import annotations

import html
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import gates as G
from . import jacobian as J
from . import nn
from .exercise_calls import CALLS, TEST_FUNCTIONS
from .gradcheck import numerical_gradient, rel_error
from .graph import Graph, format_number

# ---------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------


class ExerciseFailed(AssertionError):
    """A failed check while grading; shows the verdict instead of a traceback."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.text())
        self.verdict = verdict

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the stack
        return [self.verdict.text()]


@dataclass
class Verdict:
    """What a check found: ``passed``, ``attempted``, and a message for the student."""

    exercise: str
    title: str
    passed: bool
    attempted: bool
    cases: int
    detail: str = ""

    def text(self) -> str:
        if not self.attempted:
            return f"[not attempted yet] {self.title}: replace `raise NotImplementedError()` with your code."
        if self.passed:
            return f"[passed] {self.title}: all {self.cases} checks passed."
        return f"[not yet] {self.title}: {self.detail}"

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.passed else ("#616161" if not self.attempted else "#c62828")
        body = html.escape(self.text()).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {color};padding:4px 10px;color:{color}'>{body}</div>"


# ---------------------------------------------------------------------------
# Exercises
# ---------------------------------------------------------------------------


@dataclass
class Exercise:
    """An exercise: a reference answer and the inputs to try an answer on.

    ``public(rng)`` and ``hidden(rng)`` give lists of argument tuples; the grader draws the
    hidden ones from a secret seed. ``call`` names how an answer is called (a key of
    :data:`coursekit.exercise_calls.CALLS`: a function, a gate class or a graph class).
    ``allowed``: what of coursekit an answer may use while graded (dotted names of modules,
    classes or functions); everything else of coursekit fails the exercise when called.
    """

    name: str
    title: str
    reference: Any
    public: Callable[[np.random.Generator], list[tuple]]
    hidden: Callable[[np.random.Generator], list[tuple]]
    call: str = "function"
    tol: float = 1e-7
    describe: Callable[[tuple], str] = field(default=lambda args: _describe(args))
    allowed: tuple[str, ...] = ()

    def run(self, answer: Any, args: tuple) -> Any:
        """Call ``answer`` on one case's arguments, as the exercise calls it."""
        return CALLS[self.call](answer, args)


def _short(x: Any) -> str:
    if isinstance(x, (np.ndarray, float)):
        return format_number(x, digits=6, max_entries=6)
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_short(v) for v in x) + ")"
    if callable(x):
        return getattr(x, "__name__", "a function")
    return repr(x)


def _describe(args: tuple) -> str:
    return ", ".join(_short(a) for a in args)


def _compare(expected: Any, got: Any, tol: float, where: str = "") -> str | None:
    """None when got matches expected, else a sentence saying how it differs."""
    label = f" {where}" if where else ""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"expected a dict{label} with keys {sorted(expected)}, got {type(got).__name__}"
        missing = sorted(set(expected) - set(got))
        if missing:
            return f"the result{label} has no entry for {', '.join(map(repr, missing))}"
        for key in expected:
            problem = _compare(expected[key], got[key], tol, f"{where}[{key!r}]".strip())
            if problem:
                return problem
        return None
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            n = len(got) if isinstance(got, (tuple, list)) else "not a tuple"
            return f"expected {len(expected)} results{label} (a tuple), got {n}"
        for i, (e, g) in enumerate(zip(expected, got)):
            problem = _compare(e, g, tol, f"{where} result {i + 1}".strip())
            if problem:
                return problem
        return None
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected a number or an array{label}, got {type(got).__name__}"
    expected_array = np.asarray(expected, dtype=float)
    if got_array.shape != expected_array.shape:
        return f"expected shape {expected_array.shape}{label}, got shape {got_array.shape}"
    if not np.all(np.isfinite(got_array)):
        return f"the result{label} contains NaN or infinity: {_short(got)}"
    error = rel_error(expected_array, got_array)
    if error > tol:
        return (
            f"expected{label} {_short(expected)}, got {_short(got)} (relative error {error:.1e}, "
            f"needs <= {tol:.0e})"
        )
    return None


def _student_line(exc: BaseException) -> str:
    """Where in the student's own code an exception was raised (not inside coursekit or numpy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = os.path.dirname(__file__)
    own = [f for f in frames if not f.filename.startswith(here) and "site-packages" not in f.filename]
    if not own:
        return ""
    f = own[-1]
    code = f" `{f.line.strip()}`" if f.line else ""
    return f" (in {f.name}, line {f.lineno}:{code})"


def run_check(name: str, answer: Any, cases: str = "public", seed: int = 0) -> Verdict:
    """Check an answer and return the verdict (never raises for a wrong answer)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    ex = EXERCISES[name]
    if cases not in ("public", "hidden"):
        raise ValueError(f"cases must be 'public' or 'hidden', got {cases!r}")
    arg_sets = (ex.public if cases == "public" else ex.hidden)(np.random.default_rng(seed))
    for i, args in enumerate(arg_sets, 1):
        expected = ex.run(ex.reference, _copy(args))
        try:
            with np.errstate(all="ignore"):
                got = ex.run(answer, _copy(args))
        except NotImplementedError:
            return Verdict(name, ex.title, False, False, len(arg_sets))
        except Exception as exc:  # noqa: BLE001 - reported to the student in one line
            detail = (
                f"case {i} of {len(arg_sets)}, with inputs {ex.describe(args)}: your code raised "
                f"{type(exc).__name__}: {exc}{_student_line(exc)}"
            )
            return Verdict(name, ex.title, False, True, len(arg_sets), detail)
        problem = _compare(expected, got, ex.tol)
        if problem:
            detail = f"case {i} of {len(arg_sets)}, with inputs {ex.describe(args)}: {problem}"
            return Verdict(name, ex.title, False, True, len(arg_sets), detail)
    return Verdict(name, ex.title, True, True, len(arg_sets))


def autograding() -> bool:
    """True while the grading command runs nbgrader's autograde."""
    return os.environ.get("COURSEKIT_AUTOGRADE", "") not in ("", "0")


def check(name: str, answer: Any, cases: str = "public", seed: int = 0) -> Verdict:
    """Check an exercise and show the verdict; while autograding, raise if it did not pass."""
    verdict = run_check(name, answer, cases, seed)
    if autograding() and not verdict.passed:
        raise ExerciseFailed(verdict)
    return verdict


def answer_or_reference(name: str, answer: Any) -> Any:
    """The student's answer if it passes its checks, else coursekit's reference (with a note)."""
    verdict = run_check(name, answer)
    if verdict.passed:
        return answer
    reason = "is not attempted yet" if not verdict.attempted else "does not pass its checks yet"
    _note(
        f"Note: exercise '{EXERCISES[name].title}' {reason}, so the cells below use coursekit's "
        f"reference version. Come back to it: the results will then be yours."
    )
    return EXERCISES[name].reference


class _Note:
    """A short remark shown in italics in a notebook and as plain text elsewhere."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<div style='color:#6d4c41;font-style:italic'>{html.escape(self.text)}</div>"


def _note(text: str) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with the course's dependencies
        print(text)
    else:
        display(_Note(text))


def _copy(args: tuple) -> tuple:
    """Fresh copies of array arguments, so an answer that edits its inputs cannot affect the next case."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            out.append(a.copy())
        elif isinstance(a, dict):
            out.append({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in a.items()})
        else:
            out.append(a)
    return tuple(out)


# ---------------------------------------------------------------------------
# References (written with coursekit, independently of the answers students write)
# ---------------------------------------------------------------------------


def _ref_numerical_gradient(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    return numerical_gradient(f, x, h)


def _ref_chain_rule(t: float) -> float:
    return Graph.trace(lambda t: 5 * (1 - t**2), t=t).backward()["t"]


def _ref_total_derivative(t: float) -> float:
    def f(t):
        x, y, z = t - 1, t * t, 1 / t
        return x.sin() * (y * z * z).exp()

    return Graph.trace(f, t=t).backward()["t"]


def _gate_vjp(gate: G.Gate) -> Callable:
    def backward(x, y, dz):
        g = type(gate)()
        g.forward(x, y)
        return g.backward(dz)

    return backward


def _ref_neuron(w0, x0, w1, x1, w2):
    g = Graph.trace(
        lambda w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(), w0=w0, x0=x0, w1=w1, x1=x1, w2=w2
    )
    grads = g.backward()
    return (g.output.data, tuple(grads[k] for k in ("w0", "x0", "w1", "x1", "w2")))


class _ReferenceGraph:
    """The lesson's ComputationalGraph: gates in topological order, backward in reverse."""

    def __init__(self, wires):
        self.wires = wires

    def forward(self, **inputs):
        self.values = dict(inputs)
        for gate, names, out in self.wires:
            self.values[out] = gate.forward(*(self.values[n] for n in names))
        return self.values[self.wires[-1][2]]

    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in reversed(self.wires):
            down = gate.backward(grads[out])
            down = down if len(names) > 1 else (down,)
            for n, d in zip(names, down):
                grads[n] = grads.get(n, 0.0) + d
        return grads


def _ref_norm_sq_grads(W, x):
    r = J.norm_sq_Wx(W, x)
    return r["grad_W"], r["grad_x"]


def _ref_affine_backward(dout, x, W):
    layer = nn.Linear(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.grads["W"].copy(), layer.grads["b"].copy()


def _ref_leaky_relu_derivative(x, slope=0.1):
    gate = G.LeakyReLUGate(slope)
    return gate.vjp(np.ones_like(x), gate.compute(x), x)


def _heart_grads(params, X, Y):
    model = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid")
    for k, v in params.items():
        model.params[k][...] = v
    loss = nn.SquaredError()
    loss.forward(model.forward(X), Y)
    model.backward(loss.backward())
    return {k: g.copy() for k, g in model.grads.items()}


def _heart_ref(name: str) -> Callable:
    def reference(params, X, Y):
        return _heart_grads(params, X, Y)[name]

    reference.__name__ = f"J_{name}"
    return reference


def _ref_two_layer_step(x, y, w1, w2, lr):
    """One step of the 20-line network, as the lesson writes it (the same numbers as
    ``nn.Sequential(Linear, Sigmoid, Linear)`` with a summed squared error: a test checks)."""
    h = G.sigmoid(np.dot(x, w1))
    y_pred = np.dot(h, w2)
    diff = y_pred - y
    grad_y_pred = 2.0 * diff
    grad_w2 = np.dot(h.T, grad_y_pred)
    grad_h = np.dot(grad_y_pred, w2.T)
    grad_w1 = np.dot(x.T, grad_h * h * (1.0 - h))
    return w1 - lr * grad_w1, w2 - lr * grad_w2, float(np.sum(diff * diff))


# ---------------------------------------------------------------------------
# Case generators
# ---------------------------------------------------------------------------


def _scalars(rng: np.random.Generator, n: int, lo: float = -2.0, hi: float = 2.0) -> list[float]:
    return [float(v) for v in rng.uniform(lo, hi, n)]


def _max_arrays(rng: np.random.Generator) -> list[tuple]:
    """Arrays x, y and dz, with a tie at one entry (a tie goes to x)."""
    x, y, dz = rng.normal(size=(3, 5))
    y[2] = x[2]
    return [(x, y, dz)]


def _heart_cases(rng: np.random.Generator, n_points: Iterable[int]) -> list[tuple]:
    from .data import heart_curve

    cases = []
    for n in n_points:
        X, Y = heart_curve(n)
        model = nn.MLP(
            [1, 6, 7, 2],
            activation="sigmoid",
            output_activation="sigmoid",
            init="half",
            seed=int(rng.integers(1 << 30)),
        )
        cases.append(({k: v.copy() for k, v in model.params.items()}, X, Y))
    return cases


def _wires_neuron() -> list:
    return [
        (G.MultiplyGate(), ("w0", "x0"), "a"),
        (G.MultiplyGate(), ("w1", "x1"), "b"),
        (G.AddGate(), ("a", "b"), "c"),
        (G.AddGate(), ("c", "w2"), "dot"),
        (G.SigmoidGate(), ("dot",), "f"),
    ]


def _wires_branch() -> list:  # f = x * x + x * y, where x feeds three wires
    return [
        (G.MultiplyGate(), ("x", "x"), "a"),
        (G.MultiplyGate(), ("x", "y"), "b"),
        (G.AddGate(), ("a", "b"), "f"),
    ]


def _wires_xyz() -> list:
    return [(G.AddGate(), ("x", "y"), "q"), (G.MultiplyGate(), ("q", "z"), "f")]


def _two_layer_case(rng: np.random.Generator, n: int, d_in: int, h: int, d_out: int, lr: float) -> tuple:
    """x (n, d_in), y (n, d_out), w1 (d_in, h), w2 (h, d_out) and the learning rate."""
    shapes = ((n, d_in), (n, d_out), (d_in, h), (h, d_out))
    return (*(rng.normal(size=shape) for shape in shapes), lr)


def _describe_heart(args: tuple) -> str:
    params, X, Y = args
    return f"the heart network's parameters and {len(X)} data points"


def _describe_graph(args: tuple) -> str:
    wires, inputs = args
    gates = ", ".join(type(g).__name__ for g, _, _ in wires)
    return f"a graph of {gates} at {_short(inputs)}"


EXERCISES: dict[str, Exercise] = {}


def _add(ex: Exercise) -> None:
    EXERCISES[ex.name] = ex


_add(
    Exercise(
        "numerical_gradient",
        "the centred-difference numerical gradient",
        _ref_numerical_gradient,
        public=lambda rng: [(f, x) for f, x in zip(TEST_FUNCTIONS.values(), _scalars(rng, 4))],
        hidden=lambda rng: [
            (f, x, h)
            for f, x, h in zip(TEST_FUNCTIONS.values(), _scalars(rng, 4, -3, 3), (1e-3, 1e-4, 1e-5, 1e-6))
        ],
        tol=1e-9,
    )
)
_add(
    Exercise(
        "chain_rule",
        "df/dt of f = 5x, x = 1 - u, u = t²",
        _ref_chain_rule,
        public=lambda rng: [(1.5,), (0.5,), (float(rng.uniform(-3, 3)),)],
        hidden=lambda rng: [(t,) for t in _scalars(rng, 5, -3, 3)],
        tol=1e-10,
    )
)
_add(
    Exercise(
        "total_derivative",
        "df/dt of f = sin(x) e^(y z²) with x = t - 1, y = t², z = 1/t",
        _ref_total_derivative,
        public=lambda rng: [(2.0,), (0.5,), (float(rng.uniform(0.2, 4)),)],
        hidden=lambda rng: [(t,) for t in _scalars(rng, 5, 0.2, 4)],
        tol=1e-10,
    )
)
_add(
    Exercise(
        "multiply_backward",
        "the multiply gate's backward (dx, dy)",
        _gate_vjp(G.MultiplyGate()),
        public=lambda rng: [(3.0, -4.0, 2.0), (-2.0, 5.0, 1.0), tuple(rng.normal(size=(3, 3)))],
        hidden=lambda rng: [(rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)) for _ in range(3)],
    )
)
_add(
    Exercise(
        "max_backward",
        "the max gate's backward (dx, dy)",
        _gate_vjp(G.MaxGate()),
        public=lambda rng: [(3.0, -1.0, 2.0), (-4.0, 1.0, 2.0), (1.0, 1.0, 2.0), *_max_arrays(rng)],  # a tie goes to x
        hidden=lambda rng: [(rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)) for _ in range(3)],
    )
)
_add(
    Exercise(
        "sigmoid_neuron",
        "the sigmoid neuron: f and (dw0, dx0, dw1, dx1, dw2)",
        _ref_neuron,
        public=lambda rng: [(2.0, -1.0, -3.0, -2.0, -3.0), tuple(_scalars(rng, 5))],
        hidden=lambda rng: [tuple(_scalars(rng, 5)) for _ in range(4)],
    )
)
_add(
    Exercise(
        "sigmoid_gate",
        "a sigmoid gate class: forward keeps s, backward returns dz (1 - s) s",
        G.SigmoidGate,
        public=lambda rng: [(1.0, 1.0), (-2.0, 0.5), (rng.normal(size=3) * 3, rng.normal(size=3))],
        hidden=lambda rng: [(rng.normal(size=4) * 3, rng.normal(size=4)), (-1000.0, 1.0), (1000.0, 1.0)],
        call="gate_class",
        allowed=("coursekit.gates.sigmoid",),
    )
)
_add(
    Exercise(
        "computational_graph",
        "a ComputationalGraph's forward and backward",
        _ReferenceGraph,
        public=lambda rng: [
            (_wires_xyz(), dict(x=-2.0, y=5.0, z=-4.0)),
            (_wires_neuron(), dict(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)),
            (_wires_xyz(), dict(zip("xyz", _scalars(rng, 3, -3, 3)))),
        ],
        hidden=lambda rng: [
            (_wires_branch(), dict(zip(("x", "y"), _scalars(rng, 2, -3, 3)))),
            (_wires_neuron(), dict(zip(("w0", "x0", "w1", "x1", "w2"), _scalars(rng, 5)))),
        ],
        call="graph_class",
        allowed=("coursekit.gates",),
        describe=_describe_graph,
    )
)
_add(
    Exercise(
        "jacobian_example",
        "the Jacobian of f(x, y) = (x² y, 5x + sin y)",
        J.example_jacobian,
        public=lambda rng: [(1.5, -0.5), (0.0, 0.0), tuple(_scalars(rng, 2, -3, 3))],
        hidden=lambda rng: [tuple(_scalars(rng, 2, -3, 3)) for _ in range(4)],
    )
)
_add(
    Exercise(
        "norm_sq_grads",
        "the gradients of ||W x||² with respect to W and x",
        _ref_norm_sq_grads,
        public=lambda rng: [
            (np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])),
            (rng.normal(size=(3, 2)), rng.normal(size=2)),
        ],
        hidden=lambda rng: [
            (rng.normal(size=(3, 4)), rng.normal(size=4)),
            (rng.normal(size=(1, 2)), rng.normal(size=2)),
        ],
    )
)
_add(
    Exercise(
        "affine_backward",
        "an affine layer's backward (dx, dW, db)",
        _ref_affine_backward,
        public=lambda rng: [(rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2)))],
        hidden=lambda rng: [
            (rng.normal(size=(1, 5)), rng.normal(size=(1, 3)), rng.normal(size=(5, 3))),
            (rng.normal(size=(6, 2)), rng.normal(size=(6, 4)), rng.normal(size=(2, 4))),
        ],
    )
)
_add(
    Exercise(
        "leaky_relu_derivative",
        "the derivative of the leaky ReLU max(slope x, x)",
        _ref_leaky_relu_derivative,
        public=lambda rng: [(np.array([-2.0, -0.5, 0.5, 3.0]),), (rng.normal(size=5), float(rng.uniform(0.01, 0.3)))],
        hidden=lambda rng: [(rng.normal(size=7), float(rng.uniform(0.01, 0.3))), (rng.normal(size=(2, 3)), 0.01)],
    )
)
for _name in ("W3", "b3", "W2", "b2", "W1", "b1"):
    _add(
        Exercise(
            f"J_{_name}",
            f"dC/d{_name} of the heart network",
            _heart_ref(_name),
            public=lambda rng: _heart_cases(rng, [100]),
            hidden=lambda rng: _heart_cases(rng, [20, 7]),
            describe=_describe_heart,
            allowed=("coursekit.gates.sigmoid",),
        )
    )
_add(
    Exercise(
        "two_layer_step",
        "one gradient-descent step of the 20-line two-layer network",
        _ref_two_layer_step,
        public=lambda rng: [_two_layer_case(rng, 8, 20, 5, 3, 1e-3)],
        hidden=lambda rng: [_two_layer_case(rng, 64, 100, 30, 10, 1e-4)],
        allowed=("coursekit.gates.sigmoid",),
    )
)

__all__ = [
    "check",
    "run_check",
    "answer_or_reference",
    "autograding",
    "Verdict",
    "ExerciseFailed",
    "Exercise",
    "EXERCISES",
]
