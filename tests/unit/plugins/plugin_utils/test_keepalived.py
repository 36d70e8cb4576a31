# keepalived for a director: what the inventory turns into, the text rendered, and
# the refusals that must come before keepalived.conf is written.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._keepalived import KeepalivedError
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

HOSTVARS = {
    "lb1": {"lvs_address": "192.0.2.2"},
    "lb2": {"lvs_address": "192.0.2.3"},
    "web1": {"lvs_address": "192.0.2.11"},
    "web2": {"lvs_address": "192.0.2.12"},
}
CHECKED = {
    "address": "192.0.2.10",
    "port": 80,
    "scheduler": "wrr",
    "health_check": {"type": "http", "path": "/health", "status": 200, "delay_loop": 2, "connect_timeout": 1},
    "sorry_server": {"address": "192.0.2.20", "port": 80},
    "quorum": 2,
    "hysteresis": 1,
    "inhibit_on_failure": True,
    "servers": [{"host": "web1", "weight": 2}, {"host": "web2", "maintenance": True}],
}
PLAIN = {"address": "192.0.2.10", "port": 9000, "scheduler": "rr", "servers": [{"host": "web1"}, {"host": "web2", "maintenance": True}]}
VRRP = {"vrrp": True, "interface": "eth1", "priority": 150, "peers": ["lb1", "lb2"]}


def test_health_checked_services_go_to_keepalived_and_the_rest_to_the_module_path():
    result = keepalived.director_keepalived([CHECKED, PLAIN], HOSTVARS, "lb1", {})
    assert result["exclude"] == [{"address": "192.0.2.10", "port": 80}]
    assert [server["port"] for server in result["virtual_servers"]] == [80]
    assert result["virtual_servers"][0]["servers"][1] == {"address": "192.0.2.12", "forwarding_method": "route", "weight": 0, "maintenance": True}
    module_path = topology.director_table([CHECKED, PLAIN], HOSTVARS, "lb1")
    assert [entry["port"] for entry in module_path] == [9000]
    assert [server["weight"] for server in module_path[0]["servers"] if "weight" in server] == [0]
    assert result["vrrp_instances"] == [] and result["vrrp_scripts"] == []


def test_vrrp_moves_the_vips_between_unicast_peers_and_tracks_the_ipvs_table():
    extra = dict(VRRP, addresses=[{"address": "198.51.100.254/24", "interface": "eth2"}], notify={"master": "/usr/local/bin/became-master"})
    (instance,) = keepalived.director_keepalived([CHECKED, PLAIN], HOSTVARS, "lb1", extra)["vrrp_instances"]
    assert instance["virtual_ipaddresses"] == ["192.0.2.10/32", "198.51.100.254/24 dev eth2"]
    assert instance["unicast_src_ip"] == "192.0.2.2" and instance["unicast_peers"] == ["192.0.2.3"]
    assert instance["track_scripts"] == [keepalived.IPVS_TRACK_SCRIPT]


def test_ipv6_vips_get_their_own_vrrpv3_instance():
    services = [PLAIN, {"address": "2001:db8::10", "port": 80, "servers": [{"address": "2001:db8::11"}]}]
    instances = keepalived.director_keepalived(services, HOSTVARS, "lb1", dict(VRRP, unicast=False))["vrrp_instances"]
    assert [(item["name"], item["version"], item["virtual_ipaddresses"]) for item in instances] == [
        ("lvs_v4", 2, ["192.0.2.10/32"]),
        ("lvs_v6", 3, ["2001:db8::10/128"]),
    ]
    assert "unicast_peers" not in instances[1]


