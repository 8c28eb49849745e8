"""The sandbox a submission runs in: bubblewrap, with a read-only system and a scratch folder.

:func:`run_job` starts :mod:`coursekit.instructor.runner` on one submission's job inside
``bwrap`` (Debian's ``bubblewrap``, the sandbox Flatpak uses) and returns what it sent back on
its results pipe, as plain data. The sandbox sees:

- read-only: ``/usr`` (and ``/bin``, ``/lib`` ...), a few files of ``/etc`` (the dynamic
  loader's cache, fonts, passwd), the Python installation and its site-packages;
- not coursekit's files: the runner receives coursekit's sources through a pipe (with the
  ``coursekit.grading`` package replaced by a stand-in without references or case generators,
  and without the grader's package), imports them from memory and drops them, so an answer
  finds no source of the library to load again;
- not the job either: its answer cells and cases' inputs come through the same pipe;
- ``/scratch``: an empty 64 MB tmpfs, the writable place (also HOME and TMPDIR); ``/tmp`` and
  ``/dev/shm`` are 1 MB tmpfs, and the root is remounted read-only.

Nothing else: not the instructor's course folder (gradebook, secret), not HOME, not the other
submissions, not the repository (``course/source`` holds the solutions). It has no network, its
own PID namespace (every process it starts dies with it; the runner is its init, so no other
process's descriptors are there to open), its own IPC and hostname, and runs as uid 65534 with
no capabilities. Wall time is enforced here; CPU time, memory and file size per
exercise by the runner's rlimits.

``sandbox=False`` runs the same runner as a plain process (for machines without user
namespaces, e.g. macOS): the verdicts are still decided outside the student's code, but the
student's code can read and write whatever the grading user can. The grades are then marked
unprotected.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import coursekit

HERE = Path(__file__).resolve().parent
PACKAGE = Path(coursekit.__file__).resolve().parent
SANDBOX_UID = 65534
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "fonts",
    "localtime",
    "passwd",
    "group",
    "nsswitch.conf",
)
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`) "
    "on a Linux machine whose kernel allows user namespaces; or pass --no-sandbox to grade without "
    "protection (the grades are then marked unprotected)"
)


@dataclass
class Limits:
    """Per exercise: wall and CPU seconds, memory (bytes above the runner's own), output bytes."""

    wall: float = 20.0
    cpu: int = 20
    memory: int = 1 << 30
    output: int = 8 << 20

    def updated(self, overrides: dict[str, Any] | None) -> Limits:
        """These limits with the keys of ``overrides`` (from notebook metadata) replaced."""
        values = dict(self.__dict__)
        for key, value in (overrides or {}).items():
            if key not in values:
                raise ValueError(f"unknown limit {key!r}; the limits are: {', '.join(values)}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limit {key!r} must be a positive number, got {value!r}")
            values[key] = type(values[key])(value)
        return Limits(**values)


def _send(fd: int, data: bytes) -> None:
    """Write ``data`` to a pipe and close it (the sandbox reads it while it starts)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError:  # the sandbox ended before reading all of it
        pass
    finally:
        os.close(fd)


@cache
def SOURCES_MESSAGE() -> bytes:  # noqa: N802 - a constant, computed once
    """coursekit's sources as JSON, for the runner's first message."""
    return json.dumps(package_sources()).encode()


@dataclass
class RunResult:
    """What came back from one sandbox: the exercises' entries, or why there were none."""

    entries: dict[str, Any] = field(default_factory=dict)
    status: str = "ran"  # ran | timeout | crashed
    reason: str = ""
    seconds: float = 0.0


@cache
def unavailable_reason() -> str | None:
    """None when bubblewrap works here; otherwise why not, in one sentence."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (this is {sys.platform})"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run(
        ["bwrap", *_system_mounts(), "--unshare-all", "--uid", str(SANDBOX_UID), "--", "/bin/true"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"bubblewrap cannot create a sandbox here ({probe.stderr.strip()[:200]})"
    return None


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        path = os.path.join("/etc", name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _python_paths() -> list[str]:
    """The folders the sandbox's Python needs: its installation and its site-packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    paths |= {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    paths |= {os.path.dirname(os.path.realpath(sys.executable))}
    chosen: list[str] = []
    for path in sorted((os.path.realpath(p) for p in paths if p and os.path.isdir(p)), key=len):
        if path.startswith("/usr/") or any(path.startswith(c + os.sep) for c in chosen):
            continue
        chosen.append(path)
    return chosen


def package_sources() -> dict[str, tuple[str, bool]]:
    """coursekit's modules as {name: (source, is a package)}, for the sandbox to import from memory.

    ``coursekit.grading`` is the stand-in (no references, no case generators); the grader's own
    package is left out.
    """
    sources: dict[str, tuple[str, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("instructor", "grading") or "__pycache__" in rel.parts:
            continue
        is_package = rel.name == "__init__.py"
        parts = rel.parts[:-1] if is_package else (*rel.parts[:-1], rel.stem)
        sources[".".join(("coursekit", *parts))] = (path.read_text(encoding="utf-8"), is_package)
    sources["coursekit.grading"] = ((HERE / "standin_grading.py").read_text(encoding="utf-8"), True)
    return sources


def _package_masks() -> list[str]:
    """Hide coursekit's files where a bound folder holds them (a non-editable install)."""
    package = str(PACKAGE)
    if any(package.startswith(p + os.sep) for p in _python_paths()):
        return ["--tmpfs", package]
    return []  # an editable install: its folder is not in the sandbox at all


def bwrap_command(scratch_bytes: int, fds: tuple[int, int]) -> list[str]:
    """The full bwrap command line for one job; ``fds``: (the job to read, results to write)."""
    python = os.path.realpath(sys.executable) if not _in_venv() else sys.executable
    # the empty /tmp first: later mounts (a venv or a clone under /tmp) go on top of it
    args = ["bwrap", *_system_mounts(), "--size", str(1 << 20), "--tmpfs", "/tmp"]
    args += ["--dev", "/dev", "--size", str(1 << 20), "--tmpfs", "/dev/shm", "--proc", "/proc"]
    for path in _python_paths():
        args += ["--ro-bind", path, path]
    if _in_venv():
        args += ["--ro-bind", sys.prefix, sys.prefix]
    args += _package_masks()
    args += ["--ro-bind", str(HERE / "runner.py"), "/grader/runner.py"]
    args += ["--ro-bind", str(HERE / "plain.py"), "/grader/plain.py"]
    args += ["--size", str(scratch_bytes), "--tmpfs", "/scratch", "--chdir", "/scratch"]
    args += ["--remount-ro", "/"]  # nothing writable but the sized tmpfs folders
    # --as-pid-1: the runner is the namespace's init (no bwrap process inside to inspect, and
    # signals from the answers' processes do not reach it)
    args += ["--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--clearenv"]
    for key, value in _environment("/scratch").items():
        args += ["--setenv", key, value]
    args += ["--", python, "-I", "-B", "/grader/runner.py", *map(str, fds)]
    return args


def _in_venv() -> bool:
    return sys.prefix != sys.base_prefix


def _environment(scratch: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{scratch}/.matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "COURSEKIT_SCRATCH": scratch,
    }
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed by OpenBLAS on some processors
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run_job(job: dict[str, Any], sandbox: bool = True, startup: float = 60.0) -> RunResult:
    """Run one submission's job; the wall limit is the exercises' walls (twice: two groups) plus ``startup``.

    The job and coursekit's sources go to the runner through a pipe: nothing of either is on the
    sandbox's file system.
    """
    wall = startup + sum(2 * (e["limits"]["wall"] + 1) for e in job["exercises"])
    output_limit = sum(2 * e["limits"]["output"] for e in job["exercises"]) + (1 << 20)
    message = (
        b'{"sources": ' + SOURCES_MESSAGE() + b', "job": ' + json.dumps(job, allow_nan=False).encode() + b"}"
    )
    with tempfile.TemporaryDirectory(prefix="coursekit-job-") as tmp_name:
        tmp = Path(tmp_name)
        read_fd, write_fd = os.pipe()
        in_read, in_write = os.pipe()
        if sandbox:
            reason = unavailable_reason()
            if reason:
                raise RuntimeError(f"cannot grade in a sandbox: {reason}; {INSTALL_HINT}")
            cmd = bwrap_command(64 << 20, (in_read, write_fd))
            env, cwd = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, "/"
        else:
            scratch = tmp / "scratch"
            scratch.mkdir()
            cmd = [sys.executable, "-I", "-B", str(HERE / "runner.py"), str(in_read), str(write_fd)]
            env, cwd = _environment(str(scratch)), str(scratch)
            env["COURSEKIT_NO_SANDBOX"] = "1"
        start = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(in_read, write_fd),
            start_new_session=True,
        )
        os.close(write_fd)
        os.close(in_read)
        feeder = threading.Thread(target=_send, args=(in_write, message), daemon=True)
        feeder.start()
        drain = _Tail(proc.stderr)  # read on a thread, keep the end: no file the sandbox could reach
        data, status, reason = _read_results(read_fd, proc, wall, output_limit, drain)
        feeder.join(timeout=5)
        seconds = time.monotonic() - start
    if status != "ran":
        return RunResult(status=status, reason=reason, seconds=seconds)
    try:
        message = json.loads(data)
        entries = message["exercises"]
        if not isinstance(entries, dict):
            raise ValueError("no exercises")
    except (ValueError, KeyError, TypeError):
        return RunResult(status="crashed", reason="the sandbox sent no readable results", seconds=seconds)
    return RunResult(entries=entries, seconds=seconds)


class _Tail:
    """Reads a pipe to its end on a thread, keeping the last 2,000 bytes."""

    def __init__(self, pipe: Any):
        self.data = b""
        self.thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.thread.start()

    def _read(self, pipe: Any) -> None:
        with pipe:
            while chunk := pipe.read(1 << 16):
                self.data = (self.data + chunk)[-2000:]

    def text(self) -> str:
        self.thread.join(timeout=5)
        return self.data.decode(errors="replace")


def _read_results(
    read_fd: int, proc: subprocess.Popen, wall: float, limit: int, stderr: _Tail
) -> tuple[bytes, str, str]:
    import select

    deadline = time.monotonic() + wall
    chunks, size, status, reason = [], 0, "ran", ""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                status, reason = "timeout", f"the whole submission ran longer than {wall:.0f} s"
                break
            ready, _, _ = select.select([pipe], [], [], min(left, 1.0))
            if not ready:
                if proc.poll() is not None and not select.select([pipe], [], [], 0)[0]:
                    break
                continue
            chunk = pipe.read(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                status, reason = "crashed", "the sandbox sent more output than allowed"
                break
            chunks.append(chunk)
    if status != "ran" or proc.poll() is None:
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()) if status == "ran" else 0.1)
        except subprocess.TimeoutExpired:
            if status == "ran":
                status, reason = "timeout", f"the whole submission ran longer than {wall:.0f} s"
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stderr_text = stderr.text()
    if status == "ran" and not chunks:
        tail = stderr_text.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        status, reason = "crashed", f"the grading process ended without results ({tail[0][:300]})"
    return b"".join(chunks), status, reason
