# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The table lock of the modules that change the IPVS table.
    DOCUMENTATION = r"""
options:
  lock_timeout:
    description:
      - Seconds to wait while another run changes the IPVS table of the same network
        namespace, then fail naming it (its PID, module and start time). V(0) fails at once.
      - A run that changes the table holds an exclusive lock on
        C(/run/lvs-ipvs/ipvs-netns-INODE.lock) from reading the table to its last edit (and,
        for M(lvs.ipvs.ipvs_table), saving O(lvs.ipvs.ipvs_table#module:dest)), so two runs at
        once - two operators, an AWX schedule, a drain during a deploy - take turns and each
        plans against what the other left. A run killed in the middle holds nothing - the kernel
        drops the lock with the process.
      - Runs in check mode only read and do not take the lock.
    type: int
    default: 120
"""