def test_the_auth_pass_guards_the_ipv4_instance_and_the_ipv6_one_runs_vrrpv3_without():
    services = [PLAIN, {"address": "2001:db8::10", "port": 80, "servers": [{"address": "2001:db8::11"}]}]
    config = keepalived.director_keepalived(services, HOSTVARS, "lb1", dict(VRRP, unicast=False, authenticate=True))
    text = keepalived.render(config, "secret")
    v4, v6 = text.split("vrrp_instance lvs_v6")
    assert 'auth_pass "secret"' in v4 and "authentication" not in v6 and "version 3" in v6


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"vrrp": True, "peers": ["lb2"]}, r"director_vrrp_interface \(or director_vip_interface\) must name"),
        (dict(VRRP, peers=["lb1"]), r"unicast VRRP needs at least one other director"),
        (dict(VRRP, peers=["lb1", "lb9"]), r"names host 'lb9', which is not in the inventory"),
        (dict(VRRP, peers=True), r"^host 'lb1': director_vrrp_peers must be a list, got True$"),
        (dict(VRRP, peers="lb2"), r"^host 'lb1': director_vrrp_peers must be a list, got 'lb2'$"),
        (dict(VRRP, peers=["lb2", {"name": "lb3"}]), r"^host 'lb1': director_vrrp_peers\[1\] must be an inventory host name, got \"\{'name': 'lb3'\}\"$"),
        (dict(VRRP, addresses=["not-an-address"]), r"director_vrrp_addresses\[0\]: 'not-an-address' is not an address"),
    ],
)
def test_vrrp_settings_that_cannot_work_are_refused(settings, message):
    with pytest.raises(TopologyError, match=message):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", settings)


def test_vip_groups_make_active_active_instances():
    services = [PLAIN, dict(PLAIN, address="192.0.2.20")]
    groups = [
        {"name": "web", "virtual_router_id": 51, "addresses": ["192.0.2.10"], "priority": 150},
        {"name": "api", "virtual_router_id": 52, "addresses": [{"address": "192.0.2.20/32", "interface": "eth1"}], "priority": 100},
    ]
    instances = keepalived.director_keepalived(services, HOSTVARS, "lb1", dict(VRRP, instances=groups))["vrrp_instances"]
    assert [(item["name"], item["virtual_router_id"], item["priority"], item["virtual_ipaddresses"]) for item in instances] == [
        ("web", 51, 150, ["192.0.2.10/32"]),
        ("api", 52, 100, ["192.0.2.20/32 dev eth1"]),
    ]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([{"name": "web", "virtual_router_id": 51}], r"director_vrrp_instances\[0\] needs name, virtual_router_id and addresses"),
        ([{"name": "web", "virtual_router_id": 51, "addresses": ["192.0.2.99"]}], r"no instance of director_vrrp_instances moves VIP 192.0.2.10"),
    ],
)
def test_vip_groups_must_move_every_vip(groups, message):
    with pytest.raises(KeepalivedError, match=message):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", dict(VRRP, instances=groups))


def test_unicast_for_ipv6_vips_needs_ipv6_addresses():
    services = [{"address": "2001:db8::10", "port": 80, "servers": []}]
    with pytest.raises(KeepalivedError, match=r"unicast VRRP for the IPv6 VIPs needs an IPv6 lvs_address"):
        keepalived.director_keepalived(services, HOSTVARS, "lb1", VRRP)


def rendered(services=(CHECKED, PLAIN), settings=None, auth_pass=None, **global_defs) -> str:
    config = keepalived.director_keepalived(list(services), HOSTVARS, "lb1", VRRP if settings is None else settings)
    config["global_defs"] = {"router_id": "lb1", **global_defs}
    return keepalived.render(config, auth_pass)


