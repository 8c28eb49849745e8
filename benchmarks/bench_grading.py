"""Time to grade a class: 30 submissions of one lesson, in the sandbox and without it, 1 and N workers.

python benchmarks/bench_grading.py [--students 30] [--lesson 02_computational_graphs] [--workers 2]
python benchmarks/bench_grading.py --whole-course   (30 students x 7 lessons in one batch)

Prints the set-up (the course folder: nbgrader's generate_assignment into the gradebook), the
batch with 1 worker and with N, per submission, and the sandbox's own cost (the same batch with
``--no-sandbox`` in the same run). Every batch starts from an empty results cache.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coursekit.instructor import grade  # noqa: E402
from coursekit.instructor.nbgrader_course import prepare_course  # noqa: E402
from coursekit.instructor.secret import course_secret  # noqa: E402


def make_class(subs: Path, lesson: str, students: int) -> None:
    """Two in three students solved everything (the instructor's answers), one in three nothing."""
    source = nbformat.read(ROOT / "course" / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for i in range(students):
        nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
        if i % 3:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell.source = answers[grade_id]
        (subs / f"student{i:02d}").mkdir(parents=True)
        nbformat.write(nb, subs / f"student{i:02d}" / f"{lesson}.ipynb")


def timed_batch(subs: Path, course: Path, out: Path, lesson: str, workers: int, sandbox: bool) -> tuple:
    shutil.rmtree(course / "results", ignore_errors=True)
    start = time.perf_counter()
    rows = grade(subs, out, course=course, names=[lesson], workers=workers, sandbox=sandbox)
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--lesson", default="02_computational_graphs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--whole-course", action="store_true", help="every lesson, one batch")
    args = parser.parse_args()
    if args.whole_course:
        return whole_course(args.students, args.workers)
    with tempfile.TemporaryDirectory() as tmp:
        subs, course, out = Path(tmp) / "submissions", Path(tmp) / "course", Path(tmp) / "grades.csv"
        make_class(subs, args.lesson, args.students)
        start = time.perf_counter()
        prepare_course(course, [args.lesson])
        course_secret(course)
        setup = time.perf_counter() - start
        one, rows = timed_batch(subs, course, out, args.lesson, 1, True)
        many, rows_many = timed_batch(subs, course, out, args.lesson, args.workers, True)
        bare, rows_bare = timed_batch(subs, course, out, args.lesson, args.workers, False)
    n = args.students
    full = sum(1 for r in rows if r["points"] == r["max"])
    same = [r["points"] for r in rows] == [r["points"] for r in rows_many] == [r["points"] for r in rows_bare]
    print(
        f"{n} submissions of {args.lesson}: {len(rows)} rows, {full} at full marks, same in all runs: {same}"
    )
    print(f"set-up (course folder, gradebook): {setup:.1f} s")
    print(f"sandbox, 1 worker:  {one:.1f} s ({one / n:.2f} s a submission)")
    print(
        f"sandbox, {args.workers} workers: {many:.1f} s ({many / n:.2f} s a submission): {one / many:.2f}x 1 worker"
    )
    print(
        f"no sandbox, {args.workers} workers: {bare:.1f} s: the sandbox costs {(many - bare) / n * 1000:.0f} ms "
        f"a submission ({many / bare:.2f}x)"
    )
    print(f"whole batch with set-up, {args.workers} workers: {setup + many:.1f} s")


def whole_course(students: int, workers: int) -> None:
    from coursekit.instructor import exit_code, lessons

    names = lessons()
    with tempfile.TemporaryDirectory() as tmp:
        subs, course, out = Path(tmp) / "submissions", Path(tmp) / "course", Path(tmp) / "grades.csv"
        for lesson in names:
            make_class(subs, lesson, students) if lesson == names[0] else _add_lesson(subs, lesson, students)
        start = time.perf_counter()
        rows = grade(subs, out, course=course, names=names, workers=workers)
        seconds = time.perf_counter() - start
    pairs = {(r["student"], r["lesson"]) for r in rows}
    bad = sorted({r["status"] for r in rows} - {"graded"})
    print(
        f"{len(pairs)} submissions ({students} students x {len(names)} lessons), {workers} workers: "
        f"{seconds:.1f} s with set-up ({seconds / len(pairs):.2f} s a submission); "
        f"statuses other than graded: {bad or 'none'}; exit code {exit_code(rows)}"
    )


def _add_lesson(subs: Path, lesson: str, students: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        make_class(Path(tmp), lesson, students)
        for folder in Path(tmp).iterdir():
            shutil.copy(folder / f"{lesson}.ipynb", subs / folder.name / f"{lesson}.ipynb")


if __name__ == "__main__":
    main()
