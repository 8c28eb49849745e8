"""Grading a class: every (student, lesson) on its own, in a sandbox, decided outside it.

For each submission the grader reads only its answer cells (by the instructor notebook's
grade_ids), runs them with the lesson's setup cells in a sandbox (:mod:`.sandbox`), which calls
each answer on the public cases and on grading cases drawn from the course's secret
(:mod:`.secret`), and gets back plain data. This process compares that data with coursekit's
references, computed here, and decides each graded cell: nothing the student's code defines,
patches, prints or returns can pass a case except the right values.

Results: ``grades.csv`` (one row per student, lesson and exercise, with a ``status`` and the
``sandbox`` that protected it), ``<out>_report.txt`` (one line per problem), a feedback page
per student and lesson in ``<course>/feedback/``, and the points in nbgrader's gradebook.
Unchanged submissions are not run again (``<course>/results/`` keeps their verdicts).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import html
import json
import os
import re
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..grading import EXERCISES
from ..grading.exercise import explain, stability_problem
from . import plain
from .lesson import Lesson, read_lesson
from .nbgrader_course import SOURCE, lessons, prepare_course, record_grades, remove_grades
from .sandbox import Limits, RunResult, run_job
from .secret import case_rng, course_secret
from .submission import InvalidSubmission, read_submission

FIELDS = ("student", "lesson", "exercise", "points", "max", "status", "sandbox")
STATUSES = {
    "graded": "the answers ran and every graded cell was decided",
    "missing": "no notebook for this lesson in the student's folder",
    "invalid notebook": "the file could not be read as a notebook (not JSON, a symlink, too large ...)",
    "wrong lesson": "the notebook holds another lesson's exercises",
    "timeout": "the exercise (or the whole submission) ran past its wall-time or CPU limit",
    "memory limit": "the exercise used more memory than its limit",
    "output limit": "the exercise sent back more data than its output limit",
    "crashed": "the grading process of the exercise ended without a result",
}
EXIT_ALL_GRADED, EXIT_SOME_UNGRADED = 0, 3
GRADER_VERSION = "2"  # part of the cache key: bump when verdicts would change
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")  # used with fullmatch


@dataclass
class Case:
    """One case of a graded cell: its inputs, the expected result, and where it runs.

    ``group``: "seen" (the public cases the student checks against, and the stability cases: their
    error messages may be shown) or "secret" (drawn from the course's secret: only the kind of
    failure is ever shown); ``index``: its position in that group.
    """

    args: tuple
    expected: Any
    strict: bool
    group: str
    index: int = 0


@dataclass
class ExerciseCases:
    """One exercise's cases for one student, by graded kind ("public", "hidden"), with their groups."""

    name: str
    answer: str
    kinds: dict[str, list[Case]]
    limits: Limits

    def group(self, name: str) -> list[Case]:
        """The cases of a group, in their order in the job."""
        cases = [c for kind in self.kinds.values() for c in kind if c.group == name]
        return sorted({id(c): c for c in cases}.values(), key=lambda c: c.index)


@dataclass
class Outcome:
    """What grading one (student, lesson) gave: points per grade cell, and why."""

    student: str
    lesson: str
    status: str = "graded"
    reason: str = ""
    points: dict[str, float] = field(default_factory=dict)  # grade_id -> points
    exercise_status: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # grade_id -> verdict
    events: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@cache
def _seen_cases(name: str) -> tuple[tuple[tuple, Any], ...]:
    """The public cases every student checks against, with their expected results (computed once)."""
    ex = EXERCISES[name]
    return tuple((a, ex.run(ex.reference, copy.deepcopy(a))) for a in ex.public(np.random.default_rng(0)))


@cache
def _stable_cases(name: str) -> tuple[tuple[tuple, Any], ...]:
    ex = EXERCISES[name]
    return tuple((a, ex.run(ex.reference, copy.deepcopy(a))) for a in ex.stable)


