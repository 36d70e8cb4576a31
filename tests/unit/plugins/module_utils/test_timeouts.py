from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _timeouts as timeouts
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

CURRENT = {"tcp": 900, "tcp_fin": 120, "udp": 300}


def test_only_given_nonzero_timeouts_are_wanted():
    assert timeouts.desired_of({"tcp": 7200, "tcp_fin": 0, "udp": None}) == {"tcp": 7200}


@pytest.mark.parametrize("value", [-1, timeouts.MAX_SECONDS + 1])
def test_out_of_range(value):
    with pytest.raises(IpvsError, match="udp timeout %d is out of range" % value):
        timeouts.desired_of({"udp": value})


def test_plan_keeps_only_differences():
    assert timeouts.plan(CURRENT, {"tcp": 900, "udp": 60}) == {"udp": 60}
    assert timeouts.plan(CURRENT, {}) == {}


def test_render_is_the_ipvsadm_option():
    assert timeouts.render(CURRENT) == "--set 900 120 300\n"
