"""An exercise, the registry of all of them, and the instant check a student runs.

``check(name, answer)`` calls the answer on the exercise's public cases and compares each
result with coursekit's reference: it shows that the answer passed, or the first case where it
did not, in one or two lines that name the mistake (never a traceback). ``raise
NotImplementedError()`` (the blank of a student notebook) reads as "not attempted yet".
Stability cases (x = +-1000 for a sigmoid) run with numpy's overflow and invalid-value warnings
turned into errors: an overflow there fails the check and names the stable form to use.

``answer_or_reference(name, answer)`` returns the student's answer when it passes, and
otherwise coursekit's reference with a visible note, so later cells that build on an exercise
run before it is solved. ``hint(name)`` points to the lesson's cell that explains the step.
"""

from __future__ import annotations

import html
import os
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exercise_calls import CALLS
from .verdict import ExerciseFailed, Verdict, compare, short


@dataclass
class Exercise:
    """An exercise: a reference answer, the cases to try an answer on, and how to explain.

    ``public(rng)`` and ``hidden(rng)`` give lists of argument tuples (the grader draws the
    hidden ones, and a second set of public ones, from a secret seed); ``stable`` cases check
    that an answer does not overflow. ``call`` names how an answer is called (a key of
    :data:`coursekit.exercise_calls.CALLS`). ``outputs`` names the results (``"dx"``, or a
    tuple such as ``("dx", "dW", "db")``). ``allowed``: what of coursekit an answer may use
    while graded (dotted names); everything else of coursekit fails the exercise when called.
    ``hint``: where in the lesson the step is explained, without giving the answer.
    ``mistakes``: common wrong answers, as (a function written that wrong way, what to say when an
    answer gives its results); ``advice``: what to add when an answer raises an exception of a
    given type (e.g. ``{"KeyError": "..."}``). ``samples(args)``: the number of samples N in a
    case, for exercises with a batch (to recognise a forgotten 1/N). ``judge(args, expected, got)``
    decides instead of comparing with the reference, for exercises with more than one right
    answer (any topological order).
    """

    name: str
    title: str
    reference: Any
    public: Callable[[np.random.Generator], list[tuple]]
    hidden: Callable[[np.random.Generator], list[tuple]]
    call: str = "function"
    tol: float = 1e-7
    describe: Callable[[tuple], str] = field(default=lambda args: ", ".join(short(a) for a in args))
    allowed: tuple[str, ...] = ()
    outputs: Any = "the result"
    stable: list[tuple] = field(default_factory=list)
    stable_hint: str = ""
    hint: str = ""
    lesson: str = ""
    section: str = ""
    mistakes: list[tuple[Callable, str]] = field(default_factory=list)
    advice: dict[str, str] = field(default_factory=dict)
    samples: Callable[[tuple], int] | None = None
    judge: Callable[[tuple, Any, Any], str | None] | None = None

    def run(self, answer: Any, args: tuple) -> Any:
        """Call ``answer`` on one case's arguments, as the exercise calls it."""
        return CALLS[self.call](answer, args)


EXERCISES: dict[str, Exercise] = {}


def add(ex: Exercise) -> Exercise:
    """Register an exercise (each lesson's module registers its own)."""
    EXERCISES[ex.name] = ex
    return ex


def _student_line(exc: BaseException) -> str:
    """Where in the student's own code an exception was raised (not inside coursekit or numpy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = os.path.dirname(os.path.dirname(__file__))
    own = [f for f in frames if not f.filename.startswith(here) and "site-packages" not in f.filename]
    if not own:
        return ""
    f = own[-1]
    code = f": `{f.line.strip()}`" if f.line else ""
    return f" (in {f.name}, line {f.lineno}{code})"


def _advice(exc: BaseException) -> str:
    """A word on the errors students meet most, after the error's own message."""
    text = str(exc)
    if "truth value of an array" in text:
        return (
            " Python's `if`, `and` and `or` decide on one number, not on arrays: compare entry by entry "
            "with a mask (x >= y) or np.where."
        )
    if isinstance(exc, (ValueError, TypeError)) and (
        "shapes" in text or "broadcast" in text or "matmul" in text
    ):
        return " Check the shapes: print them, and compare with the shapes the lesson gives."
    return ""


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


def call_strictly(ex: Exercise, answer: Any, args: tuple) -> Any:
    """Run an answer on a stability case: numpy's overflow and invalid warnings are errors."""
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        return ex.run(answer, args)


def stability_problem(ex: Exercise, args: tuple, exc: BaseException) -> str | None:
    """The message for an overflow in a stability case, or None if ``exc`` is something else."""
    if isinstance(exc, (FloatingPointError, OverflowError, RuntimeWarning)):
        return (
            f"with inputs {ex.describe(args)} your code overflows ({type(exc).__name__}: {exc}). "
            f"{ex.stable_hint}"
        )
    return None


