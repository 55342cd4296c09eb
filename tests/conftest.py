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
