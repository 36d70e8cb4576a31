#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_table
short_description: Manage the whole IPVS table at once (ipvsadm -R/-S/-C/-Z)
version_added: 0.1.0
description:
  - Makes the kernel's IPVS table hold the given services and real servers, from
    O(services) or from an C(ipvsadm -S) file O(src), as the smallest list of
    netlink edits - entries that already match are not touched, so they keep their
    connections and counters (unlike C(ipvsadm -C) followed by C(ipvsadm -R)).
  - With O(purge=true) everything not listed is deleted; O(state=absent) clears the
    table. O(dest) saves the table in C(ipvsadm -Sn) format, O(zero_counters) zeroes
    counters (C(ipvsadm -Z)).
  - The whole desired table is validated before the first netlink call. The table is
    read once per run and the edits are sent in batches of 256 messages a datagram.
    When the kernel refuses an edit, the failure names it and lists in RV(applied)
    exactly the edits the kernel acknowledged (the rest of that batch included).
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
  - lvs.ipvs.lock
options:
  services:
    description:
      - The desired services, each with its real servers.
      - Mutually exclusive with O(src). When neither is given the table is left alone
        (useful with O(dest) or O(zero_counters) alone).
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Transport protocol (C(-t), C(-u), C(--sctp-service)); ignored for firewall-mark services.
        type: str
        choices: [sctp, tcp, udp]
        default: tcp
      address:
        description: Virtual IPv4 or IPv6 address (the VIP); mutually exclusive with O(services[].fwmark).
        type: str
      port:
        description: Port of the service; V(0) (every port) needs persistence.
        type: int
      fwmark:
        description: Firewall mark (C(-f)) of a firewall-mark service, 1..4294967295.
        type: int
      family:
        description: Address family (C(-6) for firewall-mark services); derived from the address when given.
        type: str
        choices: [ipv4, ipv6]
      scheduler:
        description: Scheduling algorithm (C(-s)), as in M(lvs.ipvs.ipvs_service).
        type: str
        choices: [dh, fo, lblc, lblcr, lc, mh, nq, ovf, rr, sed, sh, twos, wlc, wrr]
        default: wlc
      scheduler_flags:
        description: Scheduler flags (C(-b)); C(sh-*) for C(sh), C(mh-*) for C(mh).
        type: list
        elements: str
        choices: [mh-fallback, mh-port, sh-fallback, sh-port]
      persistent:
        description: Persistence (C(-p)); implied by the other persistence options.
        type: bool
      persistence_timeout:
        description: Persistence timeout in seconds (C(-p TIMEOUT)); 300 when persistence is on.
        type: int
      persistence_netmask:
        description: Persistence granularity (C(-M)); dotted mask or prefix length for IPv4, prefix length for IPv6.
        type: str
      persistence_engine:
        description: Persistence engine (C(--pe)).
        type: str
        choices: [sip]
      one_packet:
        description: One-packet scheduling (C(-o)), UDP and firewall-mark services only.
        type: bool
        default: false
      state:
        description:
          - V(present) makes the service (and its listed servers) present;
            V(absent) deletes the service even without O(purge).
        type: str
        choices: [absent, present]
        default: present
      servers:
        description:
          - Real servers of the service. With O(purge=true) these are all of them;
            otherwise servers not listed are kept.
        type: list
        elements: dict
        default: []
        suboptions:
          address:
            description: IPv4 or IPv6 address of the real server (C(-r)).
            type: str
            required: true
          port:
            description:
              - Port of the real server; defaults to the service port. Direct routing and
                tunnelling cannot change the port, so the service port is used for them.
            type: int
          forwarding_method:
            description: V(route) (C(-g)), V(tunnel) (C(-i)) or V(masquerade) (C(-m)).
            type: str
            choices: [masquerade, route, tunnel]
            default: route
          weight:
            description: Weight 0..2147483647 (C(-w)).
            type: int
            default: 1
          upper_threshold:
            description: Upper connection threshold 0..65535 (C(-x)); 0 is no limit.
            type: int
            default: 0
          lower_threshold:
            description: Lower connection threshold 0..65535 (C(-y)).
            type: int
            default: 0
          tunnel_type:
            description: Encapsulation for V(tunnel) (C(--tun-type)); defaults to V(ipip).
            type: str
            choices: [gre, gue, ipip]
          tunnel_port:
            description: Destination port of V(gue) encapsulation (C(--tun-port)).
            type: int
          tunnel_checksum:
            description: Checksum mode of V(gue)/V(gre) (C(--tun-nocsum), C(--tun-csum), C(--tun-remcsum)).
            type: str
            choices: [csum, nocsum, remcsum]
  src:
    description:
      - Path, on the managed host, of a file in C(ipvsadm -S) or C(ipvsadm -Sn) format
        (C(-A) and C(-a) lines with every option ipvsadm writes, short or long, names
        resolved as C(ipvsadm -R) does). Blank lines and C(#) comments are skipped.
      - Each service of the file gets the servers the file lists; a parse error names the
        file, the line and the token.
    type: path
  purge:
    description:
      - Delete every service, and every real server of a listed service, that O(services)
        or O(src) does not list, so the kernel holds exactly the given table.
      - Requires O(services) or O(src). V(services=[]) with O(purge=true) empties the table,
        once O(max_removed_percent) allows it.
    type: bool
    default: false
  max_removed_percent:
    description:
      - The blast-radius guard. A plan that deletes more than this share of the live
        services, or of the live real servers (a deleted service counts its real servers),
        is refused before any edit, in check mode as well. The failed result carries the
        whole plan in RV(commands), and the message lists the deletions, so a C(--check) run
        shows what an inventory would have removed.
      - Counted against the part of the table this task manages (O(exclude)d services do not
        count). V(100) turns the guard off; O(state=absent) is an explicit C(ipvsadm -C) and is
        not guarded.
      - The default lets a run retire up to half a table. Raise it for the run that is meant to
        remove more, such as moving a director to a new set of services.
    type: int
    default: 50
  state:
    description:
      - V(absent) deletes every service and real server (C(ipvsadm -C)); it takes
        neither O(services) nor O(src).
    type: str
    choices: [absent, present]
    default: present
  dest:
    description:
      - Save the table, after this run's changes, to this path on the managed host in
        C(ipvsadm -Sn) format (which C(ipvsadm -R) and O(src) read). The file is
        replaced atomically and only when its content differs.
      - After edits the table is read from the kernel again, still holding the table lock
        (O(lock_timeout)), and that is what the file holds; a warning says so when it differs
        from the plan (something outside the collection changed the table meanwhile). Without
        edits the file holds the table this run read.
      - A run killed before the save leaves the previous file; the next run plans against the
        kernel, applies what is missing (C(changed=true), every edit in RV(commands)), and saves.
      - Services and servers are sorted as ipvsadm sorts them, so the file equals
        C(ipvsadm -Sn) output, except that thresholds (C(-x), C(-y)) are kept -
        ipvsadm -S drops them.
    type: path
  exclude:
    description:
      - Services another manager owns, typically keepalived's C(virtual_server) blocks
        with their health checkers. This run never changes, purges, clears (O(state=absent))
        or saves (O(dest)) them, and leaves them out of RV(services), RV(servers) and the diff.
      - Listing a service both here and in O(services) or O(src) is an error.
      - O(zero_counters) without O(zero_service) still zeroes every service (C(ipvsadm -Z)
        is one kernel-wide command).
    type: list
    elements: dict
    suboptions: &service_id
      protocol:
        description: Transport protocol of the service.
        type: str
        choices: [sctp, tcp, udp]
        default: tcp
      address:
        description: Virtual address of the service.
        type: str
      port:
        description: Port of the service.
        type: int
      fwmark:
        description: Firewall mark of a firewall-mark service.
        type: int
      family:
        description: Address family of a firewall-mark service.
        type: str
        choices: [ipv4, ipv6]
  zero_counters:
    description:
      - Zero the packet, byte and connection counters (C(ipvsadm -Z)) of every service,
        or of O(zero_service) only. Reported as a change only when a counter was not zero.
    type: bool
    default: false
  zero_service:
    description: The one service whose counters O(zero_counters=true) zeroes.
    type: dict
    suboptions: *service_id
notes:
  - Counterpart of C(ipvsadm -R) (O(src)), C(-S) (O(dest)), C(-C) (O(state=absent)) and
    C(-Z) (O(zero_counters)), with C(-A/-E/-D/-a/-e/-d) as the edits it plans.
  - Firewall-mark services are stored by the kernel as TCP, as in M(lvs.ipvs.ipvs_service).
  - With more than 100 services, the result's C(invocation.module_args.services) (shown at C(-vvv))
    is their number rather than the list given, since echoing a 10,000 server table back took 13 of the
    60 seconds of a no-op task in the project's benchmark.
seealso:
  - module: lvs.ipvs.ipvs_service
  - module: lvs.ipvs.ipvs_server
  - module: lvs.ipvs.ipvs_info
"""

EXAMPLES = r"""
- name: The whole table from inventory; anything else is removed
  lvs.ipvs.ipvs_table:
    purge: true
    services:
      - address: 192.0.2.10
        port: 80
        scheduler: wrr
        servers:
          - address: 10.0.0.11
            weight: 3
          - address: 10.0.0.12
      - protocol: udp
        address: 2001:db8::10
        port: 53
        scheduler: rr
        one_packet: true
        servers:
          - address: 2001:db8::11
            forwarding_method: masquerade

- name: Restore a table saved with ipvsadm -S, as the minimal set of edits
  lvs.ipvs.ipvs_table:
    src: /etc/ipvsadm.rules
    purge: true

- name: Save the live table for the boot-time restore
  lvs.ipvs.ipvs_table:
    dest: /etc/ipvsadm.rules

- name: Delete one service without purging the rest
  lvs.ipvs.ipvs_table:
    services:
      - address: 192.0.2.10
        port: 80
        state: absent

- name: The module-managed part of a table whose HTTP service keepalived health-checks
  lvs.ipvs.ipvs_table:
    purge: true
    exclude:
      - address: 192.0.2.10
        port: 80
    services:
      - address: 192.0.2.10
        port: 9000
        scheduler: rr
        servers:
          - address: 10.0.0.11
          - address: 10.0.0.12

- name: Zero the counters of one service
  lvs.ipvs.ipvs_table:
    zero_counters: true
    zero_service:
      address: 192.0.2.10
      port: 80

- name: Clear the table (ipvsadm -C)
  lvs.ipvs.ipvs_table:
    state: absent
"""

RETURN = r"""
lock_waited:
  description: Seconds this run waited for another run to finish changing the table (V(0) in check mode); see O(lock_timeout).
  returned: success
  type: float
  sample: 0.0
commands:
  description:
    - The edits made (or that check mode would make), in order, as the ipvsadm
      commands that do the same (C(-A), C(-E), C(-D), C(-a), C(-e), C(-d)).
  returned: always
  type: list
  elements: str
  sample:
    - -A -t 192.0.2.10:80 -s wrr
    - -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 3
    - -e -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 2
    - -d -t 192.0.2.10:80 -r 10.0.0.13:80
summary:
  description: Number of edits of each kind.
  returned: always
  type: dict
  sample: {add_service: 1, edit_service: 0, delete_service: 0, add_server: 2, edit_server: 1, delete_server: 1}
services:
  description: Number of services in the table after the run.
  returned: always
  type: int
  sample: 2
servers:
  description: Number of real servers in the table after the run.
  returned: always
  type: int
  sample: 3
zeroed:
  description: Whether counters were (or in check mode would be) zeroed.
  returned: always
  type: bool
saved:
  description: Whether O(dest) was (or in check mode would be) written.
  returned: always
  type: bool
applied:
  description: On failure, the edits the kernel acknowledged before the run stopped.
  returned: failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def argument_spec() -> dict:
    """The module's options; tests and the benchmark fill in defaults from it too."""
    service_spec = dict(
        common.SERVICE_ID_SPEC,
        **common.SERVICE_OPTION_SPEC,
        state=dict(type="str", choices=["absent", "present"], default="present"),
        servers=dict(type="list", elements="dict", options=common.SERVER_SPEC, default=[]),
    )
    return dict(
        common.NAMESPACE_SPEC,
        **common.LOCK_SPEC,
        services=dict(type="list", elements="dict", options=service_spec, **common.SERVICE_ID_RULES),
        src=dict(type="path"),
        purge=dict(type="bool", default=False),
        max_removed_percent=dict(type="int", default=50),
        state=dict(type="str", choices=["absent", "present"], default="present"),
        dest=dict(type="path"),
        exclude=dict(type="list", elements="dict", options=common.SERVICE_ID_SPEC, **common.SERVICE_ID_RULES),
        zero_counters=dict(type="bool", default=False),
        zero_service=dict(type="dict", options=common.SERVICE_ID_SPEC, **common.SERVICE_ID_RULES),
    )


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("services", "src")],
        required_if=[("purge", True, ("services", "src"), True)],
    )
    common.require_libraries(module)
    echoed = {"module_args": table.echoed_args(module.params)}
    try:
        result = table.run(module.params, module.check_mode, module._diff, common.module_loader(module))
    except IpvsError as exc:
        module.fail_json(msg=exc.message, invocation=echoed, **exc.result())
    module.exit_json(invocation=echoed, **result)


if __name__ == "__main__":
    main()
