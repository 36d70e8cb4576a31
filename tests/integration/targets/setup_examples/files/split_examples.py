"""Split a module's EXAMPLES into one tasks file per example, exactly as documented.

An example is a task of the collection plus the tasks after it that use its result
(an assert, a debug). Each file is named by its position; the index printed as JSON maps
the example's name to its file and to the variable its first task registers (added as
``_example`` when the documentation registers nothing), so the test can check the result.

    python split_examples.py MODULE OUT_DIR COLLECTIONS_PATHS
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import yaml

COLLECTION_PREFIX = "lvs.ipvs."
MODULES = Path("ansible_collections", "lvs", "ipvs", "plugins", "modules")


def module_file(module: str, collections_paths: str) -> Path:
    """The module's source in the first collection path that holds the collection."""
    for root in collections_paths.split(os.pathsep):
        candidate = Path(root, MODULES, module + ".py")
        if candidate.is_file():
            return candidate
    raise SystemExit(f"{module}: not found under {collections_paths}")


def documented_examples(module_file: Path) -> list[dict]:
    """The EXAMPLES string of the module, read without importing it."""
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise SystemExit(f"{module_file}: no EXAMPLES")


def uses_collection(task: dict) -> bool:
    return any(key.startswith(COLLECTION_PREFIX) for key in task)


def grouped(tasks: list[dict]) -> list[list[dict]]:
    groups: list[list[dict]] = []
    for task in tasks:
        if uses_collection(task) or not groups:
            groups.append([task])
        else:
            groups[-1].append(task)
    return groups


def main(module: str, out_dir: str, collections_paths: str) -> None:
    index = {}
    for number, group in enumerate(grouped(documented_examples(module_file(module, collections_paths))), start=1):
        first = group[0]
        first.setdefault("register", "_example")
        path = Path(out_dir, f"{number}.yml")
        path.write_text(yaml.safe_dump(group, sort_keys=False))
        index[first["name"]] = {"file": str(path), "register": first["register"]}
    print(json.dumps(index))


if __name__ == "__main__":
    main(*sys.argv[1:])
