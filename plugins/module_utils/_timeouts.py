# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_timeouts: the TCP, TCP FIN and UDP timeouts (ipvsadm --set)."""

from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

NAMES = ("tcp", "tcp_fin", "udp")
# what a freshly loaded ip_vs uses
DEFAULTS = {"tcp": 900, "tcp_fin": 120, "udp": 300}
# the kernel keeps timeouts in jiffies and refuses more than INT_MAX / HZ (HZ <= 1000)
MAX_SECONDS = 2147483647 // 1000


def desired_of(params: dict) -> dict:
    """The timeouts to set; None and 0 both leave the kernel's value (as SET_CONFIG does)."""
    wanted = {}
    for name in NAMES:
        value = params.get(name)
        if value is None:
            continue
        if not 0 <= value <= MAX_SECONDS:
            raise IpvsError("%s timeout %s is out of range 0..%d seconds (0 keeps the current value)" % (name, value, MAX_SECONDS))
        if value:
            wanted[name] = value
    return wanted


def plan(current: dict, desired: dict) -> dict:
    """The timeouts that differ: what one SET_CONFIG must carry."""
    return {name: value for name, value in desired.items() if current.get(name) != value}


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module) -> dict:
    desired = desired_of(params)
    client = common.open_client(load_module, check_mode)
    try:
        # an unloaded IPVS has the kernel's defaults
        current = client.timeouts() if client is not None else dict(DEFAULTS)
        changes = plan(current, desired)
        if changes and not check_mode:
            client.set_timeouts(changes)
    finally:
        if client is not None:
            client.close()
    after = dict(current, **changes)
    result = {"changed": bool(changes), "timeouts": after, "changes": changes}
    if diff:
        result["diff"] = {"before": render(current), "after": render(after)}
    return result


def render(timeouts: dict) -> str:
    return "--set %s %s %s\n" % tuple(timeouts.get(name) for name in NAMES)
