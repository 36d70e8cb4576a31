# Hypothesis strategies for IPVS tables: services and real servers as the model builds
# them (whatever the builders refuse is not drawn), and whole tables of them.
from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).filter(lambda address: not address.is_link_local and address.ipv4_mapped is None).map(str)


@st.composite
def service_keys(draw) -> model.ServiceKey:
    if draw(st.booleans()) and draw(st.booleans()):
        return model.service_key(fwmark=draw(st.integers(1, model.MAX_FWMARK)), family=draw(st.sampled_from(["ipv4", "ipv6"])))
    address = draw(st.one_of(ipv4, ipv6))
    return model.service_key(draw(st.sampled_from(sorted(model.PROTOCOLS))), address, draw(st.integers(0, model.MAX_PORT)))


@st.composite
def services(draw, key=None) -> model.Service:
    key = key or draw(service_keys())
    scheduler = draw(st.sampled_from(model.SCHEDULERS))
    flags = draw(st.lists(st.sampled_from(sorted(model.SCHEDULER_FLAGS.get(scheduler, {}))), max_size=2)) if scheduler in model.SCHEDULER_FLAGS else []
    persistent = draw(st.booleans()) or (key.port == 0 and not key.is_fwmark)
    options = {}
    if persistent:
        options["persistence_timeout"] = draw(st.integers(1, model.MAX_TIMEOUT))
        options["persistence_netmask"] = draw(st.integers(1, model.HOST_PREFIX[key.family]))
        options["persistence_engine"] = draw(st.sampled_from(["", "sip"])) or None
    try:
        return model.build_service(
            key, scheduler, flags, persistent or None, one_packet=draw(st.booleans()) and (key.protocol == "udp" or key.is_fwmark), **options
        )
    except IpvsError:
        assume(False)


@st.composite
def dests(draw, service: model.ServiceKey) -> model.Dest:
    # what an inventory or a save file can ask for ("local" is the kernel's own rewrite of route)
    method = draw(st.sampled_from(["masquerade", "route", "tunnel"]))
    family = service.family if method != "tunnel" else draw(st.sampled_from(["ipv4", "ipv6"]))
    address = draw(ipv4 if family == "ipv4" else ipv6)
    tunnel = {}
    if method == "tunnel":
        kind = draw(st.sampled_from(sorted(model.TUNNEL_TYPES)))
        tunnel["tunnel_type"] = kind
        if kind == "gue":
            tunnel["tunnel_port"] = draw(st.integers(1, model.MAX_PORT))
            tunnel["tunnel_checksum"] = draw(st.sampled_from(sorted(model.TUNNEL_CHECKSUMS)))
        elif kind == "gre":
            tunnel["tunnel_checksum"] = draw(st.sampled_from(["csum", "nocsum"]))
    upper = draw(st.integers(0, model.MAX_THRESHOLD))
    lower = draw(st.integers(0, upper)) if upper else draw(st.integers(0, model.MAX_THRESHOLD))
    try:
        return model.build_dest(service, address, draw(st.integers(0, model.MAX_PORT)), method, draw(st.integers(0, model.MAX_WEIGHT)), upper, lower, **tunnel)
    except IpvsError:
        assume(False)


@st.composite
def tables(draw, max_services: int = 4, max_servers: int = 4) -> plan.Table:
    table = plan.Table()
    for key in draw(st.lists(service_keys(), max_size=max_services, unique=True)):
        table.services[key] = draw(services(key))
        servers = draw(st.lists(dests(key), max_size=max_servers, unique_by=lambda dest: dest.key))
        table.servers[key] = {dest.key: dest for dest in servers}
    return table
