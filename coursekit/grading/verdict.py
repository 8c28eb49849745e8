"""Verdicts, and the comparison that explains a wrong answer in words that teach.

:func:`compare` says how a result differs from the expected one, naming each quantity by what
it is (``dx``, ``dW``, ``df/dw0``) and recognising the usual mistakes: a forgotten ``return``, a
transposed array, a batch dimension kept or dropped, a flipped sign, a constant factor (the
number of samples N: a forgotten 1/N), two results swapped; otherwise it lists a few entries
that differ. The grader uses it too, so feedback after grading reads the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gradcheck import rel_error
from ..graph import format_number


class ExerciseFailed(AssertionError):
    """A failed check while ``COURSEKIT_AUTOGRADE`` is set; shows the verdict, not a traceback."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.text())
        self.verdict = verdict

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of the stack
        return [self.verdict.text()]


def plural(n: int, word: str) -> str:
    """'1 check', '3 checks'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


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
            which = "the 1 check" if self.cases == 1 else f"all {self.cases} checks"
            return f"[passed] {self.title}: {which} passed."
        return f'[not yet] {self.title}: {self.detail}\nStuck? hint("{self.exercise}") points to the step.'

    __str__ = text

    def __repr__(self) -> str:
        return self.text()

    def __bool__(self) -> bool:
        return self.passed

    def _repr_html_(self) -> str:
        color = "#2e7d32" if self.passed else ("#616161" if not self.attempted else "#c62828")
        body = html.escape(self.text()).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {color};padding:4px 10px;color:{color}'>{body}</div>"


def short(x: Any) -> str:
    """A compact text for a case's input or a result."""
    if isinstance(x, (np.ndarray, float)):
        return format_number(x, digits=6, max_entries=6)
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {short(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(short(v) for v in x) + ")"
    if callable(x):
        return getattr(x, "__name__", "a function")
    return repr(x)


def _number(x: float, other: float | None = None) -> str:
    """``x`` with 6 significant digits, or as many more as it takes to differ from ``other``."""
    for digits in (6, 9, 12, 17):
        text = f"{x:.{digits}g}"
        if other is None or text != f"{other:.{digits}g}":
            return text
    return text


def _pair(e: float, g: float) -> str:
    return f"expected {_number(e, g)}, got {_number(g, e)}"


def _index(i: tuple) -> str:
    return "[" + ", ".join(map(str, i)) + "]" if i else ""


def _matches(expected: Any, got: Any, tol: float) -> bool:
    return compare(expected, got, tol) is None


def _close(e: np.ndarray, g: np.ndarray, tol: float) -> bool:
    """Two float arrays of one shape, equal within ``tol`` (no explanation asked for)."""
    return e.shape == g.shape and bool(np.all(np.isfinite(g))) and rel_error(e, g) <= tol


def _factor(expected: np.ndarray, got: np.ndarray) -> float | None:
    """r when got == r * expected for one constant r (over the entries where expected is not 0)."""
    nonzero = np.abs(expected) > 1e-12 * max(1.0, float(np.max(np.abs(expected))))
    if not nonzero.any() or np.any(np.abs(got[~nonzero]) > 1e-9 * max(1.0, float(np.max(np.abs(got))))):
        return None
    ratios = got[nonzero] / expected[nonzero]
    r = float(np.median(ratios))
    if r == 0 or not np.allclose(ratios, r, rtol=1e-6, atol=0):
        return None
    return r


def _explain_values(
    name: str, e: np.ndarray, g: np.ndarray, error: float, tol: float, sizes: set[int]
) -> str:
    r = _factor(e, g)
    several = int(np.count_nonzero(e)) >= 2  # one number is always "a factor" of another
    known = r is not None and (
        abs(r + 1) < 1e-6
        or any(abs(r - n) < 1e-6 * n or abs(r - 1 / n) < 1e-6 / n for n in sizes)
        or any(abs(r - k) < 1e-6 * abs(k) for k in (2.0, 0.5, -2.0, -0.5))
    )
    if r is not None and abs(r - 1) > 1e-6 and (several or known):
        if abs(r + 1) < 1e-6:
            return f"{name} has the wrong sign: it is -1 times the expected value"
        for n in sorted(sizes):
            if abs(r - n) < 1e-6 * n:
                return f"your {name} is {n}x the expected, and N = {n}: did you forget to divide by N?"
            if abs(r - 1 / n) < 1e-6 / n:
                return (
                    f"your {name} is 1/{n} of the expected, and N = {n}: did you divide by N once too often?"
                )
        if any(abs(r - k) < 1e-6 * abs(k) for k in (2.0, 0.5, -2.0, -0.5)):
            return f"your {name} is {r:g}x the expected: a factor of 2 is off"
        return f"your {name} is exactly {r:.4g}x the expected: a constant factor is off"
    if e.ndim == 2 and e.shape[0] == e.shape[1] > 1 and _close(e, g.T, tol):
        return f"{name} is the transpose of the expected one: rows and columns are swapped"
    if e.ndim == 0 or e.size == 1:
        return f"{name}: {_pair(float(e.ravel()[0]), float(g.ravel()[0]))} (relative error {error:.1e})"
    wrong = np.argwhere(~np.isclose(g, e, rtol=tol, atol=1e-12))
    shown = "; ".join(
        f"at {_index(tuple(int(k) for k in i))} {_pair(float(e[tuple(i)]), float(g[tuple(i)]))}"
        for i in wrong[:3]
    )
    entries = "entry" if e.size == 1 else "entries"
    return f"{name} differs at {len(wrong)} of {e.size} {entries}: {shown}"


def _explain_shape(name: str, e: np.ndarray, g: np.ndarray, tol: float) -> str:
    head = f"{name} has shape {g.shape}, expected {e.shape}"
    if g.ndim == 2 and g.shape == e.shape[::-1] and _close(e, g.T, tol):
        return f"{name} is the transpose of the expected one (shape {g.shape}, expected {e.shape})"
    if g.ndim == e.ndim + 1 and g.shape[1:] == e.shape:
        return f"{head}: did you forget to sum over the samples (axis 0)?"
    if e.ndim == g.ndim + 1 and e.shape[1:] == g.shape:
        return f"{head}: one row per sample is expected; did you sum over the samples?"
    if g.size == e.size:
        return f"{head}: the right number of entries in the wrong shape"
    return head


def compare(
    expected: Any, got: Any, tol: float, name: Any = "the result", sizes: set[int] | None = None
) -> str | None:
    """None when ``got`` matches ``expected``, else one sentence saying how it differs.

    ``name`` names the result: a string, a tuple of names for a tuple result, or a dict of
    names for a dict result (a ``"*"`` entry is a template with ``{key}``). ``sizes``: the
    numbers of samples in the case, to recognise a forgotten 1/N.
    """
    sizes = sizes or set()
    if isinstance(expected, tuple):
        names = name if isinstance(name, tuple) else tuple(f"result {i + 1}" for i in range(len(expected)))
        listing = ", ".join(n if isinstance(n, str) else "..." for n in names)
        if got is None:
            return f"your function returned None: did you forget `return`? Expected {len(expected)} results ({listing})"
        if not isinstance(got, (tuple, list)):
            return f"expected {len(expected)} results ({listing}), got one {type(got).__name__}"
        if len(got) != len(expected):
            return f"expected {len(expected)} results ({listing}), got {len(got)}"
        for i in range(len(expected)):
            for j in range(i + 1, len(expected)):
                if (
                    not _matches(expected[i], got[i], tol)
                    and _matches(expected[i], got[j], tol)
                    and _matches(expected[j], got[i], tol)
                ):
                    return f"{names[i]} and {names[j]} are swapped: return them in the order ({listing})"
        for e, g, n in zip(expected, got, names):
            problem = compare(e, g, tol, n, sizes)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        template = name.get("*", "{key}") if isinstance(name, dict) else "{key}"
        if got is None:
            return "your function returned None: did you forget `return`?"
        if not isinstance(got, dict):
            return f"expected a dict with keys {sorted(expected)}, got a {type(got).__name__}"
        missing = sorted(set(expected) - set(got))
        if missing:
            return f"the result has no entry for {', '.join(map(repr, missing))}"
        for key in expected:
            label = (
                name.get(key, template.format(key=key))
                if isinstance(name, dict)
                else template.format(key=key)
            )
            problem = compare(expected[key], got[key], tol, label, sizes)
            if problem:
                return problem
        return None
    if got is None:
        return f"{name} is None: did you forget `return`?"
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return f"{name} should be a number or an array of numbers, got a {type(got).__name__}"
    e = np.asarray(expected, dtype=float)
    if g.shape != e.shape:
        return _explain_shape(name, e, g, tol)
    bad = ~np.isfinite(g)
    if bad.any():
        where = _index(tuple(int(k) for k in np.argwhere(bad)[0])) if g.ndim else ""
        return f"{name} contains NaN or infinity{' at ' + where if where else ''}: an overflow, or 0/0?"
    error = rel_error(e, g)
    if error <= tol:
        return None
    return _explain_values(name, e, g, error, tol, sizes)
