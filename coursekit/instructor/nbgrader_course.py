"""nbgrader glue: the student notebooks, the instructor's course folder, and its gradebook.

nbgrader stays the instructor's workflow: ``generate_assignment`` writes the student notebooks
and records every graded cell in the course's sqlite gradebook; release, collect and formgrader
work on the same course folder. What nbgrader does not do here is run submissions: its
``autograde`` executes the student's code in the same interpreter as the tests, without a
sandbox. The grader (:mod:`coursekit.instructor.batch`) decides each graded cell outside the
student's code and writes the points into this gradebook (``auto_score`` of each grade), so
formgrader, ``nbgrader export`` and ``grades.csv`` all show the same trusted points.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "course" / "source"
STUDENT_NOTEBOOKS = ROOT / "notebooks"
EXPORT_FIELDS = ("student", "lesson", "exercise", "points", "max")


def lessons(source: Path = SOURCE) -> list[str]:
    """The lesson (assignment) names: the folders of the source directory."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())


def tool_environment() -> dict[str, str]:
    """The environment for nbgrader's tools: this Python's scripts first on PATH.

    nbgrader starts ``alembic`` (the gradebook's schema migration) from PATH; in a virtual
    environment that is not activated, alembic is only in the environment's bin folder.
    """
    scripts = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        path = scripts + os.pathsep + path if path else scripts
    return dict(os.environ, PATH=path)


def generate_assignments(root: Path, names: list[str]) -> None:
    """nbgrader's generate_assignment for each lesson, in this process (one nbgrader start-up)."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    os.environ["PATH"] = tool_environment()["PATH"]  # a new gradebook starts alembic
    config = Config()
    config.CourseDirectory.root = str(root)
    api = NbGraderAPI(config=config)
    for name in names:
        result = api.generate_assignment(name, force=True)
        if not result["success"]:
            lines = [
                line for line in (result.get("error") or result.get("log") or "").splitlines() if line.strip()
            ]
            cause = next((line for line in reversed(lines) if "Error" in line), lines[-1] if lines else "")
            raise RuntimeError(f"nbgrader generate_assignment {name} failed: {cause.strip()[:500]}")


def generate(
    source: Path = SOURCE, out: Path = STUDENT_NOTEBOOKS, names: list[str] | None = None
) -> list[Path]:
    """Write the student version of every lesson to ``out`` with nbgrader's generate_assignment."""
    names = names or lessons(source)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(source, root / "source", dirs_exist_ok=True)
        generate_assignments(root, names)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            target = out / f"{name}.ipynb"
            shutil.copyfile(root / "release" / name / f"{name}.ipynb", target)
            written.append(target)
    return written


def prepare_course(course: Path, names: list[str], source: Path = SOURCE) -> None:
    """The instructor's course folder with every lesson generated into its gradebook.

    A lesson is generated again only when its instructor notebook changed since the last time.
    """
    course.mkdir(parents=True, exist_ok=True)
    os.chmod(course, 0o700)
    stamps_path = course / "generated.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.exists() else {}
    changed = {}
    for name in names:
        digest = hashlib.sha256((source / name / f"{name}.ipynb").read_bytes()).hexdigest()
        if stamps.get(name) != digest or not (course / "gradebook.db").exists():
            changed[name] = digest
            target = course / "source" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source / name, target)
    if changed:
        generate_assignments(course, list(changed))
        stamps.update(changed)
        stamps_path.write_text(json.dumps(stamps, indent=1))


def record_grades(course: Path, graded: list[tuple[str, str, dict[str, float]]]) -> None:
    """Write trusted points into the gradebook: (student, lesson, {grade_id: points}) each.

    One writer (the calling process) for the whole batch; a student's earlier grades for the
    same lesson are replaced.
    """
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    os.environ["PATH"] = tool_environment()["PATH"]  # the gradebook may start alembic
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes inside nbgrader's add_submission
        for student, lesson, points in graded:
            gb.update_or_create_student(student)
            try:
                gb.find_submission(lesson, student)
            except MissingEntry:
                gb.add_submission(lesson, student)
            for grade_id, score in points.items():
                grade = gb.find_grade(grade_id, lesson, lesson, student)
                grade.auto_score = float(score)
                grade.manual_score = None
            gb.db.commit()


def remove_grades(course: Path, pairs: list[tuple[str, str]]) -> None:
    """Remove the gradebook submissions of (student, lesson) pairs that have no submission now."""
    from nbgrader.api import Gradebook, MissingEntry

    if not pairs or not (course / "gradebook.db").exists():
        return
    os.environ["PATH"] = tool_environment()["PATH"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, lesson in pairs:
            try:
                gb.remove_submission(lesson, student)
            except MissingEntry:
                pass


def gradebook_points(course: Path) -> dict[tuple[str, str, str], float]:
    """(student, lesson, grade_id) -> points, as nbgrader's gradebook holds them."""
    from nbgrader.api import Gradebook

    os.environ["PATH"] = tool_environment()["PATH"]
    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        out[(submission.student.id, assignment.name, grade.name)] = grade.score
    return out


def _exercise(grade_id: str) -> str:
    for suffix in ("_public", "_hidden"):
        if grade_id.endswith(suffix):
            return grade_id[: -len(suffix)]
    return grade_id


def _export_rows(gradebook: Any) -> list[dict[str, Any]]:
    rows = []
    for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
        maxima: dict[str, float] = defaultdict(float)
        for notebook in assignment.notebooks:
            for cell in notebook.grade_cells:
                maxima[_exercise(cell.name)] += cell.max_score
        for student in sorted(gradebook.students, key=lambda s: s.id):
            points: dict[str, float] = defaultdict(float)
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except Exception:  # noqa: BLE001 - nbgrader raises MissingEntry: no submission, 0 points
                submission = None
            if submission is not None:
                for notebook in submission.notebooks:
                    for g in notebook.grades:
                        points[_exercise(g.name)] += g.score
            for exercise, maximum in maxima.items():
                rows.append(
                    {
                        "student": student.id,
                        "lesson": assignment.name,
                        "exercise": exercise,
                        "points": round(points[exercise], 3),
                        "max": round(maximum, 3),
                    }
                )
    return rows


def _exporter_class() -> type:
    from nbgrader.plugins import ExportPlugin

    class ExerciseGradesExporter(ExportPlugin):
        """nbgrader export plugin: one CSV row per student, lesson and exercise."""

        def export(self, gradebook: Any) -> None:
            dest = self.to or "grades.csv"
            with open(dest, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                writer.writerows(_export_rows(gradebook))

    return ExerciseGradesExporter
