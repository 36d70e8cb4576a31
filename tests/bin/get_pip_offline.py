"""Stand-in for the get-pip bootstrap script ansible-test downloads from a host this
machine cannot reach. ansible-test runs it inside the fresh venv it made for a sanity
test, with pip's install options and the exact packages it wants (pip==X, ...).
tests/bin/ansible-test.sh puts that pip's wheel beside this script; pip runs from the
wheel to install itself, so no interpreter's ensurepip is needed (Debian's uses the
system's wheels, which do not run on every Python the sanity tests use)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

here = os.path.dirname(os.path.abspath(__file__))
wanted = [arg for arg in sys.argv[1:] if arg.startswith("pip==")]
wheels = glob.glob(os.path.join(here, "pip-%s-py3-none-any.whl" % wanted[0][len("pip==") :])) if wanted else []
if len(wheels) != 1:
    sys.exit("get_pip_offline: no wheel of %s beside %s" % (wanted or "pip", here))
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.run([sys.executable, os.path.join(wheels[0], "pip"), "install", "--find-links", here, *arguments], check=True)
