"""Synthetic submissions for the grading tests: the student notebooks with answers filled in."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def solutions(lesson: str) -> dict[str, str]:
    """The instructor's answer cells of a lesson, by grade_id, with nbgrader's markers removed."""
    nb = nbformat.read(ROOT / "course" / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", c.source)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def notebook(lesson: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student notebook of a lesson with the given answer cells (by grade_id) filled in."""
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb
