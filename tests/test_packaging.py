"""Packaging metadata: pyproject.toml, environment.yml and constraints.txt stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
EXCLUDED = {"python", "pip"}


def norm(name: str) -> str:
    """Package names compare case-insensitively with '-', '_' and '.' equivalent (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def name_of(spec: str) -> str:
    """Name of a pip requirement or conda match spec ('numpy>=1.26', 'conda-forge::numpy 1.26.*')."""
    spec = spec.split("::")[-1].strip()
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec)
    assert match, f"cannot parse a package name from {spec!r}"
    return norm(match.group(0))


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def conda_env() -> dict:
    return yaml.safe_load((REPO / "environment.yml").read_text())


def pyproject_names(pyproject) -> dict[str, str]:
    project = pyproject["project"]
    specs = [*project.get("dependencies", []), *project.get("optional-dependencies", {}).get("test", [])]
    return {norm(Requirement(s).name): s for s in specs}


def environment_names(conda_env) -> dict[str, str]:
    names = {}
    for entry in conda_env.get("dependencies", []):
        if isinstance(entry, dict):  # the `pip:` sub-list
            for spec in entry.get("pip", []):
                names[name_of(spec)] = spec
        else:
            names[name_of(str(entry))] = str(entry)
    return {n: s for n, s in names.items() if n not in EXCLUDED}


def test_dependency_lists_agree(pyproject, conda_env):
    py, env = pyproject_names(pyproject), environment_names(conda_env)
    assert py, "pyproject.toml declares no dependencies"
    only_py = sorted(set(py) - set(env))
    only_env = sorted(set(env) - set(py))
    assert not only_py and not only_env, (
        f"only in pyproject.toml: {only_py}; only in environment.yml: {only_env}"
    )


def test_constraints_pin_torch():
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pins[norm(req.name)] = str(req.specifier)
    assert pins.get("torch") == "==2.13.0", f"constraints.txt must pin torch==2.13.0, has {pins.get('torch')!r}"


def test_torch_pin_satisfies_the_declared_requirements(pyproject, conda_env):
    torch_req = pyproject_names(pyproject)["torch"]
    assert Version("2.13.0") in Requirement(torch_req).specifier, f"pyproject's {torch_req!r} excludes the pin"
    env_torch = environment_names(conda_env).get("torch")
    assert env_torch is not None
    assert Version("2.13.0") in Requirement(env_torch).specifier, f"environment.yml's {env_torch!r} excludes the pin"


def test_requires_python_at_least_311(pyproject):
    requires = pyproject["project"].get("requires-python")
    assert requires, "pyproject.toml lacks requires-python"
    spec = SpecifierSet(requires)
    assert not any(Version(v) in spec for v in ("2.7", "3.6", "3.8", "3.9", "3.10", "3.10.99")), (
        f"requires-python {requires!r} admits Python older than 3.11"
    )
    assert any(Version(v) in spec for v in ("3.11", "3.12", "3.13")), f"requires-python {requires!r} admits nothing"


def test_readme_test_command_is_what_ci_runs():
    import re

    root = Path(__file__).resolve().parents[1]
    blocks = re.findall(r"```bash\n(.*?)```", (root / "README.md").read_text(), re.S)
    readme_cmds = [line.strip() for b in blocks for line in b.splitlines() if "pytest" in line]
    ci = [line.strip() for line in (root / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert readme_cmds, "README has no test command"
    assert readme_cmds[0] == ci[-1], "README's test command and .ci/run's command differ"


def test_readme_cpu_route_installs_the_pinned_torch_then_the_main_command():
    """The CPU-only install line takes PyTorch's CPU wheel of the pinned version, then runs the main command."""
    import re

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.S)
    lines = [ln.strip() for b in blocks for ln in b.splitlines()]
    main = next(ln for ln in lines if ln.endswith("snakemake --cores all") and "index-url" not in ln)
    cpu = next(ln for ln in lines if "--index-url https://download.pytorch.org/whl/cpu" in ln)
    pin = next(ln for ln in (root / "constraints.txt").read_text().splitlines() if ln.startswith("torch=="))
    venv, rest = main.split(" && pip install ", 1)
    assert cpu == f"{venv} && pip install {pin} --index-url https://download.pytorch.org/whl/cpu && pip install {rest}"
    assert Version(pin.split("==")[1]) in SpecifierSet("==" + pin.split("==")[1]) and \
        Version(pin.split("==")[1] + "+cpu") in SpecifierSet("==" + pin.split("==")[1]), "the pin must accept +cpu"
