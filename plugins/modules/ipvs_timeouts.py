#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_timeouts
short_description: Set the IPVS TCP, TCP FIN and UDP timeouts (ipvsadm --set)
version_added: 0.1.0
description:
  - Sets how long IPVS keeps idle connection entries - established TCP, TCP after the
    client's FIN, and UDP - over generic netlink.
  - Only the timeouts given are compared and changed; V(0) or leaving one out keeps the
    kernel's current value, as C(ipvsadm --set) does.
  - The values belong to the network namespace the module runs in, and are lost when
    C(ip_vs) is unloaded.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
extends_documentation_fragment:
  - lvs.ipvs.attributes
  - lvs.ipvs.attributes.REQUIREMENTS
  - lvs.ipvs.namespace
options:
  tcp:
    description: Idle timeout of established TCP connections, in seconds (kernel default 900).
    type: int
  tcp_fin:
    description: Timeout of TCP connections after a FIN, in seconds (kernel default 120).
    type: int
  udp:
    description: Idle timeout of UDP entries, in seconds (kernel default 300).
    type: int
notes:
  - Counterpart of C(ipvsadm --set tcp tcpfin udp); read them back with M(lvs.ipvs.ipvs_info) (C(ipvsadm -L --timeout)).
  - Long TCP timeouts keep entries of dead clients in the connection table; size it with the expected
    connections times the timeout.
seealso:
  - module: lvs.ipvs.ipvs_info
"""

EXAMPLES = r"""
- name: Keep idle TCP connections for two hours, UDP for one minute
  lvs.ipvs.ipvs_timeouts:
    tcp: 7200
    udp: 60

- name: Only shorten the FIN timeout
  lvs.ipvs.ipvs_timeouts:
    tcp_fin: 30
"""

RETURN = r"""
timeouts:
  description: The timeouts after the task (as they would be, in check mode), in seconds.
  returned: always
  type: dict
  sample: {tcp: 7200, tcp_fin: 120, udp: 60}
changes:
  description: The timeouts that were (or would be) changed, with their new values.
  returned: always
  type: dict
  sample: {tcp: 7200}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _timeouts as timeouts
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def main() -> None:
    argument_spec = dict(common.NAMESPACE_SPEC, tcp=dict(type="int"), tcp_fin=dict(type="int"), udp=dict(type="int"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, required_one_of=[("tcp", "tcp_fin", "udp")])
    common.require_libraries(module)
    try:
        result = timeouts.run(module.params, module.check_mode, module._diff, common.module_loader(module))
    except IpvsError as exc:
        module.fail_json(msg=exc.message, **exc.result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
