"""C4: the GIL-holding poller never sees a flag set by a Python thread unless it
releases the GIL now and then; it is always bounded by its timeout."""

import threading
import time

import numpy as np
import pytest

from benchmarks.harness.gil import gil_enabled
from gilbench.kernels.c4_brief_release import poll_flag, spin_release_every

from helpers import recurrence_reference


def poll_with_setter(release_every, timeout=0.3):
    flag = np.zeros(1, dtype=np.uint8)

    def setter():
        time.sleep(0.01)
        flag[0] = 1

    t = threading.Thread(target=setter)
    t.start()
    result = poll_flag(flag, timeout, release_every)
    t.join()
    return result, flag[0]


def test_without_release_the_flag_is_never_seen_and_the_call_returns():
    """With a GIL, a poller that never releases it never sees the other
    thread's flag; with the GIL off (C4's premise gone) it sees it."""
    t0 = time.perf_counter()
    (seen, polls, seconds), final = poll_with_setter(0, timeout=0.2 if gil_enabled() else 2.0)
    if gil_enabled():
        assert not seen
        assert polls > 0 and 0.2 <= seconds < 2.0
    else:
        assert seen and polls > 0 and seconds < 2.0
    assert time.perf_counter() - t0 < 5.0
    assert final == 1  # the setter did run -- after the poller let go


@pytest.mark.parametrize("every", [1, 1000])
def test_with_brief_release_the_flag_is_seen(every):
    (seen, polls, seconds), _ = poll_with_setter(every, timeout=2.0)
    assert seen and seconds < 2.0


def test_flag_already_set_is_seen_at_once():
    assert poll_flag(np.ones(1, dtype=np.uint8), 1.0, 0)[:2] == (True, 0)


def test_poll_flag_bad_input():
    flag = np.zeros(1, dtype=np.uint8)
    with pytest.raises(ValueError, match="at least one"):
        poll_flag(np.zeros(0, dtype=np.uint8), 1.0)
    for bad in (0.0, -1.0, 1e9, float("nan")):
        with pytest.raises(ValueError, match="timeout"):
            poll_flag(flag, bad)
    with pytest.raises(ValueError, match="release_every"):
        poll_flag(flag, 0.1, -1)
    with pytest.raises(TypeError, match="flag must be a 1-D NumPy uint8 array"):
        poll_flag(np.zeros(1, dtype=np.int64), 0.1)
    with pytest.raises(TypeError, match="timeout must be a real number"):
        poll_flag(flag, "1")


@pytest.mark.parametrize("k", [0, 1, 7, 1000, 10**7])
def test_release_every_does_not_change_the_result(k):
    assert spin_release_every(10_001, k) == pytest.approx(recurrence_reference(10_001), rel=1e-9)


def test_release_every_bad_input():
    with pytest.raises(ValueError, match="k|release_every"):
        spin_release_every(10, -1)
    with pytest.raises(ValueError, match="iterations"):
        spin_release_every(0, 1)
