"""The nbgrader pipeline: student notebooks in sync, sources pass, batch grading end to end."""

import copy
import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit import instructor
from coursekit.instructor.sandbox import unavailable_reason

ROOT = Path(__file__).resolve().parents[1]


def cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nb.cells]


def test_student_notebooks_are_in_sync_with_the_sources(tmp_path):
    written = instructor.generate(out=tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for path in written:
        assert cells(path) == cells(ROOT / "notebooks" / path.name), (
            f"notebooks/{path.name} is out of date: run `python3 dev.py student-notebooks`"
        )


def test_every_lesson_has_exercises_with_blanks_and_hidden_tests():
    for name in instructor.lessons():
        student = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
        source = nbformat.read(ROOT / "course" / "source" / name / f"{name}.ipynb", as_version=4)
        graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded, name
        assert all("BEGIN SOLUTION" not in c.source for c in student.cells), name
        assert all("BEGIN HIDDEN TESTS" not in c.source for c in student.cells), name
        blanks = [c for c in student.cells if "raise NotImplementedError()" in c.source]
        exercises = {c.metadata["nbgrader"]["grade_id"].rsplit("_", 1)[0] for c in graded}
        assert blanks and (len(exercises) <= 7), name


def test_instructor_versions_pass_every_check(tmp_path):
    """nbval over the sources with checks that raise on failure (as while grading)."""
    env = dict(os.environ, COURSEKIT_AUTOGRADE="1")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            str(ROOT / "course" / "source"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]


# --- batch grading, end to end ---------------------------------------------------------------

SOLUTIONS = {
    "chain_rule": "def chain_rule(t):\n    return -10 * t\n",
    "multiply_backward": "def multiply_backward(x, y, dz):\n    return dz * y, dz * x\n",
    "sigmoid_neuron": (
        "import math\n\ndef sigmoid_neuron(w0, x0, w1, x1, w2):\n"
        "    f = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))\n"
        "    d = (1 - f) * f\n    return f, (d * x0, d * w0, d * x1, d * w1, d)\n"
    ),
}
SUBTLY_WRONG = {  # right on the lecture's numbers, wrong elsewhere
    "chain_rule": "def chain_rule(t):\n    return -10 * abs(t)\n",
    "multiply_backward": "def multiply_backward(x, y, dz):\n    return float(dz * y), float(dz * x)\n",
    "sigmoid_neuron": SOLUTIONS["sigmoid_neuron"],
}


def fill(nb, answers):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_answer"):
            cell.source = answers[grade_id[: -len("_answer")]]
    return nb


def submissions_for(lesson):
    release = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    out = {
        "ada": fill(release, SOLUTIONS),
        "ben": fill(release, SUBTLY_WRONG),
        "cy": fill(release, dict.fromkeys(SOLUTIONS, "def _():\n    pass\nraise ValueError('oops')\n")),
        "dee": fill(release, dict.fromkeys(SOLUTIONS, "while True:\n    pass\n")),
    }
    edited = fill(
        release, dict.fromkeys(SOLUTIONS, "chain_rule = multiply_backward = sigmoid_neuron = None\n")
    )
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass"  # the student "disables" the tests
    out["eve"] = edited
    deleted = copy.deepcopy(fill(release, SOLUTIONS))
    deleted.cells = [c for c in deleted.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    out["fay"] = deleted
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if unavailable_reason() and not os.environ.get("CI"):
        pytest.skip(f"no sandbox here: {unavailable_reason()}")
    base = tmp_path_factory.mktemp("grading")
    subs = base / "submissions"
    lessons = ["00_how_to_use_this_course", "02_computational_graphs"]
    for lesson in lessons:
        for student, nb in submissions_for(lesson).items():
            (subs / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, subs / student / f"{lesson}.ipynb")
    (subs / "gus").mkdir()
    (subs / "gus" / "00_how_to_use_this_course.ipynb").write_text('{"cells": [ not json')
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    out = base / "out" / "grades.csv"
    limits = instructor.Limits(wall=4, cpu=4)
    rows = instructor.grade(subs, out, course=base / "course", names=lessons, limits=limits)
    return base, subs, rows, before


def test_grades_csv_has_a_row_per_student_lesson_and_exercise(graded):
    base, subs, rows, before = graded
    with open(base / "out" / "grades.csv", newline="") as f:
        assert tuple(csv.DictReader(f).fieldnames) == instructor.FIELDS
    students = {"ada", "ben", "cy", "dee", "eve", "fay", "gus"}
    assert {r["student"] for r in rows} == students
    assert len(rows) == len(students) * 3  # 1 exercise in lesson 0, 2 in lesson 2
    assert all(float(r["max"]) == 2.0 for r in rows)
    assert set(instructor.STATUSES) >= {r["status"] for r in rows}


def test_scores_and_statuses(graded):
    _, _, rows, _ = graded
    points = {(r["student"], r["lesson"], r["exercise"]): float(r["points"]) for r in rows}
    status = {(r["student"], r["lesson"], r["exercise"]): r["status"] for r in rows}
    assert all(v == 2.0 for (s, _, _), v in points.items() if s == "ada")
    assert all(v < 2.0 for (s, _, e), v in points.items() if s == "ben" and e != "sigmoid_neuron")
    for student in ("cy", "dee", "eve", "fay", "gus"):  # raises, loops, edited tests, deleted cell, invalid
        assert all(v == 0 for (s, _, _), v in points.items() if s == student), student
    assert status[("dee", "02_computational_graphs", "multiply_backward")] == "timeout"
    assert status[("gus", "00_how_to_use_this_course", "chain_rule")] == "invalid notebook"
    assert status[("gus", "02_computational_graphs", "multiply_backward")] == "missing"
    assert status[("fay", "02_computational_graphs", "sigmoid_neuron")] == "graded"
    assert instructor.exit_code(rows) == 3  # some submissions could not be graded


def test_submissions_are_never_modified_and_problems_are_reported(graded):
    base, subs, _, before = graded
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.rglob("*.ipynb")}
    assert after == before
    report = (base / "out" / "grades_report.txt").read_text()
    assert (
        "gus/00_how_to_use_this_course: invalid notebook: 00_how_to_use_this_course.ipynb is not valid JSON"
        in report
    )
    assert "dee/02_computational_graphs/multiply_backward: timeout" in report


def test_regrading_the_same_folder_gives_the_same_grades(graded, tmp_path):
    base, subs, rows, _ = graded
    lessons = ["00_how_to_use_this_course", "02_computational_graphs"]
    results = base / "course" / "results"
    stamps = {p: p.stat().st_mtime_ns for p in results.rglob("*.json")}
    again = instructor.grade(
        subs,
        tmp_path / "again.csv",
        course=base / "course",
        names=lessons,
        limits=instructor.Limits(wall=4, cpu=4),
    )
    assert again == rows
    assert {p: p.stat().st_mtime_ns for p in results.rglob("*.json")} == stamps  # nothing ran again
    # a new submission from one student: only that one is graded again
    fixed = fill(nbformat.read(ROOT / "notebooks" / f"{lessons[1]}.ipynb", as_version=4), SOLUTIONS)
    nbformat.write(fixed, subs / "ben" / f"{lessons[1]}.ipynb")
    third = instructor.grade(
        subs,
        tmp_path / "third.csv",
        course=base / "course",
        names=lessons,
        limits=instructor.Limits(wall=4, cpu=4),
    )
    changed = {
        p.relative_to(results).as_posix()
        for p in results.rglob("*.json")
        if p.stat().st_mtime_ns != stamps.get(p)
    }
    assert changed == {f"ben/{lessons[1]}.json"}
    ben = {r["exercise"]: r["points"] for r in third if r["student"] == "ben" and r["lesson"] == lessons[1]}
    assert ben == {"multiply_backward": 2.0, "sigmoid_neuron": 2.0}


def test_limits_from_the_notebooks_and_their_errors():
    from coursekit.instructor.lesson import read_lesson

    limits = instructor.Limits().updated({"wall": 60, "memory": 2 << 30})
    assert (limits.wall, limits.cpu, limits.memory) == (60.0, 20, 2 << 30)
    with pytest.raises(ValueError, match="unknown limit 'walltime'"):
        instructor.Limits().updated({"walltime": 5})
    with pytest.raises(ValueError, match="limit 'cpu' must be a positive number, got -1"):
        instructor.Limits().updated({"cpu": -1})
    lesson = read_lesson(ROOT / "course" / "source" / "06_training_an_mlp" / "06_training_an_mlp.ipynb")
    assert lesson.exercises["J_b3"] == "J_b3" and len(lesson.setup) == 3
    assert {c.answer_cell for c in lesson.graded if c.exercise == "J_b3"} == {"J_W3_answer"}


def test_grading_refuses_without_a_sandbox_unless_asked(monkeypatch, tmp_path, capsys):
    from coursekit.instructor import __main__ as cli
    from coursekit.instructor import sandbox

    monkeypatch.setattr(cli, "unavailable_reason", lambda: "bubblewrap (bwrap) is not installed")
    assert cli.main(["grade", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot grade in a sandbox: bubblewrap (bwrap) is not installed" in err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert sandbox.INSTALL_HINT in err
