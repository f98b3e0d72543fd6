"""Lower layers never import higher ones (DEVELOPERS: analysis must not import plots)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mixedmotive"
# a module of the key's package may not import from any of these packages
FORBIDDEN = {"analysis": {"plots"}, "envs": {"plots", "analysis", "experiments", "agents", "tasks"},
             "gradients": {"plots", "analysis", "experiments", "agents", "envs", "tasks"},
             "games": {"plots", "analysis", "experiments", "agents", "envs", "tasks"},
             "tasks": {"plots", "analysis", "experiments", "agents"},
             "agents": {"plots", "experiments"}, "experiments": {"plots"}}
# experiment modules that run a sibling experiment's trainer as a variant of it (Table 3 times the public goods
# game's descent; the Coins diagnosis reruns the Coins trainer per cell; the M-MAML study reruns meta-training per
# arm): one trainer, not a copy of its loop (docs/decisions.md W13).  The test below fails when one is moved into a
# lower layer, so the list only shrinks.
SIBLING_IMPORTS_TO_REMOVE = {"aga_runtime": {"aga_public_goods"}, "recip_coins_diagnosis": {"recip_coins"},
                             "recip_ipd_mmaml_study": {"recip_ipd_meta"}}


def _imported_packages(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 2 and node.module:  # from ..plots.x import y
                out.add(node.module.split(".")[0])
            elif node.level == 0 and node.module and node.module.startswith("mixedmotive."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("mixedmotive."))
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    bad = {str(p.relative_to(PACKAGE)): sorted(_imported_packages(p) & FORBIDDEN[layer])
           for p in sorted((PACKAGE / layer).glob("*.py"))}
    assert not {k: v for k, v in bad.items() if v}, bad


def _experiment_modules() -> set[str]:
    """The experiment modules: the trainers of the experiment registry (not the shared loops such as ``marl``)."""
    from mixedmotive.jobs import EXPERIMENTS

    return {e.trainer for e in EXPERIMENTS.values()}


def _imported_experiment_modules(path: Path) -> set[str]:
    """The modules of ``experiments/`` that ``path`` (a module of it) imports, in any spelling, anywhere."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            anchor = {0: "", 1: "mixedmotive.experiments", 2: "mixedmotive"}[node.level]
            dotted = ".".join(x for x in (anchor, node.module) if x)
            names = [dotted] + [f"{dotted}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out.update(n.split(".")[2] for n in names if n.startswith("mixedmotive.experiments.") and n.count(".") >= 2)
    return out


def test_imported_experiment_modules_reads_every_spelling(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("from .aga_ssd import run\nfrom . import aga_mmm2, marl\nfrom ..experiments.recip_coins import x\n"
                 "def f():\n    import mixedmotive.experiments.aga_ablation\n"
                 "    from mixedmotive.experiments import aga_runtime\nfrom ..tasks.ssd import SSDTask\n")
    assert _imported_experiment_modules(f) == {"aga_ssd", "aga_mmm2", "marl", "recip_coins", "aga_ablation",
                                               "aga_runtime"}


def test_experiments_import_no_sibling_experiment():
    """An experiment builds its task from tasks/ and trains with a shared loop (marl, game_descent); it does not
    import another experiment module (save the variants listed above)."""
    experiments = _experiment_modules()
    assert {"aga_ssd", "aga_mmm2", "aga_ablation", "recip_coins"} <= experiments and "marl" not in experiments
    found = {}
    for p in sorted((PACKAGE / "experiments").glob("*.py")):
        if p.name != "__init__.py":
            siblings = (_imported_experiment_modules(p) & experiments) - {p.stem}
            if siblings:
                found[p.stem] = siblings
    assert found == SIBLING_IMPORTS_TO_REMOVE
