# Random inventories (plausible values mixed with garbage of every type) through every
# controller-side filter and renderer: each either succeeds or raises the collection's
# own error naming the host and the variable; never another exception.
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _hostnet as hostnet
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

HOSTS = ["lb1", "lb2", "web1", "web2"]
garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
address = st.sampled_from(["192.0.2.10", "192.0.2.11", "2001:db8::10", "192.0.2.300", "x", "[2001:db8::1]"])


def maybe(strategy):
    """Nine times in ten a plausible value, else garbage: plausible inputs reach the deep checks."""
    return st.integers(0, 9).flatmap(lambda roll: strategy if roll else garbage)


_SERVER_OPTIONS = {
    "port": maybe(st.integers(0, 70000)),
    "weight": maybe(st.integers(-2, 10)),
    "forwarding_method": maybe(st.sampled_from(["route", "tunnel", "masquerade", "dr"])),
    "upper_threshold": maybe(st.integers(0, 100)),
    "lower_threshold": maybe(st.integers(0, 100)),
    "tunnel_type": maybe(st.sampled_from(["ipip", "gue", "gre"])),
    "tunnel_port": maybe(st.integers(0, 70000)),
    "maintenance": maybe(st.booleans()),
}
server = st.one_of(
    st.fixed_dictionaries({"host": maybe(st.sampled_from([*HOSTS, "nowhere"]))}, optional=_SERVER_OPTIONS),
    st.fixed_dictionaries({"address": maybe(address)}, optional=_SERVER_OPTIONS),
    st.fixed_dictionaries({}, optional=dict(_SERVER_OPTIONS, host=st.sampled_from(HOSTS), address=address)),
)
health_check = st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["tcp", "http", "https", "misc"]))},
    optional={"path": maybe(st.sampled_from(["/", "/x y", "/h"])), "script": maybe(st.sampled_from(["/bin/true", "a;b"])), "port": maybe(st.integers())},
)
port_item = st.one_of(st.integers(0, 70000), st.sampled_from(["80-90", "90-80", "8a", "443", " 80", "1-65536"]))
match_item = st.fixed_dictionaries(
    {"address": maybe(address), "ports": maybe(st.lists(maybe(port_item), max_size=3))},
    optional={"protocol": maybe(st.sampled_from(["tcp", "udp", "sctp", "icmp"]))},
)
service = st.fixed_dictionaries(
    {"address": maybe(address), "port": maybe(st.integers(-1, 70000)), "servers": maybe(st.lists(maybe(server), min_size=1, max_size=3))},
    optional={
        "fwmark": maybe(st.integers(0, 10)),
        "match": maybe(st.lists(maybe(match_item), max_size=2)),
        "protocol": maybe(st.sampled_from(["tcp", "udp", "sctp", "icmp"])),
        "scheduler": maybe(st.sampled_from(["rr", "wrr", "sh", "fastest"])),
        "scheduler_flags": maybe(st.lists(st.sampled_from(["sh-port", "mh-port", "x"]), max_size=2)),
        "persistence_timeout": maybe(st.integers(-1, 1000)),
        "persistence_netmask": maybe(st.sampled_from([24, "255.255.255.0", "\u00b2", 200])),
        "forwarding_method": maybe(st.sampled_from(["route", "tunnel", "masquerade"])),
        "state": maybe(st.sampled_from(["present", "absent"])),
        "health_check": maybe(health_check),
        "quorum": maybe(st.integers(0, 5)),
        "sorry_server": maybe(st.fixed_dictionaries({"address": maybe(address)}, optional={"port": maybe(st.integers(0, 90))})),
    },
)
hostvars = st.fixed_dictionaries(
    {
        name: st.fixed_dictionaries(
            {}, optional={"lvs_address": maybe(address), "ansible_host": maybe(address), "realserver_method": maybe(st.sampled_from(["route", "tunnel"]))}
        )
        for name in HOSTS
    }
)
vrrp = st.fixed_dictionaries(
    {"vrrp": st.booleans()},
    optional={
        "interface": maybe(st.sampled_from(["eth1", "eth1\nx", ""])),
        "priority": maybe(st.integers(0, 300)),
        "advert_int": maybe(st.floats(0, 3)),
        "version": maybe(st.sampled_from([2, 3])),
        "preempt_delay": maybe(st.integers(-1, 2000)),
        "peers": maybe(st.lists(st.sampled_from(HOSTS), max_size=2)),
        "notify": maybe(st.dictionaries(st.sampled_from(["master", "fault", "x"]), maybe(st.sampled_from(["/bin/true", "a\nb"])), max_size=2)),
        "track_interfaces": maybe(st.lists(maybe(st.sampled_from(["eth0", "e th"])), max_size=2)),
    },
)
inventory = maybe(st.lists(maybe(service), min_size=1, max_size=3))


