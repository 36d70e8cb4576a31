"""Mermaid's JavaScript for the docs site, so that diagrams render with no network.

Fetches the pinned release from the npm registry once (cached), refuses it unless its
SHA-512 is the one pinned here (the registry's ``dist.integrity`` of that version), and
copies the ES module build - the entry point and the chunks it imports - into the
site's static folder. Directors and the people who read their docs often have no way out.

    python mermaid_assets.py CACHE_DIR STATIC_DIR
"""

from __future__ import annotations

import base64
import hashlib
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "11.12.1"
INTEGRITY = "sha512-UlIZrRariB11TY1RtTgUWp65tphtBv4CSq7vyS2ZZ2TgoMjs2nloq+wFqxiwcxlhHUvs7DPGgMjs2aeQxz5h9g=="
TARBALL = "https://registry.npmjs.org/mermaid/-/mermaid-%s.tgz" % VERSION
ENTRY = "package/dist/mermaid.esm.min.mjs"
CHUNKS = "package/dist/chunks/mermaid.esm.min/"


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetched(cache: Path) -> Path:
    """The checked tarball, downloaded unless the cache holds it already."""
    path = cache / ("mermaid-%s.tgz" % VERSION)
    if not path.exists() or integrity_of(path.read_bytes()) != INTEGRITY:
        with urllib.request.urlopen(TARBALL, timeout=120) as response:
            data = response.read()
        found = integrity_of(data)
        if found != INTEGRITY:
            sys.exit("mermaid %s from %s has checksum %s, not the pinned %s: refusing it" % (VERSION, TARBALL, found, INTEGRITY))
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def extract(tarball: Path, static: Path) -> int:
    """Copy the entry point and its chunks (no source maps) under STATIC/mermaid/."""
    count = 0
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            wanted = member.name == ENTRY or (member.name.startswith(CHUNKS) and member.name.endswith(".mjs"))
            if not (wanted and member.isfile()):
                continue
            target = static / "mermaid" / member.name[len("package/dist/") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.extractfile(member).read())
            count += 1
    return count


def main(cache: str, static: str) -> None:
    count = extract(fetched(Path(cache)), Path(static))
    print("mermaid %s (checksum verified): %d files in %s/mermaid" % (VERSION, count, static))


if __name__ == "__main__":
    main(*sys.argv[1:])