def explain(ex: Exercise, args: tuple, expected: Any, got: Any, first: tuple | None = None) -> str | None:
    """None when ``got`` is right for ``args``, else what is wrong, naming a known mistake if it is one.

    ``first``: (the inputs, the expected result) of the exercise's first case, to recognise a
    result typed in from the lecture's numbers.
    """
    if ex.judge is not None:
        return ex.judge(args, expected, got)
    sizes = {ex.samples(args)} if ex.samples else set()
    problem = compare(expected, got, ex.tol, ex.outputs, {n for n in sizes if n > 1})
    if problem is None:
        return None
    for wrong, message in ex.mistakes:
        try:
            with np.errstate(all="ignore"):
                if compare(ex.run(wrong, _copy(args)), got, ex.tol) is None:
                    return message
        except Exception:  # noqa: BLE001 - a mistake that does not apply to these inputs
            continue
    if first is not None and first[0] is not args and compare(first[1], got, ex.tol) is None:
        return f"{problem}. It is the result for the first case's inputs: are numbers typed in rather than computed?"
    return problem


def advice_for(ex: Exercise, exc: BaseException) -> str:
    """The exercise's advice for this kind of exception, or general advice, or nothing."""
    specific = ex.advice.get(type(exc).__name__)
    return f" {specific}" if specific else _advice(exc)


def run_check(name: str, answer: Any, cases: str = "public", seed: int = 0) -> Verdict:
    """Check an answer and return the verdict (never raises for a wrong answer)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    ex = EXERCISES[name]
    if cases not in ("public", "hidden"):
        raise ValueError(f"cases must be 'public' or 'hidden', got {cases!r}")
    arg_sets = (ex.public if cases == "public" else ex.hidden)(np.random.default_rng(seed))
    strict = [False] * len(arg_sets) + [True] * len(ex.stable)
    arg_sets = arg_sets + list(ex.stable)
    n = len(arg_sets)
    first = None
    for i, (args, is_stable) in enumerate(zip(arg_sets, strict), 1):
        expected = ex.run(ex.reference, _copy(args))
        first = first or (args, expected)
        try:
            if is_stable:
                got = call_strictly(ex, answer, _copy(args))
            else:
                with np.errstate(all="ignore"):
                    got = ex.run(answer, _copy(args))
        except NotImplementedError:
            return Verdict(name, ex.title, False, False, n)
        except Exception as exc:  # noqa: BLE001 - reported to the student in one line
            problem = stability_problem(ex, args, exc) if is_stable else None
            detail = problem or (
                f"case {i} of {n}, with inputs {ex.describe(args)}: your code raised "
                f"{type(exc).__name__}: {exc}{_student_line(exc)}.{advice_for(ex, exc)}"
            )
            return Verdict(name, ex.title, False, True, n, detail)
        problem = explain(ex, args, expected, got, first)
        if problem:
            detail = f"case {i} of {n}, with inputs {ex.describe(args)}: {problem}"
            return Verdict(name, ex.title, False, True, n, detail)
    return Verdict(name, ex.title, True, True, n)


def autograding() -> bool:
    """True when ``COURSEKIT_AUTOGRADE`` is set: a failed check then raises (strict runs)."""
    return os.environ.get("COURSEKIT_AUTOGRADE", "") not in ("", "0")


def check(name: str, answer: Any, cases: str = "public", seed: int = 0) -> Verdict:
    """Check an exercise and show the verdict; with COURSEKIT_AUTOGRADE set, raise if it did not pass."""
    verdict = run_check(name, answer, cases, seed)
    if autograding() and not verdict.passed:
        raise ExerciseFailed(verdict)
    return verdict


class _Note:
    """A short remark shown in italics (or as a link) in a notebook, as plain text elsewhere."""

    def __init__(self, text: str, link: tuple[str, str] | None = None):
        self.text, self.link = text, link

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        body = html.escape(self.text)
        if self.link:
            label, href = self.link
            body += f" <a href='{html.escape(href)}'>{html.escape(label)}</a>"
        return f"<div style='color:#6d4c41;font-style:italic'>{body}</div>"


def _show(note: _Note) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with the course's dependencies
        print(note.text)
    else:
        display(note)


def answer_or_reference(name: str, answer: Any) -> Any:
    """The student's answer if it passes its checks, else coursekit's reference (with a note)."""
    verdict = run_check(name, answer)
    if verdict.passed:
        return answer
    reason = "is not attempted yet" if not verdict.attempted else "does not pass its checks yet"
    _show(
        _Note(
            f"Note: exercise '{EXERCISES[name].title}' {reason}, so the cells below use coursekit's "
            f"reference version. Come back to it: the results will then be yours."
        )
    )
    return EXERCISES[name].reference


def hint(name: str) -> _Note:
    """Where the lesson explains the step an exercise needs (it does not give the answer)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    ex = EXERCISES[name]
    anchor = ex.section.replace(" ", "-")
    where = f"Lesson {ex.lesson[:2].lstrip('0') or '0'}, section '{ex.section}'"
    return _Note(f"Hint for {ex.title}: {ex.hint} See {where}.", (where, f"{ex.lesson}.ipynb#{anchor}"))
