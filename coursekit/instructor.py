"""Instructor tools, on nbgrader: make the student notebooks, and grade submissions in batch.

The instructor notebooks in ``course/source/<lesson>/<lesson>.ipynb`` are in nbgrader's
format: solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``), graded test cells
with points, and hidden tests (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``). Each
exercise has two graded cells, ``<exercise>_public`` and ``<exercise>_hidden``.

    python3 dev.py student-notebooks          # course/source -> notebooks/ (nbgrader generate_assignment)
    python3 dev.py grade SUBMISSIONS --out grades.csv

``SUBMISSIONS`` holds one folder per student with that student's lesson notebooks. Grading
copies them into a fresh nbgrader course folder (the originals are never touched), runs
``nbgrader autograde`` (which restores every locked and test cell from the gradebook, so an
edited test cannot change a grade) with a per-cell timeout, and writes ``grades.csv`` with
one row per student, lesson and exercise through ``nbgrader export`` and
:class:`ExerciseGradesExporter`. A notebook that is not valid JSON, or is missing, scores 0.

nbgrader is needed only here (the ``instructor`` extra); students need only coursekit.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "course" / "source"
STUDENT_NOTEBOOKS = ROOT / "notebooks"
FIELDS = ("student", "lesson", "exercise", "points", "max")


def lessons(source: Path = SOURCE) -> list[str]:
    """The lesson (assignment) names: the folders of the source directory."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())


def _nbgrader(root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 3600) -> str:
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"nbgrader {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout + result.stderr


def _course(root: Path, source: Path, names: list[str]) -> None:
    """A fresh nbgrader course folder with the given lessons generated (gradebook included)."""
    shutil.copytree(source, root / "source", dirs_exist_ok=True)
    for name in names:
        _nbgrader(root, "generate_assignment", name, "--force")


def generate(
    source: Path = SOURCE, out: Path = STUDENT_NOTEBOOKS, names: list[str] | None = None
) -> list[Path]:
    """Write the student version of every lesson to ``out`` with nbgrader's generate_assignment."""
    names = names or lessons(source)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _course(root, source, names)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            target = out / f"{name}.ipynb"
            shutil.copyfile(root / "release" / name / f"{name}.ipynb", target)
            written.append(target)
    return written


def _valid_notebook(path: Path) -> bool:
    import nbformat

    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception:  # noqa: BLE001 - any unreadable notebook scores 0
        return False
    return True


def grade(
    submissions: Path,
    out_csv: Path,
    source: Path = SOURCE,
    timeout: int = 60,
    names: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Autograde every student's notebooks and write grades.csv; return its rows.

    ``timeout``: seconds a single cell may run (an infinite loop is cut there, and grading goes on).
    """
    submissions, out_csv = Path(submissions), Path(out_csv)
    names = names or lessons(source)
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir())
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _course(root, source, names)
        for student in students:
            _nbgrader(root, "db", "student", "add", student)
            for name in names:
                notebook = submissions / student / f"{name}.ipynb"
                if not notebook.exists():
                    continue
                if not _valid_notebook(notebook):
                    notes.append(f"{student}/{notebook.name}: not a valid notebook (scored 0)")
                    continue
                target = root / "submitted" / student / name
                target.mkdir(parents=True)
                shutil.copyfile(notebook, target / notebook.name)
        env = dict(os.environ, COURSEKIT_AUTOGRADE="1")
        for name in names:
            if any((root / "submitted" / s / name).exists() for s in students):
                log = _nbgrader(
                    root, "autograde", name, "--force", f"--ExecutePreprocessor.timeout={timeout}", env=env
                )
                notes += [line for line in log.splitlines() if "ERROR" in line or "Timeout" in line]
        csv_path = root / "grades.csv"
        _nbgrader(
            root, "export", "--exporter=coursekit.instructor.ExerciseGradesExporter", f"--to={csv_path}"
        )
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(csv_path, out_csv)
    report = out_csv.with_name(out_csv.stem + "_report.txt")
    report.write_text("\n".join(notes) + ("\n" if notes else ""))
    with open(out_csv, newline="") as f:
        return list(csv.DictReader(f))


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
                writer = csv.DictWriter(f, fieldnames=FIELDS)
                writer.writeheader()
                writer.writerows(_export_rows(gradebook))

    return ExerciseGradesExporter


def __getattr__(name: str) -> Any:  # the plugin class needs nbgrader: build it only when asked for
    if name == "ExerciseGradesExporter":
        return _exporter_class()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m coursekit.instructor", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("student-notebooks", help="write notebooks/ from course/source with nbgrader")
    g = sub.add_parser("grade", help="autograde a folder of submissions (one folder per student)")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=Path("grades.csv"))
    g.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default 60)")
    args = parser.parse_args(argv)
    if args.command == "student-notebooks":
        for path in generate():
            print(f"wrote {path.relative_to(ROOT)}")
    else:
        rows = grade(args.submissions, args.out, timeout=args.timeout)
        students = {r["student"] for r in rows}
        print(f"graded {len(students)} students: {len(rows)} rows in {args.out}")
        report = Path(args.out).with_name(Path(args.out).stem + "_report.txt")
        if report.read_text().strip():
            print(f"notes in {report}")


if __name__ == "__main__":
    main()


__all__ = ["generate", "grade", "lessons", "FIELDS", "main"]
