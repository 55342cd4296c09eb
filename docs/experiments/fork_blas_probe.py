"""Why C8's one-section gain at 1 thread moved under asv's fork server: a
probe (not evidence for a rule), run by hand on a quiet machine:

    .nox/tests/bin/python docs/experiments/fork_blas_probe.py

Imports the suite as asv's server does, forks, and in the child enters the
benchmarks' BLAS pin (``pinned(blas=1)``, what ``Benchmark.setup`` does):
prints the process's threads before and after, and the CPU time its threads
burn while the main thread sleeps 0.3 s.  Then C8's normalize gain
(``TrackC8NormalizeGain`` at n = 1e5, 1 thread) in 4 forked children, with
and without ``OPENBLAS_NUM_THREADS=1`` (which leaves OpenBLAS no pool to
start).  Output committed in docs/data/main-job/vm/fork-blas-probe.txt.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def import_like_the_server():
    from asv_runner.discovery import disc_benchmarks

    for _ in disc_benchmarks(str(ROOT / "benchmarks")):
        pass


def in_child(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.write(w, repr(fn()).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    return os.read(r, 4096).decode()


def pin_and_watch():
    from benchmarks.harness.pinning import pinned

    before = threads()
    with pinned(blas=1):
        after = threads()
        t = time.process_time()
        time.sleep(0.3)
        return {"threads after fork": before, "threads in pinned(blas=1)": after,
                "CPU s burnt while sleeping 0.3 s": round(time.process_time() - t, 3)}


def gain():
    from benchmarks import bench_c8_parallel_section as b

    bm = b.TrackC8NormalizeGain()
    bm.setup(100_000, 1)
    try:
        return round(bm.track_c8_normalize_gain(100_000, 1), 3)
    finally:
        bm.teardown(100_000, 1)


def main():
    if sys.argv[1:] == ["gains"]:
        import_like_the_server()
        print(os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
              [in_child(gain) for _ in range(4)], flush=True)
        return
    import_like_the_server()
    print("server threads after importing the suite:", threads())
    print("child:", in_child(pin_and_watch), flush=True)
    for extra in ({}, {"OPENBLAS_NUM_THREADS": "1"}):
        env = dict(os.environ, **extra)
        r = subprocess.run([sys.executable, __file__, "gains"], env=env, capture_output=True,
                           text=True, check=True)
        print("C8 normalize gain (1e5, 1 thread) in 4 forks, OPENBLAS_NUM_THREADS="
              + r.stdout.strip())


if __name__ == "__main__":
    main()