def _lesson_cases(lesson: Lesson, secret: bytes, limits: Limits, student: str) -> dict[str, ExerciseCases]:
    """Every exercise's cases and expected results for one student, computed here (never in the sandbox).

    The public cell: the cases the student checks against (seed 0), the same kinds of case drawn
    from the secret (so that a table of the public answers does not pass it), and the stability
    cases; the hidden cell: the grading cases and the stability cases. Secret cases are drawn
    per student, so that whatever one student learns of them helps nobody else.
    """
    base = limits.updated(lesson.limits)
    out = {}
    for name, answer in lesson.exercises.items():
        ex = EXERCISES[name]
        seen = [Case(a, e, False, "seen", i) for i, (a, e) in enumerate(_seen_cases(name))]
        stable = [Case(a, e, True, "seen", len(seen) + i) for i, (a, e) in enumerate(_stable_cases(name))]
        twins = ex.public(case_rng(secret, f"{name}:public:{student}"))
        hidden = ex.hidden(case_rng(secret, f"{name}:{student}"))
        drawn = [
            Case(a, ex.run(ex.reference, copy.deepcopy(a)), False, "secret", i)
            for i, a in enumerate(twins + hidden)
        ]
        kinds = {"public": seen + drawn[: len(twins)] + stable, "hidden": drawn[len(twins) :] + stable}
        out[name] = ExerciseCases(name, answer, kinds, base.updated(lesson.exercise_limits.get(name)))
    return out


def _job(lesson: Lesson, cases: dict[str, ExerciseCases], answers: dict[str, list[str]]) -> dict[str, Any]:
    cells = [{"kind": "setup", "id": f"{i + 1}", "source": s} for i, s in enumerate(lesson.setup)]
    for grade_id in lesson.answer_ids:
        for i, source in enumerate(answers.get(grade_id, [])):
            cells.append(
                {"kind": "answer", "id": f"{grade_id}" + (f"#{i + 1}" if i else ""), "source": source}
            )
    exercises = []
    for name, c in cases.items():
        ex = EXERCISES[name]
        exercises.append(
            {
                "name": name,
                "answer": c.answer,
                "call": ex.call,
                "allowed": list(ex.allowed),
                "limits": dict(c.limits.__dict__),
                "groups": {g: [plain.encode(k.args) for k in c.group(g)] for g in ("seen", "secret")},
                "strict": {g: [k.strict for k in c.group(g)] for g in ("seen", "secret")},
            }
        )
    return {"cells": cells, "exercises": exercises}


def _hidden_problem(problem: str) -> str:
    """A failed grading case described without its inputs or expected values (they stay secret)."""
    if "shape" in problem:
        return "the result has the wrong shape"
    if "NaN or infinity" in problem:
        return "the result contains NaN or infinity"
    if " results" in problem or "expected a " in problem:  # the kind of result, not its values
        return problem
    return "the values are not the expected ones"


def _cell_verdict(entry: dict[str, Any], kind: str, c: ExerciseCases) -> tuple[bool, str]:
    """(passed, one-line verdict) of a graded cell from the sandbox's entry for its exercise."""
    if entry.get("forbidden"):
        names = ", ".join(f"`{n}`" for n in list(entry["forbidden"])[:3])
        return False, f"uses {names} of coursekit, which this exercise does not allow: write it yourself"
    groups = entry.get("results") or {}
    if any(groups.get(g) is None for g in ("seen", "secret")):
        cells = entry.get("cells") or []
        if any(e.get("error") == "NotImplementedError" for e in cells) or entry.get("missing"):
            return False, "not attempted yet"
        return False, "no answer to call"
    cases = c.kinds[kind]
    ex = EXERCISES[c.name]
    label = "case" if kind == "public" else "grading case"
    first = c.kinds["public"][0]
    for i, case in enumerate(cases, 1):
        results = groups[case.group]
        if (
            not isinstance(results, list)
            or len(results) <= case.index
            or not isinstance(results[case.index], dict)
        ):
            return False, "the grading process returned malformed results"
        result = results[case.index]
        shown = case.group == "seen"  # inputs and messages the student can see anyway
        where = f"{label} {i} of {len(cases)}" + (f", with inputs {ex.describe(case.args)}" if shown else "")
        if "error" in result:
            error = str(result["error"])[:80]
            if error == "NotImplementedError":
                return False, "not attempted yet"
            if case.strict and error in ("FloatingPointError", "OverflowError", "RuntimeWarning"):
                return False, stability_problem(
                    ex, case.args, OverflowError(str(result.get("message"))[:120])
                ) or ""
            line = f" ({result['where']})" if result.get("where") else ""
            extra = f" {ex.advice[error]}" if error in ex.advice else ""
            text = f": {str(result.get('message'))[:200]}" if shown else ""  # secret cases: no message
            return False, f"{where}: your code raised {error}{text}{line}.{extra}"
        try:
            got = plain.decode(result.get("value"))
        except plain.PlainDataError as exc:
            return False, f"{where}: the result could not be read ({exc})"
        problem = explain(ex, case.args, case.expected, got, (first.args, first.expected))
        if problem:
            known = problem in {message for _, message in ex.mistakes}  # names a mistake, no values
            return False, f"{where}: {problem if shown or known else _hidden_problem(problem)}"
    n = len(cases)
    return True, f"passed {'all ' if n > 1 else 'the '}{n} {label}{'s' if n > 1 else ''}"


