"""Catch mistakes in the integration targets before a slow VM run does.

YAML reads an unquoted assertion containing ': ' as a mapping, which Ansible only
rejects when the task runs, minutes into the guest. Every `that:` item must be a string.
"""

from __future__ import annotations

import pathlib
import sys

import yaml


def assertions(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "that":
                yield from value if isinstance(value, list) else [value]
            yield from assertions(value)
    elif isinstance(node, list):
        for item in node:
            yield from assertions(item)


def main(root: pathlib.Path) -> int:
    bad = 0
    for path in sorted(root.glob("tests/integration/targets/*/*/*.yml")):
        for item in assertions(yaml.safe_load(path.read_text())):
            if not isinstance(item, str):
                print("%s: assertion is not a string (quote it): %r" % (path, item))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
