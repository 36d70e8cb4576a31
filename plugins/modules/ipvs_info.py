#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_info
short_description: Read the IPVS table, counters, timeouts, sync daemons and connections (ipvsadm -L)
version_added: 0.1.0
description:
  - Returns everything C(ipvsadm -L) and its list options show, as data - services
    with their persistence and scheduler flags, real servers with thresholds,
    tunnel options and connection counters, 64-bit statistics and rates, the
    IPVS timeouts, the sync daemons and, on request, the connection table.
  - Reads only. When IPVS is not loaded it reports an empty table and does not load it.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes.INFO_MODULE
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
  - lvs.ipvs.service
options:
  gather:
    description:
      - What to read. V(info) is the IPVS version and connection hash table size,
        V(services) the virtual services, V(servers) their real servers, V(stats) the
        counters and rates (C(--stats), C(--rate)), V(timeouts) the TCP/TCP FIN/UDP
        timeouts (C(--timeout)), V(daemons) the sync daemons (C(--daemon)) and
        V(connections) the connection table (C(-c)) from C(/proc/net/ip_vs_conn), and
        V(connection_states) a count of that table by protocol and state, per virtual
        address and per real server.
      - V(connections) and V(connection_states) are off by default because a busy director
        holds millions of entries. V(connection_states) alone returns counts, not entries.
    type: list
    elements: str
    choices: [connection_states, connections, daemons, info, servers, services, stats, timeouts]
    default: [info, services, servers, stats, timeouts, daemons]
  states:
    description:
      - Only connection entries in these states, for V(connections) and V(connection_states)
        (C(ipvsadm -Lnc | grep STATE)). TCP has NONE, ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT,
        TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN and SYNACK; UDP has one state, UDP; SCTP
        has NONE, INIT1, INIT, COOKIE_SENT, COOKIE_REPLIED, COOKIE_WAIT, COOKIE_ECHOED,
        ESTABLISHED, SHUTDOWN_SENT, SHUTDOWN_RECEIVED, SHUTDOWN_ACK_SENT, REJECTED and CLOSED.
        Persistence templates are NONE, or ASSURED once a connection has used them.
      - Empty means every state.
    type: list
    elements: str
    choices: [ASSURED, CLOSE, CLOSED, CLOSE_WAIT, COOKIE_ECHOED, COOKIE_REPLIED, COOKIE_SENT, COOKIE_WAIT, ESTABLISHED, FIN_WAIT, INIT, INIT1,
              LAST_ACK, LISTEN, NONE, REJECTED, SHUTDOWN_ACK_SENT, SHUTDOWN_RECEIVED, SHUTDOWN_SENT, SYNACK, SYN_RECV, SYN_SENT, TIME_WAIT, UDP]
    default: []
  sort:
    description:
      - V(true) lists services and real servers in C(ipvsadm)'s order (C(--sort)) - by
        protocol, address and port; V(false) in the order the kernel returns them (C(--nosort)).
      - The connection table is always in the kernel's order, as C(ipvsadm -Lc) prints it.
    type: bool
    default: true
notes:
  - With O(service), only that service is reported (as C(ipvsadm -L -t VIP:PORT)), and only its connections.
    Connections of firewall-mark services cannot be told apart in the kernel's table, so with O(service.fwmark)
    every connection is returned.
  - Numbers are exact and addresses numeric, as with C(ipvsadm -L -n --exact).
  - A director in a NAT topology sees both directions of a TCP connection and follows its
    whole life; in DR and TUN topologies it sees only the client's packets, so FIN_WAIT and
    CLOSE_WAIT follow the client's side alone.
seealso:
  - module: lvs.ipvs.ipvs_service
  - module: lvs.ipvs.ipvs_server
"""

EXAMPLES = r"""
- name: Read the whole table
  lvs.ipvs.ipvs_info:
  register: ipvs

- name: Fail when a VIP has no real server with weight
  ansible.builtin.assert:
    that: ipvs.services | map(attribute='servers') | map('selectattr', 'weight', 'gt', 0) | map('list') | map('length') | min > 0

- name: Established connections of one service
  lvs.ipvs.ipvs_info:
    gather: [connections]
    service: {address: 192.0.2.10, port: 80}
  register: web

- name: Show them
  ansible.builtin.debug:
    msg: "{{ web.connections | selectattr('state', 'eq', 'ESTABLISHED') | length }} established"

- name: Count half-open connections per real server (ipvsadm -Lnc | grep SYN_RECV)
  lvs.ipvs.ipvs_info:
    gather: [connection_states]
    states: [SYN_RECV]
  register: half_open

