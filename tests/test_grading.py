"""Exercise checks: references pass, wrong answers get a useful one-line verdict, grading mode raises."""

import numpy as np
import pytest

from coursekit import grading
from coursekit.grading import EXERCISES, ExerciseFailed, answer_or_reference, check, run_check
from coursekit.grading.patterns import ReferenceGraph


@pytest.mark.parametrize("name", list(EXERCISES))
@pytest.mark.parametrize("cases", ["public", "hidden"])
def test_every_reference_passes_its_own_checks(name, cases):
    verdict = run_check(name, EXERCISES[name].reference, cases)
    assert verdict.passed and verdict.attempted, verdict.text()


def test_there_are_at_least_fifteen_exercises():
    assert len(EXERCISES) >= 15


def test_not_attempted():
    def multiply_backward(x, y, dz):
        # YOUR CODE HERE
        raise NotImplementedError()

    verdict = run_check("multiply_backward", multiply_backward)
    assert not verdict.attempted and not verdict.passed
    assert verdict.text().startswith("[not attempted yet]")


def test_a_wrong_answer_names_the_case_and_the_mistake():
    def multiply_backward(x, y, dz):
        return dz * x, dz * y  # switched the wrong way round

    text = run_check("multiply_backward", multiply_backward).text()
    assert text.startswith("[not yet]") and "case 1 of 3" in text and "3, -4, 2" in text
    assert "dx and dy are swapped" in text and 'hint("multiply_backward")' in text


def test_an_exception_is_one_line_with_the_students_line():
    def jacobian_example(x, y):
        return np.array([[2 * x * y, x**2], [5, np.cos(y)]]) @ np.ones(3)

    text = run_check("jacobian_example", jacobian_example).text()
    assert "your code raised ValueError" in text and "in jacobian_example, line" in text
    assert "Check the shapes" in text and "Traceback" not in text


def test_the_public_checks_catch_what_the_lesson_warns_about():
    def max_backward(x, y, dz):  # right for numbers, wrong for arrays
        return (dz, 0.0) if x >= y else (0.0, dz)

    def strict_max_backward(x, y, dz):  # a tie must go to x
        return (dz, 0.0) if x > y else (0.0, dz)

    assert "case 3 of 4" in run_check("max_backward", strict_max_backward).text()
    public = run_check("max_backward", max_backward)
    assert not public.passed and "case 4 of 4" in public.text() and "mask" in public.text()

    def numerical_gradient(f, x, h=1e-5):
        return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5  # ignores h

    text = run_check("numerical_gradient", numerical_gradient).text()
    assert "case 5 of 6" in text and "0.001" in text


def test_gate_class_and_graph_class_exercises():
    class SigmoidGate:
        def forward(self, x):
            self.s = 1 / (1 + np.exp(-x))
            return self.s

        def backward(self, dz):
            return dz * self.s  # forgot (1 - s)

    text = run_check("sigmoid_gate", SigmoidGate).text()
    assert "[not yet]" in text and "backward is missing the local gradient (1 - s) s" in text

    class NaiveSigmoidGate(SigmoidGate):  # right derivative, but overflows at x = -1000
        def backward(self, dz):
            return dz * (1 - self.s) * self.s

    text = run_check("sigmoid_gate", NaiveSigmoidGate).text()
    assert "-1000" in text and "overflows" in text and "e^x / (1 + e^x)" in text

    class Graph(ReferenceGraph):  # forgets that branches add: overwrites instead
        def backward(self):
            grads = {self.wires[-1][2]: 1.0}
            for gate, names, out in reversed(self.wires):
                down = gate.backward(grads[out])
                down = down if len(names) > 1 else (down,)
                for n, d in zip(names, down):
                    grads[n] = d
            return grads

    text = run_check("computational_graph", Graph).text()
    assert "case 3 of 4" in text and "branches add" in text


def test_heart_exercise_with_a_missing_factor():
    def J_W3(params, X, Y):
        a1 = 1 / (1 + np.exp(-(X @ params["W1"].T + params["b1"])))
        a2 = 1 / (1 + np.exp(-(a1 @ params["W2"].T + params["b2"])))
        a3 = 1 / (1 + np.exp(-(a2 @ params["W3"].T + params["b3"])))
        return (2 * (a3 - Y) * a3 * (1 - a3)).T @ a2  # forgot / N

    verdict = run_check("J_W3", J_W3)
    assert not verdict.passed and "the heart network's parameters" in verdict.text()
    assert "100x the expected, and N = 100: did you forget to divide by N?" in verdict.text()


def test_check_raises_only_while_autograding(monkeypatch):
    def wrong(x, y, dz):
        return 0.0, 0.0

    monkeypatch.delenv("COURSEKIT_AUTOGRADE", raising=False)
    assert not check("multiply_backward", wrong).passed
    monkeypatch.setenv("COURSEKIT_AUTOGRADE", "1")
    with pytest.raises(ExerciseFailed) as info:
        check("multiply_backward", wrong)
    assert info.value._render_traceback_() == [info.value.verdict.text()]
    assert check("multiply_backward", EXERCISES["multiply_backward"].reference).passed


def test_answer_or_reference(capsys):
    def leaky_relu_derivative(x, slope=0.1):
        raise NotImplementedError()

    used = answer_or_reference("leaky_relu_derivative", leaky_relu_derivative)
    assert used is EXERCISES["leaky_relu_derivative"].reference
    assert "not attempted yet" in capsys.readouterr().out

    def good(x, slope=0.1):
        return np.where(x > 0, 1.0, slope)

    assert answer_or_reference("leaky_relu_derivative", good) is good


def test_verdicts_render_in_notebooks_and_unknown_names():
    verdict = run_check("chain_rule", lambda t: -10 * t)
    assert verdict.passed and "passed" in verdict._repr_html_()
    with pytest.raises(KeyError, match="unknown exercise 'chain'"):
        run_check("chain", lambda t: t)
    assert grading.autograding() in (True, False)


def test_two_layer_reference_is_one_step_of_the_layered_network():
    from coursekit import nn
    from coursekit.data import two_layer_problem

    x, y, w1, w2 = two_layer_problem(N=8, D_in=30, H=6, D_out=4)
    model = nn.Sequential(nn.Linear(30, 6, bias=False), nn.Sigmoid(), nn.Linear(6, 4, bias=False))
    model.params["W1"][...] = w1.T
    model.params["W2"][...] = w2.T
    history = nn.fit(model, x, y, loss=nn.SquaredError(reduction="sum"), lr=1e-3, steps=1, progress=False)
    new_w1, new_w2, loss = EXERCISES["two_layer_step"].reference(x, y, w1, w2, 1e-3)
    assert loss == pytest.approx(history.loss[0], rel=1e-14)
    np.testing.assert_allclose(new_w1, model.params["W1"].T, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(new_w2, model.params["W2"].T, rtol=1e-13, atol=1e-15)
    assert not np.allclose(new_w1, w1)  # the step moved the weights
