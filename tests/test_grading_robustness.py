"""One odd submission never takes the class down, and correct work in an odd file is not a zero.

A batch mixes submissions that broke earlier graders (malformed metadata, duplicated cells,
encodings, a notebook under the wrong name, symlinks, a process that ends itself) with correct
students; each gets its own status and points, and the correct students get full marks.
"""

from __future__ import annotations

import codecs
import copy
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from submissions import ROOT, notebook, solutions

from coursekit.instructor import STATUSES, exit_code, grade
from coursekit.instructor.sandbox import Limits, unavailable_reason

L2, L3 = "02_computational_graphs", "03_backward_patterns_and_modules"

if unavailable_reason() and not os.environ.get("CI"):
    pytest.skip(f"no sandbox here: {unavailable_reason()}", allow_module_level=True)


def solved(lesson: str = L2) -> nbformat.NotebookNode:
    return notebook(lesson, solutions(lesson))


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def variants() -> dict[str, tuple[str, object, float]]:
    """student -> (status of the lesson-2 rows, notebook or raw bytes, total points out of 4)."""
    out = {}
    nb = solved()
    i = nb.cells.index(graded_cells(nb)[0])
    dup = copy.deepcopy(nb)
    dup.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))  # a locked test cell copied and pasted
    dup.cells[i + 1]["id"] = "pasted-copy"
    out["duplicate_test_cell"] = ("graded", dup, 4)
    big = copy.deepcopy(nb)
    for cell in big.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            meta.update(grade=True, points=100)  # a solution cell marked graded, 100 points
    out["solution_graded_100"] = ("graded", big, 4)
    extra = copy.deepcopy(nb)
    bonus = nbformat.v4.new_code_cell("print('bonus')")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "points": 50,
        "solution": False,
        "locked": False,
        "schema_version": 3,
    }
    extra.cells.append(bonus)
    out["extra_graded_cell"] = ("graded", extra, 4)
    unlocked = notebook(
        L2, {"multiply_backward_answer": "def multiply_backward(x, y, dz):\n    return 0, 0\n"}
    )
    for cell in graded_cells(unlocked):
        cell.metadata["nbgrader"]["locked"] = False
        cell.source = "pass"  # the student "disables" the tests
    out["unlocked_edited_tests"] = ("graded", unlocked, 0)
    schema = copy.deepcopy(nb)
    ten = copy.deepcopy(nb)
    for cell in schema.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["schema_version"] = 99
    for cell in ten.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata["nbgrader"]["points"] = "ten"
    out["schema_99"] = ("graded", schema, 4)
    out["points_ten"] = ("graded", ten, 4)
    noisy = solutions(L2)
    noisy["multiply_backward_answer"] = "import logging, sys, warnings\n" + noisy[
        "multiply_backward_answer"
    ].replace(
        "    return",
        "    warnings.warn('careful')\n    logging.warning('noted')\n"
        "    print('to stderr', file=sys.stderr)\n    return",
        1,
    )
    out["warnings_and_logging"] = ("graded", notebook(L2, noisy), 4)
    deleted = copy.deepcopy(nb)
    deleted.cells = [c for c in deleted.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    out["deleted_test_cells"] = ("graded", deleted, 4)
    shuffled = copy.deepcopy(nb)
    shuffled.cells.reverse()
    for cell in shuffled.cells:
        cell["id"] = os.urandom(4).hex()
    out["reordered_new_ids"] = ("graded", shuffled, 4)
    newer = copy.deepcopy(nb)
    newer.nbformat_minor = 99
    newer.metadata["future_field"] = {"x": 1}
    out["newer_minor"] = ("graded", json.dumps(newer).encode(), 4)
    out["utf8_bom"] = ("graded", codecs.BOM_UTF8 + json.dumps(nb).encode(), 4)
    latin = copy.deepcopy(nb)
    latin.cells.insert(0, nbformat.v4.new_markdown_cell("Résumé: café"))
    escaped = json.dumps("Résumé: café")[1:-1]  # the rest stays ASCII; this cell is Latin-1 bytes
    latin1 = json.dumps(latin).replace(escaped, "Résumé: café").encode("latin-1")
    out["latin1"] = ("graded", latin1, 4)
    out["utf16"] = ("graded", json.dumps(nb).encode("utf-16"), 4)
    out["not_json"] = ("invalid notebook", b'{"cells": [ not json', 0)
    out["nbformat_3"] = ("invalid notebook", json.dumps({"nbformat": 3, "cells": []}).encode(), 0)
    kills = notebook(
        L2,
        {
            **solutions(L2),
            "sigmoid_neuron_answer": (
                "import os, signal\nos._exit(0)\nos.kill(os.getppid(), signal.SIGKILL)\nos.killpg(0, signal.SIGKILL)\n"
            ),
        },
    )
    out["ends_itself"] = ("graded", kills, 2)  # multiply_backward still counts
    sleeper = notebook(
        L2,
        {
            **solutions(L2),
            "sigmoid_neuron_answer": ("import os, time\nif os.fork() == 0:\n    time.sleep(600)\n"),
        },
    )
    out["forked_sleeper"] = ("graded", sleeper, 2)
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("robust")
    subs = base / "submissions"
    for student in ("ada", "zed"):
        (subs / student).mkdir(parents=True)
        nbformat.write(solved(), subs / student / f"{L2}.ipynb")
        nbformat.write(solved(L3), subs / student / f"{L3}.ipynb")
    for student, (_, content, _) in variants().items():
        (subs / student).mkdir()
        path = subs / student / f"{L2}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
    (subs / "wrong_name").mkdir()
    nbformat.write(solved(), subs / "wrong_name" / f"{L3}.ipynb")  # lesson 2 saved as lesson 3
    (subs / "copycat").mkdir()
    (subs / "copycat" / f"{L2}.ipynb").symlink_to(subs / "ada" / f"{L2}.ipynb")
    (subs / "twin").symlink_to(subs / "ada", target_is_directory=True)
    (subs / "bad name!").mkdir()
    nbformat.write(solved(), subs / "bad name!" / f"{L2}.ipynb")
    out = base / "grades.csv"
    rows = grade(subs, out, course=base / "course", names=[L2, L3], limits=Limits(wall=6, cpu=6), workers=2)
    return rows, out.with_name("grades_report.txt").read_text()


def lesson_rows(rows, student, lesson=L2):
    return [r for r in rows if r["student"] == student and r["lesson"] == lesson]


def test_correct_students_get_full_marks(batch):
    rows, _ = batch
    for student in ("ada", "zed"):
        assert all(r["points"] == r["max"] for r in rows if r["student"] == student), student


@pytest.mark.parametrize("student", sorted(variants()))
def test_each_odd_submission_gets_its_own_outcome(batch, student):
    rows, _ = batch
    status, _, total = variants()[student]
    mine = lesson_rows(rows, student)
    assert mine and sum(r["points"] for r in mine) == total, mine
    assert {r["status"] for r in mine} <= {status, "crashed"} and status in {r["status"] for r in mine}


def test_wrong_lesson_symlinks_and_bad_names(batch):
    rows, report = batch
    assert {r["status"] for r in lesson_rows(rows, "wrong_name", L3)} == {"wrong lesson"}
    assert "wrong_name/03_backward_patterns_and_modules: wrong lesson: " in report
    assert {r["status"] for r in lesson_rows(rows, "copycat")} == {"invalid notebook"}
    assert all(r["points"] == 0 for r in rows if r["student"] in ("copycat", "twin", "bad name!"))
    assert "symbolic link" in report and "not a valid student id" in report
    assert (
        "not_json/02_computational_graphs: invalid notebook: 02_computational_graphs.ipynb is not valid JSON"
        in report
    )


def test_every_status_is_documented_and_the_exit_code_says_some_were_not_graded(batch):
    rows, _ = batch
    assert {r["status"] for r in rows} <= set(STATUSES)
    assert exit_code(rows) == 3
    docs = (ROOT / "docs" / "instructor.md").read_text()
    assert all(f"| `{status}` |" in docs for status in STATUSES)


def test_nothing_keeps_running(batch):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "/grader/runner.py" not in out


def test_grade_command_from_a_fresh_shell(tmp_path):
    """`python3 dev.py grade` as a new user's shell runs it: system PATH only, no venv activated."""
    subs = tmp_path / "submissions"
    (subs / "ada").mkdir(parents=True)
    nbformat.write(solved(), subs / "ada" / f"{L2}.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["HOME"] = str(tmp_path)
    env["COURSEKIT_INSTRUCTOR_VENV"] = sys.prefix  # the environment these tests run in
    python = shutil.which("python3", path=env["PATH"]) or sys.executable
    result = subprocess.run(
        [python, str(ROOT / "dev.py"), "grade", str(subs), "--out", str(tmp_path / "g.csv"), "--lesson", L2],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "1 submissions: 1 graded" in result.stdout
    text = (tmp_path / "g.csv").read_text()
    assert text.count(",2.0,2.0,graded,bubblewrap") == 2


def test_the_instructor_solutions_get_full_marks_in_every_lesson(tmp_path):
    """Every lesson's setup cells, allowed library calls and calling conventions work in the sandbox."""
    from coursekit.instructor import lessons

    subs = tmp_path / "submissions"
    (subs / "ada").mkdir(parents=True)
    for lesson in lessons():
        nbformat.write(solved(lesson), subs / "ada" / f"{lesson}.ipynb")
    rows = grade(subs, tmp_path / "grades.csv", course=tmp_path / "course", workers=2)
    assert len({r["lesson"] for r in rows}) == len(lessons()) >= 8
    wrong = [(r["lesson"], r["exercise"], r["points"], r["status"]) for r in rows if r["points"] != r["max"]]
    assert not wrong, (wrong, (tmp_path / "grades_report.txt").read_text()[-2000:])
    assert exit_code(rows) == 0
