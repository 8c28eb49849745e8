"""Instant feedback: wrong answers as students write them are caught, and the verdict names the mistake.

For every exercise, at least three wrong answers (each with words its verdict must contain) and
correct answers written differently from the reference (loops, math instead of numpy, ...).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from coursekit.gradcheck import rel_error
from coursekit.grading import EXERCISES, hint, run_check
from coursekit.grading.patterns import ReferenceGraph


def sig(z):
    return 1 / (1 + np.exp(-z))


# --- lesson 0 and 1 ---------------------------------------------------------------------------


def ng_ignores_h(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5


def ng_one_sided(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h


def ng_over_h(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h


def ng_loop(f, x, h=1e-5):  # correct: the two points in a loop
    total = 0.0
    for sign in (1, -1):
        total += sign * f(x + sign * h)
    return total / (2 * h)


def total_without_z(t):
    x, y, z = t - 1, t * t, 1 / t
    e = math.exp(y * z * z)
    return math.cos(x) * e + math.sin(x) * e * z * z * 2 * t


def total_typed_in(t):
    return 0.540302305868 * math.e


def total_sign(t):
    x, y, z = t - 1, t * t, 1 / t
    e = math.exp(y * z * z)
    return math.cos(x) * e + math.sin(x) * e * z * z * 2 * t + math.sin(x) * e * 2 * y * z / t**2


def total_numpy(t):  # correct: simplify first, y z^2 = 1, so f = e sin(t - 1)
    return float(np.e * np.cos(t - 1))


# --- lesson 2 ---------------------------------------------------------------------------------


def neuron_typed_in(w0, x0, w1, x1, w2):
    return 0.7310586, (-0.1966119, 0.3932239, -0.3932239, -0.5898358, 0.1966119)


def neuron_no_sigmoid(w0, x0, w1, x1, w2):
    f = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    return f, (x0, w0, x1, w1, 1.0)


def neuron_swapped(w0, x0, w1, x1, w2):
    f = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    d = (1 - f) * f
    return f, (d * w0, d * x0, d * x1, d * w1, d)


def neuron_numpy(w0, x0, w1, x1, w2):  # correct: vectors
    w, x = np.array([w0, w1, w2]), np.array([x0, x1, 1.0])
    f = 1 / (1 + np.exp(-w @ x))
    d = f * (1 - f)
    dw, dx = d * x, d * w
    return float(f), (float(dw[0]), float(dx[0]), float(dw[1]), float(dx[1]), float(dw[2]))


# --- lesson 3 ---------------------------------------------------------------------------------


def max_if(x, y, dz):
    if x >= y:
        return dz, 0.0
    return 0.0, dz


def max_tie_to_y(x, y, dz):
    x_wins = np.greater(x, y)
    return dz * x_wins, dz * ~x_wins


def max_to_loser(x, y, dz):
    x_wins = np.greater_equal(x, y)
    return dz * ~x_wins, dz * x_wins


def max_where(x, y, dz):  # correct: np.where
    return np.where(x >= y, dz, 0.0), np.where(x >= y, 0.0, dz)


class NaiveSigmoid:
    def forward(self, x):
        self.s = 1 / (1 + np.exp(-x))
        return self.s

    def backward(self, dz):
        return dz * (1 - self.s) * self.s


class SigmoidNoLocal(NaiveSigmoid):
    def forward(self, x):
        self.s = np.exp(-np.logaddexp(0, -x))
        return self.s

    def backward(self, dz):
        return dz * self.s


class SigmoidNoUpstream(SigmoidNoLocal):
    def backward(self, dz):
        return (1 - self.s) * self.s


class SigmoidStable:  # correct: the two-sided form with np.where
    def forward(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(-np.abs(x))
        self.s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.s if self.s.ndim else float(self.s)

    def backward(self, dz):
        return dz * self.s * (1 - self.s)


class GraphOverwrites(ReferenceGraph):
    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in reversed(self.wires):
            down = gate.backward(grads[out])
            for n, d in zip(names, down if len(names) > 1 else (down,)):
                grads[n] = d
        return grads


class GraphForwardOrder(ReferenceGraph):
    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in self.wires:
            down = gate.backward(grads[out])
            for n, d in zip(names, down if len(names) > 1 else (down,)):
                grads[n] = grads.get(n, 0.0) + d
        return grads


class GraphNoReturn(ReferenceGraph):
    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in reversed(self.wires):
            down = gate.backward(grads[out])
            for n, d in zip(names, down if len(names) > 1 else (down,)):
                grads[n] = grads.get(n, 0.0) + d


class GraphDefaultdict(ReferenceGraph):  # correct: a defaultdict and an explicit index
    def backward(self):
        from collections import defaultdict

        grads = defaultdict(float)
        grads[self.wires[-1][2]] = 1.0
        for k in range(len(self.wires) - 1, -1, -1):
            gate, names, out = self.wires[k]
            down = gate.backward(grads[out])
            if len(names) == 1:
                down = [down]
            for n, d in zip(names, down):
                grads[n] += d
        return dict(grads)


# --- lesson 4 and 5 ---------------------------------------------------------------------------


def jac_transposed(x, y):
    return np.array([[2 * x * y, 5.0], [x * x, np.cos(y)]])


def jac_flat(x, y):
    return np.array([2 * x * y, x * x, 5.0, np.cos(y)])


def jac_wrong_entry(x, y):
    return np.array([[x * x, x * x], [5.0, np.cos(y)]])


def jac_lists(x, y):  # correct: nested lists, math
    return [[2 * x * y, x**2], [5, math.cos(y)]]


def norm_no_2(W, x):
    q = W @ x
    return np.outer(q, x), W.T @ q


def norm_transposed(W, x):
    q = W @ x
    return 2 * np.outer(x, q), 2 * W.T @ q


def norm_swapped(W, x):
    q = W @ x
    return 2 * W.T @ q, 2 * np.outer(q, x)


def norm_loops(W, x):  # correct: the index step, with loops
    q = W @ x
    dW = np.zeros_like(W)
    for i in range(W.shape[0]):
        for j in range(W.shape[1]):
            dW[i, j] = 2 * q[i] * x[j]
    return dW, 2 * np.einsum("ki,k->i", W, q)


def leaky_fixed(x, slope=0.1):
    return np.where(x > 0, 1.0, 0.1)


def leaky_function(x, slope=0.1):
    return np.maximum(slope * x, x)


def leaky_if(x, slope=0.1):
    return 1.0 if x > 0 else slope


def leaky_loop(x, slope=0.1):  # correct: a loop over the entries
    out = np.empty_like(x, dtype=float)
    for i, v in np.ndenumerate(x):
        out[i] = 1.0 if v > 0 else slope
    return out


def affine_dW_T(dout, x, W):
    return dout @ W, x.T @ dout, dout.sum(axis=0)


def affine_db_kept(dout, x, W):
    return dout @ W, dout.T @ x, dout


def affine_dx_wrong(dout, x, W):
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def affine_einsum(dout, x, W):  # correct: einsum and sum with keepdims off
    return np.einsum("no,oi->ni", dout, W), np.einsum("no,ni->oi", dout, x), np.sum(dout, 0)


# --- lesson 6 ---------------------------------------------------------------------------------


def heart_forward(p, X):
    a1 = sig(X @ p["W1"].T + p["b1"])
    a2 = sig(a1 @ p["W2"].T + p["b2"])
    return a1, a2, sig(a2 @ p["W3"].T + p["b3"])


def heart_deltas(p, X, Y, n):
    a1, a2, a3 = heart_forward(p, X)
    d3 = 2 * (a3 - Y) / n * a3 * (1 - a3)
    d2 = (d3 @ p["W3"]) * a2 * (1 - a2)
    d1 = (d2 @ p["W2"]) * a1 * (1 - a1)
    return {3: (d3, a2), 2: (d2, a1), 1: (d1, X)}


def heart_answers(layer: int):
    """(correct, no 1/N, transposed or not summed, sign) answers for layer's W and b."""

    def W(p, X, Y):
        d, a = heart_deltas(p, X, Y, len(X))[layer]
        return sum(np.outer(d[n], a[n]) for n in range(len(X)))  # correct: a loop over samples

    def W_no_n(p, X, Y):
        d, a = heart_deltas(p, X, Y, 1)[layer]
        return d.T @ a

    def W_t(p, X, Y):
        d, a = heart_deltas(p, X, Y, len(X))[layer]
        return a.T @ d

    def W_sign(p, X, Y):
        d, a = heart_deltas(p, X, Y, len(X))[layer]
        return -(d.T @ a)

    def b(p, X, Y):
        return heart_deltas(p, X, Y, len(X))[layer][0].sum(axis=0)

    def b_no_n(p, X, Y):
        return heart_deltas(p, X, Y, 1)[layer][0].sum(axis=0)

    def b_kept(p, X, Y):
        return heart_deltas(p, X, Y, len(X))[layer][0]

    def b_sign(p, X, Y):
        return -heart_deltas(p, X, Y, len(X))[layer][0].sum(axis=0)

    return (W, W_no_n, W_t, W_sign), (b, b_no_n, b_kept, b_sign)


