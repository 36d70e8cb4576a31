# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The ``service`` option that names an existing virtual service.
    DOCUMENTATION = r"""
options:
  service:
    description:
      - A virtual service, identified as in M(lvs.ipvs.ipvs_service) - O(service.protocol),
        O(service.address) and O(service.port), or O(service.fwmark) with O(service.family).
    type: dict
    suboptions:
      protocol:
        description: Protocol of the service; ignored with O(service.fwmark).
        type: str
        choices: [sctp, tcp, udp]
        default: tcp
      address:
        description: Virtual address of the service.
        type: str
      port:
        description: Virtual port of the service.
        type: int
      fwmark:
        description: Firewall mark of the service.
        type: int
      family:
        description: Address family of a firewall-mark service.
        type: str
        choices: [ipv4, ipv6]
"""