def _decide(outcome: Outcome, lesson: Lesson, cases: dict[str, ExerciseCases], run: RunResult) -> None:
    for cell in lesson.graded:
        if run.status != "ran":
            outcome.points[cell.grade_id] = 0.0
            outcome.exercise_status[cell.exercise] = run.status
            outcome.messages[cell.grade_id] = run.reason
            continue
        entry = run.entries.get(cell.exercise, {"status": "crashed", "reason": "no result"})
        status = entry.get("status", "crashed")
        for text in entry.get("events", []) if status != "ran" else []:
            if text not in outcome.events:
                outcome.events.append(text)
        if status != "ran":
            status = {"output too large": "output limit"}.get(status, status)
            outcome.exercise_status[cell.exercise] = status
            outcome.points[cell.grade_id] = 0.0
            reason = entry.get("reason") or STATUSES.get(status, status)
            outcome.messages[cell.grade_id] = f"{status}: {reason}"
            continue
        passed, message = _cell_verdict(entry, cell.cases, cases[cell.exercise])
        own = [e for e in entry.get("cells", []) if e["cell"].split("#")[0] == cell.answer_cell]
        limit = {"CellTimeout": "timeout", "MemoryError": "memory limit"}
        hit = next((limit[e["error"]] for e in own if e["error"] in limit), None)
        if hit and not passed:  # the exercise's own answer cell hit a limit
            outcome.exercise_status[cell.exercise] = hit
            message = f"{hit}: {STATUSES[hit]}"
        outcome.exercise_status.setdefault(cell.exercise, "graded")
        outcome.points[cell.grade_id] = cell.points if passed else 0.0
        outcome.messages[cell.grade_id] = message
        events = entry.get("events", []) + [
            f"{cell.exercise}: called {n}" for n in entry.get("forbidden", [])
        ]
        for text in events:
            if text not in outcome.events:
                outcome.events.append(text)
        for error in entry.get("setup_errors", []):
            text = f"{cell.exercise}: setup cell {error['cell']} raised {error['error']}: {error['message'][:120]}"
            if text not in outcome.events:
                outcome.events.append(text)
    if run.status != "ran":
        outcome.status, outcome.reason = run.status, run.reason


def _clean(text: Any, limit: int = 300) -> str:
    """One printable line: control characters and newlines escaped (a report line per problem)."""
    text = str(text)[: limit * 2]
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)[:limit]


def _decide_safely(outcome: Outcome, lesson: Lesson, cases: dict[str, ExerciseCases], run: RunResult) -> None:
    """Decide, whatever the sandbox sent back: malformed results crash this submission only."""
    try:
        _decide(outcome, lesson, cases, run)
    except Exception as exc:  # noqa: BLE001 - hostile results must not take the batch down
        outcome.points = {c.grade_id: 0.0 for c in lesson.graded}
        outcome.exercise_status = dict.fromkeys(lesson.exercises, "crashed")
        outcome.messages = dict.fromkeys(
            outcome.points, "crashed: the grading process sent back malformed results"
        )
        outcome.events.append(f"malformed results from the sandbox ({type(exc).__name__})")
    outcome.reason = _clean(outcome.reason)
    outcome.messages = {k: _clean(v, 600) for k, v in outcome.messages.items()}
    outcome.events = [_clean(e) for e in outcome.events][:40]


def _other_lesson(grade_ids: set[str], specs: dict[str, Lesson], this: str) -> str | None:
    for name, spec in specs.items():
        if name != this and grade_ids & set(spec.answer_ids):
            return name
    return None


