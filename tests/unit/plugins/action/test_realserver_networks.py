# The realserver role's one-task check, run by ansible-playbook on the controller: each
# host's own variables come in Ansible's precedence (role defaults, group and host vars,
# play vars, extra vars), as a task of that host would read them, and each host picks
# its network from its bucket. Both tasks run on the controller only.
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import ansible_collections.lvs.ipvs

# the collections path this test imports the collection from (not resolved: a link may put it there)
COLLECTIONS = Path(os.path.abspath(next(iter(ansible_collections.lvs.ipvs.__path__)))).parents[2]
ARP = [["net.ipv4.conf.all.arp_announce", "2"], ["net.ipv4.conf.all.arp_ignore", "1"]]

INVENTORY = {
    "all": {
        "vars": {
            "ansible_connection": "local",
            "lvs_services": [
                {"address": "198.51.100.1", "port": 80, "forwarding_method": "route", "servers": [{"host": "web1"}, {"host": "web2"}]},
                {"address": "198.51.100.2", "port": 80, "forwarding_method": "masquerade", "servers": [{"host": "web3"}]},
            ],
        },
        "children": {
            "lvs_realservers": {
                "vars": {"realserver_dr_interface": "dummy0"},
                "hosts": {
                    "web1": {"lvs_address": "192.0.2.11"},
                    "web2": {"lvs_address": "192.0.2.12", "realserver_dr_interface": "lo"},
                    "web3": {"lvs_address": "192.0.2.13", "lvs_nat_gateway": "192.0.2.1"},
                },
            }
        },
    }
}


def _network(addresses=(), sysctls=(), gateways=(), boot=True) -> dict:
    return {
        "name": "realserver",
        "state": "present",
        "modules": [],
        "sysctls": list(sysctls),
        "addresses": [list(item) for item in addresses],
        "gateways": list(gateways),
        "gue_ports": [],
        "gre_devices": [],
        "mss_clamps": [],
        "restore": "",
        "boot": boot,
        "nftables": [],
        "nftables_content": "",
    }


# group var for web1, host var for web2, the role default's template (lvs_nat_gateway) for web3
FROM_INVENTORY = {
    "web1": _network([("dummy0", "198.51.100.1/32")], ARP),
    "web2": _network([("lo", "198.51.100.1/32")], ARP),
    "web3": _network(gateways=["192.0.2.1"]),
}
# play vars come before group and host vars
FROM_PLAY = {
    "web1": _network([("dummy9", "198.51.100.1/32")], ARP, boot=False),
    "web2": _network([("dummy9", "198.51.100.1/32")], ARP, boot=False),
    "web3": _network(gateways=["192.0.2.1"], boot=False),
}


def _play(name: str, expected: dict, play_vars: dict) -> dict:
    return {
        "name": name,
        "hosts": "lvs_realservers",
        "gather_facts": False,
        "vars": {"expected": expected, **play_vars},
        "tasks": [
            {"ansible.builtin.import_role": {"name": "lvs.ipvs.realserver", "tasks_from": "preflight"}},
            {
                "name": "Each host's network, picked from its bucket",
                "ansible.builtin.assert": {
                    "that": "_realserver_networks.networks[(inventory_hostname | hash('sha1'))[:2]][inventory_hostname] == expected[inventory_hostname]",
                    "fail_msg": "{{ _realserver_networks.networks | to_json }}",
                },
            },
        ],
    }


def _run(tmp_path: Path, plays: list, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    (tmp_path / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path))
    command = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, check=False)


def test_each_host_gets_its_network_from_its_variables_in_ansibles_precedence(tmp_path):
    plays = [
        _play("from the inventory", FROM_INVENTORY, {}),
        _play("play vars override", FROM_PLAY, {"realserver_dr_interface": "dummy9", "realserver_boot": False}),
    ]
    done = _run(tmp_path, plays)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # both plays ran their check and every host's assert
    assert done.stdout.count("Derive and check every real server's host network, once for the play") == 2
    # the check once (on the first host) and every host's assert, in each play
    recap = " ".join(done.stdout.split())
    for host, ok in (("web1", 4), ("web2", 2), ("web3", 2)):
        assert "%s : ok=%d changed=0 unreachable=0 failed=0" % (host, ok) in recap, done.stdout[-1500:]


def test_extra_vars_come_first_and_a_bad_value_fails_naming_host_and_variable(tmp_path):
    bad = json.dumps({"realserver_dr_interface": "lo\nrestore /etc/shadow"})
    done = _run(tmp_path, [_play("extra vars", FROM_INVENTORY, {})], "-e", bad)
    assert done.returncode == 2, done.stdout[-3000:]
    assert "host 'web1': realserver_dr_interface" in done.stdout, done.stdout[-3000:]
    assert "Each host's network" not in done.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("realserver_state", "gone", "host 'web2': realserver_state must be present or absent"),
        ("lvs_address", "{{ undefined_thing }}", "host 'web2': lvs_address: "),
    ],
)
def test_a_bad_host_variable_fails_the_check(tmp_path, variable, value, message):
    INVENTORY["all"]["children"]["lvs_realservers"]["hosts"]["web2"][variable] = value
    try:
        done = _run(tmp_path, [_play("one bad host", FROM_INVENTORY, {})])
    finally:
        del INVENTORY["all"]["children"]["lvs_realservers"]["hosts"]["web2"][variable]
        INVENTORY["all"]["children"]["lvs_realservers"]["hosts"]["web2"]["lvs_address"] = "192.0.2.12"
    assert done.returncode == 2, done.stdout[-3000:]
    assert message in done.stdout, done.stdout[-3000:]
    assert "Each host's network" not in done.stdout