def _ours(error: Exception, host: str) -> None:
    assert isinstance(error, TopologyError), repr(error)
    assert "host '%s'" % host in str(error) or str(error).startswith("keepalived_"), str(error)
    assert len(str(error)) < 1000, "an error message must stay readable"


@settings(max_examples=400, deadline=None)
@given(inventory, hostvars, st.sampled_from(HOSTS), maybe(st.sampled_from(["eth0", "eth 0"])))
def test_director_filters_raise_only_the_collections_error(services, hvars, host, vip_interface):
    try:
        topology.director_table(services, hvars, host)
        topology.director_network(services, host, vip_interface, ["192.0.2.0/24"])
        # what it renders is read by nft -c (conftest.py)
        nftables.ruleset(topology.director_traffic(services, host, conntrack_bypass=True))
    except Exception as error:  # the property is about which exceptions escape
        _ours(error, host)


@settings(max_examples=400, deadline=None)
@given(inventory, hostvars, st.sampled_from(HOSTS), maybe(st.sampled_from(["lo", "lo:1"])), maybe(st.sampled_from(["192.0.2.1", "x"])))
def test_realserver_filters_raise_only_the_collections_error(services, hvars, host, dr_interface, gateway):
    try:
        network = topology.realserver_network(services, hvars, host, dr_interface, gateway)
        topology.realserver_entries(services, hvars, host)
        hostnet.config(host, "realserver", "present", network["modules"], network["sysctls"], network["addresses"], network["gateways"], "", True)
    except Exception as error:  # the property is about which exceptions escape
        _ours(error, host)


@settings(max_examples=400, deadline=None)
@given(inventory, hostvars, st.sampled_from(HOSTS), vrrp, maybe(st.sampled_from(["s3cret", 'x"y'])))
def test_keepalived_filters_raise_only_the_collections_error(services, hvars, host, settings_, secret):
    try:
        config = keepalived.director_keepalived(services, hvars, host, settings_)
        keepalived.render(dict(config, global_defs={"router_id": host}), secret if isinstance(secret, str) else None)
    except Exception as error:  # the property is about which exceptions escape
        _ours(error, host)


# mostly plausible, so that many inventories get as far as a table: garbage at the leaves
plausible_match_item = st.fixed_dictionaries(
    {"address": maybe(st.sampled_from(["192.0.2.10", "192.0.2.20", "2001:db8::10"])), "ports": st.lists(maybe(st.integers(1, 9)), min_size=1, max_size=3)},
    optional={"protocol": maybe(st.sampled_from(["tcp", "udp", "sctp", "icmp"]))},
)
fwmark_service = st.fixed_dictionaries(
    {"fwmark": maybe(st.integers(1, 4)), "match": st.lists(plausible_match_item, min_size=1, max_size=3)},
    optional={
        "family": maybe(st.sampled_from(["ipv4", "ipv6"])),
        "forwarding_method": maybe(st.sampled_from(["route", "tunnel", "masquerade"])),
        "state": maybe(st.sampled_from(["present", "absent"])),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fwmark_service, min_size=1, max_size=3), st.booleans())
def test_the_director_table_holds_only_what_the_model_accepted(services, bypass):
    try:
        text = nftables.ruleset(topology.director_traffic(services, "lb1", conntrack_bypass=bypass))
    except Exception as error:  # the property is about which exceptions escape
        _ours(error, "lb1")
        return
    # every rule is one of the two kinds, on one line (nft -c reads the whole file: conftest.py)
    rules = [line.strip() for line in text.splitlines() if line.startswith("\t\tip")]
    assert all(rule.endswith((" notrack",)) or " meta mark set 0x" in rule for rule in rules)