def _feedback_page(outcome: Outcome, lesson: Lesson, sandbox: str) -> str:
    rows = []
    for cell in lesson.graded:
        title = EXERCISES[cell.exercise].title
        kind = "the public checks" if cell.cases == "public" else "the grading checks"
        got = outcome.points.get(cell.grade_id, 0.0)
        mark = "&#10003;" if got == cell.points else "&#10007;"
        rows.append(
            f"<tr><td>{mark}</td><td><b>{html.escape(cell.exercise)}</b>: {html.escape(title)}<br>"
            f"<small>{kind}</small></td><td>{got:g} / {cell.points:g}</td>"
            f"<td>{html.escape(outcome.messages.get(cell.grade_id, ''))}</td></tr>"
        )
    total = sum(outcome.points.values())
    maximum = sum(c.points for c in lesson.graded)
    note = "" if sandbox != "none" else "<p><b>Graded without the sandbox: unprotected.</b></p>"
    status = (
        ""
        if outcome.status == "graded"
        else f"<p>{html.escape(outcome.status)}: {html.escape(outcome.reason)}</p>"
    )
    return (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(lesson.name)}: {html.escape(outcome.student)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td{padding:4px 8px;"
        "vertical-align:top;border-bottom:1px solid #ddd}</style>"
        f"<h1>{html.escape(lesson.name)}</h1><p>{html.escape(outcome.student)}: "
        f"<b>{total:g} of {maximum:g} points</b></p>{status}{note}"
        f"<table>{''.join(rows)}</table>"
    )


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def _student_folders(submissions: Path) -> list[tuple[str, Path, str]]:
    """(student id, folder, problem) for every entry of the submissions folder."""
    out = []
    for entry in sorted(os.scandir(submissions), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        problem = ""
        mode = os.lstat(entry.path).st_mode
        if stat.S_ISLNK(mode):
            problem = "the student's folder is a symbolic link (not followed)"
        elif not stat.S_ISDIR(mode):
            continue
        if not _SAFE_ID.fullmatch(entry.name):
            problem = problem or "the folder name is not a valid student id (letters, digits, . _ @ + -)"
        out.append((entry.name, Path(entry.path), problem))
    return out


def _notebook_path(folder: Path, lesson: str) -> Path:
    """``<student>/<lesson>.ipynb``, or nbgrader's ``<student>/<lesson>/<lesson>.ipynb`` (collect)."""
    nested = folder / lesson
    if nested.is_dir() and not nested.is_symlink() and not (folder / f"{lesson}.ipynb").exists():
        return nested / f"{lesson}.ipynb"
    return folder / f"{lesson}.ipynb"


def grade(
    submissions: Path,
    out_csv: Path,
    course: Path | None = None,
    names: list[str] | None = None,
    source: Path = SOURCE,
    limits: Limits | None = None,
    workers: int | None = None,
    sandbox: bool = True,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Grade every student's lesson notebooks; write grades.csv, the report and feedback; its rows.

    ``course``: the instructor's course folder (gradebook, secret, feedback; default
    ``<out_csv's folder>/course``). ``limits``: per-exercise defaults (see :class:`Limits`).
    ``workers``: submissions graded at once (default: the machine's cores). ``progress``: a
    progress bar (tqdm) on stderr while the submissions run.
    """
    submissions, out_csv = Path(submissions).resolve(), Path(out_csv).resolve()
    course = Path(course).resolve() if course else out_csv.parent / "course"
    names = names or lessons(source)
    limits = limits or Limits()
    workers = workers or os.cpu_count() or 1
    mode = "bubblewrap" if sandbox else "none"
    prepare_course(course, names, source)
    secret = course_secret(course)
    specs = {name: read_lesson(source / name / f"{name}.ipynb") for name in names}
    source_digests = {name: (source / name / f"{name}.ipynb").read_bytes() for name in names}
    outcomes: dict[tuple[str, str], Outcome] = {}
    to_run: list[tuple[tuple[str, str], dict[str, Any], dict[str, ExerciseCases], Path, str]] = []
    cache_dir = course / "results"
    for student, folder, problem in _student_folders(submissions):
        for name, spec in specs.items():
            key = (student, name)
            if problem:
                outcomes[key] = Outcome(student, name, "invalid notebook", problem)
                continue
            path = _notebook_path(folder, name)
            try:
                sub = read_submission(path, spec.answer_ids)
            except FileNotFoundError:
                outcomes[key] = Outcome(student, name, "missing", "no notebook")
                continue
            except InvalidSubmission as exc:
                outcomes[key] = Outcome(student, name, "invalid notebook", f"{path.name} {exc}")
                continue
            if not sub.answers and sub.grade_ids:
                other = _other_lesson(sub.grade_ids, specs, name) or _other_lesson(
                    sub.grade_ids, {n: read_lesson(source / n / f"{n}.ipynb") for n in lessons(source)}, name
                )
                if other:
                    outcomes[key] = Outcome(
                        student, name, "wrong lesson", f"{path.name} holds {other}'s exercises"
                    )
                    continue
            digest = _digest(
                path.read_bytes(),
                source_digests[name],
                secret,
                mode.encode(),
                GRADER_VERSION.encode(),
                json.dumps(limits.__dict__, sort_keys=True).encode(),
            )
            cached = cache_dir / student / f"{name}.json"
            if cached.exists():
                saved = json.loads(cached.read_text())
                if saved.get("digest") == digest:
                    outcomes[key] = Outcome(**saved["outcome"])
                    continue
            outcome = Outcome(student, name, events=list(sub.notes))
            outcomes[key] = outcome
            cases = _lesson_cases(spec, secret, limits, student)
            to_run.append((key, _job(spec, cases, sub.answers), cases, cached, digest))

    def run_one(item: tuple) -> tuple:
        return item, run_job(item[1], sandbox=sandbox)

    from tqdm import tqdm

    bar = tqdm(total=len(to_run), unit="submission", disable=not progress, file=sys.stderr)
    with bar, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for (key, _, cases, cached, digest), run in pool.map(run_one, to_run):
            outcome = outcomes[key]
            _decide_safely(outcome, specs[key[1]], cases, run)
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps({"digest": digest, "outcome": outcome.to_json()}))
            bar.update(1)
    _write_outputs(course, out_csv, specs, outcomes, mode)
    return _rows(specs, outcomes, mode)


def _rows(
    specs: dict[str, Lesson], outcomes: dict[tuple[str, str], Outcome], mode: str
) -> list[dict[str, Any]]:
    rows = []
    for (student, name), outcome in sorted(outcomes.items()):
        spec = specs[name]
        for exercise in spec.exercises:
            points = sum(outcome.points.get(c.grade_id, 0.0) for c in spec.graded if c.exercise == exercise)
            status = (
                outcome.status
                if outcome.status != "graded"
                else outcome.exercise_status.get(exercise, "graded")
            )
            rows.append(
                {
                    "student": student,
                    "lesson": name,
                    "exercise": exercise,
                    "points": round(points, 3),
                    "max": round(spec.max_points(exercise), 3),
                    "status": status,
                    "sandbox": mode if mode != "none" else "none (unprotected)",
                }
            )
    return rows


def _write_outputs(
    course: Path, out_csv: Path, specs: dict[str, Lesson], outcomes: dict[tuple[str, str], Outcome], mode: str
) -> None:
    rows = _rows(specs, outcomes, mode)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    lines = []
    if mode == "none":
        lines.append(
            "UNPROTECTED: graded with --no-sandbox; student code could read and write as the grader."
        )
    for (student, name), outcome in sorted(outcomes.items()):
        if outcome.status not in ("graded", "missing"):
            lines.append(f"{student}/{name}: {outcome.status}: {outcome.reason}")
        for exercise, status in outcome.exercise_status.items():
            if status != "graded":
                reasons = {
                    outcome.messages.get(c.grade_id) for c in specs[name].graded if c.exercise == exercise
                }
                lines.append(f"{student}/{name}/{exercise}: {'; '.join(sorted(r for r in reasons if r))}")
        for event in outcome.events:
            lines.append(f"{student}/{name}: {event}")
    report = out_csv.with_name(out_csv.stem + "_report.txt")
    report.write_text("\n".join(lines) + ("\n" if lines else ""))
    graded = [
        (s, n, o.points)
        for (s, n), o in sorted(outcomes.items())
        if o.status not in ("missing",) and o.points
    ]
    record_grades(course, graded)
    remove_grades(course, [(s, n) for (s, n), o in outcomes.items() if o.status == "missing"])
    for (student, name), outcome in outcomes.items():
        if outcome.status == "missing" or not _SAFE_ID.fullmatch(student):
            continue
        page = course / "feedback" / student / f"{name}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_feedback_page(outcome, specs[name], mode), encoding="utf-8")


def exit_code(rows: list[dict[str, Any]]) -> int:
    """0 when every submission found was graded, 3 when some could not be (see the report)."""
    bad = {r["status"] for r in rows} - {"graded", "missing"}
    return EXIT_SOME_UNGRADED if bad else EXIT_ALL_GRADED


def summary(rows: list[dict[str, Any]]) -> str:
    """A few lines: submissions graded and not gradeable, and the mean points per exercise."""
    statuses: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        statuses.setdefault((r["student"], r["lesson"]), set()).add(r["status"])
    found = {k: v for k, v in statuses.items() if v != {"missing"}}
    ungradeable = sum(1 for v in found.values() if v - {"graded"})
    lines = [
        f"{len(found)} submissions: {len(found) - ungradeable} graded, {ungradeable} with problems "
        f"(see the report); {len(statuses) - len(found)} missing"
    ]
    per_exercise: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in rows:
        if r["status"] != "missing":
            per_exercise.setdefault((r["lesson"], r["exercise"]), []).append(
                (float(r["points"]), float(r["max"]))
            )
    for (lesson, exercise), values in sorted(per_exercise.items()):
        mean = sum(p for p, _ in values) / len(values)
        lines.append(
            f"  {lesson} {exercise}: mean {mean:.2f} of {values[0][1]:g} ({len(values)} submissions)"
        )
    return "\n".join(lines)