- name: Name the real servers that leave clients waiting
  ansible.builtin.debug:
    msg: "{{ half_open.connection_states.services | map(attribute='servers') | flatten | selectattr('total', 'gt', 100) | map(attribute='address') }}"
"""

RETURN = r"""
loaded:
  description: Whether IPVS is present in the running kernel.
  returned: always
  type: bool
  sample: true
version:
  description: IPVS version.
  returned: with V(info)
  type: str
  sample: 1.2.1
connection_table_size:
  description: Size of the connection hash table (C(2^conn_tab_bits)).
  returned: with V(info)
  type: int
  sample: 4096
services:
  description: Virtual services with the keys of M(lvs.ipvs.ipvs_service)'s RV(lvs.ipvs.ipvs_service#module:service), plus these.
  returned: with V(services), V(servers) or V(stats)
  type: list
  elements: dict
  contains:
    stats:
      description: Totals since creation or the last zeroing (C(--stats)) - conns, inpkts, outpkts, inbytes, outbytes.
      type: dict
      returned: with V(stats)
      sample: {conns: 12, inpkts: 80, outpkts: 0, inbytes: 5200, outbytes: 0}
    rates:
      description: Rates per second (C(--rate)) - cps, inpps, outpps, inbps, outbps.
      type: dict
      returned: with V(stats)
      sample: {cps: 1, inpps: 5, outpps: 0, inbps: 320, outbps: 0}
    servers:
      description:
        - Real servers with the keys of M(lvs.ipvs.ipvs_server)'s RV(lvs.ipvs.ipvs_server#module:server),
          plus active_connections, inactive_connections, persistent_connections and, with V(stats), stats and rates.
      type: list
      elements: dict
      returned: with V(servers)
timeouts:
  description: IPVS timeouts in seconds.
  returned: with V(timeouts)
  type: dict
  sample: {tcp: 900, tcp_fin: 120, udp: 300}
daemons:
  description: Running sync daemons.
  returned: with V(daemons)
  type: list
  elements: dict
  sample:
    - {role: master, interface: eth1, syncid: 7, sync_maxlen: 1472, mcast_group: 224.0.0.81, mcast_port: 8848, mcast_ttl: 1}
connections:
  description:
    - Connection entries; C(state) is the protocol state (ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE_WAIT, ...).
    - Persistence templates have C(template=true) and client port 0; the kernel shows their state as NONE or ASSURED.
  returned: with V(connections)
  type: list
  elements: dict
  sample:
    - {protocol: tcp, family: ipv4, client_address: 198.51.100.7, client_port: 51234, virtual_address: 192.0.2.10,
       virtual_port: 80, server_family: ipv4, server_address: 10.0.0.11, server_port: 80, state: ESTABLISHED,
       expires: 897, persistence_engine: null, persistence_data: null, template: false}
connection_states:
  description:
    - The connection table counted by protocol and state - in total, per virtual address
      and port the clients used, and per real server under it.
    - Firewall-mark services are counted under the address and port the client connected
      to, as the table does not record the mark.
  returned: with V(connection_states)
  type: dict
  contains:
    total:
      description: How many entries were counted (after O(states) and O(service)).
      type: int
    protocols:
      description: Counts per protocol and state.
      type: dict
      sample: {tcp: {ESTABLISHED: 120, SYN_RECV: 3, TIME_WAIT: 4011}, udp: {UDP: 52}}
    services:
      description: Per virtual address, with C(protocol), C(family), C(address), C(port), C(total), C(states) and C(servers) (the same counts per real server).
      type: list
      elements: dict
      sample:
        - {protocol: tcp, family: ipv4, address: 192.0.2.10, port: 80, total: 3, states: {ESTABLISHED: 2, TIME_WAIT: 1},
           servers: [{family: ipv4, address: 10.0.0.11, port: 80, total: 3, states: {ESTABLISHED: 2, TIME_WAIT: 1}}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _conn as conn
from ansible_collections.lvs.ipvs.plugins.module_utils import _info as info
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(
        common.NAMESPACE_SPEC,
        gather=dict(type="list", elements="str", choices=sorted(info.GATHER_CHOICES), default=info.GATHER_DEFAULT),
        service=dict(type="dict", options=common.SERVICE_ID_SPEC, **common.SERVICE_ID_RULES),
        states=dict(type="list", elements="str", choices=list(conn.STATES), default=[]),
        sort=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    common.require_libraries(module)
    try:
        result = info.run(module.params)
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
