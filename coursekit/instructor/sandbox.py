"""The sandbox a submission runs in: bubblewrap, with a read-only system and a scratch folder.

:func:`run_job` starts :mod:`coursekit.instructor.runner` on one submission's job inside
``bwrap`` (Debian's ``bubblewrap``, the sandbox Flatpak uses) and returns what it sent back on
its results pipe, as plain data. The sandbox sees:

- read-only: ``/usr`` (and ``/bin``, ``/lib`` ...), a few files of ``/etc`` (the dynamic
  loader's cache, fonts, passwd), the Python installation and its site-packages, and coursekit's
  own folder, with the ``coursekit.grading`` package replaced by a stand-in (no reference
  answers, no case generators) and the grader's package hidden;
- ``/job``: this submission's job (its answer cells and the cases' inputs), read-only;
- ``/scratch``: an empty tmpfs of limited size, the only writable place (also HOME and TMPDIR).

Nothing else: not the instructor's course folder (gradebook, secret), not HOME, not the other
submissions, not the repository (``course/source`` holds the solutions). It has no network, its
own PID namespace (every process it starts dies with it), its own IPC and hostname, and runs as
uid 65534 with no capabilities. Wall time is enforced here; CPU time, memory and file size per
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


def _package_masks(tmp: Path) -> list[str]:
    """coursekit's folder, with the references replaced and the grader hidden."""
    args: list[str] = []
    package = str(PACKAGE)
    if not any(package.startswith(p + os.sep) for p in _python_paths()):
        args += ["--ro-bind", package, package]
    args += ["--tmpfs", f"{package}/grading"]  # the exercises' package: references and cases
    args += ["--ro-bind", str(HERE / "standin_grading.py"), f"{package}/grading/__init__.py"]
    args += ["--tmpfs", f"{package}/instructor"]
    empty = tmp / "empty"
    empty.write_bytes(b"")
    for cached in (PACKAGE / "__pycache__").glob("grading.*"):
        args += ["--ro-bind", str(empty), str(cached)]
    return args


def bwrap_command(job_dir: Path, tmp: Path, scratch_bytes: int, results_fd: int) -> list[str]:
    """The full bwrap command line for one job."""
    python = os.path.realpath(sys.executable) if not _in_venv() else sys.executable
    # the empty /tmp first: later mounts (a venv or a clone under /tmp) go on top of it
    args = ["bwrap", *_system_mounts(), "--tmpfs", "/tmp", "--dev", "/dev", "--proc", "/proc"]
    for path in _python_paths():
        args += ["--ro-bind", path, path]
    if _in_venv():
        args += ["--ro-bind", sys.prefix, sys.prefix]
    args += _package_masks(tmp)
    args += ["--ro-bind", str(HERE / "runner.py"), "/grader/runner.py"]
    args += ["--ro-bind", str(HERE / "plain.py"), "/grader/plain.py"]
    args += ["--ro-bind", str(job_dir), "/job"]
    args += ["--size", str(scratch_bytes), "--tmpfs", "/scratch", "--chdir", "/scratch"]
    args += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--clearenv"]
    for key, value in _environment("/scratch").items():
        args += ["--setenv", key, value]
    args += ["--", python, "-I", "-B", "/grader/runner.py", "/job/job.json", str(results_fd)]
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
    """Run one submission's job; the wall limit is the exercises' walls plus ``startup``."""
    wall = startup + sum(e["limits"]["wall"] + 1 for e in job["exercises"])
    output_limit = sum(e["limits"]["output"] for e in job["exercises"]) + (1 << 20)
    with tempfile.TemporaryDirectory(prefix="coursekit-job-") as tmp_name:
        tmp = Path(tmp_name)
        job_dir = tmp / "job"
        job_dir.mkdir()
        (job_dir / "job.json").write_text(json.dumps(job, allow_nan=False), encoding="utf-8")
        os.chmod(tmp, 0o755)
        os.chmod(job_dir, 0o755)
        os.chmod(job_dir / "job.json", 0o644)
        read_fd, write_fd = os.pipe()
        if sandbox:
            reason = unavailable_reason()
            if reason:
                raise RuntimeError(f"cannot grade in a sandbox: {reason}; {INSTALL_HINT}")
            cmd = bwrap_command(job_dir, tmp, 64 << 20, write_fd)
            env, cwd = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, "/"
        else:
            scratch = tmp / "scratch"
            scratch.mkdir()
            cmd = [sys.executable, "-I", "-B", str(HERE / "runner.py"), str(job_dir / "job.json"), str(write_fd)]
            env, cwd = _environment(str(scratch)), str(scratch)
            env["COURSEKIT_NO_SANDBOX"] = "1"
        start = time.monotonic()
        with open(tmp / "stderr.txt", "w+b") as stderr:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
            os.close(write_fd)
            data, status, reason = _read_results(read_fd, proc, wall, output_limit, stderr)
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


def _read_results(
    read_fd: int, proc: subprocess.Popen, wall: float, limit: int, stderr_file: Any
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
    stderr_file.seek(max(0, stderr_file.seek(0, 2) - 2000))
    stderr = stderr_file.read().decode(errors="replace")
    if status == "ran" and not chunks:
        tail = stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        status, reason = "crashed", f"the grading process ended without results ({tail[0][:300]})"
    return b"".join(chunks), status, reason
