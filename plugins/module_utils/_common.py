# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue shared by the modules: library checks, kernel access, argument pieces."""

from __future__ import annotations

import contextlib
import gc

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils._plan import Table

NAMESPACE_SPEC = dict(namespace=dict(type="str"))
LOCK_SPEC = dict(lock_timeout=dict(type="int", default=lock.DEFAULT_TIMEOUT))
SERVICE_ID_SPEC = dict(
    protocol=dict(type="str", choices=sorted(model.PROTOCOLS), default="tcp"),
    address=dict(type="str"),
    port=dict(type="int"),
    fwmark=dict(type="int"),
    family=dict(type="str", choices=sorted(model.FAMILIES)),
)
SERVICE_ID_RULES = dict(
    mutually_exclusive=[("fwmark", "address"), ("fwmark", "port")],
    required_one_of=[("address", "fwmark")],
)
SERVICE_OPTION_SPEC = dict(
    scheduler=dict(type="str", choices=sorted(model.SCHEDULERS), default=model.DEFAULT_SCHEDULER),
    scheduler_flags=dict(type="list", elements="str", choices=sorted(flag for flags in model.SCHEDULER_FLAGS.values() for flag in flags)),
    persistent=dict(type="bool"),
    persistence_timeout=dict(type="int"),
    persistence_netmask=dict(type="str"),
    persistence_engine=dict(type="str", choices=sorted(model.PERSISTENCE_ENGINES)),
    one_packet=dict(type="bool", default=False),
)
SERVER_SPEC = dict(
    address=dict(type="str", required=True),
    port=dict(type="int"),
    forwarding_method=dict(type="str", choices=list(model.CONFIGURED_METHODS), default=model.DEFAULT_METHOD),
    weight=dict(type="int", default=1),
    upper_threshold=dict(type="int", default=0),
    lower_threshold=dict(type="int", default=0),
    tunnel_type=dict(type="str", choices=sorted(model.TUNNEL_TYPES)),
    tunnel_port=dict(type="int"),
    tunnel_checksum=dict(type="str", choices=sorted(model.TUNNEL_CHECKSUMS)),
)


def require_libraries(module) -> None:
    """Fail with Ansible's standard message when pyroute2 or netaddr is missing."""
    if not nl.HAS_PYROUTE2:
        module.fail_json(msg=missing_required_lib("pyroute2"), exception=str(nl.PYROUTE2_IMPORT_ERROR))
    if not model.HAS_NETADDR:
        module.fail_json(msg=missing_required_lib("netaddr"), exception=str(model.NETADDR_IMPORT_ERROR))


class Modprobe:
    """Loads (call it) and unloads kernel modules with modprobe, failing the task if it cannot."""

    def __init__(self, module):
        self._module = module

    def __call__(self, name: str, *options: str) -> None:
        self._run([name, *options], "load %s" % name)

    def unload(self, *names: str) -> None:
        self._run(["-r", *names], "unload %s" % " ".join(names))

    def _run(self, arguments: list, what: str) -> None:
        modprobe = self._module.get_bin_path("modprobe", required=True)
        rc, _out, err = self._module.run_command([modprobe, *arguments])
        if rc != 0:
            self._module.fail_json(msg="cannot %s: 'modprobe %s' failed: %s" % (what, " ".join(arguments), err.strip()))


def module_loader(module) -> Modprobe:
    return Modprobe(module)


@contextlib.contextmanager
def without_cycle_collection():
    """Hold the cyclic garbage collector off for a whole-table run. Such a run makes a few
    tuples per real server, none of them in a reference cycle, and the collector's passes
    over them find nothing: at 10,000 servers they took a tenth of a no-op in the test VM.
    Reference counting still frees everything; the collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_client(load_module, check_mode: bool):
    """A connected client, or None in check mode when IPVS is not loaded yet
    (then the table is empty and nothing is loaded just to look)."""
    if check_mode and not kernel.ipvs_loaded():
        return None
    return kernel.IpvsClient(load_module=load_module)


def read_table(client, expected: dict | None = None) -> Table:
    """The kernel's table (empty without a client, in check mode on a kernel without IPVS);
    ``expected`` as ``IpvsClient.table`` takes it."""
    return client.table(expected) if client is not None else Table()


def service_key_of(params: dict) -> model.ServiceKey:
    return model.service_key(
        protocol=params.get("protocol"),
        address=params.get("address"),
        port=params.get("port"),
        fwmark=params.get("fwmark"),
        family=params.get("family"),
    )


def dest_of(service: model.ServiceKey, params: dict) -> model.Dest:
    return model.build_dest(service, **{name: params.get(name) for name in SERVER_SPEC})