def test_the_rendered_configuration():
    text = rendered(settings=dict(VRRP, preempt=False, authenticate=True), auth_pass="s3cret-and-long")
    assert "global_defs {\n    enable_script_security\n    router_id lb1\n    script_user root\n}" in text
    assert 'vrrp_script lvs_ipvs_table {\n    script "/usr/bin/grep -q -e ^TCP -e ^UDP -e ^SCTP -e ^FWM /proc/net/ip_vs"' in text
    instance = text[text.index("vrrp_instance lvs_v4") : text.index("virtual_server")]
    for line in (
        "state BACKUP",
        "interface eth1",
        "virtual_router_id 51",
        "priority 150",
        "advert_int 1",
        "version 2",
        "nopreempt",
        "unicast_src_ip 192.0.2.2",
        "unicast_peer {\n        192.0.2.3\n    }",
        'auth_pass "s3cret-a"',
        "virtual_ipaddress {\n        192.0.2.10/32\n    }",
        "track_script {\n        lvs_ipvs_table\n    }",
    ):
        assert "    " + line in instance
    server = text[text.index("virtual_server 192.0.2.10 80 {") :]
    for line in ("delay_loop 2", "lb_algo wrr", "lb_kind DR", "protocol TCP", "quorum 2", "hysteresis 1", "sorry_server 192.0.2.20 80"):
        assert "\n    %s\n" % line in server
    assert "real_server 192.0.2.11 80 {\n        weight 2\n        inhibit_on_failure\n        HTTP_GET {\n" in server
    assert "url {\n                path /health\n                status_code 200\n            }\n            connect_timeout 1\n" in server
    assert "real_server 192.0.2.12 80 {\n        weight 0\n" in server
    assert "9000" not in text


@pytest.mark.parametrize(
    ("check", "block"),
    [
        ({"type": "tcp", "port": 8080}, "TCP_CHECK {\n            connect_port 8080\n            connect_timeout 3\n            retry 1\n"),
        ({"type": "https", "digest": "9b3a0c85a887a256d6939da88aabd8cd"}, "SSL_GET {\n            url {\n                path /\n                digest 9b3a"),
        ({"type": "misc", "script": "/bin/check", "timeout": 2}, 'MISC_CHECK {\n            misc_path "/bin/check"\n            misc_timeout 2\n'),
    ],
)
def test_each_checker_is_rendered(check, block):
    assert block in rendered([dict(CHECKED, health_check=check)], settings={})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"health_check": {"type": "ping"}}, r"health_check.type must be one of tcp, http, https, misc"),
        ({"health_check": {"type": "misc"}}, r"type misc needs script"),
        ({"health_check": {"type": "tcp", "digest": "x"}}, r"digest only applies to http and https"),
        ({"servers": [{"host": "web1"}, {"host": "web2", "forwarding_method": "masquerade"}]}, r"one forwarding method \(lb_kind\) per service"),
        (
            {"servers": [{"host": "web1", "tunnel_type": "gue", "tunnel_port": 6080, "forwarding_method": "tunnel"}]},
            r"tunnel_type, tunnel_port of a health-checked",
        ),
        ({"servers": []}, r"needs at least one real server; keepalived ignores a virtual server without one"),
        ({"servers": [], "sorry_server": {"address": "192.0.2.20"}}, r"needs at least one real server"),
        ({"sorry_server": {"port": 80}}, r"sorry_server needs an address"),
        # what keepalived would silently change
        ({"sorry_server": {"address": "192.0.2.20", "port": 8080}}, r"sorry_server.port 8080: with route the sorry server answers on the service's port 80"),
        ({"quorum": 3}, r"quorum 3 exceeds the real servers' total weight 2 \(servers in maintenance count 0\)"),
        ({"quorum": 2, "hysteresis": 2}, r"hysteresis 2 must be below quorum 2"),
    ],
)
def test_health_checked_services_keepalived_cannot_run_are_refused(change, message):
    with pytest.raises(KeepalivedError, match=r"host 'lb1': director_services\[0\] \(tcp 192.0.2.10:80\).*" + message):
        keepalived.director_keepalived([dict(CHECKED, **change)], HOSTVARS, "lb1", {})