# The keepalived role's own input, as an inventory gives it (keepalived_global_defs,
# keepalived_vrrp_scripts, keepalived_vrrp_instances, keepalived_virtual_servers): the
# settings each needs are mostly there and mostly plausible, garbage anywhere.
def _mostly(good, bad):
    """The good value five times in six: a section must pass to let the next be checked."""
    return st.sampled_from([good] * 5 + [bad])


def _some(required: dict, optional: dict):
    return st.fixed_dictionaries(
        {key: maybe(strategy) for key, strategy in required.items()}, optional={key: maybe(strategy) for key, strategy in optional.items()}
    )


vrrp_script = _some({"name": _mostly("chk", "c k"), "script": _mostly("/bin/true", "a\nb")}, {"interval": st.integers(0, 5)})
vrrp_instance = _some(
    {
        "name": st.sampled_from(["vi", "vj", "v i"]),
        "interface": _mostly("eth1", "eth 1"),
        "virtual_router_id": st.integers(0, 300),
        "priority": st.integers(1, 300),
        "virtual_ipaddresses": st.lists(maybe(st.sampled_from(["192.0.2.10/32", "192.0.2.20", "2001:db8::10/128", "x"])), min_size=1, max_size=2),
    },
    {
        "version": st.sampled_from([2, 3]),
        "advert_int": st.floats(0, 3),
        "authenticate": st.booleans(),
        "track_scripts": st.lists(maybe(st.sampled_from(["chk", "other"])), max_size=2),
        "track_interfaces": st.lists(maybe(st.sampled_from(["eth0", "e th"])), max_size=2),
        "unicast_src_ip": st.sampled_from(["192.0.2.2", "x"]),
        "unicast_peers": st.lists(maybe(st.sampled_from(["192.0.2.3", "x"])), max_size=2),
        "notify": st.dictionaries(st.sampled_from(["master", "x"]), maybe(st.sampled_from(["/bin/true", "a\nb"])), max_size=2),
    },
)
real_server = _some(
    {"address": address, "port": st.integers(0, 70000)},
    {"weight": st.integers(-1, 5), "forwarding_method": st.sampled_from(["route", "masquerade", "local"])},
)
virtual_server = _some(
    {
        "address": address,
        "port": st.integers(0, 70000),
        "servers": st.lists(maybe(real_server), min_size=1, max_size=2),
        "health_check": _some(
            {"type": st.sampled_from(["tcp", "http", "misc", "ping"])}, {"script": st.sampled_from(["/bin/true", "a\nb"]), "port": st.integers(0, 70000)}
        ),
    },
    {
        "fwmark": st.integers(0, 3),
        "protocol": st.sampled_from(["tcp", "udp", "icmp"]),
        "scheduler": st.sampled_from(["wlc", "mh", "x"]),
        "scheduler_flags": st.lists(maybe(st.sampled_from(["mh-port", "sh-port", "x"])), max_size=2),
        "persistence_timeout": st.integers(-1, 100),
        "persistence_netmask": st.sampled_from([24, 64, 200, "255.255.255.0"]),
        "persistence_engine": st.sampled_from(["sip", "x"]),
        "quorum": st.integers(0, 5),
        "sorry_server": _some({"address": address}, {"port": st.integers(0, 70000)}),
    },
)
keepalived_input = _some(
    {},
    {
        "global_defs": st.dictionaries(_mostly("router_id", "Bad Key"), maybe(_mostly("lb1", "a b")), max_size=1),
        "vrrp_scripts": st.lists(maybe(vrrp_script), max_size=2),
        "vrrp_instances": st.lists(maybe(vrrp_instance), max_size=2),
        "virtual_servers": st.lists(maybe(virtual_server), max_size=2),
    },
)


@settings(max_examples=400, deadline=None)
@given(keepalived_input, maybe(st.sampled_from(["s3cret", 'x"y'])))
def test_the_keepalived_role_input_raises_only_the_collections_error(config, secret):
    try:
        # what it renders is read by keepalived -t (conftest.py)
        keepalived.render(config, secret if isinstance(secret, str) else None)
    except Exception as error:  # the property is about which exceptions escape
        assert isinstance(error, TopologyError), repr(error)
        assert str(error).startswith("keepalived_"), str(error)
        assert len(str(error)) < 1000, "an error message must stay readable"
