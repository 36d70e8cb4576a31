from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _tuning as tuning
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def test_values_are_normalised():
    assert tuning.validate("ipvs", tuning.IPVS, {"conntrack": True, "sync_threshold": "3  50", "conn_reuse_mode": 2}) == {
        "conntrack": (1,),
        "sync_threshold": (3, 50),
        "conn_reuse_mode": (2,),
    }
    assert tuning.validate("ipvs", tuning.IPVS, {"sync_threshold": [3, 50]}) == {"sync_threshold": (3, 50)}


@pytest.mark.parametrize(
    "group, table, values, message",
    [
        ("ipvs", tuning.IPVS, {"expire_everything": 1}, "ipvs: unknown setting 'expire_everything'; valid: am_droprate, amemthresh, backup_only"),
        ("conntrack", tuning.CONNTRACK, {"tcp_timeout_forever": 1}, "valid: acct, buckets, expect_max, generic_timeout"),
        ("ipvs", tuning.IPVS, {"conntrack": 2}, "ipvs.conntrack: 2 is out of range 0..1"),
        ("ipvs", tuning.IPVS, {"sync_threshold": 3}, "is not 2 integers"),
        ("conntrack", tuning.CONNTRACK, {"max": -1}, "conntrack.max: -1 is out of range 1.."),
        ("conntrack", tuning.CONNTRACK, {"tcp_timeout_established": "long"}, "is not an integer"),
    ],
)
def test_bad_values(group, table, values, message):
    with pytest.raises(IpvsError) as caught:
        tuning.validate(group, table, values)
    assert message in caught.value.message


def test_sizing():
    sized = tuning.sizing(1_000_000, None, 2**34)
    assert sized["max"] == (1_250_000,)
    assert sized["buckets"] == (524288,)  # a power of two >= max / 4
    assert sized["memory_mib"] == pytest.approx((1_250_000 * 320 + 524288 * 8) / 2**20, abs=0.1)


def test_sizing_refuses_what_memory_cannot_hold():
    with pytest.raises(IpvsError, match="above memory_budget_mb 100"):
        tuning.sizing(1_000_000, 100, 2**34)
    with pytest.raises(IpvsError, match="this host has 64 MiB available"):
        tuning.sizing(1_000_000, None, 64 * 2**20)


def test_available_memory():
    assert tuning.available_memory("MemTotal: 100 kB\nMemAvailable:   2048 kB\n") == 2048 * 1024


def test_persisted_files():
    knob = tuning.CONNTRACK["max"]
    assert tuning.render_sysctl([(knob, (5,)), (tuning.CONNTRACK["buckets"], (8,)), (tuning.IPVS["sync_threshold"], (3, 50))]) == (
        "# Managed by lvs.ipvs.conntrack_tuning\nnet.netfilter.nf_conntrack_max = 5\nnet.ipv4.vs.sync_threshold = 3 50\n"
    )
    assert (
        tuning.render_modprobe((65536,), 16) == "# Managed by lvs.ipvs.conntrack_tuning\noptions nf_conntrack hashsize=65536\noptions ip_vs conn_tab_bits=16\n"
    )
