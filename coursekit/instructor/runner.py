"""Runs inside the sandbox: one submission's answers on the grading cases, out as plain data.

    python -I -B runner.py JOB.json FD      (the results are written to file descriptor FD)

The job holds the lesson's setup cells (the instructor's code the answers need: imports and
helpers), the student's answer cells, and for each exercise the answer's name, how to call it,
what of coursekit it may use, and the cases' inputs. No reference answer and no expected value
is in the job, and none can be imported here: the grader masks the ``coursekit.grading`` package with a
stand-in and hides its own package. The verdicts are decided outside, by the grader.

For each exercise a child process is forked from this one (so the imports are paid once) and,
in the child, before any of the student's code runs:

1. the setup cells run (trusted code), then every function of coursekit that the exercise does
   not allow has its code replaced by a stub that raises :class:`ForbiddenCall`: a reference
   captured in any way still reaches the stub, and no original code is left in the process;
2. an audit hook (which cannot be removed) refuses to read coursekit's or the grader's files
   (so no module can be loaded again from source), to start or signal processes, and to load
   ctypes, and records attempts to write outside the scratch folder;
3. the student's answer cells run, then the answer is called on each case.

The child sends ``{status, cells, cases, forbidden, events}`` back through its own pipe; this
process keeps only that exercise's entry from that pipe, kills whatever the child left behind
(its PID namespace is the sandbox's), and writes all entries to descriptor FD, which no child
holds. This process is not dumpable, so a child cannot open its descriptors through /proc.
Limits per exercise: wall time (here), CPU time, memory and file size (rlimits in the child).
"""

from __future__ import annotations

import builtins
import gc
import json
import os
import resource
import select
import signal
import sys
import time
import traceback
import types
import warnings
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import posix  # noqa: E402

_exit = os._exit  # the child's own way out, kept before answers run

import plain  # noqa: E402  (the plain-data codec, beside this file)

RESULTS_FD = 3  # set from the command line
JOB_DIR = "/job"
SCRATCH = os.environ.get("COURSEKIT_SCRATCH", os.getcwd())
BLOCKED_EVENTS = (
    "os.fork",
    "os.forkpty",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.kill",
    "os.killpg",
    "signal.pthread_kill",
    "subprocess.Popen",
    "pty.spawn",
    "sys.setprofile",
    "sys.settrace",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "socket.connect",
    "socket.bind",
)
BLOCKED_MODULES = ("ctypes", "_ctypes", "cffi", "_posixsubprocess", "_xxsubinterpreters", "multiprocessing")


class ForbiddenCall(Exception):
    """An answer called something of coursekit that its exercise does not allow."""


