# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_info: everything ipvsadm -L can show, as data."""

from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _conn as conn
from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns

GATHER_CHOICES = ("info", "services", "servers", "stats", "timeouts", "daemons", "connections", "connection_states")
GATHER_DEFAULT = ["info", "services", "servers", "stats", "timeouts", "daemons"]


def service_dict(state, gather: set, ipvsadm_order: bool) -> dict:
    data = state.as_dict(ipvsadm_order)
    if "stats" not in gather:
        data.pop("stats")
        data.pop("rates")
        for server in data["servers"]:
            server.pop("stats")
            server.pop("rates")
    if "servers" not in gather:
        data.pop("servers")
    return data


@netns.in_namespace
def run(params: dict) -> dict:
    gather = set(params["gather"])
    key = common.service_key_of(params["service"]) if params.get("service") else None
    result: dict = {"changed": False, "loaded": kernel.ipvs_loaded()}
    if not result["loaded"]:
        # reading must not load ip_vs: an unloaded IPVS is an empty one
        result.update(services=[], daemons=[], connections=[], connection_states=conn.summarize([]), timeouts={}, version=None, connection_table_size=None)
        return result
    with kernel.IpvsClient() as client:
        if "info" in gather:
            result.update(client.info())
        if gather & {"services", "servers", "stats"}:
            states = client.service_states(with_servers="servers" in gather)
            listed = model.ipvsadm_ordered_services(states) if params["sort"] else list(states)
            chosen = [states[key]] if key in states else [] if key else [states[k] for k in listed]
            result["services"] = [service_dict(state, gather, params["sort"]) for state in chosen]
        if "timeouts" in gather:
            result["timeouts"] = client.timeouts()
        if "daemons" in gather:
            result["daemons"] = client.daemons()
    if gather & {"connections", "connection_states"}:
        entries = conn.read()
        if key is not None and not key.is_fwmark:
            entries = [entry for entry in entries if conn.matches(entry, key.protocol, key.address, key.port)]
        if params.get("states"):
            entries = [entry for entry in entries if entry["state"] in params["states"]]
        if "connections" in gather:
            result["connections"] = entries
        if "connection_states" in gather:
            result["connection_states"] = conn.summarize(entries, params["sort"])
    return result
