"""Exercises with instant feedback: the checks a student runs below each exercise.

``check(name, answer)`` runs the exercise's public cases and shows a one- or two-line verdict
that names the mistake; ``answer_or_reference`` lets later cells run before an exercise is
solved; ``hint(name)`` points to the lesson's explanation. One module per lesson holds its
exercises (reference answers and cases): :mod:`.derivatives` (lessons 0 and 1),
:mod:`.graphs`, :mod:`.patterns`, :mod:`.jacobians`, :mod:`.networks`, :mod:`.training`,
:mod:`.autograd` (lesson 7);
:mod:`.exercise` has the checking and :mod:`.verdict` the comparison and its messages.

Grading is not done here: the grader (:mod:`coursekit.instructor`, instructors only) runs the
answers in a sandbox and decides outside it. ``COURSEKIT_AUTOGRADE=1`` makes a failed check
raise, for strict runs of the instructor notebooks.
"""

from . import autograd, derivatives, graphs, jacobians, networks, patterns, training  # noqa: F401 (registers)
from .exercise import EXERCISES, Exercise, answer_or_reference, autograding, check, hint, run_check
from .verdict import ExerciseFailed, Verdict, compare

__all__ = [
    "check",
    "run_check",
    "answer_or_reference",
    "hint",
    "autograding",
    "Verdict",
    "ExerciseFailed",
    "Exercise",
    "EXERCISES",
    "compare",
]
