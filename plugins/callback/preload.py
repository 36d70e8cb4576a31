# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-suite callback: the filter plugins loaded once, in the controller.

Ansible forks a worker process for every task and host. A worker that templates a
filter or test loads every builtin filter and test file, and for one of the
collection's filters the filter file and the plugin_utils model behind it: about
0.1 s on a real machine, 2 to 3 s in the suite's emulated guest, paid again by
every set_fact and assert of the roles' preflight. Loaded here, in the process the
workers are forked from, they inherit it. What the filters compute and every error
they raise are the same; an import error still fails the task that uses the filter.
It needs no enabling: the suite puts its folder on callback_plugins.
"""

from __future__ import annotations

import importlib
import pkgutil

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, test_loader
from ansible.utils.display import Display

DOCUMENTATION = """
name: lvs_preload
type: aggregate
short_description: load the filter and test plugins once in the controller
description: Test-suite only; not shipped with the collection.
"""

FILTER_PACKAGE = "ansible_collections.lvs.ipvs.plugins.filter"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lvs_preload"
    CALLBACK_NEEDS_ENABLED = False

    def v2_playbook_on_start(self, playbook):
        try:
            test_loader.get("ansible.builtin.search")
            package = importlib.import_module(FILTER_PACKAGE)
            for module in pkgutil.iter_modules(package.__path__):
                plugins = importlib.import_module(FILTER_PACKAGE + "." + module.name).FilterModule().filters()
                for name in plugins:
                    filter_loader.get("lvs.ipvs." + name)
        except Exception as error:  # the task that uses the filter reports it properly
            Display().warning("lvs_preload: %s" % error)
