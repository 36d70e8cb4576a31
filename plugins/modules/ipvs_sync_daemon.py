#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_sync_daemon
short_description: Start or stop an IPVS connection-sync daemon (ipvsadm --start-daemon/--stop-daemon)
version_added: 0.1.0
description:
  - A master sync daemon multicasts the director's connection entries; a backup daemon
    receives them into its own connection table, so the backup director can take over
    established connections. A director may run both roles at once (one task each).
  - The kernel cannot change a running daemon. When a parameter differs, the module stops
    the daemon and starts it again with the new parameters, and says so in RV(operations)
    and the diff. Options left out take the kernel's defaults, except O(sync_maxlen), which
    is only compared when given.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
options:
  role:
    description: Which daemon - V(master) sends, V(backup) receives.
    type: str
    choices: [backup, master]
    required: true
  state:
    description: V(started) runs the daemon with these parameters; V(stopped) stops it.
    type: str
    choices: [started, stopped]
    default: started
  interface:
    description:
      - Interface to send or receive the sync messages on (C(--mcast-interface)); must exist in
        the namespace and carry multicast. Required with O(state=started).
    type: str
  syncid:
    description:
      - Sync ID 0..255 (C(--syncid)); a backup only accepts messages with its ID, 0 accepts all.
    type: int
    default: 0
  sync_maxlen:
    description:
      - Largest sync message payload in bytes (C(--sync-maxlen)); the kernel derives it from
        the interface MTU when not given.
    type: int
  mcast_group:
    description: Multicast group (C(--mcast-group)), IPv4 or IPv6; the kernel's default is 224.0.0.81.
    type: str
  mcast_port:
    description: UDP port (C(--mcast-port)).
    type: int
    default: 8848
  mcast_ttl:
    description: Multicast TTL 1..255 (C(--mcast-ttl)).
    type: int
    default: 1
notes:
  - The kernel refuses to start a daemon while real servers of another address family than
    their service exist (tunnel mixed-family); the failure lists those servers.
  - Read the running daemons with M(lvs.ipvs.ipvs_info) (C(ipvsadm -L --daemon)).
seealso:
  - module: lvs.ipvs.ipvs_info
"""

EXAMPLES = r"""
- name: Both directors send and receive on the sync network
  lvs.ipvs.ipvs_sync_daemon:
    role: "{{ item }}"
    interface: eth1
    syncid: 7
  loop: [master, backup]

- name: Sync over IPv6 multicast
  lvs.ipvs.ipvs_sync_daemon:
    role: master
    interface: eth1
    mcast_group: ff02::81
    mcast_ttl: 1

- name: Stop the backup daemon
  lvs.ipvs.ipvs_sync_daemon:
    role: backup
    state: stopped
"""

RETURN = r"""
daemon:
  description: The daemon of O(role) after the task (as it would be, in check mode); null when stopped.
  returned: always
  type: dict
  sample: {role: master, interface: eth1, syncid: 7, sync_maxlen: 1472, mcast_group: 224.0.0.81, mcast_port: 8848, mcast_ttl: 1}
operations:
  description: What was (or would be) done, in order - C(stop) and C(start) with the daemon's parameters.
  returned: always
  type: list
  elements: dict
  sample: [{action: stop, daemon: {role: master, syncid: 1}}, {action: start, daemon: {role: master, syncid: 7}}]
applied:
  description: On failure, the operations done before it (a stop before a failed restart).
  returned: failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _sync as sync
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(
        common.NAMESPACE_SPEC,
        role=dict(type="str", choices=["backup", "master"], required=True),
        state=dict(type="str", choices=["started", "stopped"], default="started"),
        interface=dict(type="str"),
        syncid=dict(type="int", default=0),
        sync_maxlen=dict(type="int"),
        mcast_group=dict(type="str"),
        mcast_port=dict(type="int", default=8848),
        mcast_ttl=dict(type="int", default=1),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, required_if=[("state", "started", ("interface",))])
    common.require_libraries(module)
    try:
        result = sync.run(module.params, module.check_mode, module._diff, common.module_loader(module))
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
