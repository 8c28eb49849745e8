"""What ``coursekit.grading`` is inside the grading sandbox: the names, without the answers.

The grader mounts this file as ``coursekit/grading/__init__.py`` over an empty folder in the
sandbox, so a lesson's setup cells (``from coursekit.grading import check, hint``) still run,
while the reference answers and the case generators are not on the sandbox's file system at all.
"""

from __future__ import annotations

from typing import Any

EXERCISES: dict[str, Any] = {}


class ExerciseFailed(AssertionError):
    """Never raised while graded: verdicts are decided outside the sandbox."""


def check(name: str, answer: Any, cases: str = "public", seed: int = 0) -> None:
    """No verdict here: the grader computes it outside the sandbox."""
    return None


run_check = check


def answer_or_reference(name: str, answer: Any) -> Any:
    """The answer itself: there is no reference in the sandbox."""
    return answer


def autograding() -> bool:
    return True


def hint(name: str) -> None:
    """No hints while graded."""
    return None


__all__ = ["check", "run_check", "answer_or_reference", "hint", "autograding", "ExerciseFailed", "EXERCISES"]
