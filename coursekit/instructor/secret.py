"""The course's grading secret, and the grading cases drawn from it.

The secret is a random key in the instructor's course folder (``grading-secret.txt``), made at
the first grading and never in the repository or the installed library. Each exercise's
grading ("hidden") cases come from a random generator seeded with HMAC-SHA256(secret, exercise
name): the same secret gives the same cases (re-grading gives the same grades), and nobody
without it can list them. Replace or delete the file to draw new cases (keep it otherwise:
grades of earlier batches were decided on the old ones).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np

SECRET_FILE = "grading-secret.txt"


def course_secret(course_dir: Path) -> bytes:
    """The secret of the course folder, made (readable by its owner only) when missing."""
    path = Path(course_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    key = path.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{path}: the grading secret is too short (use at least 32 characters)")
    return key.encode()


def case_rng(secret: bytes, exercise: str) -> np.random.Generator:
    """The random generator of an exercise's grading cases."""
    digest = hmac.new(secret, exercise.encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))
