# The blast-radius guard of ipvs_table on a real table: a plan deleting more than
# max_removed_percent of the live services or real servers is refused before any edit,
# in check mode too, and applied once the share is raised.
from __future__ import annotations

import pytest
from conftest import ipvsadm
from test_concurrency import params, services

from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def run(given: dict, check_mode: bool = False) -> dict:
    return table.run(given, check_mode=check_mode, diff=True, load_module=None)


@pytest.mark.parametrize("check_mode", [True, False])
def test_an_inventory_that_lost_most_services_is_refused_before_any_edit(client, check_mode):
    run(params(services(0, 40, 5), purge=True))
    live = ipvsadm("-Sn")
    with pytest.raises(IpvsError) as caught:
        run(params(services(0, 10, 5), purge=True), check_mode=check_mode)
    assert caught.value.message.startswith(
        "refusing a plan that deletes 30 of the 40 services (75%) and 150 of the 200 real servers (75%) of the live table, "
        "more than max_removed_percent=50 allows; nothing was changed."
    )
    assert caught.value.message.endswith(" and 20 more")
    assert caught.value.result()["refused"] and len(caught.value.result()["commands"]) == 30
    assert ipvsadm("-Sn") == live


def test_servers_count_too_and_a_raised_share_applies_the_plan(client):
    run(params(services(0, 4, 10), purge=True))
    halved = [dict(entry, servers=entry["servers"][:4]) for entry in services(0, 4, 10)]
    with pytest.raises(IpvsError, match=r"deletes 24 of the 40 real servers \(60%\) of the live table"):
        run(params(halved, purge=True))
    assert ipvsadm("-Sn").count("\n-a ") == 40
    result = run(params(halved, purge=True, max_removed_percent=60))
    assert result["summary"]["delete_server"] == 24
    assert ipvsadm("-Sn").count("\n-a ") == 16
