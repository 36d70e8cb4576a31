"""Stand-in for the get-pip bootstrap script ansible-test downloads from a host this
machine cannot reach. ansible-test runs it inside the fresh venv it made for a sanity
test, with pip's install options and the exact packages it wants (pip==X, ...).
We seed pip from the standard library's ensurepip, then let that pip install them from
the package index as usual."""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.run([sys.executable, "-m", "pip", "install", *arguments], check=True)
