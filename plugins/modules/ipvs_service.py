#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_service
short_description: Manage an IPVS virtual service (ipvsadm -A/-E/-D)
version_added: 0.1.0
description:
  - Creates, edits in place or deletes one IPVS virtual service in the running kernel,
    talking to it over generic netlink (no C(ipvsadm) needed).
  - A service is identified by O(protocol), O(address) and O(port), or by a firewall
    mark O(fwmark) with its O(family).
  - The service is declarative like C(ipvsadm -E) - options left out take their
    defaults, so a rerun with the same options never changes anything.
  - With O(servers), the same task also makes the listed real servers present;
    with O(purge_servers=true) it removes every other real server of the service,
    so one task makes the whole service authoritative.
  - Every option is validated before the first change reaches the kernel. When
    the kernel refuses a change half way, the failure lists exactly what was applied.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
  - lvs.ipvs.lock
options:
  protocol:
    description:
      - Transport protocol of the service (C(-t), C(-u), C(--sctp-service)).
      - Ignored for firewall-mark services, which the kernel always stores as TCP.
    type: str
    choices: [sctp, tcp, udp]
    default: tcp
  address:
    description:
      - Virtual IPv4 or IPv6 address of the service (the VIP). Brackets around an
        IPv6 address are accepted.
      - Mutually exclusive with O(fwmark).
    type: str
  port:
    description:
      - Port of the service, 0..65535.
      - V(0) means every port and is only allowed together with persistence,
        as in C(ipvsadm).
    type: int
  fwmark:
    description:
      - Firewall mark (C(-f)) that selects the packets of the service, 1..4294967295.
        Set it with iptables/nftables C(MARK); combine with O(family=ipv6) for IPv6.
      - The P(lvs.ipvs.director#role) role sets the marks itself for a service of C(lvs_services) that
        lists the packets it groups in C(match) (its own nftables table); with this module they are yours.
    type: int
  family:
    description:
      - Address family (C(-6) for firewall-mark services). Derived from O(address)
        when that is given; must match it.
    type: str
    choices: [ipv4, ipv6]
  scheduler:
    description:
      - Scheduling algorithm (C(-s)). The kernel loads C(ip_vs_<name>) on demand; a
        scheduler that the kernel lacks fails with the module name to load.
      - C(twos) needs Linux 6.2 or later.
    type: str
    choices: [dh, fo, lblc, lblcr, lc, mh, nq, ovf, rr, sed, sh, twos, wlc, wrr]
    default: wlc
  scheduler_flags:
    description:
      - Scheduler flags (C(-b)). C(sh-fallback) and C(sh-port) apply to C(sh),
        C(mh-fallback) and C(mh-port) to C(mh); other schedulers take none.
    type: list
    elements: str
    choices: [mh-fallback, mh-port, sh-fallback, sh-port]
  persistent:
    description:
      - Make client connections stick to one real server (C(-p)).
      - Implied by O(persistence_timeout), O(persistence_netmask) or
        O(persistence_engine); setting it to V(false) with any of those fails.
    type: bool
  persistence_timeout:
    description:
      - Persistence timeout in seconds (C(-p TIMEOUT)). Defaults to 300 when
        persistence is on.
    type: int
  persistence_netmask:
    description:
      - Granularity of persistence (C(-M)) - clients in one network share a real server.
      - For IPv4 a dotted netmask such as V(255.255.255.0) or a prefix length such as V(24);
        for IPv6 a prefix length 1..128. Defaults to a single host (/32 or /128).
    type: str
  persistence_engine:
    description:
      - Persistence engine (C(--pe)); C(sip) keeps SIP calls on one server by Call-ID
        and needs module C(ip_vs_pe_sip).
    type: str
    choices: [sip]
  one_packet:
    description:
      - One-packet scheduling (C(-o)) - schedule every UDP datagram on its own.
        Only for UDP or firewall-mark services.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the service or changes it in place (connections and
        counters survive); V(absent) deletes it with all its real servers.
    type: str
    choices: [absent, present]
    default: present
  servers:
    description:
      - Real servers of the service, each as in M(lvs.ipvs.ipvs_server).
      - When omitted, the real servers are left alone.
    type: list
    elements: dict
    suboptions:
      address:
        description: IPv4 or IPv6 address of the real server.
        type: str
        required: true
      port:
        description:
          - Port of the real server; defaults to the service port.
          - For O(servers[].forwarding_method=route) and V(tunnel) on non-fwmark services the
            kernel cannot change the port, so the service port is always used, as
            C(ipvsadm) does.
        type: int
      forwarding_method:
        description: V(route) (direct routing, C(-g)), V(tunnel) (IP tunnel, C(-i)) or V(masquerade) (NAT, C(-m)).
        type: str
        choices: [masquerade, route, tunnel]
        default: route
      weight:
        description: Weight 0..2147483647 (C(-w)); 0 sends no new connections.
        type: int
        default: 1
      upper_threshold:
        description: Upper connection threshold 0..65535 (C(-x)); 0 means no limit.
        type: int
        default: 0
      lower_threshold:
        description: Lower connection threshold 0..65535 (C(-y)); must not exceed the upper one.
        type: int
        default: 0
      tunnel_type:
        description: Encapsulation for V(tunnel) (C(--tun-type)); defaults to V(ipip).
        type: str
        choices: [gre, gue, ipip]
      tunnel_port:
        description: Destination UDP port of V(gue) encapsulation (C(--tun-port)); required for V(gue).
        type: int
      tunnel_checksum:
        description: Checksum mode of V(gue) and V(gre) (C(--tun-nocsum), C(--tun-csum), C(--tun-remcsum)); defaults to V(nocsum).
        type: str
        choices: [csum, nocsum, remcsum]
  purge_servers:
    description:
      - With O(servers), remove every real server of the service that is not listed.
    type: bool
    default: false
notes:
  - Counterparts of C(ipvsadm -A) (create), C(-E) (edit) and C(-D) (delete).
  - Changing scheduler, flags, persistence or engine is an in-place edit (SET_SERVICE);
    established connections and counters survive it.
seealso:
  - module: lvs.ipvs.ipvs_server
  - module: lvs.ipvs.ipvs_info
"""

EXAMPLES = r"""
- name: Web VIP with weighted round robin and two direct-routing real servers
  lvs.ipvs.ipvs_service:
    address: 192.0.2.10
    port: 80
    scheduler: wrr
    servers:
      - address: 10.0.0.11
        weight: 3
      - address: 10.0.0.12
    purge_servers: true

- name: Persistent HTTPS service, clients of one /24 stay on one server for 30 minutes
  lvs.ipvs.ipvs_service:
    address: 192.0.2.10
    port: 443
    scheduler: lc
    persistence_timeout: 1800
    persistence_netmask: 255.255.255.0

- name: IPv6 DNS with source hashing on address and port, falling back when a server is down
  lvs.ipvs.ipvs_service:
    protocol: udp
    address: 2001:db8::53
    port: 53
    scheduler: sh
    scheduler_flags: [sh-fallback, sh-port]

- name: All ports of a VIP marked with fwmark 7, persistent (one client, one server)
  lvs.ipvs.ipvs_service:
    fwmark: 7
    family: ipv4
    scheduler: mh
    persistent: true

- name: SIP over UDP, persistent by Call-ID
  lvs.ipvs.ipvs_service:
    protocol: udp
    address: 192.0.2.20
    port: 5060
    persistence_engine: sip
    persistence_timeout: 120

- name: Remove a service and all its real servers
  lvs.ipvs.ipvs_service:
    address: 192.0.2.10
    port: 8080
    state: absent
"""

RETURN = r"""
lock_waited:
  description: Seconds this run waited for another run to finish changing the table (V(0) in check mode); see O(lock_timeout).
  returned: success
  type: float
  sample: 0.0
service:
  description: The service as it is after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    family:
      description: Address family.
      type: str
      sample: ipv4
    protocol:
      description: Protocol; null for firewall-mark services.
      type: str
      sample: tcp
    address:
      description: Virtual address; null for firewall-mark services.
      type: str
      sample: 192.0.2.10
    port:
      description: Virtual port; null for firewall-mark services.
      type: int
      sample: 80
    fwmark:
      description: Firewall mark; null for address services.
      type: int
      sample: null
    scheduler:
      description: Scheduler name.
      type: str
      sample: wrr
    scheduler_flags:
      description: Scheduler flags.
      type: list
      elements: str
      sample: []
    persistent:
      description: Whether persistence is on.
      type: bool
      sample: false
    persistence_timeout:
      description: Persistence timeout in seconds; null without persistence.
      type: int
      sample: 300
    persistence_netmask:
      description: Persistence netmask - dotted for IPv4, a prefix length for IPv6; null without persistence.
      type: str
      sample: 255.255.255.0
    persistence_engine:
      description: Persistence engine or null.
      type: str
      sample: sip
    one_packet:
      description: Whether one-packet scheduling is on.
      type: bool
      sample: false
servers:
  description:
    - Real servers of the service after the task, in ipvsadm's order, with the keys of
      M(lvs.ipvs.ipvs_server)'s RV(lvs.ipvs.ipvs_server#module:server).
  returned: always
  type: list
  elements: dict
  sample:
    - {address: 10.0.0.11, port: 80, family: ipv4, forwarding_method: route, weight: 3,
       upper_threshold: 0, lower_threshold: 0, tunnel_type: null, tunnel_port: null, tunnel_checksum: null}
operations:
  description: The netlink edits made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: dict
  sample:
    - {action: add_service, service: TCP 192.0.2.10:80, server: null, before: null, after: {scheduler: wrr}}
applied:
  description: On failure, the operations that reached the kernel before the one that failed.
  returned: failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _service as service
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(
        common.NAMESPACE_SPEC,
        **common.LOCK_SPEC,
        **common.SERVICE_ID_SPEC,
        **common.SERVICE_OPTION_SPEC,
        state=dict(type="str", choices=["absent", "present"], default="present"),
        servers=dict(type="list", elements="dict", options=common.SERVER_SPEC),
        purge_servers=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **common.SERVICE_ID_RULES)
    common.require_libraries(module)
    try:
        result = service.run(module.params, module.check_mode, module._diff, common.module_loader(module))
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
