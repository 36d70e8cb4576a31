#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: conntrack_tuning
short_description: Tune netfilter conntrack and IPVS kernel settings of a director
version_added: 0.1.0
description:
  - Sets the netfilter connection-tracking limits and timeouts (C(net.netfilter.nf_conntrack_*),
    the conntrack hash table size) and the IPVS sysctls (C(net.ipv4.vs.*)) a director needs,
    reading each back first so that a rerun changes nothing.
  - With O(persist=true) it also writes C(/etc/sysctl.d/90-lvs-ipvs.conf),
    C(/etc/modprobe.d/lvs-ipvs.conf) and C(/etc/modules-load.d/lvs-ipvs.conf) so the values
    survive a reboot, and compares those files too.
  - O(expected_connections) sizes C(nf_conntrack_max) and the hash table, refusing sizes the
    host's memory (or O(memory_budget_mb)) cannot hold; RV(usage) reports how full the table is.
  - Every key and value is validated before the first write.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.namespace
options:
  conntrack:
    description:
      - Netfilter conntrack settings, by the name after C(nf_conntrack_) - V(max), V(expect_max),
        V(tcp_loose), V(tcp_be_liberal), V(tcp_max_retrans), V(acct), V(timestamp),
        V(tcp_timeout_established) (and the other C(tcp_timeout_*) states), V(udp_timeout),
        V(udp_timeout_stream), V(icmp_timeout), V(icmpv6_timeout), V(generic_timeout) - plus
        V(buckets), the hash table size (C(/sys/module/nf_conntrack/parameters/hashsize)).
      - An unknown key fails with the list of valid ones.
      - V(max) and V(buckets) can only be changed in the host's (initial) network namespace.
    type: dict
  ipvs:
    description:
      - IPVS sysctls by their name under C(net.ipv4.vs) - for example V(conntrack),
        V(expire_nodest_conn), V(expire_quiescent_template), V(conn_reuse_mode), V(sloppy_tcp),
        V(snat_reroute), V(sync_threshold) (two integers), V(sync_version), V(sync_ports),
        V(est_nice) (Linux 6.2 and later).
      - Loads C(ip_vs) first when it is missing.
      - A setting the running kernel does not have is refused before anything is written,
        naming the kernel release. In check mode a group whose module is not loaded yet
        (C(ip_vs), C(nf_conntrack)) cannot be checked.
      - Known traps get a warning - V(conntrack=1) with V(conn_reuse_mode) 1 or 3 on kernels
        before 5.9 delays a new connection from a reused client port by about a second.
    type: dict
  expected_connections:
    description:
      - Size C(nf_conntrack_max) (expected connections plus 25%) and the hash table (a power of
        two near a quarter of it) for this many connections, unless O(conntrack) sets them.
    type: int
  memory_budget_mb:
    description: With O(expected_connections), refuse a size whose conntrack memory exceeds this many MiB.
    type: int
  ipvs_conn_tab_bits:
    description:
      - Size of the IPVS connection hash table as a power of two (C(ip_vs) module parameter
        C(conn_tab_bits), 8..20). It is read-only while C(ip_vs) is loaded - with O(persist=true)
        it is written to C(/etc/modprobe.d) for the next load; O(reload_ipvs=true) reloads C(ip_vs) now.
    type: int
  reload_ipvs:
    description:
      - Reload C(ip_vs) to apply O(ipvs_conn_tab_bits). Refused while IPVS services exist, because
        a reload deletes them, unless O(force_reload=true).
    type: bool
    default: false
  force_reload:
    description: Reload C(ip_vs) even though services exist (they are lost; program them again afterwards).
    type: bool
    default: false
  persist:
    description: Also write the values to files under C(/etc) so that they survive a reboot.
    type: bool
    default: false
notes:
  - The IPVS sysctls are per network namespace; so are most conntrack timeouts.
  - C(nf_conntrack_max) should cover the director's peak of tracked connections; when the table is full
    the kernel logs C(nf_conntrack - table full, dropping packet). With C(ipvs.conntrack=0), IPVS
    direct-routing traffic can bypass conntrack entirely (see the C(NOTRACK) guides).
seealso:
  - module: lvs.ipvs.ipvs_timeouts
"""

EXAMPLES = r"""
- name: Size conntrack for two million connections and keep it across reboots
  lvs.ipvs.conntrack_tuning:
    expected_connections: 2000000
    memory_budget_mb: 1024
    conntrack:
      tcp_timeout_established: 3600
      tcp_be_liberal: 1
    persist: true

- name: IPVS behaviour for a director with drained real servers
  lvs.ipvs.conntrack_tuning:
    ipvs:
      expire_nodest_conn: 1
      expire_quiescent_template: 1
      conn_reuse_mode: 1
      sync_threshold: [3, 50]

- name: Bigger IPVS connection table, applied now (no service is defined yet)
  lvs.ipvs.conntrack_tuning:
    ipvs_conn_tab_bits: 16
    reload_ipvs: true
    persist: true
"""

RETURN = r"""
settings:
  description: The settings the task manages, as they are after it (space-separated integers).
  returned: always
  type: dict
  sample: {conntrack.max: "2500000", ipvs.sync_threshold: "3 50"}
changes:
  description: The settings that changed (or would), with their values before and after.
  returned: always
  type: dict
  sample: {conntrack.max: {before: "262144", after: "2500000"}}
files:
  description: Files under /etc written (or that would be) with O(persist=true).
  returned: always
  type: list
  elements: str
  sample: [/etc/sysctl.d/90-lvs-ipvs.conf]
sizing:
  description: With O(expected_connections), the computed max, buckets and their memory in MiB.
  returned: always
  type: dict
  sample: {max: [2500000], buckets: [1048576], memory_mib: 770.9}
usage:
  description: How full the conntrack table is now (count, max, percent); nulls when conntrack is not loaded.
  returned: always
  type: dict
  sample: {count: 5120, max: 2500000, percent: 0.2}
ipvs_conn_tab_bits:
  description: The conn_tab_bits ip_vs runs with after the task; null when ip_vs is not loaded.
  returned: always
  type: int
  sample: 12
ipvs_reloaded:
  description: Whether ip_vs was (or would be) reloaded to apply O(ipvs_conn_tab_bits).
  returned: always
  type: bool
ipvs_reload_pending:
  description: Whether O(ipvs_conn_tab_bits) differs from the running value and waits for a reload.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _tuning as tuning
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(
        common.NAMESPACE_SPEC,
        conntrack=dict(type="dict"),
        ipvs=dict(type="dict"),
        expected_connections=dict(type="int"),
        memory_budget_mb=dict(type="int"),
        ipvs_conn_tab_bits=dict(type="int"),
        reload_ipvs=dict(type="bool", default=False),
        force_reload=dict(type="bool", default=False),
        persist=dict(type="bool", default=False),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("conntrack", "ipvs", "expected_connections", "ipvs_conn_tab_bits")],
        required_by={"memory_budget_mb": "expected_connections"},
        required_if=[("reload_ipvs", True, ("ipvs_conn_tab_bits",))],
    )
    try:
        result = tuning.run(module.params, module.check_mode, module._diff, common.module_loader(module), warn=module.warn)
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
