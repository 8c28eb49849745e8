"""What the instructor's source notebook says about grading a lesson (the only trusted source).

From ``course/source/<lesson>/<lesson>.ipynb``:

- **answer cells**: nbgrader solution cells, by ``grade_id``. A submission's cells are matched to
  these by grade_id; the submission's own nbgrader flags (solution, grade, points, locked) are
  never read.
- **graded cells**: nbgrader grade cells with their points. Each calls
  ``check("<exercise>", <answer>)`` (public cases) or ``check(..., cases="hidden")`` (the
  grading cases); the exercise, the answer's name and the kind of cases are read from that call.
- **setup cells**: code cells tagged ``grading-setup`` (imports and helpers the answers use);
  they run before the student's answer cells, in the sandbox.
- **limits**: ``metadata.coursekit.limits`` of the notebook (the lesson) or of a graded cell (its
  exercise), e.g. ``{"wall": 40, "cpu": 40, "memory": 2147483648}``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETUP_TAG = "grading-setup"


@dataclass(frozen=True)
class GradedCell:
    grade_id: str
    points: float
    exercise: str
    answer: str
    cases: str  # "public" or "hidden"
    answer_cell: str = ""  # grade_id of the answer cell above it


@dataclass
class Lesson:
    """A lesson's grading spec, read from its instructor notebook."""

    name: str
    setup: list[str]
    answer_ids: list[str]
    graded: list[GradedCell]
    limits: dict[str, Any] = field(default_factory=dict)
    exercise_limits: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def exercises(self) -> dict[str, str]:
        """Exercise name -> the answer's name, in the order of the notebook."""
        out: dict[str, str] = {}
        for cell in self.graded:
            out.setdefault(cell.exercise, cell.answer)
        return out

    def max_points(self, exercise: str) -> float:
        return sum(c.points for c in self.graded if c.exercise == exercise)


def _source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _check_call(source: str, where: str) -> tuple[str, str, str]:
    """(exercise, answer name, cases) of the ``check(...)`` call in a graded cell."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
            if len(node.args) < 2 or not isinstance(node.args[0], ast.Constant):
                break
            if not isinstance(node.args[1], ast.Name):
                break
            cases = "public"
            for kw in node.keywords:
                if kw.arg == "cases" and isinstance(kw.value, ast.Constant):
                    cases = kw.value.value
            return node.args[0].value, node.args[1].id, cases
    raise ValueError(f"{where}: a graded cell must call check('<exercise>', <answer name>[, cases='hidden'])")


def read_lesson(path: Path) -> Lesson:
    """The grading spec of the instructor notebook at ``path``."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    name = Path(path).stem
    setup, answers, graded = [], [], []
    exercise_limits: dict[str, dict[str, Any]] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        grading = meta.get("nbgrader", {})
        if grading.get("solution"):
            answers.append(grading["grade_id"])
        elif grading.get("grade"):
            exercise, answer, cases = _check_call(_source(cell), f"{name}: {grading['grade_id']}")
            above = answers[-1] if answers else ""
            graded.append(
                GradedCell(grading["grade_id"], float(grading["points"]), exercise, answer, cases, above)
            )
            if meta.get("coursekit", {}).get("limits"):
                exercise_limits.setdefault(exercise, {}).update(meta["coursekit"]["limits"])
        elif cell.cell_type == "code" and SETUP_TAG in meta.get("tags", []):
            setup.append(_source(cell))
    limits = dict(nb.metadata.get("coursekit", {}).get("limits", {}))
    return Lesson(name, setup, answers, graded, limits, exercise_limits)
