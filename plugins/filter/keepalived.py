# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn a director's inventory into keepalived's configuration."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError


def director_keepalived(services, hostvars, host, settings, variable="director_services"):
    try:
        return keepalived.director_keepalived(services, hostvars, host, settings, variable)
    except TopologyError as error:
        raise AnsibleFilterError(str(error)) from None


def keepalived_config(config, auth_pass=None):
    try:
        return keepalived.render(config, auth_pass)
    except keepalived.KeepalivedError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    def filters(self):
        return {"director_keepalived": director_keepalived, "keepalived_config": keepalived_config}
