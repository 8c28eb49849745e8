"""Instructor tools (the ``instructor`` extra): student notebooks, and grading a class safely.

    python3 dev.py student-notebooks                      course/source -> notebooks/ (nbgrader)
    python3 dev.py grade SUBMISSIONS [--out grades.csv] [--course DIR] [--workers N] [--no-sandbox]

``SUBMISSIONS`` holds one folder per student with that student's lesson notebooks. Every
submission is treated as hostile code: its answer cells run in a bubblewrap sandbox, the
verdicts are decided in this process, and the grading cases come from a secret in the
instructor's course folder (see docs/instructor.md, "What grading protects").

Modules: :mod:`.lesson` (what the instructor notebook says), :mod:`.submission` (reading a
student's notebook), :mod:`.secret`, :mod:`.plain` (data in and out of the sandbox),
:mod:`.sandbox`, :mod:`.runner` (runs inside it), :mod:`.batch` (a class, grades.csv, feedback),
:mod:`.nbgrader_course` (nbgrader: student notebooks, course folder, gradebook).
"""

from __future__ import annotations

from typing import Any

from .batch import FIELDS, STATUSES, exit_code, grade
from .nbgrader_course import ROOT, SOURCE, generate, lessons
from .sandbox import Limits


def __getattr__(name: str) -> Any:  # the plugin class needs nbgrader: build it only when asked for
    if name == "ExerciseGradesExporter":
        from .nbgrader_course import _exporter_class

        return _exporter_class()
    raise AttributeError(name)


__all__ = ["generate", "grade", "lessons", "exit_code", "FIELDS", "STATUSES", "Limits", "ROOT", "SOURCE"]
