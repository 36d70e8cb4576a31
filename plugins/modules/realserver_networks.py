#!/usr/bin/python
# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: realserver_networks
short_description: Derive and check every real server's host network of a play, once, on the controller
version_added: 0.2.0
description:
  - What the P(lvs.ipvs.realserver#role) role's preflight runs, once for the play (C(run_once)), in
    place of a task per real server. For every host of the play's batch (C(ansible_play_batch)), it
    derives the VIPs, kernel modules, sysctls and default routes the host needs for O(services)
    (as P(lvs.ipvs.realserver_topology#filter) does) and checks them as the
    P(lvs.ipvs.host_network#role) role will write them.
  - The services are read once and each service and server checked once (P(lvs.ipvs.realserver_fleet#filter)).
  - Each host's own C(realserver_state), C(realserver_dr_interface), C(realserver_nat_gateway),
    C(realserver_vips), C(realserver_boot), C(realserver_tunnel_mss_clamp), C(realserver_tunnel_path_mtu),
    C(realserver_nftables_file), C(realserver_method) and C(lvs_address) are read as a
    task of that host would read them, in Ansible's precedence (the realserver role's defaults, the
    inventory, play vars, role parameters, extra vars).
  - Fails on the first problem, naming the host and the variable; nothing is contacted.
  - An action that runs on the controller only; it never connects to a host.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
options:
  services:
    description:
      - The services, in the vocabulary of the director role's O(lvs.ipvs.director#role:main:director_services).
    type: raw
    required: true
  variable:
    description: The variable O(services) came from, for messages.
    type: str
    default: realserver_services
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff because it changes nothing.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
  bypass_host_loop:
    description: Needs C(run_once) to run once for the play rather than once for each host.
    support: none
notes:
  - Run it with C(run_once) inside the P(lvs.ipvs.realserver#role) role, whose defaults define the
    C(realserver_*) variables it reads.
"""

EXAMPLES = r"""
- name: Derive every real server's host network, once for the play
  lvs.ipvs.realserver_networks:
    services: "{{ realserver_services }}"
  run_once: true
  register: _realserver_networks

- name: This host's network
  ansible.builtin.debug:
    msg: "{{ _realserver_networks.networks[(inventory_hostname | hash('sha1'))[:2]][inventory_hostname] }}"
"""

RETURN = r"""
hosts:
  description: How many hosts' networks were derived (the play's batch).
  returned: success
  type: int
  sample: 3
networks:
  description:
    - Each host's network, in buckets keyed by the first two hex digits of the SHA-1 of its
      name (C((inventory_hostname | hash('sha1'))[:2])); a host reads only its own bucket.
    - Each network has C(name), C(state), C(modules), C(sysctls) (name, value), C(addresses)
      (device, address/prefix), C(gateways), C(restore) and C(boot), the options of the
      P(lvs.ipvs.host_network#role) role.
  returned: success
  type: dict
  sample:
    "97":
      web1:
        name: realserver
        state: present
        modules: []
        sysctls: [["net.ipv4.conf.all.arp_announce", "2"], ["net.ipv4.conf.all.arp_ignore", "1"]]
        addresses: [["lo", "192.0.2.10/32"]]
        gateways: []
        restore: ""
        boot: true
"""
