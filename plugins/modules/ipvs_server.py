#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_server
short_description: Manage one real server of an IPVS service, and drain it (ipvsadm -a/-e/-d)
version_added: 0.1.0
description:
  - Adds, edits in place or removes one real server (destination) of an existing IPVS
    virtual service over generic netlink.
  - O(state=drained) sets the weight to 0 so the scheduler sends no new connections, and with
    O(wait_for_drain=true) waits until the server's connections have ended - the
    rolling-deploy workflow. Run it with O(state=present) again to put the server back.
  - Every option is validated before anything is changed.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
  - lvs.ipvs.lock
  - lvs.ipvs.service
options:
  service:
    required: true
  address:
    description:
      - IPv4 or IPv6 address of the real server. An address of the other family than
        the service needs O(forwarding_method=tunnel); IPv6 link-local addresses are rejected.
    type: str
    required: true
  port:
    description:
      - Port of the real server; defaults to the service port.
      - With O(forwarding_method=route) or V(tunnel) on an address service the kernel
        cannot rewrite the port, so the service port is used whatever is given, as in
        C(ipvsadm).
    type: int
  forwarding_method:
    description:
      - V(route) is direct routing (DR, C(-g)), V(tunnel) is IP-in-IP/GUE/GRE tunnelling
        (C(-i)), V(masquerade) is NAT (C(-m)).
    type: str
    choices: [masquerade, route, tunnel]
    default: route
  weight:
    description: Weight 0..2147483647 (C(-w)); a server of weight 0 gets no new connections.
    type: int
    default: 1
  upper_threshold:
    description: Upper connection threshold 0..65535 (C(-x)); 0 is no limit.
    type: int
    default: 0
  lower_threshold:
    description: Lower connection threshold 0..65535 (C(-y)); not above O(upper_threshold).
    type: int
    default: 0
  tunnel_type:
    description: Tunnel encapsulation (C(--tun-type)) with O(forwarding_method=tunnel); defaults to V(ipip).
    type: str
    choices: [gre, gue, ipip]
  tunnel_port:
    description: UDP destination port (C(--tun-port)); required with O(tunnel_type=gue), refused otherwise.
    type: int
  tunnel_checksum:
    description:
      - Checksum mode of GUE and GRE (C(--tun-nocsum), C(--tun-csum), C(--tun-remcsum));
        V(remcsum) only for GUE. Defaults to V(nocsum).
    type: str
    choices: [csum, nocsum, remcsum]
  state:
    description:
      - V(present) adds the server or edits it in place; V(absent) removes it.
      - V(drained) keeps the server with weight 0. Only O(address) and O(port)
        matter then; the other attributes stay as they are. A server that is not there
        is already drained (a warning says so).
    type: str
    choices: [absent, drained, present]
    default: present
  wait_for_drain:
    description: With O(state=drained), wait until the server's connections reach zero.
    type: bool
    default: false
  drain_connections:
    description:
      - Which connections must end. V(active) counts established connections;
        V(all) also waits for inactive ones (TIME_WAIT, FIN_WAIT, UDP), which last as
        long as the IPVS timeouts.
    type: str
    choices: [active, all]
    default: active
  drain_timeout:
    description: Seconds to wait before failing; the weight stays 0 after a timeout.
    type: int
    default: 300
  drain_poll_interval:
    description: Seconds between two reads of the connection counters.
    type: float
    default: 1.0
notes:
  - The service named by O(service) must exist; a missing service fails the task for every O(state).
  - Counterparts of C(ipvsadm -a) (add), C(-e) (edit) and C(-d) (delete).
  - "How draining behaves depends on two director sysctls. With persistence, a client
    whose persistence template still points at a drained server keeps being sent there
    until the template expires, unless C(net.ipv4.vs.expire_quiescent_template=1) expires
    templates of weight-0 servers at once. C(net.ipv4.vs.conn_reuse_mode) decides whether
    a new connection that reuses the port of an old one is rescheduled (C(1), the
    default) or follows the old entry to the drained server (C(0)); with C(1) a drained
    server stops seeing reused ports too. C(net.ipv4.vs.expire_nodest_conn=1) drops
    connections of servers that are removed entirely."
