#!/usr/bin/env bash
# The demo lab: directors, real servers and a client as separate hosts on a kernel
# with IPVS, deployed with playbooks/site.yml. It needs the director and realserver
# roles, which are not part of this version of the collection yet.
echo "The demo lab arrives with the lvs.ipvs.director and lvs.ipvs.realserver roles;"
echo "this version ships the modules only (see README.md, 'Modules')."
echo "Try them on a kernel with IPVS: ansible-playbook playbooks/show.yml"
