# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning: compare the kernel's table with the desired one and list the
smallest set of netlink edits that makes them equal.

Every attribute of a service or a real server that is not part of its identity
can be changed in place by the kernel (SET_SERVICE / SET_DEST keep connections
and counters), so an edit is always one SET; DEL+NEW only happens when the
identity itself differs, which is a different entry by definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._model import KEY_OF, Dest, DestKey, Service, ServiceKey

ADD_SERVICE = "add_service"
EDIT_SERVICE = "edit_service"
DELETE_SERVICE = "delete_service"
ADD_SERVER = "add_server"
EDIT_SERVER = "edit_server"
DELETE_SERVER = "delete_server"


class Operation(NamedTuple):
    """One edit of the table; a tuple, built for every real server a plan adds or changes."""

    action: str
    service: ServiceKey
    before: Service | Dest | None = None
    after: Service | Dest | None = None

    @property
    def server(self) -> DestKey | None:
        entry = self.after or self.before
        return entry.key if isinstance(entry, Dest) else None

    def describe(self) -> str:
        verb = self.action.partition("_")[0]
        if self.server is None:
            return "%s service %s" % (verb, self.service.label())
        return "%s server %s %s %s" % (verb, self.server.label(), "to" if verb == "add" else "of", self.service.label())

    def as_dict(self) -> dict:
        return {
            "action": self.action,
            "service": self.service.label(),
            "server": self.server.label() if self.server else None,
            "before": self.before.as_dict() if self.before else None,
            "after": self.after.as_dict() if self.after else None,
        }


@dataclass
class Table:
    """The configuration part of an IPVS table."""

    services: dict = field(default_factory=dict)  # ServiceKey -> Service
    servers: dict = field(default_factory=dict)  # ServiceKey -> {DestKey: Dest}

    def servers_of(self, key: ServiceKey) -> dict:
        return self.servers.get(key, {})


@dataclass(frozen=True)
class DesiredService:
    """One service as it should be; ``servers=None`` leaves its real servers alone."""

    service: Service
    servers: tuple | None = None
    purge_servers: bool = False
    # ``servers`` by DestKey: a server listed twice is refused as soon as the service is
    servers_by_key: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "servers_by_key", unique_servers(self.service.key, self.servers or ()))


def plan_service(current: Service | None, desired: Service | None) -> list:
    if desired is None:
        return [Operation(DELETE_SERVICE, current.key, before=current)] if current else []
    if current is None:
        return [Operation(ADD_SERVICE, desired.key, after=desired)]
    if current != desired:
        return [Operation(EDIT_SERVICE, desired.key, before=current, after=desired)]
    return []


def plan_servers(service: ServiceKey, current: dict, desired=(), absent=(), purge: bool = False) -> list:
    """Edits for the real servers of one service.

    ``desired`` servers (Dests, or a dict of them by key already checked unique)
    are made present as given, ``absent`` keys removed, and with ``purge`` every
    server not in ``desired`` is removed too.
    """
    wanted = desired if isinstance(desired, dict) else unique_servers(service, desired)
    if not absent and current == wanted:
        # the common no-op, compared in C: a read with expectations holds the very Dests wanted
        return []
    deletes = [current[key] for key in absent if key in current]
    if purge:
        unlisted = [key for key in current if key not in wanted and current[key] not in deletes]
        deletes += [current[key] for key in sorted(unlisted)]
    ops = [Operation(DELETE_SERVER, service, before=dest) for dest in deletes]
    for key, dest in wanted.items():
        existing = current.get(key)
        if existing is None:
            ops.append(Operation(ADD_SERVER, service, after=dest))
        elif existing is not dest and existing != dest:  # the same object when read as expected
            ops.append(Operation(EDIT_SERVER, service, before=existing, after=dest))
    return ops


def unique_servers(service: ServiceKey, servers) -> dict:
    servers = tuple(servers)
    found = dict(zip(map(KEY_OF, servers), servers))
    if len(found) < len(servers):
        seen: set = set()
        for dest in servers:
            if dest.key in seen:
                raise IpvsError("real server %s is listed twice for %s" % (dest.key.label(), service.label()))
            seen.add(dest.key)
    return found


def plan_table(current: Table, desired, purge: bool = False) -> list:
    """Edits that make ``current`` hold every service of ``desired`` (a list of
    ``DesiredService``); with ``purge`` services not listed are deleted."""
    seen: set = set()
    ops: list = []
    for item in desired:
        key = item.service.key
        if key in seen:
            raise IpvsError("service %s is listed twice" % key.label())
        seen.add(key)
        ops += plan_service(current.services.get(key), item.service)
        if item.servers is not None:
            ops += plan_servers(key, current.servers_of(key), item.servers_by_key, purge=item.purge_servers)
    if purge:
        ops += [Operation(DELETE_SERVICE, key, before=svc) for key, svc in sorted(current.services.items()) if key not in seen]
    return ops


@dataclass(frozen=True)
class Removal:
    """How much of a live table a plan deletes; a deleted service takes its real servers with it."""

    services: int
    live_services: int
    servers: int
    live_servers: int


def removal(current: Table, operations) -> Removal:
    deleted = {op.service for op in operations if op.action == DELETE_SERVICE}
    servers = sum(len(current.servers_of(key)) for key in deleted)
    servers += sum(1 for op in operations if op.action == DELETE_SERVER and op.service not in deleted)
    return Removal(len(deleted), len(current.services), servers, sum(len(current.servers_of(key)) for key in current.services))


def holds(table: Table, op: Operation) -> bool:
    """True when ``table`` shows the effect of ``op``: what a batch did when its answers were lost."""
    if op.server is None:
        now = table.services.get(op.service)
        return now is None if op.action == DELETE_SERVICE else now == op.after
    now = table.servers_of(op.service).get(op.server)
    return now is None if op.action == DELETE_SERVER else now == op.after


def simulate(table: Table, operations) -> Table:
    """The table as it will be once ``operations`` are applied (used for reports and diffs)."""
    services = dict(table.services)
    servers = {key: dict(dests) for key, dests in table.servers.items()}
    for op in operations:
        if op.action in (ADD_SERVICE, EDIT_SERVICE):
            services[op.service] = op.after
            servers.setdefault(op.service, {})
        elif op.action == DELETE_SERVICE:
            services.pop(op.service, None)
            servers.pop(op.service, None)
        elif op.action == DELETE_SERVER:
            servers[op.service].pop(op.before.key, None)
        else:
            servers.setdefault(op.service, {})[op.after.key] = op.after
    return Table(services, servers)
