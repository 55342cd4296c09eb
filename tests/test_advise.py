"""``gilbench advise``, for real: the installed command on the suite's own
kernels (whose GIL and OpenMP structure is known from their source) and on
functions written here to misbehave.  The exact counts are asserted; the
times only for their shape, never for their speed."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import textwrap

import pytest

from benchmarks.harness import structure
from benchmarks.harness.threads import usable_cpus
from gilbench import advise

from helpers import require

C1 = "gilbench.kernels.c1_gil_held"
C7 = "gilbench.kernels.c7_prange_overhead"
X_OUT = "gilbench.advise_specs:x_out"
SIZES = [1000, 3000]


def _counts_here():
    require("the structure counts", structure.unavailable_reason(),
            "a C compiler (gcc) builds the interposer")


def _cli(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "gilbench", "advise", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def _finding(a, claim, topic):
    (f,) = [f for f in a.findings if f.claim == claim and f.topic == topic]
    return f


def test_a_gil_round_trip_per_element_is_advised_and_the_noexcept_twin_is_not():
    """C1's ``void ... except *`` poly takes the GIL back once per element
    to check for an exception; its ``noexcept`` twin never does (the
    kernels' source).  Exact, at 1 thread."""
    _counts_here()
    bad = advise.advise(advise.Spec(f"{C1}:poly_except", X_OUT), sizes=SIZES, quick=True)
    good = advise.advise(advise.Spec(f"{C1}:poly_noexcept", X_OUT), sizes=SIZES, quick=True)
    per = bad.counts["1"]["per_element"]
    assert per["gil_ensures"] + per["gil_restores"] == 1.0
    f = _finding(bad, "C1", "GIL per element")
    assert f.status == "advice" and "noexcept" in f.text
    per = good.counts["1"]["per_element"]
    assert per["gil_ensures"] + per["gil_restores"] == 0.0
    assert _finding(good, "C1", "GIL per element").status == "fine"
    # The round trip's price here, from C1's kernels in alternation with the
    # call: quoted in the advice, not taken where there is nothing to price.
    price = bad.gil_price
    assert price["size"] > 0 and price["spread"] >= 0 and price["share_spread"] >= 0
    f = _finding(bad, "C1", "GIL per element")
    assert "Without them a call at n = 3000" in f.text
    assert f.numbers["GIL round trip here (ns)"] == price["seconds"] * 1e9
    assert f.numbers["share of a call at n = 3000 (estimate)"] == price["share"]
    assert good.gil_price == {}
    # Neither enters an OpenMP region: the thread sweep is skipped, and says why.
    for a in (bad, good):
        assert a.threads == [1]
        assert "not a prange" in _finding(a, "C7", "crossover").text


@pytest.mark.skipif(usable_cpus() < 2, reason="a team of 2 needs 2 usable CPUs")
def test_a_prange_reports_one_region_of_the_usable_cpus_and_a_sweep_at_both():
    _counts_here()
    a = advise.advise(advise.Spec(f"{C7}:sumsq_prange", threads_arg="num_threads"),
                      sizes=SIZES, quick=True)
    top = str(usable_cpus())
    assert a.counts[top]["per_call"]["regions"] == 1
    assert a.counts[top]["per_call"]["team_members"] == usable_cpus()
    assert a.threads == [1, usable_cpus()]
    for n in SIZES:
        row = a.sweep[n]
        assert set(row["seconds"]) == {"1", top} and all(v > 0 for v in row["seconds"].values())
        assert row["ratio"] > 0 and row["ratio_spread"] >= 0
    cross = a.crossover
    assert len(cross["sweeps"]) == advise.QUICK[0]
    if cross["status"] in ("threshold", "bound"):
        # The largest of the sweeps' crossovers, so that it holds in each.
        assert cross["at"] == max(cross["sweeps"])
    assert cross.get("quick") is True


@pytest.mark.skipif(usable_cpus() < 2, reason="asking for 2 threads needs 2 usable CPUs")
def test_a_thread_count_the_function_ignores_is_named():
    """Without ``--threads-arg`` the threads are OpenMP's limit; a kernel
    that takes its count as an argument (default 1) ignores it, and the
    counts show the team of 1."""
    _counts_here()
    a = advise.advise(advise.Spec(f"{C7}:sumsq_prange"), sizes=SIZES, quick=True)
    f = [f for f in a.findings if f.claim == "C7" and f.topic == "OpenMP"]
    assert any(x.status == "advice" and "--threads-arg" in x.text for x in f), f


def test_the_command_prints_json_with_every_finding_and_its_numbers(monkeypatch):
    """... and what it ran under: the suite's runtime record, read in the
    timing process, and the caller's thread variables it cleared."""
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    r = _cli(f"{C1}:sumsq_noexcept", "--quick", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["runtime"]["cleared"] == ["OMP_WAIT_POLICY"]
    record = data["runtime"]["record"]
    assert record["env OMP_WAIT_POLICY"] == "unset"   # cleared before the measuring process
    assert record["cpus usable"] == f"{usable_cpus():g}"
    assert data["quick"] is True and data["spec"]["function"] == f"{C1}:sumsq_noexcept"
    assert {f["claim"] for f in data["findings"]} >= {"C3", "C7", "C9"}
    assert all(f["status"] in ("advice", "fine", "inconclusive", "not measured")
               for f in data["findings"])


BAD = {
    "misbehave.py": """
        import time
        import numpy as np

        def raises(x):
            raise ArithmeticError("no such luck")

        def forever(x):
            while True:
                time.sleep(0.01)

        def wrong_size(n):
            return (np.ones(3),)

        def fine(x):
            return float(x.sum())
    """,
}


@pytest.mark.parametrize("args, says", [
    (["nosuch_module_here:f"], "cannot import nosuch_module_here"),
    (["numpy:no_such_function"], "numpy has no no_such_function"),
    (["numpy"], "must be MODULE:NAME"),
    (["misbehave:raises"], "raised at n=100"),
    (["misbehave:fine", "--args", "misbehave:wrong_size"], "nothing of 100 elements"),
    ([f"{C7}:sumsq_prange", "--threads-arg", "not_a_keyword"], "refused its arguments"),
    (["misbehave:fine", "--threads-arg", "2x"], "threads_arg must be a keyword name"),
    (["misbehave:fine", "--sizes", "100"], "at least two integers"),
    (["misbehave:forever", "--timeout", "5"], "did not return within the time limit (5 s)"),
    (["misbehave:fine", "--python", "/no/such/python3.13t"], "no such executable"),
    (["misbehave:fine", "--python", "BARE"], "has no gilbench: install it there"),
    (["misbehave:fine", "--python", sys.executable, "--asv-benchmark", "b.py"],
     "not --python"),
])
def test_bad_input_is_one_line_and_exit_2_with_nothing_written(tmp_path, args, says):
    for name, text in BAD.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    if "BARE" in args:   # an interpreter without gilbench: a new virtualenv of this one
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")],
                       check=True)
        args = [str(tmp_path / "bare" / "bin" / "python") if a == "BARE" else a for a in args]
    r = _cli(*args, "--sizes", "100", "1000", cwd=tmp_path, timeout=120) \
        if "--sizes" not in args else _cli(*args, cwd=tmp_path, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench advise: "), r.stderr
    assert says in lines[0], lines[0]


def test_a_call_that_holds_the_gil_keeps_a_waiting_thread_out_and_is_told_so():
    """C3's ``spin_gil`` holds the GIL for a whole call (its source; exact: no
    release): the heartbeat thread waits out at least most of a call, and
    the finding says it holds the GIL, advising ``with nogil`` only for calls
    long enough for other threads to notice."""
    _counts_here()
    a = advise.advise(advise.Spec("gilbench.kernels.c3_release_for_threads:spin_gil",
                                  "gilbench.advise_specs:iterations"),
                      sizes=[1000, 100_000, 10_000_000], quick=True)
    assert a.counts["1"]["per_call"]["gil_saves"] == 0
    assert a.counts["1"]["per_element"]["gil_saves"] == 0
    f = _finding(a, "C3", "heartbeat")
    beat = a.heartbeat
    assert beat["worst_gap_s"] >= advise.HELD * beat["call_s"]
    assert "it holds the GIL" in f.text
    assert f.status == ("advice" if beat["call_s"] >= advise.HEARTBEAT_MIN_CALL else "fine")


NESTED = """
import numpy as np

def chunks(n):
    rng = np.random.default_rng(0)
    return rng.random((n, 48, 48)), rng.random((48, 48)), np.empty((n, 48, 48))
"""


@pytest.mark.skipif(usable_cpus() < 2, reason="BLAS threads to spare need 2 usable CPUs")
def test_blas_inside_a_prange_is_measured_under_both_wait_policies(tmp_path, monkeypatch):
    """C9's nested kernel (a dgemm per chunk inside a prange): BLAS free
    against pinned in the timing process and again in one started with
    OMP_WAIT_POLICY=PASSIVE, which its own runtime record confirms; the
    finding quotes both ratios and the passive policy's price."""
    _counts_here()
    (tmp_path / "nested_spec.py").write_text(NESTED)
    monkeypatch.chdir(tmp_path)
    a = advise.advise(advise.Spec("gilbench.kernels.c9_blas_contention:nested_matmul",
                                  "nested_spec:chunks", "num_threads"),
                      sizes=[4, 16], quick=True)
    assert a.counts[str(usable_cpus())]["per_call"]["regions"] == 1
    passive = a.blas["passive"]
    # Each process's own runtime record: the variable reached OpenMP, which
    # stopped spinning (libgomp's spin count 0), and the default process spins.
    assert passive["policy"] == "passive" and passive["spin_count"] == "0"
    assert passive["record"]["env OMP_WAIT_POLICY"] == "passive"
    assert set(passive["record"]) == set(a.runtime["record"])
    assert a.runtime["record"]["env OMP_WAIT_POLICY"] == "unset"
    assert passive["default_spin_count"] == a.runtime["record"]["openmp spin count"] != "0"
    assert passive["ratio"] > 0 and passive["spread"] >= 0 and passive["pinned_price"] > 0
    f = _finding(a, "C9", "wait policy")
    assert f.status in ("advice", "fine", "inconclusive")
    assert f.numbers["free / pinned, OMP_WAIT_POLICY=PASSIVE"] == passive["ratio"]
    assert f.numbers["free / pinned, default policy"] == a.blas["ratio"]
    assert "not interleaved" in f.text
    # Free inside the prange, each OpenMP thread may start a BLAS team of its own.
    cpus = usable_cpus()
    assert _finding(a, "C9", "BLAS").numbers["threads at most, free"] == cpus * cpus
    assert "oversubscribed" in _finding(a, "C9", "BLAS").text


def test_a_function_without_openmp_is_not_timed_under_another_wait_policy():
    _counts_here()
    a = advise.advise(advise.Spec(f"{C1}:sumsq_noexcept"), sizes=SIZES, quick=True)
    assert "passive" not in a.blas
    if usable_cpus() > 1:
        assert _finding(a, "C9", "wait policy").status == "not measured"


def test_on_a_terminal_a_progress_bar_counts_the_steps_and_stdout_stays_clean():
    """stderr a real terminal (a pty): the bar is redrawn in place, step by
    step, up to every step done, and cleared; stdout holds only the
    answer."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gilbench", "advise", f"{C1}:sumsq_noexcept",
                             "--quick", "--format", "json"], stdout=subprocess.PIPE,
                            stderr=follower, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:        # the terminal's other side closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read()
    assert proc.wait(timeout=300) == 0, seen.decode()
    os.close(leader)
    json.loads(out)
    bars = re.findall(r"\[([#.]{24})\] (\d+)/(\d+)", seen.decode())
    assert len(bars) >= 4 and b"\r" in seen, seen
    done = [int(d) for _, d, _ in bars]
    assert done == sorted(done) and done[-1] == int(bars[-1][2])   # to the last step
    assert bars[-1][0] == "#" * 24
    assert seen.decode().endswith("\r")                          # and cleared


def test_an_interpreter_whose_gilbench_speaks_another_protocol_is_refused(monkeypatch):
    """The caller's protocol moved on (as a newer gilbench's would): this
    interpreter's gilbench, which answers the probe for real, is refused in
    one line before anything is measured."""
    from gilbench import advise_measure

    assert advise.interpreter(sys.executable)["protocol"] == advise_measure.PROTOCOL
    monkeypatch.setattr(advise_measure, "PROTOCOL", advise_measure.PROTOCOL + 1)
    with pytest.raises(ValueError, match="speaks advise protocol .*install the same gilbench"):
        advise.advise(advise.Spec("numpy:sqrt"), python=sys.executable)
    with pytest.raises(TypeError, match="python must be a path"):
        advise.interpreter(3.13)


def test_a_spec_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="Spec"):
        advise.advise("numpy:sqrt")
    with pytest.raises(ValueError, match="timeout"):
        advise.advise(advise.Spec("numpy:sqrt"), timeout=0)


def test_the_page_is_one_file_that_a_real_browser_shows_whole(tmp_path):
    """``--html``: the page opens in Chromium with no network (every host but
    127.0.0.1 unresolvable), lists every finding and the sweep, and its plot
    is inline; a screenshot is kept for a person to look at."""
    import chromium

    page = tmp_path / "site" / "advice.html"
    r = _cli(f"{C7}:sumsq_prange", "--threads-arg", "num_threads", "--quick", "--format",
             "json", "--html", str(page))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    text = page.read_text()
    assert "http://" not in text and "https://" not in text   # nothing to fetch
    with chromium.serve(page.parent) as (url, log):
        dom = chromium.dump_dom(url + page.name, tmp_path / "profile")
        chromium.screenshot(url + page.name, chromium.ARTIFACTS / "advise-page.png",
                            tmp_path / "profile", size=(1280, 1300))
    assert dom.count("<tr>") >= len(data["findings"]) + len(data["sizes"]) + 2
    for f in data["findings"]:
        assert html.escape(f["text"], quote=False) in dom
    assert "data:image/png;base64," in dom and "runtime-record" in dom
    # The browser asks for its own favicon; the page asks for nothing.
    asked = {m.group(1) for m in map(re.compile(r'"GET (\S+) ').search, log) if m}
    assert asked <= {"/advice.html", "/favicon.ico"}, log


@pytest.mark.parametrize("spread, status", [(0.02, "fine"), (advise.EFFICIENCY_SPREAD, "fine"),
                                            (advise.EFFICIENCY_SPREAD + 0.01, "inconclusive"),
                                            (5.0, "inconclusive")])
def test_an_efficiency_on_a_ratio_too_noisy_to_bound_it_is_inconclusive(spread, status):
    """The rule alone, on the numbers a busy machine gave (ratio 0.283 +/-
    501%: efficiency 1.77 was read as fine)."""
    table = {100: {"ratio": 0.9, "ratio_spread": 0.01, "efficiency": 0.55},
             1000: {"ratio": 0.283, "ratio_spread": spread, "efficiency": 1 / 0.283 / 2}}
    beat = {"worst_gap_s": 1e-3, "call_s": 1e-4, "switch_interval_s": 5e-3}
    found = advise._findings({"unavailable": "not here"}, table,
                             {"status": "never", "why": "-", "sweeps": []}, beat,
                             {"why": "no BLAS"}, [1, 2], [100, 1000], "argument")
    (f,) = [f for f in found if f.topic == "efficiency"]
    assert f.status == status and f.numbers["ratio spread"] == spread


@pytest.mark.parametrize("default, passive, status, says", [
    ((1.02, 0.02), (1.00, 0.02), "fine", "no contention for it to remedy"),
    ((1.80, 0.05), (1.10, 0.05), "advice", "takes back part of BLAS's contention"),
    ((1.80, 0.05), (1.85, 0.05), "inconclusive", "does not remedy it here"),
    ((1.80, 0.05), (2.50, 0.05), "advice", "does not remedy it here"),
])
def test_the_wait_policy_rule_on_its_own(default, passive, status, says):
    """The rule alone: contention under the default policy (free / pinned
    beyond its spread and 5%), and whether the passive policy's own ratio
    comes clearly below it.  No run on this 2-CPU machine showed contention, so the
    measured tests reach only its first branch."""
    blas = {"ratio": default[0], "spread": default[1],
            "passive": {"ratio": passive[0], "spread": passive[1], "pinned_price": 1.2,
                        "spin_count": "0", "default_spin_count": "300000"}}
    f = advise._wait_policy_finding(blas, 2)
    assert f.status == status and says in f.text
    assert f.numbers["free / pinned, OMP_WAIT_POLICY=PASSIVE"] == passive[0]
