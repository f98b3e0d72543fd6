"""Lower layers never import higher ones (DEVELOPERS: analysis must not import plots)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mixedmotive"
# a module of the key's package may not import from any of these packages
FORBIDDEN = {"analysis": {"plots"}, "envs": {"plots", "analysis", "experiments", "agents"},
             "gradients": {"plots", "analysis", "experiments", "agents", "envs"},
             "games": {"plots", "analysis", "experiments", "agents", "envs"},
             "agents": {"plots", "experiments"}, "experiments": {"plots"}}


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