INSTANCE = {"name": "vi", "interface": "eth1", "virtual_router_id": 51, "priority": 100, "virtual_ipaddresses": ["192.0.2.10/32"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"virtual_router_id": 256}, r"virtual_router_id must be between 1 and 255"),
        ({"priority": 0}, r"priority must be between 1 and 255"),
        ({"advert_int": 0.2}, r"sub-second intervals need version 3"),
        ({"advert_int": 0.2, "version": 3, "authenticate": True}, r"VRRPv3 has no authentication"),
        ({"notify": {"promoted": "x"}}, r"unknown event\(s\) promoted"),
        ({"virtual_ipaddresses": ["192.0.2.10/32", "2001:db8::10/128"]}, r"mixes IPv4 and IPv6"),
        ({"track_scripts": ["nosuch"]}, r"no vrrp_script named nosuch"),
        ({"authenticate": True}, r"asks for authentication, but no auth pass is set"),
        ({"interface": ""}, r"needs interface"),
    ],
)
def test_instances_keepalived_would_refuse_or_misread_are_refused(change, message):
    with pytest.raises(KeepalivedError, match=r"vrrp_instances\[0\].*" + message):
        keepalived.render({"vrrp_instances": [dict(INSTANCE, **change)]})


def test_a_router_id_used_twice_on_one_interface_is_refused():
    with pytest.raises(KeepalivedError, match=r"vrrp_instances\[1\]: virtual_router_id 51 is used twice on eth1"):
        keepalived.render({"vrrp_instances": [INSTANCE, dict(INSTANCE, name="other")]})


def test_sub_second_adverts_with_vrrpv3():
    text = keepalived.render({"vrrp_instances": [dict(INSTANCE, advert_int=0.2, version=3)]})
    assert "    advert_int 0.2\n    version 3\n" in text


# ----------------------------------------------------------------- hostile values
#
# Each value an inventory can put into keepalived.conf, set to each hostile string:
# the render must refuse it, naming where it was given, before any text exists.

HOSTILE = {
    "newline and a notify": 'eth0\n    notify_master "/usr/bin/id"',
    "a closing brace and a block": "x }\nvrrp_script evil {\n script /bin/id\n}",
    "a quote": 'x" notify_master "/usr/bin/id',
    "command substitution": "$(/usr/bin/id)",
    "a semicolon": "x; /usr/bin/id",
    "NUL": "x\x00y",
    "10k characters": "x" * 10000,
}
SCRIPT = {"name": "chk", "script": "/bin/true", "interval": 2}
BASE_INSTANCE = dict(INSTANCE, track_scripts=["chk"], unicast_src_ip="192.0.2.2", unicast_peers=["192.0.2.3"], track_interfaces=["eth0"])
BASE_SERVER = dict(
    {key: value for key, value in CHECKED.items() if key != "servers"},
    persistence_timeout=60,
    persistence_netmask=24,
    quorum_up="/bin/true",
    servers=[{"address": "192.0.2.11", "port": 80, "weight": 2}],
    health_check={"type": "http", "path": "/health", "virtualhost": "www.example.com", "port": 80},
)
MISC_SERVER = dict(BASE_SERVER, health_check={"type": "misc", "script": "/bin/true"})


def _set(config: dict, path: tuple, value) -> dict:
    """A deep copy of ``config`` with the value at ``path`` replaced."""
    import copy

    changed = copy.deepcopy(config)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _config(server: dict | None = None) -> dict:
    return {"global_defs": {"router_id": "lb1"}, "vrrp_scripts": [SCRIPT], "vrrp_instances": [BASE_INSTANCE], "virtual_servers": [server or BASE_SERVER]}


