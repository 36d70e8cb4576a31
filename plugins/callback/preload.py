# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's filters loaded once, in the controller process, for large fleets."""

from __future__ import annotations

DOCUMENTATION = """
name: preload
type: aggregate
version_added: 0.1.0
short_description: Load the collection's filters once in the controller, not in every task's worker
description:
  - Ansible forks a worker process for every task and host. The first template in a worker that
    names one of this collection's filters loads every filter file of the collection and the
    model behind them, and the roles' preflight tasks pay that once per host. In
    C(bench/fleet.sh) on a 2-core machine, the checks of C(site.yml) over 1,000 real servers and
    1,000 services of 10 took 126.8 s without this callback and 59.3 s with it.
  - This callback loads them, and Ansible's own filter and test plugins, in the controller process
    when a playbook starts, so the workers forked from it inherit them. What the filters compute
    and every error they raise are the same; a filter that fails to load still fails the task that
    uses it.
  - Enable it in C(ansible.cfg) (C(callbacks_enabled = lvs.ipvs.preload)) or with
    C(ANSIBLE_CALLBACKS_ENABLED=lvs.ipvs.preload).
author:
  - lvs.ipvs contributors (@lvs-ipvs)
"""

import importlib
import pkgutil

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, test_loader
from ansible.utils.display import Display

FILTER_PACKAGE = "ansible_collections.lvs.ipvs.plugins.filter"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lvs.ipvs.preload"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        try:
            test_loader.get("ansible.builtin.search")
            package = importlib.import_module(FILTER_PACKAGE)
            for module in pkgutil.iter_modules(package.__path__):
                plugins = importlib.import_module(FILTER_PACKAGE + "." + module.name).FilterModule().filters()
                for name in plugins:
                    filter_loader.get("lvs.ipvs." + name)
        except Exception as error:  # the task that uses the filter reports it properly
            Display().warning("lvs.ipvs.preload: %s" % error)
