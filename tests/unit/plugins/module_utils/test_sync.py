from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _sync as sync
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._kernel import decode_daemon


def params(**overrides):
    base = {"role": "master", "state": "started", "interface": "lo", "syncid": 7, "sync_maxlen": None, "mcast_group": None, "mcast_port": 8848, "mcast_ttl": 1}
    base.update(overrides)
    return base


RUNNING = {"role": "master", "interface": "lo", "syncid": 7, "sync_maxlen": 1472, "mcast_group": "224.0.0.81", "mcast_port": 8848, "mcast_ttl": 1}


def test_defaults_match_the_kernels():
    daemon = sync.build_daemon(params())
    assert sync.matches(RUNNING, daemon)  # sync_maxlen not given: not compared
    assert not sync.matches(RUNNING, sync.build_daemon(params(sync_maxlen=1400)))


def test_plan():
    daemon = sync.build_daemon(params())
    assert sync.plan(None, daemon) == [("start", daemon)]
    assert sync.plan(RUNNING, daemon) == []
    changed = sync.build_daemon(params(syncid=9))
    assert sync.plan(RUNNING, changed) == [("stop", RUNNING), ("start", changed)]
    assert sync.plan(RUNNING, None) == [("stop", RUNNING)]
    assert sync.plan(None, None) == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(interface="no-such-if0"), "interface 'no-such-if0' does not exist"),
        (dict(interface="x" * 16), "'xxxxxxxxxxxxxxxx' is not a valid interface name"),
        (dict(interface="eth0\x00"), "is not a valid interface name"),
        (dict(interface="eth0\nup"), "is not a valid interface name"),
        (dict(interface="eth0:1"), "is not a valid interface name"),
        (dict(interface="a/b"), "is not a valid interface name"),
        (dict(syncid=256), "syncid 256 is out of range 0..255"),
        (dict(mcast_group="192.0.2.1"), "mcast_group 192.0.2.1 is not a multicast address"),
        (dict(mcast_group="not-an-ip"), "mcast_group 'not-an-ip' is not a valid"),
        (dict(mcast_ttl=0), "mcast_ttl 0 is out of range 1..255"),
        (dict(mcast_port=70000), "mcast_port 70000 is out of range"),
    ],
)
def test_bad_daemons(overrides, message):
    with pytest.raises(IpvsError, match=message.replace(".", r"\.")):
        sync.build_daemon(params(**overrides))


@pytest.mark.parametrize("group", ["224.0.0.81", "239.1.2.3", "ff02::81"])
def test_daemon_attributes_decode_back(group):
    daemon = sync.build_daemon(params(mcast_group=group, sync_maxlen=1400, mcast_port=9000, mcast_ttl=3))
    msg = nl.ipvs_msg()
    msg["cmd"] = nl.CMD_NEW_DAEMON
    msg["attrs"] = [["IPVS_CMD_ATTR_DAEMON", {"attrs": sync.daemon_attrs(daemon)}]]
    msg.encode()
    decoded = nl.ipvs_msg(bytes(msg.data))
    decoded.decode()
    assert decode_daemon(decoded.get_attr("IPVS_CMD_ATTR_DAEMON").get_attr) == daemon.as_dict()


def test_render_is_the_ipvsadm_command():
    assert (
        sync.render(RUNNING)
        == "--start-daemon master --mcast-interface lo --syncid 7 --sync-maxlen 1472 --mcast-group 224.0.0.81 --mcast-port 8848 --mcast-ttl 1\n"
    )
    assert sync.render(None) == ""
