"""``python -m coursekit.instructor``: make the student notebooks, or grade a folder of submissions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import ROOT, exit_code, generate, grade
from .batch import summary
from .sandbox import INSTALL_HINT, Limits, unavailable_reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.instructor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sn = sub.add_parser("student-notebooks", help="write notebooks/ from course/source with nbgrader")
    sn.add_argument("lessons", nargs="*", help="lesson names (default: every lesson in course/source)")
    g = sub.add_parser("grade", help="grade a folder of submissions (one folder per student)")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=Path("grades.csv"))
    g.add_argument(
        "--course",
        type=Path,
        help="the course folder: gradebook, secret, feedback "
        "(default: 'course' beside --out); keep it private",
    )
    g.add_argument("--lesson", action="append", dest="lessons", help="grade only this lesson (repeatable)")
    g.add_argument("--workers", type=int, default=None, help="submissions at once (default: cores)")
    defaults = Limits()
    g.add_argument(
        "--timeout",
        type=float,
        default=defaults.wall,
        help=f"wall seconds per exercise (default {defaults.wall:g})",
    )
    g.add_argument(
        "--cpu", type=int, default=defaults.cpu, help=f"CPU seconds per exercise (default {defaults.cpu})"
    )
    g.add_argument(
        "--memory-mb",
        type=int,
        default=defaults.memory >> 20,
        help=f"memory per exercise in MB (default {defaults.memory >> 20})",
    )
    g.add_argument(
        "--no-sandbox", action="store_true", help="grade without the sandbox (grades marked unprotected)"
    )
    args = parser.parse_args(argv)
    if args.command == "student-notebooks":
        for path in generate(names=args.lessons or None):
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if not args.no_sandbox and unavailable_reason():
        print(f"cannot grade in a sandbox: {unavailable_reason()}.\nTo fix: {INSTALL_HINT}.", file=sys.stderr)
        return 2
    if not args.submissions.is_dir():
        print(f"{args.submissions} is not a folder of submissions (one folder per student)", file=sys.stderr)
        return 2
    limits = Limits(wall=args.timeout, cpu=args.cpu, memory=args.memory_mb << 20)
    rows = grade(
        args.submissions,
        args.out,
        course=args.course,
        names=args.lessons,
        limits=limits,
        workers=args.workers,
        sandbox=not args.no_sandbox,
        progress=True,
    )
    print(summary(rows))
    print(f"{len(rows)} rows in {args.out}")
    report = args.out.with_name(args.out.stem + "_report.txt")
    if report.read_text().strip():
        print(f"problems and sandbox notes: {report}")
    return exit_code(rows)


if __name__ == "__main__":
    sys.exit(main())
