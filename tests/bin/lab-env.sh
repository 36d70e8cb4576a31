# shellcheck shell=bash
# The lab's environment (sourced by topology-layer.sh, lab-service.sh and the failover
# benchmark); the molecule scenarios find their settings in LVS_LAB_*.
# On the machine that runs the containers (a kernel with IPVS: the VM, or a host that
# has it), podman keeps its storage under LVS_LAB_PODMAN_DIR (a tmpfs in the VM, where
# the 9p root makes many-small-file I/O slow) and the root file system of the image is
# unpacked once. With CONTAINER_HOST set, podman is a client of the VM's podman service
# (tests/bin/lab-service.sh) and only the controller's side is set up here.
LAB="$CACHE/lab"
PODMAN_DIR=${LVS_LAB_PODMAN_DIR:-/tmp/lvs-lab-podman}

mkdir -p "$PODMAN_DIR"
if [[ -z ${CONTAINER_HOST:-} ]]; then
  if [[ ${LVS_IPVS_IN_VM:-0} == 1 ]] && ! mountpoint -q "$PODMAN_DIR"; then
    mount -t tmpfs -o size=8G tmpfs "$PODMAN_DIR"
  fi
  mkdir -p "$PODMAN_DIR"/{root,runroot,net,tmp,etc}
  cat > "$PODMAN_DIR/etc/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/root"
runroot = "$PODMAN_DIR/runroot"
CONF
  # cgroupfs and file events: the guest runs no systemd to manage containers' cgroups.
  cat > "$PODMAN_DIR/etc/containers.conf" <<CONF
[containers]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_DIR/events.log"
tmp_dir = "$PODMAN_DIR/tmp"
[network]
network_config_dir = "$PODMAN_DIR/net"
CONF
  export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/etc/storage.conf" CONTAINERS_CONF="$PODMAN_DIR/etc/containers.conf"
  # The containers load schedulers and tunnel modules from the host's /lib/modules.
  modprobe -a ip_vs ipip ip6_tunnel
  started=$SECONDS
  export LVS_LAB_ROOTFS="$PODMAN_DIR/rootfs"
  if [[ ! -x $LVS_LAB_ROOTFS/usr/sbin/sshd ]]; then
    mkdir -p "$LVS_LAB_ROOTFS"
    tar -C "$LVS_LAB_ROOTFS" -xf "$LAB/rootfs.tar"
    log "lab root file system unpacked in $((SECONDS - started)) s"
  fi
fi
export LVS_LAB_SSH_KEY="$PODMAN_DIR/id_ed25519"
export LVS_LAB_RESULTS=${LVS_IPVS_OUT:-$PODMAN_DIR}/topology
# The folder every container sees as /lab/run (failover probes meet there).
export LVS_LAB_RUN=${LVS_LAB_RUN:-$PODMAN_DIR/run}
# Ansible's temporary files under /tmp: in the VM, /root is read-only.
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_PATH" ANSIBLE_REMOTE_TMP=/tmp/.ansible/tmp ANSIBLE_FORCE_COLOR=0 PATH="$VENV/bin:$PATH"
mkdir -p "$LVS_LAB_RESULTS"
install -m 600 "$LAB/id_ed25519" "$LVS_LAB_SSH_KEY"
