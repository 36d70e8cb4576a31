# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Derive and check every real server's host network of a play in one controller task."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _realservers as realservers
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology


class _HostView(Mapping):
    """The variables the real servers' derivation reads of one host, templated as its own
    task would template them. Only these are kept: a fleet's full variables would cost
    the controller hundreds of megabytes. A value that fails to template fails only
    when it is read."""

    def __init__(self, host: str, variables: dict, templar):
        templar.available_variables = variables
        self._values, self._errors = {}, {}
        for name in realservers.READ_VARIABLES:
            if name in variables:
                try:
                    self._values[name] = templar.template(variables[name])
                except AnsibleError as error:
                    self._errors[name] = "host '%s': %s: %s" % (host, name, error.message)

    def __getitem__(self, name: str):
        if name in self._errors:
            raise topology.TopologyError(self._errors[name])
        return self._values[name]

    def __iter__(self):
        return iter([*self._values, *self._errors])

    def __len__(self) -> int:
        return len(self._values) + len(self._errors)


class _PlayHosts(Mapping):
    """The play's hosts with every variable their tasks see (role defaults, play vars and
    all the rest, in Ansible's precedence), gathered once each; other inventory hosts as
    ``hostvars`` gives them (the inventory, facts and extra vars)."""

    def __init__(self, action: ActionBase, task_vars: dict):
        self._action = action
        self._task_vars = task_vars
        self._hostvars = task_vars["hostvars"]
        self._play_hosts = set(task_vars["ansible_play_batch"])
        self._views = {}
        # one templar for every host, its variables swapped in for each
        self._templar = action._templar.copy_with_new_env()

    def _view(self, name: str) -> _HostView:
        task = self._action._task
        manager = task.get_variable_manager()
        variables = manager.get_vars(
            play=task.get_play(),
            host=manager._inventory.get_host(name),
            task=task,
            # given, as the strategy gives them, so that each host does not gather the play's hosts again
            _hosts=self._task_vars["ansible_play_hosts"],
            _hosts_all=self._task_vars["ansible_play_hosts_all"],
        )
        return _HostView(name, variables, self._templar)

    def __getitem__(self, name: str):
        if name in self._play_hosts:
            if name not in self._views:
                self._views[name] = self._view(name)
            return self._views[name]
        if name not in self._hostvars:
            raise KeyError(name)
        return self._hostvars[name]

    def __contains__(self, name) -> bool:
        return name in self._play_hosts or name in self._hostvars

    def __iter__(self):
        return iter(self._hostvars)

    def __len__(self) -> int:
        return len(self._hostvars)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("services", "variable"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        # checked here, not by validate_argument_spec, which would copy a fleet's services
        if "services" not in self._task.args:
            result.update(failed=True, msg="missing required arguments: services")
            return result
        variable = self._task.args.get("variable", "realserver_services")
        if not isinstance(variable, str):
            result.update(failed=True, msg="variable must be a string, got %r" % topology.shown(variable))
            return result
        hosts = task_vars["ansible_play_batch"]
        try:
            networks = realservers.realserver_networks(
                self._task.args["services"], _PlayHosts(self, task_vars), hosts, task_vars["inventory_hostname"], variable
            )
        except topology.TopologyError as error:
            result.update(failed=True, msg=str(error))
            return result
        result.update(changed=False, hosts=len(hosts), networks=networks)
        return result
