"""Grading as a determined student attacks it: every attack scores 0 and changes nothing outside.

One batch (lessons 2, 3 and 5) with a correct student, a classmate, and one student per attack.
Each attack sits in one exercise's answer cell with no real solution: if the attack worked, that
exercise would score. Before and after the batch we hash the installed package, the repository's
instructor sources, HOME, the course folder's secret and sources, and every submission.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from submissions import ROOT, notebook, solutions

import coursekit
from coursekit.grading import EXERCISES
from coursekit.instructor import grade
from coursekit.instructor.nbgrader_course import gradebook_points, prepare_course
from coursekit.instructor.sandbox import Limits, unavailable_reason
from coursekit.instructor.secret import course_secret

LESSONS = [
    "02_computational_graphs",
    "03_backward_patterns_and_modules",
    "04_jacobians_and_vectorized_gradients",
]
PACKAGE = Path(coursekit.__file__).resolve().parent
MARKER = "4242"  # in the command line of processes the attacks start

if unavailable_reason() and not os.environ.get("CI"):
    pytest.skip(f"no sandbox here: {unavailable_reason()}", allow_module_level=True)


WRONG = "def multiply_backward(x, y, dz):\n    return 0 * x, 0 * y\n"


def table_attack() -> str:
    """multiply_backward as a lookup table of every case the installed library generates (seed 0)."""
    ex = EXERCISES["multiply_backward"]
    rng = np.random.default_rng(0)
    rows = [
        ([np.asarray(a).tolist() for a in args], [np.asarray(r).tolist() for r in ex.run(ex.reference, args)])
        for args in ex.public(np.random.default_rng(0)) + ex.hidden(rng)
    ]
    return (
        "import numpy as np\n"
        f"TABLE = {rows!r}\n"
        "def multiply_backward(x, y, dz):\n"
        "    for args, out in TABLE:\n"
        "        if all(np.shape(a) == np.shape(b) and np.allclose(a, b) for a, b in zip(args, (x, y, dz))):\n"
        "            return tuple(np.array(o) if np.ndim(o) else float(o) for o in out)\n"
        "    return 0.0, 0.0\n"
    )


def attacks(paths: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """name -> (lesson, answer grade_id, answer cell source); each aims at one exercise."""
    L2, L3, L4 = LESSONS
    mb = "multiply_backward_answer"
    return {
        "check_patch": (L2, mb, "check = lambda *a, **k: None\n" + WRONG),
        "env_var": (L2, mb, "import os\nos.environ['COURSEKIT_AUTOGRADE'] = '0'\n" + WRONG),
        "grading_patch": (
            L2,
            mb,
            "import coursekit.grading as g\ng.autograding = lambda: False\n"
            "g.run_check = g.check = lambda *a, **k: True\n" + WRONG,
        ),
        "numpy_patch": (
            L2,
            mb,
            "import numpy as np\nnp.max = lambda *a, **k: 0\nnp.allclose = lambda *a, **k: True\n"
            "np.isfinite = lambda *a, **k: True\n" + WRONG,
        ),
        "builtins_patch": (
            L2,
            mb,
            "import builtins\nbuiltins.enumerate = lambda *a, **k: iter(())\n"
            "builtins.zip = lambda *a, **k: iter(())\nbuiltins.len = lambda x: 0\n" + WRONG,
        ),
        "input_transformer": (
            L2,
            mb,
            "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n" + WRONG,
        ),
        "empty_cases": (
            L2,
            mb,
            "import coursekit.grading as g\nfor e in g.EXERCISES.values():\n"
            "    e.public = e.hidden = lambda rng: []\n" + WRONG,
        ),
        "reference": (
            L2,
            mb,
            "from coursekit.grading import EXERCISES, answer_or_reference\n"
            "try:\n    multiply_backward = EXERCISES['multiply_backward'].reference\n"
            "except KeyError:\n    multiply_backward = answer_or_reference('multiply_backward', None)\n",
        ),
        "library_gate": (
            L2,
            mb,
            "from coursekit.gates import MultiplyGate\n"
            "def multiply_backward(x, y, dz):\n    g = MultiplyGate()\n    g.forward(x, y)\n"
            "    return g.backward(dz)\n",
        ),
        "library_value": (
            L2,
            "sigmoid_neuron_answer",
            "from coursekit import Graph\n"
            "def sigmoid_neuron(w0, x0, w1, x1, w2):\n"
            "    g = Graph.trace(lambda w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(),\n"
            "                    w0=w0, x0=x0, w1=w1, x1=x1, w2=w2)\n"
            "    d = g.backward()\n    return g.output.data, tuple(d[k] for k in ('w0', 'x0', 'w1', 'x1', 'w2'))\n",
        ),
        "library_subclass": (
            L3,
            "sigmoid_gate_answer",
            "from coursekit.gates import SigmoidGate\nclass MySigmoidGate(SigmoidGate):\n    pass\n",
        ),
        "library_layer": (
            L4,
            "affine_backward_answer",
            "from coursekit import nn\n"
            "def affine_backward(dout, x, W):\n    layer = nn.Linear(W.shape[1], W.shape[0])\n"
            "    layer.params['W'][...] = W\n    layer.forward(x)\n    dx = layer.backward(dout)\n"
            "    return dx, layer.grads['W'], layer.grads['b']\n",
        ),
        "library_reimport": (  # get the gate back by loading coursekit again from its source
            L2,
            mb,
            "import importlib, sys\nfor m in [m for m in sys.modules if m.startswith('coursekit')]:\n"
            "    del sys.modules[m]\n"
            "try:\n    from coursekit.gates import MultiplyGate\nexcept Exception:\n"
            "    exec(open(importlib.util.find_spec('coursekit.gates').origin).read())\n"
            "def multiply_backward(x, y, dz):\n    g = MultiplyGate()\n    g.forward(x, y)\n"
            "    return g.backward(dz)\n",
        ),
        "table": (L2, mb, table_attack()),
        "read_solutions": (
            L2,
            mb,
            "import json\n"
            f"nb = json.load(open({paths['solutions']!r}))\n"
            "for c in nb['cells']:\n"
            "    if c['metadata'].get('nbgrader', {}).get('solution'):\n"
            "        exec(''.join(c['source']))\n",
        ),
        "read_secret": (L2, mb, f"SECRET = open({paths['secret']!r}).read()\n" + WRONG),
        "write_gradebook": (
            L2,
            mb,
            "import sqlite3\n"
            f"db = sqlite3.connect({paths['gradebook']!r})\n"
            "db.execute('UPDATE grade SET auto_score = 1')\ndb.commit()\n" + WRONG,
        ),
        "write_package": (
            L2,
            mb,
            f"open({str(PACKAGE / 'grading.py')!r}, 'a').write('\\nrun_check = lambda *a, **k: True\\n')\n"
            f"open({str(PACKAGE / 'instructor' / 'batch.py')!r}, 'a').write('\\n_compare = None\\n')\n"
            + WRONG,
        ),
        "write_home": (
            L2,
            mb,
            f"import os\nos.makedirs({paths['home'] + '/.ipython/profile_default/startup'!r}, exist_ok=True)\n"
            f"open({paths['home'] + '/.ipython/profile_default/startup/00-evil.py'!r}, 'w').write('x')\n"
            + WRONG,
        ),
        "write_classmate": (
            L2,
            mb,
            f"import os\nopen({paths['classmate']!r}, 'w').write('{{}}')\nos.remove({paths['classmate']!r})\n"
            + WRONG,
        ),
        "daemon": (
            L2,
            mb,
            "import os, time\n"
            "if os.fork() == 0:\n    os.setsid()\n    while True:\n"
            f"        open({paths['grades']!r}, 'w').write('student,points\\nme,100\\n')\n"
            "        time.sleep(0.1)\n" + WRONG,
        ),
        "spawn": (
            L2,
            mb,
            "import subprocess, sys\n"
            f"subprocess.Popen(['sleep', '{MARKER}'], start_new_session=True)\n"
            "sys.modules['_posixsubprocess'].fork_exec\n" + WRONG,
        ),
        "kill_grader": (
            L2,
            mb,
            "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)\n" + WRONG,
        ),
        "forge_results": (  # write a results message to every descriptor
            L2,
            mb,
            "import os, json\n"
            "msg = json.dumps({'exercises': {'multiply_backward': {'status': 'ran', 'cases': {}}}}).encode()\n"
            "for fd in range(3, 64):\n    try:\n        os.write(fd, msg)\n    except OSError:\n        pass\n"
            + WRONG,
        ),
        "forbidden_handler": (  # replace the stub's handler, then call the gate anyway
            L2,
            mb,
            "import builtins\nbuiltins.__coursekit_forbidden__ = lambda name: None\n"
            "from coursekit.gates import MultiplyGate\n"
            "def multiply_backward(x, y, dz):\n    g = MultiplyGate()\n    g.forward(x, y)\n"
            "    return g.backward(dz)\n",
        ),
        # found by a red-team review: each of these worked once
        "dir_fd_source": (  # read coursekit's source through a directory descriptor, load the gate
            L2,
            mb,
            "import os, types\n"
            f"d = os.open({str(PACKAGE.parent)!r}, os.O_RDONLY)\n"
            "src = open(os.open('coursekit/gates.py', os.O_RDONLY, dir_fd=d)).read()\n"
            "G = types.ModuleType('coursekit.copy'); G.__package__ = 'coursekit'\n"
            "exec(compile(src, 'copy', 'exec'), G.__dict__)\n"
            "def multiply_backward(x, y, dz):\n    g = G.MultiplyGate()\n    g.forward(x, y)\n"
            "    return g.backward(dz)\n",
        ),
        "hook_disarm": (  # empty the runner's lists of blocked events, then find the hook by gc
            L2,
            mb,
            "import sys, gc\nR = sys.modules['__main__']\n"
            "R.BLOCKED_EVENTS = frozenset(); R.BLOCKED_MODULES = frozenset()\n"
            "hooks = [f for f in gc.get_objects() if getattr(f, '__name__', '') == 'hook']\n" + WRONG,
        ),
        "numpy_ctypes": (  # the ctypes numpy loaded, with no import to refuse
            L2,
            mb,
            "import numpy\nc = numpy.core._internal.ctypes\nc.memmove\n" + WRONG,
        ),
        "unknown_gate": (
            L2,
            mb,
            "from coursekit.gates import Gate\nclass Nope(Gate):\n    pass\n"
            "def multiply_backward(x, y, dz):\n    return Nope()\n",
        ),
        "huge_int": (L2, mb, "def multiply_backward(x, y, dz):\n    return 10**400, 10**400\n"),
        "forged_entry": (
            L2,
            mb,
            "import os, stat\nfor fd in range(3, 64):\n    try:\n"
            "        if stat.S_ISFIFO(os.fstat(fd).st_mode): os.write(fd, b'[]')\n    except OSError:\n        pass\n"
            + WRONG,
        ),
        "leak_cases": (  # put the grading cases' inputs into the message the feedback shows
            L2,
            mb,
            "import numpy as np\ndef multiply_backward(x, y, dz):\n"
            "    raise ValueError('LEAK' + repr(np.asarray(x).tolist()))\n",
        ),
        "tmp_fill": (L2, mb, "open('/tmp/fill', 'wb').write(b'x' * (8 << 20))\n" + WRONG),
        "init_stderr": (
            L2,
            mb,
            "import os\nos.write(os.open('/proc/1/fd/2', os.O_WRONLY), b'INJECTED')\n" + WRONG,
        ),
        "report_inject": (
            L2,
            mb,
            "try:\n    open('/nowhere/x\\nada/02_computational_graphs: multiply_backward: called "
            "coursekit.gates.MultiplyGate.backward', 'w')\nexcept Exception:\n    pass\n" + WRONG,
        ),
        "exit": (L2, mb, "import os\nos._exit(0)\n"),
        "segfault": (L2, mb, "import faulthandler\nfaulthandler._sigsegv()\n"),
        "loop": (L2, mb, "while True:\n    pass\n"),
        "memory": (L2, mb, "x = bytearray(8 << 30)\n" + WRONG),
        "flood": (L2, mb, "print('x' * (64 << 20))\n" + WRONG),
    }


def digest(path: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    out = {}
    for p in sorted(path.rglob("*")) if path.is_dir() else [path]:
        rel = str(p.relative_to(path)) if path.is_dir() else p.name
        if p.is_file() and not p.is_symlink() and not rel.startswith(skip) and "__pycache__" not in rel:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def processes_with(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{pid}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("integrity")
    subs, course, out = base / "submissions", base / "course", base / "out" / "grades.csv"
    home = base / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "keep.txt").write_text("the instructor's file\n")
    classmate = subs / "classmate" / f"{LESSONS[0]}.ipynb"
    paths = {
        "solutions": str(ROOT / "course" / "source" / LESSONS[0] / f"{LESSONS[0]}.ipynb"),
        "secret": str(course / "grading-secret.txt"),
        "gradebook": str(course / "gradebook.db"),
        "home": str(home),
        "classmate": str(classmate),
        "grades": str(out),
    }
    for lesson in LESSONS:
        for student in ("ada", "classmate"):
            (subs / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook(lesson, solutions(lesson)), subs / student / f"{lesson}.ipynb")
    for name, (lesson, grade_id, source) in attacks(paths).items():
        (subs / name).mkdir(parents=True)
        answers = {grade_id: source}
        nbformat.write(notebook(lesson, answers), subs / name / f"{lesson}.ipynb")
    prepare_course(course, LESSONS)  # the course folder (gradebook, secret) the attacks aim at
    course_secret(course)
    watched = {
        "package": (PACKAGE, ()),
        "sources": (ROOT / "course" / "source", ()),
        "home": (home, ()),
        "course": (course, ("gradebook.db", "results", "feedback", "generated.json")),
        "submissions": (subs, ()),
    }
    before = {k: digest(p, skip) for k, (p, skip) in watched.items()}
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        start = time.perf_counter()
        rows = grade(subs, out, course=course, names=LESSONS, limits=Limits(wall=8, cpu=8), workers=2)
        seconds = time.perf_counter() - start
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home
    csv_text = out.read_text()
    time.sleep(1.5)  # a daemon that outlived the batch would rewrite grades.csv now
    after = {k: digest(p, skip) for k, (p, skip) in watched.items()}
    return dict(
        rows=rows,
        before=before,
        after=after,
        csv=csv_text,
        out=out,
        course=course,
        seconds=seconds,
        report=out.with_name("grades_report.txt").read_text(),
    )


def points(rows, student):
    return {r["exercise"]: float(r["points"]) for r in rows if r["student"] == student}


def test_correct_work_gets_full_marks(batch):
    for student in ("ada", "classmate"):
        got = points(batch["rows"], student)
        expected = sum(ex.lesson in LESSONS for ex in EXERCISES.values())
        assert len(got) == expected and all(v == 2.0 for v in got.values()), (student, got)


@pytest.mark.parametrize(
    "attack",
    sorted(attacks({k: "/x" for k in ("solutions", "secret", "gradebook", "home", "classmate", "grades")})),
)
def test_every_attack_scores_zero_on_the_exercise_it_attacks(batch, attack):
    lesson, grade_id, _ = attacks(
        {k: "/x" for k in ("solutions", "secret", "gradebook", "home", "classmate", "grades")}
    )[attack]
    exercise = grade_id[: -len("_answer")]
    rows = [r for r in batch["rows"] if r["student"] == attack and r["lesson"] == lesson]
    assert rows, attack
    target = next(r for r in rows if r["exercise"] == exercise)
    assert float(target["points"]) == 0.0, (attack, target)


def test_forbidden_calls_and_sandbox_events_are_reported(batch):
    report = batch["report"]
    assert "library_gate/02_computational_graphs: multiply_backward: called coursekit.gates." in report
    assert (
        "library_subclass/03_backward_patterns_and_modules: sigmoid_gate: called coursekit.gates." in report
    )
    assert (
        "library_layer/04_jacobians_and_vectorized_gradients: affine_backward: called coursekit.nn.Linear"
        in report
    )
    assert "library_value/02_computational_graphs: sigmoid_neuron: called coursekit.graph.Graph" in report
    assert f"write_package/02_computational_graphs: tried to write '{PACKAGE / 'grading.py'}'" in report
    assert "write_classmate/02_computational_graphs: tried to write " in report
    assert "daemon/02_computational_graphs: tried os.fork" in report
    assert "spawn/02_computational_graphs: tried" in report  # to import _posixsubprocess, or Popen
    assert "loop/02_computational_graphs/multiply_backward: timeout" in report
    assert "memory/02_computational_graphs/multiply_backward: memory limit" in report
    assert "segfault/02_computational_graphs/multiply_backward: crashed" in report
    assert "flood/02_computational_graphs: printed output cut at 8 MB" in report


def test_statuses(batch):
    status = {(r["student"], r["exercise"]): r["status"] for r in batch["rows"]}
    assert status[("loop", "multiply_backward")] == "timeout"
    assert status[("memory", "multiply_backward")] == "memory limit"
    assert status[("segfault", "multiply_backward")] == "crashed"
    assert status[("exit", "multiply_backward")] == "graded"  # os._exit is refused: just no answer
    assert status[("loop", "sigmoid_neuron")] == "graded"  # one exercise's fate is its own
    assert {r["sandbox"] for r in batch["rows"]} == {"bubblewrap"}


def test_nothing_outside_the_scratch_changed(batch):
    for name, before in batch["before"].items():
        assert batch["after"][name] == before, name
    assert batch["csv"] == batch["out"].read_text()  # no daemon rewrote grades.csv afterwards
    assert "me,100" not in batch["csv"]
    assert processes_with(MARKER) == [] and processes_with("/grader/runner.py") == []


def test_gradebook_holds_the_trusted_points(batch):
    book = gradebook_points(batch["course"])
    for r in batch["rows"]:
        if r["status"] == "missing":
            continue
        cells = [
            v
            for (s, lesson, g), v in book.items()
            if s == r["student"] and lesson == r["lesson"] and g.rsplit("_", 1)[0] == r["exercise"]
        ]
        assert cells and sum(cells) == float(r["points"]), r


def test_red_team_attacks_leave_no_trace(batch):
    report = batch["report"]
    lines = report.splitlines()
    assert not any(line.startswith("ada/") for line in lines)  # no forged line about a classmate
    assert "report_inject/02_computational_graphs: tried to write " in report
    assert "hook_disarm/02_computational_graphs: tried gc.get_objects" in report
    assert "dir_fd_source/02_computational_graphs: tried to open the folder" in report
    page = (batch["course"] / "feedback" / "leak_cases" / f"{LESSONS[0]}.html").read_text()
    hidden_row = page[page.index("the grading checks") :].split("</tr>", 1)[0]
    assert "raised ValueError" in hidden_row and "LEAK" not in hidden_row  # no message from a secret case


def test_feedback_page_without_the_secret_cases(batch):
    page = (batch["course"] / "feedback" / "table" / f"{LESSONS[0]}.html").read_text()
    assert "multiply_backward" in page and "0 / 1" in page and "grading case" in page
    assert "with inputs" not in page.split("grading case", 1)[1].split("</tr>", 1)[0]


def test_same_marks_without_the_sandbox(tmp_path):
    subs = tmp_path / "submissions"
    (subs / "ada").mkdir(parents=True)
    lesson = LESSONS[0]
    nbformat.write(notebook(lesson, solutions(lesson)), subs / "ada" / f"{lesson}.ipynb")
    with_box = grade(subs, tmp_path / "a.csv", course=tmp_path / "c1", names=[lesson])
    without = grade(subs, tmp_path / "b.csv", course=tmp_path / "c2", names=[lesson], sandbox=False)
    assert [r["points"] for r in with_box] == [r["points"] for r in without] == [2.0, 2.0]
    assert {r["sandbox"] for r in without} == {"none (unprotected)"}
    assert "UNPROTECTED" in (tmp_path / "b_report.txt").read_text()