# (path in the keepalived role's input, the name the error must carry)
RENDERED_FIELDS = [
    (("global_defs", "router_id"), "keepalived_global_defs.router_id"),
    (("vrrp_scripts", 0, "name"), "keepalived_vrrp_scripts[0].name"),
    (("vrrp_scripts", 0, "script"), "keepalived_vrrp_scripts[0].script"),
    (("vrrp_scripts", 0, "interval"), "keepalived_vrrp_scripts[0].interval"),
    (("vrrp_instances", 0, "name"), "keepalived_vrrp_instances[0].name"),
    (("vrrp_instances", 0, "interface"), "keepalived_vrrp_instances[0].interface"),
    (("vrrp_instances", 0, "virtual_router_id"), "keepalived_vrrp_instances[0].virtual_router_id"),
    (("vrrp_instances", 0, "priority"), "keepalived_vrrp_instances[0].priority"),
    (("vrrp_instances", 0, "advert_int"), "keepalived_vrrp_instances[0].advert_int"),
    (("vrrp_instances", 0, "preempt_delay"), "keepalived_vrrp_instances[0].preempt_delay"),
    (("vrrp_instances", 0, "unicast_src_ip"), "keepalived_vrrp_instances[0].unicast_src_ip"),
    (("vrrp_instances", 0, "unicast_peers", 0), "keepalived_vrrp_instances[0].unicast_peers[0]"),
    (("vrrp_instances", 0, "virtual_ipaddresses", 0), "keepalived_vrrp_instances[0].virtual_ipaddresses[0]"),
    (("vrrp_instances", 0, "track_interfaces", 0), "keepalived_vrrp_instances[0].track_interfaces[0]"),
    (("vrrp_instances", 0, "notify"), "keepalived_vrrp_instances[0].notify.master"),
    (("virtual_servers", 0, "address"), "keepalived_virtual_servers[0]"),
    (("virtual_servers", 0, "port"), "keepalived_virtual_servers[0]"),
    (("virtual_servers", 0, "scheduler"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).scheduler"),
    (("virtual_servers", 0, "protocol"), "keepalived_virtual_servers[0]"),
    (("virtual_servers", 0, "persistence_timeout"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).persistence_timeout"),
    (("virtual_servers", 0, "persistence_netmask"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80): persistence_netmask"),
    (("virtual_servers", 0, "quorum"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).quorum"),
    (("virtual_servers", 0, "hysteresis"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).hysteresis"),
    (("virtual_servers", 0, "quorum_up"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).quorum_up"),
    (("virtual_servers", 0, "sorry_server", "address"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).sorry_server.address"),
    (("virtual_servers", 0, "sorry_server", "port"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).sorry_server.port"),
    (("virtual_servers", 0, "servers", 0, "address"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers[0].address"),
    (("virtual_servers", 0, "servers", 0, "port"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers[0].port"),
    (("virtual_servers", 0, "servers", 0, "weight"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers[0].weight"),
    (("virtual_servers", 0, "servers", 0, "upper_threshold"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers[0].upper_threshold"),
    (("virtual_servers", 0, "health_check", "delay_loop"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.delay_loop"),
    (("virtual_servers", 0, "health_check", "path"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.path"),
    (("virtual_servers", 0, "health_check", "virtualhost"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.virtualhost"),
    (("virtual_servers", 0, "health_check", "digest"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.digest"),
    (("virtual_servers", 0, "health_check", "status"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.status"),
    (("virtual_servers", 0, "health_check", "port"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.port"),
    (("virtual_servers", 0, "health_check", "connect_timeout"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.connect_timeout"),
    (("virtual_servers", 0, "health_check", "retry"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.retry"),
]


def test_every_base_rendering_is_accepted():
    assert "virtual_server 192.0.2.10 80 {" in keepalived.render(_config())
    assert 'misc_path "/bin/true"' in keepalived.render(_config(MISC_SERVER))


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize(("path", "name"), RENDERED_FIELDS, ids=[name for _path, name in RENDERED_FIELDS])
def test_a_hostile_value_is_refused_naming_its_variable(path, name, hostile):
    value = {"master": hostile} if path[-1] == "notify" else hostile
    with pytest.raises(KeepalivedError) as caught:
        keepalived.render(_set(_config(), path, value))
    assert name in str(caught.value)


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_misc_check_script_is_refused(hostile):
    with pytest.raises(KeepalivedError, match=r"health_check\.script"):
        keepalived.render(_set(_config(MISC_SERVER), ("virtual_servers", 0, "health_check", "script"), hostile))


@pytest.mark.parametrize("hostile", ['Zq"7', "Zq\n7", "Zq}7", "Zq 7", "Zq\\7", "Zq\x007"])
def test_a_bad_secret_is_refused_without_showing_it(hostile):
    config = {"vrrp_instances": [dict(INSTANCE, authenticate=True)]}
    with pytest.raises(KeepalivedError) as caught:
        keepalived.render(config, hostile)
    assert "auth pass" in str(caught.value)
    assert "Zq" not in str(caught.value)


DIRECTOR_SETTINGS = {
    "interface": "director_vrrp_interface",
    "priority": "director_vrrp_priority",
    "preempt_delay": "director_vrrp_preempt_delay",
    "advert_int": "director_vrrp_advert_int",
    "virtual_router_id": "director_vrrp_router_id",
}


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("key", list(DIRECTOR_SETTINGS))
def test_hostile_director_settings_are_refused_naming_the_variable(key, hostile):
    with pytest.raises(KeepalivedError, match=r"host 'lb1': %s " % DIRECTOR_SETTINGS[key]):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", dict(VRRP, **{key: hostile}))


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_director_lists_are_refused_naming_the_variable(hostile):
    with pytest.raises(KeepalivedError, match=r"host 'lb1': director_vrrp_track_interfaces\[0\]"):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", dict(VRRP, track_interfaces=[hostile]))
    with pytest.raises(KeepalivedError, match=r"host 'lb1': director_vrrp_notify\.master"):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", dict(VRRP, notify={"master": hostile}))
    group = {"name": "web", "virtual_router_id": 60, "addresses": ["192.0.2.10/32"], "interface": hostile}
    with pytest.raises(KeepalivedError, match=r"host 'lb1': director_vrrp_instances\[0\]\.interface"):
        keepalived.director_keepalived([PLAIN], HOSTVARS, "lb1", dict(VRRP, instances=[group]))


# values an inventory can hold where a name or a number belongs: a list, a dict
WRONG_SHAPES = {"list": [["tcp"]], "dict": {"tcp": 1}}
LOOKED_UP_FIELDS = [
    (("virtual_servers", 0, "servers"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers"),
    (("virtual_servers", 0, "servers", 0, "forwarding_method"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).servers[0].forwarding_method"),
    (("virtual_servers", 0, "scheduler_flags"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).scheduler_flags"),
    (("virtual_servers", 0, "health_check"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check"),
    (("virtual_servers", 0, "health_check", "type"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).health_check.type"),
    (("virtual_servers", 0, "persistence_engine"), "keepalived_virtual_servers[0] (tcp 192.0.2.10:80).persistence_engine"),
]


@pytest.mark.parametrize("shape", list(WRONG_SHAPES.values()), ids=list(WRONG_SHAPES))
@pytest.mark.parametrize(("path", "name"), RENDERED_FIELDS + LOOKED_UP_FIELDS, ids=[name for _path, name in RENDERED_FIELDS + LOOKED_UP_FIELDS])
def test_a_value_of_the_wrong_shape_is_refused_naming_its_variable(path, name, shape):
    value = {"master": shape} if path[-1] == "notify" else shape
    with pytest.raises(KeepalivedError) as caught:
        keepalived.render(_set(_config(), path, value))
    assert name in str(caught.value)


FWMARK_SERVER = {"fwmark": 3, "servers": [{"address": "192.0.2.11", "port": 8080}], "health_check": {"type": "tcp"}}


def test_a_firewall_mark_service_is_rendered_as_keepalived_keeps_it():
    # keepalived ignores a protocol under a mark, and clears the port of a server reached
    # by route or tunnel: neither is written, and the server's port is where the check connects
    text = keepalived.render({"virtual_servers": [FWMARK_SERVER]})
    assert "protocol" not in text and "real_server 192.0.2.11 {" in text and "connect_port 8080" in text
    masqueraded = dict(FWMARK_SERVER, servers=[{"address": "192.0.2.11", "port": 8080, "forwarding_method": "masquerade"}])
    assert "real_server 192.0.2.11 8080 {" in keepalived.render({"virtual_servers": [masqueraded]})


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("servers", 0, "port"), None, r"servers\[0\]: a firewall-mark service's server has no port of its own to check"),
        (("fwmark",), None, r"servers\[0\]\.port 8080: with route the real server answers on the service's port None"),
    ],
)
def test_a_firewall_mark_service_keepalived_would_change_is_refused(path, value, message):
    server = _set(dict(FWMARK_SERVER, address="192.0.2.10"), path, value)
    if path == ("fwmark",):
        server["port"] = None
    with pytest.raises(KeepalivedError, match=message):
        keepalived.render({"virtual_servers": [server]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # keepalived resets, skips or changes each of these, with only a warning in its log
        ({"servers": [{"address": "192.0.2.11", "port": 81}]}, r"servers\[0\]\.port 81: with route the real server answers on the service's port 80"),
        (
            {"port": 0, "persistence_timeout": None, "sorry_server": None, "servers": [{"address": "192.0.2.11", "weight": 2}]},
            r"port 0 \(any port\) is only allowed with persistence",
        ),
        (
            {"servers": [{"address": "2001:db8::11", "port": 80, "weight": 2}]},
            r"real server 2001:db8::11 of TCP 192\.0\.2\.10:80: an ipv6 real server behind an ipv4 service needs forwarding_method tunnel",
        ),
    ],
)
def test_a_virtual_server_keepalived_would_change_is_refused(change, message):
    server = dict(BASE_SERVER, **change)
    if server.get("persistence_timeout") is None:
        server.pop("persistence_timeout")
        server.pop("persistence_netmask")
    with pytest.raises(KeepalivedError, match=message):
        keepalived.render(_set(_config(server), ("vrrp_scripts",), []) | {"vrrp_instances": []})


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ("web1" * 40, r"^keepalived_virtual_servers\[0\] \(tcp 192\.0\.2\.10:80\)\.servers must be a list, got 'web1web1.{69}\.\.\.'$"),
        (["192.0.2.11"], r"^keepalived_virtual_servers\[0\] \(tcp 192\.0\.2\.10:80\)\.servers\[0\] must be a dict, got '192\.0\.2\.11'$"),
    ],
)
def test_real_servers_of_another_shape_are_refused_naming_them(servers, message):
    # a long value is cut, as in every other message of the renderer
    with pytest.raises(KeepalivedError, match=message):
        keepalived.render({"virtual_servers": [dict(BASE_SERVER, servers=servers)]})


def test_unicast_peers_speak_the_family_of_the_virtual_addresses():
    instance = dict(INSTANCE, virtual_ipaddresses=["2001:db8::10/128"], unicast_peers=["192.0.2.3"])
    with pytest.raises(
        KeepalivedError, match=r"keepalived_vrrp_instances\[0\]\.unicast_peers\[0\] 192\.0\.2\.3 is IPv4, but the instance's virtual addresses are IPv6"
    ):
        keepalived.render({"vrrp_instances": [instance]})


def test_a_global_keyword_that_takes_a_value_is_not_written_bare():
    with pytest.raises(KeepalivedError, match=r"^keepalived_global_defs\.router_id needs a value, got true$"):
        keepalived.render({"global_defs": {"router_id": True}})
    assert "    vrrp_strict\n" in keepalived.render({"global_defs": {"vrrp_strict": True}})
