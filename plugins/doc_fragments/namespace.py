# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The namespace option every module has.
    DOCUMENTATION = r"""
options:
  namespace:
    description:
      - Network namespace to act in - a name from C(ip netns list), or the path of a
        namespace file such as C(/proc/1234/ns/net). IPVS tables, timeouts, sync
        daemons and the connection table belong to a namespace.
      - Defaults to the namespace the module runs in.
    type: str
"""