def two_layer_no_2(x, y, w1, w2, lr):
    h = sig(x @ w1)
    d = h @ w2 - y
    return w1 - lr * x.T @ ((d @ w2.T) * h * (1 - h)), w2 - lr * h.T @ d, float(np.sum(d * d))


def two_layer_ascent(x, y, w1, w2, lr):
    h = sig(x @ w1)
    d = h @ w2 - y
    g = 2 * d
    return w1 + lr * x.T @ ((g @ w2.T) * h * (1 - h)), w2 + lr * h.T @ g, float(np.sum(d * d))


def two_layer_swapped(x, y, w1, w2, lr):
    h = sig(x @ w1)
    d = h @ w2 - y
    g = 2 * d
    return w2 - lr * h.T @ g, w1 - lr * x.T @ ((g @ w2.T) * h * (1 - h)), float(np.sum(d * d))


def two_layer_steps(x, y, w1, w2, lr):  # correct: named intermediate steps, np.square
    z = x.dot(w1)
    h = 1 / (1 + np.exp(-z))
    y_pred = h.dot(w2)
    loss = np.square(y_pred - y).sum()
    g_pred = 2 * (y_pred - y)
    g_w2 = h.T.dot(g_pred)
    g_z = g_pred.dot(w2.T) * h * (1 - h)
    return w1 - lr * x.T.dot(g_z), w2 - lr * g_w2, loss


