"""Reading a student's notebook as untrusted data: only the answer cells, matched by grade_id.

A submission is read as JSON, leniently (any nbformat 4 minor version, cells re-ordered, new
cell ids, a byte-order mark, UTF-16/32 with a BOM, or a Latin-1 file that is not UTF-8), and
only the cells whose ``metadata.nbgrader.grade_id`` is one of the lesson's answer cells are
kept, with their source. Nothing else in it is used: test cells, points and flags come from the
instructor's notebook. A symlink, or a file that is not a regular file, is not followed.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 20 << 20


class InvalidSubmission(ValueError):
    """The file is not a notebook this grader can read; the message says why."""


@dataclass
class Submission:
    answers: dict[str, list[str]]  # answer grade_id -> the sources of the cells with that id, in order
    grade_ids: set[str]  # every grade_id in the notebook
    notes: list[str] = field(default_factory=list)


def _decode(raw: bytes, notes: list[str]) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("not UTF-8: read as Latin-1")
        return raw.decode("latin-1")


def read_submission(path: Path, answer_ids: list[str]) -> Submission:
    """The answer cells of the notebook at ``path`` (raises InvalidSubmission)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise
    if stat.S_ISLNK(info.st_mode):
        raise InvalidSubmission("is a symbolic link (not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidSubmission("is not a regular file")
    if info.st_size > MAX_BYTES:
        raise InvalidSubmission(f"is larger than {MAX_BYTES >> 20} MB")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    notes: list[str] = []
    try:
        nb = json.loads(_decode(raw, notes))
    except (ValueError, RecursionError) as exc:
        raise InvalidSubmission(f"is not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise InvalidSubmission("is not a notebook (no list of cells)")
    major = nb.get("nbformat")
    if major != 4:
        raise InvalidSubmission(f"has nbformat {major!r}; nbformat 4 notebooks are graded")
    wanted = set(answer_ids)
    answers: dict[str, list[str]] = {}
    grade_ids: set[str] = set()
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        grading = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = grading.get("grade_id") if isinstance(grading, dict) else None
        if not isinstance(grade_id, str):
            continue
        grade_ids.add(grade_id)
        if grade_id in wanted:
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(s for s in source if isinstance(s, str))
            if isinstance(source, str):
                answers.setdefault(grade_id, []).append(source)
    for grade_id, sources in answers.items():
        if len(sources) > 1:
            notes.append(f"{len(sources)} cells with grade_id {grade_id!r}: all run, in order")
    return Submission(answers, grade_ids, notes)
