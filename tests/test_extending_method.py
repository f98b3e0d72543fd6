"""The "add a method" recipe of docs/extending.md as a test.

In a copy of the repository: (1) one entry in ``src/mixedmotive/methods.py`` — a collective direction on
SVO-shaped losses, a method the package does not have — and (2) its name in the config's method list and its own
options section.  Nothing else changes, and the method is scheduled, trained and drawn at the smoke scale: it
appears in the dry run's DAG, in Table 1 and in Fig. 4's legend.
"""

from __future__ import annotations

import shutil
import subprocess

import pandas as pd
import pytest
from helpers import copy_repo
from test_workflow import output_of, snakemake

ENTRY = '''    Method("svo_co", "SVO-Co", "collective", "ξ_c of SVO-shaped losses", "#8c564b", ":", "h",
           shaping="social_value_orientation", game_keys=("svo_co",), marl=False),
'''
PG_METHODS = "  methods: [simul_ind, cga, sga, svo, simul_co, sl, aga]\n"
TARGETS = ("tables/smoke/aga_table1_public_goods.csv", "figures/smoke/aga_fig4_public_goods_scatter.pdf")


def _add_method(root):
    registry = root / "src" / "mixedmotive" / "methods.py"
    text = registry.read_text()
    end = text.index("\n)\n", text.index("_TABLE = ("))  # the end of the registry's table
    registry.write_text(text[:end + 1] + ENTRY + text[end + 1:])
    cfg = root / "config" / "config.yaml"
    text = cfg.read_text()
    head, sep, rest = text.partition("aga_public_goods:\n")
    assert rest.startswith(PG_METHODS), "the recipe edits aga_public_goods' method list"
    rest = rest.replace(PG_METHODS, PG_METHODS.replace("aga]", "aga, svo_co]"), 1)
    rest = rest.replace("  sga_align: true\n", "  sga_align: true\n  svo_co: {angle_deg: 45.0, weight: 0.2}\n", 1)
    cfg.write_text(head + sep + rest)


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("method") / "repo", git=True)
    _add_method(root)
    return root


def test_a_registered_method_is_scheduled(extended):
    proc = snakemake(extended, "-n", "--cores", "1", *TARGETS, "--config", "scale=smoke", timeout=300)
    assert proc.returncode == 0, output_of(proc)[-3000:]
    out = output_of(proc)
    assert "results/smoke/aga_public_goods/svo_co/seed0.parquet" in out
    assert "method=svo_co" in out


def test_a_registered_method_is_trained_and_drawn_in_table_1_and_fig_4(extended):
    proc = snakemake(extended, "--cores", "2", *TARGETS, "--config", "scale=smoke", timeout=600)
    assert proc.returncode == 0, output_of(proc)[-3000:]
    table = pd.read_csv(extended / TARGETS[0])
    assert "SVO-Co" in set(table["method"]) and len(table) == 8
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: Fig. 4's legend not read")
    text = subprocess.run(["pdftotext", str(extended / TARGETS[1]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "SVO-Co" in text and "Simul-Co" in text