# --- lesson 7 ---------------------------------------------------------------------------------

from coursekit.grading.autograd import TinyValue  # noqa: E402


class ValueOverwrites(TinyValue):  # = instead of +=: micrograd's issue #2
    def __add__(self, other):
        out = ValueOverwrites(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out


class ValueNoUpstream(TinyValue):
    def __mul__(self, other):
        other = other if isinstance(other, TinyValue) else ValueNoUpstream(other)
        out = ValueNoUpstream(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data
            other.grad += self.data

        out._backward = _backward
        return out


class ValueNoReturn(TinyValue):
    def __add__(self, other):
        out = ValueNoReturn(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward


class ValueSwapped(TinyValue):  # correct, written differently: one class per operation's closure
    def __mul__(self, other):
        other = other if isinstance(other, TinyValue) else ValueSwapped(other)
        out = ValueSwapped(other.data * self.data, (other, self), "*")
        out._backward = lambda: [
            setattr(other, "grad", other.grad + self.data * out.grad),
            setattr(self, "grad", self.grad + other.data * out.grad),
        ]
        return out


class TanhOfInput(TinyValue):
    def tanh(self):
        out = TinyValue(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - self.data**2) * out.grad

        out._backward = _backward
        return out


class PowWithoutK(TinyValue):
    def __pow__(self, k):
        out = TinyValue(self.data**k, (self,), "**")

        def _backward():
            self.grad += self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out


class NoRadd(TinyValue):
    __radd__ = None


class ExpWithMath(TinyValue):  # correct: exp's gradient recomputed with math.exp
    def exp(self):
        out = TinyValue(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += math.exp(self.data) * out.grad

        out._backward = _backward
        return out


def order_missing_root(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for child in node._prev:
                visit(child)
            order.append(node)

    for child in root._prev:
        visit(child)
    return order


def order_parents_first(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            order.append(node)
            for child in node._prev:
                visit(child)

    visit(root)
    return order


def order_no_visited_set(root):
    order = []

    def visit(node):
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order


def order_kahn(root):  # correct, and not depth first: Kahn's algorithm over the reachable nodes
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        if node not in nodes:
            nodes.append(node)
            stack.extend(node._prev)
    waiting = {n: len(set(n._prev)) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in nodes:
            if node in parent._prev:
                waiting[parent] -= 1
                if waiting[parent] == 0:
                    ready.append(parent)
    return order


(JW3, *WRONG_W3), (Jb3, *WRONG_b3) = heart_answers(3)
(JW2, *WRONG_W2), (Jb2, *WRONG_b2) = heart_answers(2)
(JW1, *WRONG_W1), (Jb1, *WRONG_b1) = heart_answers(1)
HEART_W = ("did you forget to divide by N", "transpose", "wrong sign")
HEART_b = ("did you forget to divide by N", "sum over the samples", "wrong sign")

CASES = {  # exercise -> (correct answers, [(wrong answer, words its verdict must contain)])
    "numerical_gradient": (
        [ng_loop],
        [
            (ng_ignores_h, "use the step h you are given"),
            (ng_one_sided, "one-sided"),
            (ng_over_h, "2x the expected"),
        ],
    ),
    "chain_rule": (
        [lambda t: 5 * (-1) * 2 * t],
        [
            (lambda t: -5.0, "du/dt = 2t, is missing"),
            (lambda t: 10 * t, "wrong sign"),
            (lambda t: -15.0, "typed in"),
        ],
    ),
    "total_derivative": (
        [total_numpy],
        [
            (total_without_z, "the path through z is missing"),
            (total_typed_in, "typed in"),
            (total_sign, "df/dt: expected"),
        ],
    ),
    "multiply_backward": (
        [lambda x, y, dz: (np.multiply(dz, y), np.multiply(dz, x))],
        [
            (lambda x, y, dz: (dz * x, dz * y), "dx and dy are swapped"),
            (lambda x, y, dz: (y, x), "upstream gradient dz is missing"),
            (lambda x, y, dz: None, "did you forget `return`"),
        ],
    ),
    "sigmoid_neuron": (
        [neuron_numpy],
        [
            (neuron_typed_in, "typed in"),
            (neuron_no_sigmoid, "(1 - f) f"),
            (neuron_swapped, "dw0 and dx0 are swapped"),
        ],
    ),
    "max_backward": (
        [max_where],
        [(max_if, "mask"), (max_tie_to_y, "a tie goes to x"), (max_to_loser, "the one that won")],
    ),
    "sigmoid_gate": (
        [SigmoidStable],
        [
            (NaiveSigmoid, "overflows"),
            (SigmoidNoLocal, "(1 - s) s"),
            (SigmoidNoUpstream, "multiply it by the upstream dz"),
        ],
    ),
    "computational_graph": (
        [GraphDefaultdict],
        [
            (GraphOverwrites, "branches add"),
            (GraphForwardOrder, "walk the wires in reverse"),
            (GraphNoReturn, "did you forget `return`"),
        ],
    ),
    "jacobian_example": (
        [jac_lists],
        [(jac_transposed, "transpose"), (jac_flat, "wrong shape"), (jac_wrong_entry, "at [0, 0]")],
    ),
    "norm_sq_grads": (
        [norm_loops],
        [(norm_no_2, "factor of 2"), (norm_transposed, "transpose"), (norm_swapped, "dW and dx are swapped")],
    ),
    "leaky_relu_derivative": (
        [leaky_loop],
        [
            (leaky_fixed, "use the slope you are given"),
            (leaky_function, "not its derivative"),
            (leaky_if, "mask"),
        ],
    ),
    "affine_backward": (
        [affine_einsum],
        [
            (affine_dW_T, "dW is the transpose"),
            (affine_db_kept, "sum over the samples"),
            (affine_dx_wrong, "Check the shapes"),
        ],
    ),
    "J_W3": ([JW3], list(zip(WRONG_W3, HEART_W))),
    "J_b3": ([Jb3], list(zip(WRONG_b3, HEART_b))),
    "J_W2": ([JW2], list(zip(WRONG_W2, HEART_W))),
    "J_b2": ([Jb2], list(zip(WRONG_b2, HEART_b))),
    "J_W1": ([JW1], list(zip(WRONG_W1, HEART_W))),
    "J_b1": ([Jb1], list(zip(WRONG_b1, HEART_b))),
    "value_add_mul": (
        [ValueSwapped],
        [
            (ValueOverwrites, "+= instead of assigning"),
            (ValueNoUpstream, "the gradient of"),
            (ValueNoReturn, "NoneType"),
        ],
    ),
    "value_more_ops": (
        [ExpWithMath],
        [
            (TanhOfInput, "not the input"),
            (PowWithoutK, "the factor k is missing"),
            (NoRadd, "raised TypeError"),
        ],
    ),
    "topological_order": (
        [order_kahn],
        [
            (order_missing_root, "is missing 'a'"),
            (order_parents_first, "which it was made from"),
            (order_no_visited_set, "appears more than once"),
        ],
    ),
    "two_layer_step": (
        [two_layer_steps],
        [
            (two_layer_no_2, "the 2 is missing"),
            (two_layer_ascent, "uphill"),
            (two_layer_swapped, "the new w1 and the new w2 are swapped"),
        ],
    ),
}


def test_every_exercise_has_three_wrong_answers_and_a_correct_one():
    assert set(CASES) == set(EXERCISES)
    assert all(len(wrong) >= 3 and right for right, wrong in CASES.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_correct_answers_written_differently_pass(name):
    for answer in CASES[name][0]:
        verdict = run_check(name, answer)
        assert verdict.passed, verdict.text()


@pytest.mark.parametrize(
    "name, index", [(name, i) for name, (_, wrong) in sorted(CASES.items()) for i in range(len(wrong))]
)
def test_wrong_answers_are_caught_and_the_mistake_named(name, index):
    answer, words = CASES[name][1][index]
    verdict = run_check(name, answer)
    text = verdict.text()
    assert not verdict.passed and verdict.attempted, text
    assert words in text, text
    assert "Traceback" not in text and len(text.splitlines()) <= 3, text


def test_messages_read_well():
    ok = run_check("chain_rule", lambda t: -10 * t).text()
    assert "all 3 checks passed" in ok
    from coursekit.grading.verdict import Verdict

    assert "the 1 check passed" in Verdict("x", "an exercise", True, True, 1).text()
    missing_return = run_check("jacobian_example", lambda x, y: None).text()
    assert "the Jacobian is None: did you forget `return`?" in missing_return


def test_rel_error_treats_exact_zeros_sensibly():
    assert rel_error(0.0, 1e-12) == 0.0
    assert rel_error(np.zeros(3), np.full(3, 1e-13)) == 0.0
    assert rel_error(0.0, 1e-6) > 1e-7  # a real difference still counts
    assert rel_error(1.0, 1.0 + 1e-9) < 1e-8


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_exercise_has_a_hint_to_a_lesson_section(name):
    from pathlib import Path

    import nbformat

    note = hint(name)
    ex = EXERCISES[name]
    assert ex.hint and ex.hint in note.text and ex.section in note.text
    nb = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / f"{ex.lesson}.ipynb", as_version=4)
    headings = [
        line.lstrip("#").strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("#")
    ]
    assert any(h.startswith(ex.section) for h in headings), (name, ex.section)
    assert f"{ex.lesson}.ipynb#" in note._repr_html_()