def _make_dumpable_false() -> None:
    """prctl(PR_SET_DUMPABLE, 0): other processes of the same uid cannot open /proc/<pid>/fd."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]


CORE_MODULES = ("engine", "gates", "graph", "gradcheck", "jacobian", "nn", "data", "exercise_calls", "grading")


def _preimport(cells: list[dict]) -> str:
    """Import coursekit's core and what the setup cells import, once; coursekit's folder.

    The children neutralise whatever of coursekit is loaded, and cannot load more of it (its
    files are closed to them), so an answer can use nothing of coursekit that is not here.
    """
    import ast
    import importlib

    import coursekit

    for name in CORE_MODULES:
        importlib.import_module(f"coursekit.{name}")
    for cell in cells:
        if cell["kind"] != "setup":
            continue
        try:
            tree = ast.parse(cell["source"])
        except SyntaxError:
            continue
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        try:
            exec(compile(ast.Module(body=imports, type_ignores=[]), "<setup imports>", "exec"), {})
        except Exception:  # noqa: BLE001 - the setup cell reports its own error in the child
            pass
    return os.path.dirname(os.path.abspath(coursekit.__file__))


# --- in the child ----------------------------------------------------------------------------


def _stub_code(qualified: str, n_free: int) -> types.CodeType:
    """The code of a function that raises ForbiddenCall, with ``n_free`` free variables."""
    free = [f"_free{i}" for i in range(n_free)]
    lines = ["def _outer():"]
    lines += [f"    {v} = None" for v in free]
    lines.append("    def _stub(*args, **kwargs):")
    if free:
        lines.append(f"        ({', '.join(free)},)")
    lines.append(f"        raise __import__('builtins').__coursekit_forbidden__({qualified!r})")
    lines.append("    return _stub")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), f"<forbidden {qualified}>", "exec"), namespace)
    return namespace["_outer"]().__code__


def neutralise(package_dir: str, allowed: list[str], found: list[str], call: str = "function") -> int:
    """Replace the code of every coursekit function outside ``allowed``; return how many.

    Also kept: what of coursekit.exercise_calls the exercise's calling convention ``call`` needs.
    """
    from coursekit.exercise_calls import NEEDS

    calls = "coursekit.exercise_calls."
    allowed = [*allowed, *(calls + n for n in (*NEEDS[call], "gate_by_name", "<lambda>"))]

    def is_allowed(name: str) -> bool:
        return any(name == a or name.startswith(a + ".") for a in allowed)

    def forbidden(name: str) -> ForbiddenCall:
        if name not in found:
            found.append(name)
        return ForbiddenCall(f"this exercise may not use {name}")

    builtins.__coursekit_forbidden__ = forbidden  # type: ignore[attr-defined]
    count = 0
    for obj in gc.get_objects():
        if not isinstance(obj, types.FunctionType):
            continue
        code = obj.__code__
        filename = os.path.abspath(code.co_filename)
        if not filename.startswith(package_dir + os.sep) or filename.startswith(HERE + os.sep):
            continue  # not coursekit's, or the runner's own (beside it without the sandbox)
        name = f"{obj.__module__}.{obj.__qualname__}".replace(".<locals>", "")
        if is_allowed(name):
            continue
        obj.__code__ = _stub_code(name, len(code.co_freevars))
        count += 1
    return count


def _audit(package_dir: str, events: list[str]):
    blocked_roots = (package_dir + os.sep, HERE + os.sep, os.path.realpath(JOB_DIR) + os.sep)
    scratch = os.path.realpath(SCRATCH) + os.sep

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None))[:3]
            if not isinstance(path, (str, bytes)):
                return
            real = os.path.realpath(os.fsdecode(path))
            if real.startswith(blocked_roots) or real + os.sep in blocked_roots:
                _note(events, f"tried to read {real}")
                raise PermissionError(f"grading: {real} cannot be opened here")
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writes and not (real + os.sep).startswith(scratch):
                _note(events, f"tried to write {real}")
                raise PermissionError(f"grading: only the scratch folder is writable, not {real}")
        elif event == "import" and args and str(args[0]).split(".")[0] in BLOCKED_MODULES:
            _note(events, f"tried to import {args[0]}")
            raise ImportError(f"grading: {args[0]} cannot be imported here")
        elif event in BLOCKED_EVENTS or event.startswith("ctypes."):
            _note(events, f"tried {event}")
            raise PermissionError(f"grading: {event} is not allowed here")

    return hook


def _refuse_exit(*args: Any) -> None:
    raise PermissionError("grading: os._exit is not allowed here")


def _note(events: list[str], text: str) -> None:
    if len(events) < 20 and text not in events:
        events.append(text)


def _student_line(exc: BaseException) -> str:
    frames = traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False)
    for frame in reversed(frames):
        if frame.filename.startswith("<answer"):
            return f"in {frame.name}, line {frame.lineno}"
    return ""


def _error(exc: BaseException) -> dict[str, str]:
    return {
        "error": type(exc).__name__,
        "message": str(exc)[:400],
        "where": _student_line(exc),
    }


class CellTimeout(BaseException):
    """A cell ran past its time (like nbgrader's per-cell timeout); the next cells still run."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise CellTimeout("the cell ran past its time limit")


def _run_cells(cells: list[dict], namespace: dict, kind: str, seconds: float) -> list[dict]:
    report = []
    signal.signal(signal.SIGALRM, _on_alarm)
    for cell in cells:
        if cell["kind"] != kind:
            continue
        try:
            code = compile(cell["source"], f"<{kind} {cell['id']}>", "exec")
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                exec(code, namespace)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as exc:  # noqa: BLE001 - a failing cell is reported, the rest still run
            report.append({"cell": cell["id"], **_error(exc)})
    return report


def _evaluate(exercise: dict, cells: list[dict], package_dir: str) -> dict:
    """In the child: setup, neutralise, answers, then the cases. Returns the exercise's entry."""
    from coursekit.exercise_calls import CALLS

    call = CALLS[exercise["call"]]
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    per_cell = exercise["limits"]["wall"] / 3  # a looping cell leaves time for the next ones
    setup_errors = _run_cells(cells, namespace, "setup", per_cell)
    found: list[str] = []
    events: list[str] = []
    neutralise(package_dir, exercise["allowed"], found, exercise["call"])
    gc.collect()
    sys.addaudithook(_audit(package_dir, events))
    os._exit = posix._exit = _refuse_exit  # an answer cannot end the process for the next ones
    cell_errors = _run_cells(cells, namespace, "answer", per_cell)
    entry: dict[str, Any] = {"setup_errors": setup_errors, "cells": cell_errors, "cases": {}}
    answer = namespace.get(exercise["answer"])
    if answer is None:
        entry["missing"] = exercise["answer"]
    else:
        for kind, cases in exercise["cases"].items():
            results = []
            for encoded, strict in zip(cases, exercise["strict"][kind]):
                args = plain.decode(encoded)
                state = dict(over="raise", invalid="raise", divide="raise") if strict else dict(all="warn")
                with warnings.catch_warnings(record=True) as caught, np.errstate(**state):
                    warnings.simplefilter("error" if strict else "always", RuntimeWarning)
                    try:
                        result = {"value": plain.encode(call(answer, args))}
                    except MemoryError:
                        raise
                    except BaseException as exc:  # noqa: BLE001 - the answer's error, reported
                        result = _error(exc)
                result["warnings"] = [str(w.message)[:200] for w in caught[:3]]
                results.append(result)
            entry["cases"][kind] = results
    entry["forbidden"] = list(found)
    entry["events"] = list(events)
    return entry


def _child(exercise: dict, cells: list[dict], write_fd: int, package_dir: str) -> None:
    try:
        os.setpgid(0, 0)
        os.close(RESULTS_FD)
        log = os.open(os.path.join(SCRATCH, f"{exercise['name']}.log"), os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        limits = exercise["limits"]
        cpu = int(limits["cpu"])
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["output"], limits["output"]))
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (vm + limits["memory"], vm + limits["memory"]))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            entry = _evaluate(exercise, cells, package_dir)
            entry["status"] = "ran"
        except MemoryError:
            entry = {"status": "memory limit"}
        data = json.dumps(entry, allow_nan=False).encode()
    except BaseException as exc:  # noqa: BLE001 - anything else: tell the parent in one line
        data = json.dumps({"status": "crashed", "reason": f"{type(exc).__name__}: {str(exc)[:300]}"}).encode()
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view[: 1 << 16]) :]
    finally:
        _exit(0)


