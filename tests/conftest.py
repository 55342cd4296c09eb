import numpy as np
import pytest

from gilbench import _openmp_helpers
from gilbench.threads import thread_counts

#: Sizes every kernel is checked at: empty, one element, odd, large.
SIZES = [0, 1, 7, 1001, 1_000_003]


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(12345)


requires_openmp = pytest.mark.skipif(
    not _openmp_helpers.openmp_enabled(), reason="gilbench was built without OpenMP")

#: 1 .. usable CPUs and 2 x CPUs: every kernel must be right oversubscribed too.
THREADS = thread_counts(oversubscribe=True)


# --- test oracles: what the kernels must return, computed in plain Python -------

def recurrence_reference(steps):
    """``steps`` steps of ``s = 0.999999 s + 1`` from 0 (C3's and C4's loop),
    in closed form."""
    n = int(steps)
    return (1.0 - 0.999999 ** n) / (1.0 - 0.999999)


def schedule_work_reference(n, inner, balanced=True):
    """What C7's ``schedule_work`` returns, step by step (the closed form would
    lose digits to cancellation)."""
    values = [0.0]
    y = 0.0
    for _ in range(2 * inner):
        y = y * 0.999999 + 1.0
        values.append(y)
    return sum(values[inner if balanced else (2 * inner * i) // n] for i in range(n))


# --- one asv environment for every test that lets asv build gilbench -----------

@pytest.fixture(scope="session")
def asv_env_dir(tmp_path_factory):
    """One asv ``env_dir`` shared by the tests that run asv on scratch clones
    (nightly, gate): asv creates its virtualenv once and caches each commit's
    wheel there by commit hash, so the same commit is built once per session
    whichever clone asks for it."""
    return tmp_path_factory.mktemp("asv-env")


def share_asv_env(clone, env_dir) -> None:
    """Point ``clone``'s asv environments (``.asv/env``, asv.conf.json's
    env_dir) at the session's shared directory."""
    (clone / ".asv").mkdir(exist_ok=True)
    (clone / ".asv" / "env").symlink_to(env_dir, target_is_directory=True)
