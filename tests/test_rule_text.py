"""The rule text the claims page publishes ("Rule.": each rule's docstring)
states the thresholds the rule uses: every numeric threshold constant a rule
reads (``C1_SAME``, ``C5B_PARALLEL``, ...) appears in its text, in one of the
forms the text writes a number in.  Change a constant and not its sentence,
and this fails."""

from __future__ import annotations

import inspect
import math
import re

import pytest

from gilbench import claims


def _forms(v: float) -> set[str]:
    """The ways a rule's text writes threshold ``v``."""
    out = set()
    for g in {f"{v:g}", f"{v:.1f}"}:
        out |= {f"{g}x", f"{g} times", f"{g} ns", f" {g} / threads"}
    if v > 1:
        out.add(f"{round((v - 1) * 100):g}%")       # within 15%: a ratio of 1.15
    if 0 < v < 1:
        out.add(f"{round(v * 100):g}%")             # 60% of the efficiency
    out |= {0.5: {"half"}, 0.2: {"a fifth"}}.get(v, set())
    if v and abs(math.log10(abs(v))) >= 3:
        out.add(f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e"))   # 1e-6
    return out


def _constants(rule) -> dict:
    """{name: value} of the module's numeric threshold constants the rule
    reads by name."""
    names = set(re.findall(r"\b(C\d+B?_[A-Z_]+)\b", inspect.getsource(rule)))
    return {n: getattr(claims, n) for n in sorted(names)
            if isinstance(getattr(claims, n, None), (int, float))
            and not isinstance(getattr(claims, n), bool)}


@pytest.mark.parametrize("claim", claims.CLAIMS, ids=lambda c: c.id)
def test_every_threshold_a_rule_reads_is_in_its_text(claim):
    text = " ".join((inspect.getdoc(claim.rule) or "").replace("``", "").split())
    constants = _constants(claim.rule)
    assert constants, claim.id
    missing = {n: v for n, v in constants.items() if not any(f in text for f in _forms(v))}
    assert not missing, f"{claim.id}'s rule text does not state {missing}: {text}"
