"""The plot registry: every registered name resolves to a plot function, and a plot job imports only
its own module (so a table of the Reciprocators never pays for torch, the environments or trainers)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from mixedmotive import plots

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(plots.PLOTS))
def test_every_registered_plot_resolves_to_a_function(name):
    assert callable(plots.get(name))


def test_unknown_plot_name_is_a_key_error():
    with pytest.raises(KeyError):
        plots.get("aga_fig99")


def test_every_plot_the_workflow_calls_is_registered():
    called = set()
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        called |= set(re.findall(r"mixedmotive_cli\.py plot (\w+)", smk.read_text()))
    assert called and called <= set(plots.PLOTS), called - set(plots.PLOTS)


def test_a_plot_job_imports_only_its_module():
    code = ("import sys; import mixedmotive.cli; from mixedmotive import plots; "
            "plots.get('recip_ipd_rollout_sensitivity'); plots.get('recip_coins_confirm_table'); "
            "print(sorted(m for m in ('torch', 'mixedmotive.plots.aga_marl', 'mixedmotive.agents') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
