# The filters turn topology errors into Ansible filter errors with the same message.
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ipvs.plugins.filter.topology import FilterModule

FILTERS = FilterModule().filters()


def test_director_topology_returns_table_and_network():
    services = [{"address": "192.0.2.10", "port": 80, "servers": [{"host": "web1"}]}]
    result = FILTERS["director_topology"](services, {"web1": {"lvs_address": "192.0.2.11"}}, "lb1", "eth1")
    assert result["table"][0]["servers"] == [{"address": "192.0.2.11", "forwarding_method": "route"}]
    assert result["network"]["addresses"] == [["eth1", "192.0.2.10/32"]]


def test_errors_become_filter_errors():
    services = [{"address": "192.0.2.10", "port": 80, "servers": [{"host": "web9"}]}]
    with pytest.raises(AnsibleFilterError, match="names host 'web9', which is not in the inventory"):
        FILTERS["realserver_topology"](services, {}, "web1")


def test_a_fleet_derived_once_serves_every_real_server():
    services = [{"address": "192.0.2.10", "port": 80, "servers": [{"host": "web1"}, {"host": "web2"}]}]
    hostvars = {"web1": {"lvs_address": "192.0.2.11"}, "web2": {"lvs_address": "192.0.2.12"}}
    fleet = FILTERS["realserver_fleet"](services, hostvars, "web1")
    for host in hostvars:
        assert FILTERS["realserver_topology"](fleet, hostvars, host) == FILTERS["realserver_topology"](services, hostvars, host)
        assert FILTERS["realserver_entries"](fleet, hostvars, host) == FILTERS["realserver_entries"](services, hostvars, host)
    with pytest.raises(AnsibleFilterError, match="names host 'web9', which is not in the inventory"):
        FILTERS["realserver_fleet"]([{"address": "192.0.2.10", "port": 80, "servers": [{"host": "web9"}]}], hostvars, "web1")
