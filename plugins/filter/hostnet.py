# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_network role's config for lvs-ipvs-net, built from checked values."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _hostnet as hostnet
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError


def host_network_config(settings, host):
    try:
        return hostnet.config(
            host,
            settings.get("name"),
            settings.get("state", "present"),
            settings.get("modules"),
            settings.get("sysctls"),
            settings.get("addresses"),
            settings.get("gateways"),
            settings.get("restore") or "",
            bool(settings.get("boot", True)),
            settings.get("gue_ports"),
            settings.get("gre_devices"),
            settings.get("nftables"),
        )
    except TopologyError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    def filters(self):
        return {"host_network_config": host_network_config}
