"""Each promise of docs/promises.yml is still in its page, word for word, and each test
named for it still exists (a pytest function, or a task of a target or scenario).

    python check_promises.py ROOT
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml


def words(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (the guides wrap)."""
    return " ".join(text.split())


def missing_test(root: Path, reference: str) -> str | None:
    """Why a test reference does not resolve, or None."""
    if "::" in reference:
        path, function = reference.split("::", 1)
        pattern = r"^def %s\(" % re.escape(function)
    else:
        path, task = reference.split(": ", 1)
        pattern = r"^\s*-?\s*name: %s\s*$" % re.escape(task)
    file = root / path
    if not file.is_file():
        return "no file %s" % path
    if not re.search(pattern, file.read_text(encoding="utf-8"), re.MULTILINE):
        return "nothing in %s matches %s" % (path, reference)
    return None


def problems_of(root: Path, promises: list) -> list:
    problems = []
    for promise in promises:
        page = root / promise["page"]
        if words(promise["says"]) not in words(page.read_text(encoding="utf-8")):
            problems.append("%s no longer says: %s" % (promise["page"], promise["says"]))
        if not promise["tests"]:
            problems.append("%s: %r names no test" % (promise["page"], promise["says"]))
        problems += ["%s: %r: %s" % (promise["page"], promise["says"], why) for why in filter(None, (missing_test(root, test) for test in promise["tests"]))]
    return problems


def main(root: str) -> int:
    base = Path(root)
    promises = yaml.safe_load((base / "docs" / "promises.yml").read_text(encoding="utf-8"))
    problems = problems_of(base, promises)
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    tests = sum(len(promise["tests"]) for promise in promises)
    print("docs promises: %d, %d tests named for them, %d problems" % (len(promises), tests, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
