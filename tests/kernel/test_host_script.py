# lvs-ipvs-net (the host_network role's script) on a real kernel, each case in a network
# namespace of its own: what it does when an item fails, at boot and on apply.
from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "host_network" / "files" / "lvs-ipvs-net"
NAMESPACE = "lvs-test-hostnet"


@pytest.fixture
def host(tmp_path):
    """Runs the script in a fresh namespace, with its files under tmp_path."""
    if os.geteuid() != 0 or not kernel.ipvs_loaded():
        pytest.skip("needs root on a kernel with IPVS loaded: run through tests/bin/vm.sh")
    subprocess.run(["ip", "netns", "add", NAMESPACE], check=True)
    subprocess.run(["ip", "-n", NAMESPACE, "link", "set", "lo", "up"], check=True)
    env = dict(
        os.environ,
        LVS_IPVS_NET_CONF_DIR=str(tmp_path / "conf"),
        LVS_IPVS_NET_STATE_DIR=str(tmp_path / "state"),
        LVS_IPVS_NET_BIN=str(tmp_path / "bin" / "lvs-ipvs-net"),
        LVS_IPVS_NET_UNIT_DIR=str(tmp_path / "units"),
        LVS_IPVS_NET_LOCK_DIR=str(tmp_path / "run"),
    )

    def run(*args: str, wait: bool = True, **extra_env: str):
        command = ["ip", "netns", "exec", NAMESPACE, "bash", str(SCRIPT), *args]
        started = subprocess.Popen(command, env=dict(env, **extra_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not wait:
            return started
        stdout, stderr = started.communicate()
        return subprocess.CompletedProcess(started.args, started.returncode, stdout, stderr)

    def shell(command: str) -> str:
        return subprocess.run(["ip", "netns", "exec", NAMESPACE, "sh", "-c", command], capture_output=True, text=True, check=True).stdout

    yield run, shell, tmp_path
    subprocess.run(["ip", "netns", "del", NAMESPACE], check=False)


def addresses(shell, device: str = "lo") -> list:
    return [line.split()[3] for line in shell("ip -o addr show dev %s" % device).splitlines() if " inet" in line]


def test_at_boot_a_missing_device_does_not_stop_the_rest_and_the_table_is_restored(host):
    run, shell, tmp = host
    rules = tmp / "saved rules" / "director.rules"  # a folder with a space in its name
    rules.parent.mkdir()
    rules.write_text("-A -t 192.0.2.51:80 -s rr\n-a -t 192.0.2.51:80 -r 10.0.0.1:80 -g -w 1\n")
    (tmp / "conf").mkdir()
    (tmp / "conf" / "director.net").write_text("address nosuch0 192.0.2.50/32\naddress lo 192.0.2.51/32\nrestore %s\n" % rules)
    done = run("--boot", "director")
    assert done.returncode == 1, done
    assert "no device nosuch0 on this host" in done.stderr
    assert "1 item(s) failed, everything else was applied" in done.stderr
    assert "192.0.2.51/32" in addresses(shell)
    assert shell("ipvsadm -Sn") == rules.read_text()


def test_a_failed_apply_remembers_what_it_added_and_the_next_run_removes_it(host):
    run, shell, tmp = host
    done = run("--apply", "realserver", "address lo 192.0.2.60/32\nsysctl net.ipv4.no_such_setting 1\n")
    assert done.returncode == 1 and "no sysctl net.ipv4.no_such_setting on this host" in done.stderr
    assert "192.0.2.60/32" in addresses(shell)
    assert "address lo 192.0.2.60/32" in (tmp / "conf" / "realserver.net").read_text()
    again = run("--apply", "realserver", "address lo 192.0.2.61/32\n")
    assert again.returncode == 0, again
    assert "changed: address 192.0.2.60/32 removed from lo" in again.stdout
    assert [a for a in addresses(shell) if a.startswith("192.0.2.")] == ["192.0.2.61/32"]


def test_addresses_are_matched_exactly_with_their_prefix(host):
    run, shell, _tmp = host
    # two addresses of one network: the second is not "already there" because the first is
    for _run in range(2):
        done = run("--apply", "director", "address lo 192.0.2.70/24\naddress lo 192.0.2.71/24\n")
        assert done.returncode == 0, done
    assert [a for a in addresses(shell) if a.startswith("192.0.2.")] == ["192.0.2.70/24", "192.0.2.71/24"]
    # the same address with another prefix is replaced, not refused by the kernel (File exists)
    for wanted in ("192.0.2.70/32", "192.0.2.70/24", "192.0.2.70/24"):
        done = run("--apply", "director", "address lo %s\n" % wanted)
        assert done.returncode == 0, done
        assert [a for a in addresses(shell) if a.startswith("192.0.2.")] == [wanted]


def test_an_ipv6_vip_takes_its_traffic_but_is_never_picked_as_a_source(host):
    run, shell, _tmp = host
    shell("ip link add eth9 type dummy && ip link set eth9 up && ip -6 addr add 2001:db8::2/64 dev eth9 nodad")
    # the director's own address and a /128 VIP in the same prefix: the VIP is the longer match
    # for 2001:db8::11, so without deprecation it would be the source towards the real servers
    done = run("--apply", "director", "address eth9 2001:db8::10/128\n")
    assert done.returncode == 0, done
    assert " deprecated " in shell("ip -o -6 addr show dev eth9 to 2001:db8::10/128")
    assert " src 2001:db8::2 " in shell("ip -6 route get 2001:db8::11")
    assert " 2001:db8::10 " not in shell("ip -6 route get 2001:db8::11")
    # a VIP an earlier version added as preferred is deprecated by the next run, once
    shell("ip -6 addr change 2001:db8::10/128 dev eth9 nodad preferred_lft forever")
    assert " src 2001:db8::10 " in shell("ip -6 route get 2001:db8::11")
    done = run("--apply", "director", "address eth9 2001:db8::10/128\n")
    assert "changed: address 2001:db8::10/128 on eth9 deprecated (preferred_lft 0)" in done.stdout.splitlines(), done
    assert " src 2001:db8::2 " in shell("ip -6 route get 2001:db8::11")
    again = run("--apply", "director", "address eth9 2001:db8::10/128\n")
    assert again.returncode == 0 and "changed:" not in again.stdout, again


def test_a_route_backup_that_cannot_be_written_leaves_the_route_alone_and_says_so(host):
    run, shell, tmp = host
    shell("ip link add lvs-t0 type veth peer name lvs-t1 && ip link set lvs-t0 up && ip addr add 198.51.100.2/24 dev lvs-t0")
    shell("ip route add default via 198.51.100.1")
    (tmp / "state").write_text("a file where the state folder should be")
    done = run("--apply", "realserver", "gateway 198.51.100.254\n")
    assert done.returncode == 1
    assert "cannot save the default route (via 198.51.100.1 dev lvs-t0 ) to" in done.stderr
    assert shell("ip route show default").startswith("default via 198.51.100.1 ")


def test_check_mode_reports_and_changes_nothing(host):
    run, shell, tmp = host
    done = run("--check", "realserver", "address lo 192.0.2.80/32\n")
    assert done.returncode == 0 and "changed: address 192.0.2.80/32 on lo" in done.stdout
    assert "192.0.2.80/32" not in addresses(shell)
    assert not (tmp / "conf" / "realserver.net").exists()


def test_a_missing_module_is_refused_before_any_change(host):
    run, shell, tmp = host
    for mode in ("--apply", "--check"):
        done = run(mode, "realserver", "module ipip\nmodule lvs_no_such_module\naddress lo 192.0.2.81/32\n")
        assert done.returncode == 1, done
        assert "cannot load kernel module lvs_no_such_module: not available on this host" in done.stderr
        assert "nothing was changed" in done.stderr and "changed:" not in done.stdout
    assert "192.0.2.81/32" not in addresses(shell)
    assert not (tmp / "conf" / "realserver.net").exists()


def gue_ports(shell) -> list:
    return sorted(line.split()[1] + (" 6" if " -6" in line else " 4") for line in shell("ip fou show").splitlines())


def test_gue_ports_and_gre_devices_are_kept_made_again_and_the_dropped_ones_removed(host):
    run, shell, _tmp = host
    config = (
        "module fou\nmodule fou6\nmodule ipip\nmodule ip_gre\nmodule ip6_gre\n"
        "sysctl net.ipv4.conf.gre0.rp_filter 0\n"
        "gue 6080 4\ngue 6080 6\ngue 6081 4\n"
        "gre lvs-gre gre 192.0.2.91\nsysctl net.ipv4.conf.lvs-gre.rp_filter 0\n"
        "address tunl0 192.0.2.90/32\naddress gre0 192.0.2.90/32\naddress ip6gre0 2001:db8::90/128\naddress lvs-gre 192.0.2.92/32\n"
    )
    done = run("--apply", "realserver", config)
    assert done.returncode == 0, done
    assert {"changed: GUE port 6080 (IPv4)", "changed: GUE port 6080 (IPv6)", "changed: GUE port 6081 (IPv4)"} <= set(done.stdout.splitlines())
    assert gue_ports(shell) == ["6080 4", "6080 6", "6081 4"]
    assert "192.0.2.90/32" in addresses(shell, "gre0") and "192.0.2.90/32" in addresses(shell, "tunl0")
    assert "2001:db8::90/128" in shell("ip -o -6 addr show dev ip6gre0")
    assert shell("ip -o link show dev gre0 up").strip() and shell("cat /proc/sys/net/ipv4/conf/gre0/rp_filter").strip() == "0"
    # the device that takes checksummed GRE: bound to its local address, checksums required
    assert " gre remote any local 192.0.2.91 " in shell("ip -d -o link show dev lvs-gre") and " icsum" in shell("ip -d -o link show dev lvs-gre")
    assert "192.0.2.92/32" in addresses(shell, "lvs-gre") and shell("cat /proc/sys/net/ipv4/conf/lvs-gre/rp_filter").strip() == "0"
    again = run("--apply", "realserver", config)
    assert again.returncode == 0 and "changed:" not in again.stdout, again
    # a GRE device made otherwise (another local address) is made again
    moved = config.replace("gre lvs-gre gre 192.0.2.91", "gre lvs-gre gre 192.0.2.93")
    done = run("--apply", "realserver", moved)
    assert done.returncode == 0 and "changed: GRE device lvs-gre (gre, local 192.0.2.93, checksums required)" in done.stdout, done
    assert " local 192.0.2.93 " in shell("ip -d -o link show dev lvs-gre") and "192.0.2.92/32" in addresses(shell, "lvs-gre")
    # a port and a device the config no longer lists go; in check mode it is only reported
    fewer = moved.replace("gue 6081 4\n", "").replace("gre lvs-gre gre 192.0.2.93\nsysctl net.ipv4.conf.lvs-gre.rp_filter 0\n", "")
    fewer = fewer.replace("address lvs-gre 192.0.2.92/32\n", "")
    checked = run("--check", "realserver", fewer)
    assert checked.returncode == 0 and "changed: GUE port 6081 (IPv4) removed" in checked.stdout, checked
    assert "changed: GRE device lvs-gre deleted" in checked.stdout, checked
    assert gue_ports(shell) == ["6080 4", "6080 6", "6081 4"]
    done = run("--apply", "realserver", fewer)
    assert done.returncode == 0 and "changed: GUE port 6081 (IPv4) removed" in done.stdout, done
    assert "changed: GRE device lvs-gre deleted" in done.stdout
    assert gue_ports(shell) == ["6080 4", "6080 6"]
    assert "lvs-gre" not in shell("ip -o link show")
    # and at boot the remembered ports come back
    shell("ip fou del port 6080 && ip fou del port 6080 -6")
    booted = run("--boot", "realserver")
    assert booted.returncode == 0, booted
    assert gue_ports(shell) == ["6080 4", "6080 6"]


@pytest.fixture
def held_lock(tmp_path):
    """The director config's lock, held by this test as another run would hold it."""
    (tmp_path / "run").mkdir()
    path = tmp_path / "run" / "net-director.lock"
    with open(path, "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write("pid 4242 (lvs-ipvs-net --apply) since 2026-12-03T10:00:00+0000\n")
        handle.flush()
        yield handle, path


def test_a_second_apply_gives_up_naming_the_holder_and_changes_nothing(host, held_lock):
    run, shell, tmp = host
    _handle, path = held_lock
    done = run("--apply", "director", "address lo 192.0.2.80/32\n", LVS_IPVS_NET_LOCK_TIMEOUT="1")
    assert done.returncode == 1, done
    assert done.stderr.strip() == (
        "lvs-ipvs-net: another run applies 'director': pid 4242 (lvs-ipvs-net --apply) since 2026-12-03T10:00:00+0000 holds %s; "
        "gave up after waiting 1 s" % path
    )
    assert "192.0.2.80/32" not in addresses(shell)
    assert not (tmp / "conf" / "director.net").exists()
    # check mode only reads: it does not wait for the holder
    checked = run("--check", "director", "address lo 192.0.2.80/32\n", LVS_IPVS_NET_LOCK_TIMEOUT="1")
    assert checked.returncode == 0 and "changed: address 192.0.2.80/32 on lo" in checked.stdout, checked


def test_a_second_apply_waits_for_the_first_then_runs_whole(host, held_lock):
    run, shell, tmp = host
    handle, path = held_lock
    waiting = run("--apply", "director", "address lo 192.0.2.81/32\n", wait=False)
    time.sleep(1)
    assert waiting.poll() is None, "ran while another run held the lock"
    assert "192.0.2.81/32" not in addresses(shell)
    fcntl.flock(handle, fcntl.LOCK_UN)
    _stdout, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    assert "192.0.2.81/32" in addresses(shell)
    assert (tmp / "conf" / "director.net").read_text() == "address lo 192.0.2.81/32\n"
    assert path.read_text().startswith("pid %d (lvs-ipvs-net --apply) since " % waiting.pid)


def director_nft(*marks: tuple) -> str:
    """The director role's file for the given (mark, address, ports) and a notrack rule."""
    traffic = [(mark, (model.MarkedTraffic("ipv4", "tcp", address, ports),)) for mark, address, ports in marks]
    return nftables.ruleset({"marks": traffic, "untracked": [model.MarkedTraffic("ipv4", "tcp", "192.0.2.10", ((80, 80),))]})


def test_an_nftables_table_is_loaded_kept_again_after_a_flush_or_reboot_and_removed(host):
    run, shell, tmp = host
    rules = tmp / "director.nft"
    rules.write_text(director_nft((1, "192.0.2.10", ((8443, 8444),))))
    shell("nft add table inet theirs && nft add chain inet theirs keep")  # another tool's table
    config = "nft lvs_ipvs %s\n" % rules
    done = run("--apply", "director", config)
    assert done.returncode == 0 and "changed: nftables table inet lvs_ipvs loaded from %s" % rules in done.stdout, done
    listed = shell("nft list table inet lvs_ipvs")
    assert "ip daddr 192.0.2.10 tcp dport 8443-8444 meta mark set 0x00000001" in listed and "tcp dport 80 notrack" in listed
    assert "nftables" not in run("--apply", "director", config).stdout  # nothing to do
    shell("nft flush table inet lvs_ipvs")  # rules lost by hand
    assert "changed: nftables table inet lvs_ipvs loaded" in run("--check", "director", config).stdout
    assert "changed: nftables table inet lvs_ipvs loaded" in run("--apply", "director", config).stdout
    assert shell("nft list table inet lvs_ipvs") == listed
    rules.write_text(director_nft((1, "192.0.2.10", ((8443, 8443),)), (2, "192.0.2.20", ((53, 53),))))
    assert "changed: nftables table inet lvs_ipvs loaded" in run("--apply", "director", config).stdout
    listed = shell("nft list table inet lvs_ipvs")
    assert "8444" not in listed and "ip daddr 192.0.2.20 tcp dport 53 meta mark set 0x00000002" in listed
    shell("nft delete table inet lvs_ipvs")  # a reboot
    booted = run("--boot", "director")
    assert booted.returncode == 0 and shell("nft list table inet lvs_ipvs") == listed, booted
    gone = run("--apply", "director", "address lo 192.0.2.70/32\n")
    assert gone.returncode == 0 and "changed: nftables table inet lvs_ipvs deleted" in gone.stdout, gone
    assert "lvs_ipvs" not in shell("nft list tables") and "table inet theirs" in shell("nft list tables")
