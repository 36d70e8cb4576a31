# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only connection: every attempt to reach a host fails.

bench/fleet.py measures what site.yml's checks cost the controller over thousands of
inventory hosts that do not exist. A play that passes under this connection ran its
checks on the controller alone: any task that needed a host would have failed.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection import ConnectionBase

DOCUMENTATION = """
name: lvs_refuse
short_description: refuses every connection (benchmark only)
description: Not shipped with the collection; bench/fleet.py's stub for hosts that do not exist.
author: lvs.ipvs contributors
"""


class Connection(ConnectionBase):
    transport = "lvs_refuse"
    has_pipelining = True

    def _refuse(self, *args, **kwargs):
        raise AnsibleConnectionFailure("lvs_refuse: %s would have been contacted" % self._play_context.remote_addr)

    _connect = exec_command = put_file = fetch_file = _refuse

    def close(self):
        self._connected = False
