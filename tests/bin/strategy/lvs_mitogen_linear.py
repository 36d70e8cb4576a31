# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-suite strategy: Mitogen's mitogen_linear without its CPU pinning.

On a machine with 2 or 3 CPUs, Mitogen pins its connection multiplexer to CPU 0 and
the Ansible controller, every task's worker and the processes they start (the
local connection's interpreter, ssh) to CPU 1. The suite's VM has 2 CPUs: a
Mitogen run worked on one of them, and the kernel layer's two lanes, both under
Mitogen, shared that one while the other idled (each target took twice as long as
beside a plain lane). Without the pinning the kernel schedules them as it does
every other process. Everything else is mitogen_linear's.
"""

from __future__ import annotations

import ansible_mitogen.affinity
import ansible_mitogen.loaders
import ansible_mitogen.strategy

DOCUMENTATION = """
name: lvs_mitogen_linear
short_description: mitogen_linear without CPU pinning
description: Test-suite only; not shipped with the collection.
"""

# The base Policy pins nothing; Mitogen looks the policy up on this module each time.
ansible_mitogen.affinity.policy = ansible_mitogen.affinity.Policy()

Base = ansible_mitogen.loaders.strategy_loader.get("linear", class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, Base):
    pass
