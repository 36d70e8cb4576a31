# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Attributes every state-changing module of the collection has.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the kernel.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change in check mode), as ipvsadm -Sn rule lines.
    support: full
  action_group:
    description: Use C(group/lvs.ipvs.ipvs) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - lvs.ipvs.ipvs
"""

    # Attributes of read-only modules.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
    details: This module never changes the kernel.
  diff_mode:
    description: Returns no diff because it changes nothing.
    support: N/A
  action_group:
    description: Use C(group/lvs.ipvs.ipvs) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - lvs.ipvs.ipvs
"""

    # The requirements of every module (on the managed host).
    REQUIREMENTS = r"""
options: {}
requirements:
  - pyroute2 >= 0.7.1 (0.7.x to 0.9.x are tested)
  - netaddr
  - A Linux kernel with IPVS (C(CONFIG_IP_VS)); the C(ip_vs) module is loaded when missing.
  - root, or C(CAP_NET_ADMIN), to change the table.
"""