seealso:
  - module: lvs.ipvs.ipvs_service
  - module: lvs.ipvs.ipvs_info
"""

EXAMPLES = r"""
- name: Add a NAT real server on another port
  lvs.ipvs.ipvs_server:
    service: {address: 192.0.2.10, port: 80}
    address: 10.0.0.21
    port: 8080
    forwarding_method: masquerade
    weight: 5

- name: GUE-tunnelled real server of an IPv6 service, limited to 1000 connections
  lvs.ipvs.ipvs_server:
    service: {protocol: tcp, address: "2001:db8::10", port: 443}
    address: 2001:db8:1::21
    forwarding_method: tunnel
    tunnel_type: gue
    tunnel_port: 6080
    tunnel_checksum: csum
    upper_threshold: 1000
    lower_threshold: 800

- name: Take a server out for a deploy, waiting for its connections to end
  lvs.ipvs.ipvs_server:
    service: {address: 192.0.2.10, port: 80}
    address: 10.0.0.11
    state: drained
    wait_for_drain: true
    drain_timeout: 600

- name: Put it back
  lvs.ipvs.ipvs_server:
    service: {address: 192.0.2.10, port: 80}
    address: 10.0.0.11
    weight: 3

- name: Remove a server of a firewall-mark service
  lvs.ipvs.ipvs_server:
    service: {fwmark: 7}
    address: 10.0.0.12
    port: 0
    state: absent
"""

RETURN = r"""
lock_waited:
  description: Seconds this run waited for another run to finish changing the table (V(0) in check mode); see O(lock_timeout).
  returned: success
  type: float
  sample: 0.0
server:
  description: The real server after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
  contains:
    address: {description: Address., type: str, sample: 10.0.0.11}
    port: {description: Port., type: int, sample: 80}
    family: {description: Address family of the server., type: str, sample: ipv4}
    forwarding_method: {description: Forwarding method., type: str, sample: route}
    weight: {description: Weight., type: int, sample: 1}
    upper_threshold: {description: Upper threshold., type: int, sample: 0}
    lower_threshold: {description: Lower threshold., type: int, sample: 0}
    tunnel_type: {description: Tunnel type or null., type: str, sample: null}
    tunnel_port: {description: GUE port or null., type: int, sample: null}
    tunnel_checksum: {description: Tunnel checksum mode or null., type: str, sample: null}
connections:
  description:
    - Connection counters of the server when the task ended (after waiting, with O(wait_for_drain)).
  returned: when the server exists outside check mode
  type: dict
  contains:
    active: {description: Active (established) connections., type: int, sample: 0}
    inactive: {description: Inactive connections., type: int, sample: 12}
    persistent: {description: Persistence templates pointing at the server., type: int, sample: 0}
    waited: {description: Seconds spent waiting for the drain., type: float, sample: 4.0, returned: with wait_for_drain}
operations:
  description: The netlink edits made (or that would be made in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - {action: edit_server, service: TCP 192.0.2.10:80, server: "10.0.0.11:80", before: {weight: 3}, after: {weight: 0}}
applied:
  description: On failure, the operations that reached the kernel before it (or, for a drain timeout, the weight change).
  returned: failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _server as server
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(
        common.NAMESPACE_SPEC,
        **common.LOCK_SPEC,
        **common.SERVER_SPEC,
        service=dict(type="dict", required=True, options=common.SERVICE_ID_SPEC, **common.SERVICE_ID_RULES),
        state=dict(type="str", choices=["absent", "drained", "present"], default="present"),
        wait_for_drain=dict(type="bool", default=False),
        drain_connections=dict(type="str", choices=["active", "all"], default="active"),
        drain_timeout=dict(type="int", default=300),
        drain_poll_interval=dict(type="float", default=1.0),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    common.require_libraries(module)
    try:
        result = server.run(module.params, module.check_mode, module._diff, common.module_loader(module), warn=module.warn)
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
