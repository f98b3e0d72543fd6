"""The method registry (mixedmotive.methods): every consumer derives from it, and a method name is spelled in one
source file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import torch

from mixedmotive import config, jobs, methods
from mixedmotive.gradients import direction
from mixedmotive.methods import METHODS, parse_variant

REPO = Path(__file__).resolve().parents[1]


def _code_strings(path: Path) -> set[str]:
    """The string constants of a module's code (docstrings left out: their examples are prose)."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs}


def test_a_method_name_is_spelled_in_one_source_file():
    """A method name as a string in code, or in a YAML list, appears in methods.py only: the engine, MAPPO, jobs,
    plots, claims, the schema and the workflow read the registry."""
    py = {str(p.relative_to(REPO)) for p in sorted((REPO / "src" / "mixedmotive").rglob("*.py"))
          if _code_strings(p) & set(METHODS)}
    names = "|".join(METHODS)
    listed = re.compile(rf"""["']({names})["']|\[\s*({names})\s*[,\]]""")
    other = {str(p.relative_to(REPO)) for p in [*sorted((REPO / "workflow").rglob("*.smk")), REPO / "Snakefile",
                                                *sorted((REPO / "workflow" / "schemas").glob("*.yaml"))]
             if listed.search(p.read_text())}
    assert py | other == {"src/mixedmotive/methods.py"}


def test_every_entry_is_well_formed_and_there_is_one_headline():
    for name, m in METHODS.items():
        assert m.name == name and m.direction in methods.DIRECTIONS and m.role in methods.ROLES
        assert m.shaping in (None, *methods.SHAPINGS)
        assert not m.lam_key or m.lam  # a default λ only for a method that takes one
    assert [n for n, m in METHODS.items() if m.role == "headline"] == [methods.HEADLINE]
    assert methods.get(methods.COLLECTIVE).direction == "collective"
    assert methods.get(methods.INDIVIDUAL).direction == "individual"
    assert methods.unshaped("svo") == methods.unshaped("sl") == methods.INDIVIDUAL
    assert set(methods.TABLE2_BASELINES) <= set(methods.MARL) and methods.HEADLINE not in methods.TABLE2_BASELINES
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        methods.get("nope")


def test_who_reads_which_setting_comes_from_the_registry():
    owners = methods.owners("mappo_keys")
    assert owners["collective"] == (methods.COLLECTIVE, methods.HEADLINE)  # the two methods with a collective loss
    assert all(set(v) <= set(METHODS) for v in owners.values())
    cfg = config.load(scale="smoke")
    for name in methods.MARL:
        mappo = jobs.job_settings("aga_ssd", cfg, f"harvest:{name}")["mappo"]
        for key, readers in owners.items():
            assert (key in mappo) == (name in readers), (name, key)


def test_variants_and_the_schema_follow_the_registry():
    assert parse_variant("aga_lam100") == ("aga", 100.0) and parse_variant("cga") == ("cga", None)
    pattern = re.compile(methods.variant_pattern())
    for name in METHODS:
        ok = name in methods.MARL
        assert bool(pattern.match(name)) == ok
        assert bool(pattern.match(f"{name}_lam2.5")) == (ok and METHODS[name].lam)
    schema = config.load_schema()["$defs"]
    assert schema["method"]["enum"] == list(METHODS)
    assert set(schema["lam"]["properties"]) == {n for n, m in METHODS.items() if m.lam}


def _two_player_game():
    """l1 = x^2 + 2xy, l2 = y^2 - xy at (x, y) = (1, 2): hand-derived gradients below."""
    x = torch.tensor(1.0, requires_grad=True)
    y = torch.tensor(2.0, requires_grad=True)
    return [x, y], [x * x + 2 * x * y, y * y - x * y]


@pytest.mark.parametrize("name", list(METHODS))
def test_the_engine_computes_every_registered_method(name):
    params, losses = _two_player_game()
    kwargs = {"sl_self_interest": 0.5} if METHODS[name].shaping == "self_interest_level" else {}
    out = direction(name, losses, params, lam=0.5, **kwargs)
    assert len(out) == 2 and all(torch.isfinite(o) for o in out)
    if name == methods.INDIVIDUAL:  # xi = (dl1/dx, dl2/dy) = (2x + 2y, 2y - x) = (6, 3)
        assert [float(o) for o in out] == [6.0, 3.0]
    if name == methods.COLLECTIVE:  # gradient of l1 + l2 = x^2 + xy + y^2: (2x + y, x + 2y) = (4, 5)
        assert [float(o) for o in out] == [4.0, 5.0]
