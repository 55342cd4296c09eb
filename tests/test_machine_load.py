"""What else the machine did while we measured (gilbench.machine_load), with
real processes: a child we wait for is ours, a process we do not wait for
is someone else's."""

from __future__ import annotations

import subprocess
import sys
import time

from gilbench.machine_load import Load

SPIN = "import time\nt = time.monotonic()\nwhile time.monotonic() - t < {s}: pass"
#: Spins until the process itself has used ``s`` seconds of CPU (however
#: busy the machine is).
SPIN_CPU = "import time\nwhile time.process_time() < {s}: pass"


def test_our_own_children_are_ours():
    """A child we wait for is our CPU time, not others' (what others did
    meanwhile -- other tests, say -- is not this test's to know)."""
    with Load() as load:
        subprocess.run([sys.executable, "-c", SPIN_CPU.format(s=1.5)], check=True)
    assert load.wall >= 1.5
    assert load.ours >= 1.5
    assert load.others >= 0 and 0 <= load.steal <= 1


def test_a_process_we_do_not_wait_for_is_others_load():
    spin = subprocess.Popen([sys.executable, "-c", SPIN.format(s=2.0)])
    try:
        with Load(others_limit=0.3) as load:
            time.sleep(1.5)
    finally:
        spin.wait()
    assert load.others > 0.3 and load.busy
    record = load.as_dict()
    assert record["busy"] is True and record["wall_s"] >= 1.5


def test_nothing_is_refused_that_was_not_measured():
    assert not Load().busy
    assert Load().as_dict() == {"wall_s": None, "others_cpus": None, "steal": None,
                                "busy": False}


def test_steal_over_its_limit_is_busy_and_inf_keeps_it():
    """What the hypervisor stole counts against its own limit, whatever the
    others did (a shared VM's steal cannot be made on purpose, so the rule is
    read on recorded values)."""
    assert Load(others=0.0, steal=0.2).busy
    assert not Load(others=0.0, steal=0.05).busy
    assert not Load(others=0.0, steal=0.9, steal_limit=float("inf")).busy
    assert Load(others=2.0, steal=0.9, steal_limit=float("inf")).busy