def _collect(pid: int, read_fd: int, limits: dict) -> dict:
    """The child's entry, or what stopped it: timeout, memory limit, output too large, crashed."""
    deadline = time.monotonic() + limits["wall"]
    chunks, size, status = [], 0, None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        size += len(chunk)
        if size > limits["output"]:
            status = "output too large"
            break
        chunks.append(chunk)
    os.close(read_fd)
    if status:
        os.kill(pid, signal.SIGKILL)
    _, wait_status = os.waitpid(pid, 0)
    if status:
        return {"status": status}
    if os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig == signal.SIGXCPU:
            return {"status": "timeout", "reason": "CPU time limit"}
        return {"status": "crashed", "reason": f"killed by signal {signal.Signals(sig).name}"}
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        return {"status": "crashed", "reason": "no readable report: the answer ended its process or wrote to its pipe"}


def _in_own_pid_namespace() -> bool:
    """True inside the sandbox: this runner is PID 2, under bubblewrap's init (PID 1)."""
    return not os.environ.get("COURSEKIT_NO_SANDBOX") and os.getpid() == 2


def _kill_leftovers(pid: int) -> None:
    """Kill what the child left behind (a daemon, a forked child).

    In the sandbox: every process but this one and its init, ``kill(-1)`` (the PID namespace is
    the sandbox's alone). Without it, only the child's own process group: ``kill(-1)`` there
    would reach every process of the grading user.
    """
    try:
        if _in_own_pid_namespace():
            os.kill(-1, signal.SIGKILL)
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def main(job_path: str, results_fd: int) -> None:
    global RESULTS_FD, JOB_DIR
    RESULTS_FD, JOB_DIR = results_fd, os.path.dirname(os.path.abspath(job_path))
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    if os.environ.get("COURSEKIT_NO_SANDBOX"):  # no mounts: put the stand-in in place by hand
        import standin_grading

        sys.modules["coursekit.grading"] = standin_grading
    _make_dumpable_false()
    package_dir = _preimport(job["cells"])
    entries = {}
    for exercise in job["exercises"]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(exercise, job["cells"], write_fd, package_dir)
        os.close(write_fd)
        entry = _collect(pid, read_fd, exercise["limits"])
        _kill_leftovers(pid)
        log = os.path.join(SCRATCH, f"{exercise['name']}.log")
        if os.path.exists(log) and os.path.getsize(log) >= exercise["limits"]["output"]:
            entry.setdefault("events", []).append(f"printed output cut at {exercise['limits']['output'] >> 20} MB")
        entries[exercise["name"]] = entry
    data = json.dumps({"exercises": entries}, allow_nan=False).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(RESULTS_FD, view) :]
    os.close(RESULTS_FD)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
