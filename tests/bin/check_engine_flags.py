"""Run the molecule scenarios' create and destroy steps for each container engine with
a stand-in engine that records its command lines (tests/bin/engine-stub), then check
every subcommand and flag of those lines against the real client's own --help: podman's
and docker's (Debian's docker.io client, unpacked by tests/bin/setup.sh; no daemon runs
here). Fails naming the scenario, the command line and the flag.

    python tests/bin/check_engine_flags.py ROOT DOCKER_CLIENT
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

SCENARIOS = {"dr": "dr", "nat": "nat", "tun": "tun", "failover": "ha"}
# "  -f, --filter filter   Filter output" (a flag and its value's type, which may be
# several words: "pathname or URL") or "  -a, --all   Show all" (a flag alone)
HELP_LINE = re.compile(r"^\s+(?:(-\w), )?(--[\w-]+)(?: (\S.*?))?(?:\s{2,}|$)")
# subcommands that take a subcommand of their own
GROUPS = {"network", "image", "container"}


def render(root: str, scenario: str, engine: str, rootfs: str, work: str) -> list[list[str]]:
    """The engine command lines of one create + destroy run."""
    run = os.path.join(work, "%s-%s%s" % (scenario, os.path.basename(engine), "-rootfs" if rootfs else ""))
    os.makedirs(run)
    log = os.path.join(run, "commands")
    # a container left by an earlier run: create removes it first
    open(log + ".containers", "w").close()
    molecule = os.path.join(root, "extensions", "molecule")
    env = dict(
        os.environ,
        LVS_LAB_ENGINE=engine,
        LVS_LAB_ROOTFS=rootfs,
        LVS_LAB_STUB_LOG=log,
        LVS_LAB_RUN=os.path.join(run, "run"),
        LVS_LAB_SSH_KEY="",
        MOLECULE_PROJECT_DIRECTORY=root,
        MOLECULE_SCENARIO_DIRECTORY=os.path.join(molecule, scenario),
        MOLECULE_EPHEMERAL_DIRECTORY=run,
        MOLECULE_SCENARIO_NAME=scenario,
    )
    inventories = [
        os.path.join(root, "playbooks", "inventories", SCENARIOS[scenario], "hosts.yml"),
        os.path.join(molecule, "shared", "lab.yml"),
        os.path.join(molecule, scenario, "lab.yml"),
    ]
    command = ["ansible-playbook"] + ["--inventory=" + path for path in inventories]
    command += [os.path.join(molecule, "shared", "create.yml"), os.path.join(molecule, "shared", "destroy.yml")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit("%s with %s: create/destroy failed\n%s%s" % (scenario, engine, result.stdout[-3000:], result.stderr[-3000:]))
    with open(log) as stream:
        return [shlex.split(line) for line in stream if line.strip()]


def help_flags(client: str, words: tuple[str, ...], cache: dict) -> dict[str, bool] | None:
    """The flags `client words... --help` lists, each with whether it takes a value (a
    type word follows it in the help); None when the client has no such command."""
    key = (client, *words)
    if key not in cache:
        result = subprocess.run([client, *words, "--help"], capture_output=True, text=True, check=False)
        text = result.stdout + result.stderr
        flags = None
        if result.returncode == 0 and "unknown command" not in text.lower():
            flags = {"--help": False}
            for line in text.splitlines():
                match = HELP_LINE.match(line)
                if match:
                    short, name, kind = match.groups()
                    flags[name] = kind is not None
                    if short:
                        flags[short] = kind is not None
        cache[key] = flags
    return cache[key]


def command_words(argv: list[str]) -> tuple[str, ...]:
    """The engine's (sub)command of a command line: "run", "network create"..."""
    return (argv[1], argv[2]) if argv[1] in GROUPS else (argv[1],)


def problems(argv: list[str], client: str, cache: dict) -> list[str]:
    words = command_words(argv)
    flags = help_flags(client, words, cache)
    if flags is None:
        return ["%s has no command '%s'" % (client, " ".join(words))]
    found = []
    tokens = iter(argv[1 + len(words) :])
    # the engine's flags end at the first word that is neither a flag nor a flag's value
    # (the image of run, the container of exec, a network's name)
    for token in tokens:
        if not token.startswith("-"):
            break
        name = token.split("=", 1)[0]
        if name not in flags:
            found.append("%s %s: no flag %s" % (os.path.basename(client), " ".join(words), name))
        elif flags[name] and "=" not in token:
            next(tokens, None)
    return found


def main() -> int:
    root, docker = os.path.abspath(sys.argv[1]), sys.argv[2]
    clients = {"podman": "podman", "docker": docker}
    stub = os.path.join(root, "tests", "bin", "engine-stub")
    with tempfile.TemporaryDirectory() as work:
        engines = {}
        for kind in clients:
            os.makedirs(os.path.join(work, "bin", kind))
            engines[kind] = os.path.join(work, "bin", kind, kind)
            os.symlink(stub, engines[kind])
        runs = [(scenario, kind, "") for scenario in SCENARIOS for kind in clients]
        # the test VM's path: podman with a root file system instead of an image
        runs.append(("failover", "podman", "/lab/rootfs"))
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda run: render(root, run[0], engines[run[1]], run[2], work), runs))
        cache: dict = {}
        failed, counted = [], 0
        for (scenario, kind, rootfs), commands in zip(runs, results):
            subcommands = {" ".join(command_words(argv)) for argv in commands}
            if not {"run", "network create", "rm", "network rm"} <= subcommands or ("build" in subcommands) == bool(rootfs):
                failed.append("%s with %s%s: the run did not reach every step: %s" % (scenario, kind, " (rootfs)" if rootfs else "", sorted(subcommands)))
            for argv in commands:
                counted += 1
                for problem in problems(argv, clients[kind], cache):
                    failed.append("%s with %s: %s\n    %s" % (scenario, kind, problem, shlex.join(argv)))
    for line in failed:
        print(line, file=sys.stderr)
    summary = "engine flags: %d command lines of %d create/destroy runs checked against podman's and docker's help, %d problems"
    print(summary % (counted, len(runs), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
