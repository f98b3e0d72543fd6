"""Loading, validating and resolving the workflow configuration.

The config has base values (the ``default`` scale) and a ``scales`` section whose
``smoke`` / ``paper`` entries override base values key by key.  ``resolve``
returns the config of one scale with the overrides merged in; every rule and
trainer receives its experiment's section of that resolved config.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SCALES = ("smoke", "default", "paper")
ENV_SKIP_DEVICE_CHECK = "MIXEDMOTIVE_SKIP_DEVICE_CHECK"  # "1": a submit host without the jobs' GPU


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""


def _deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _known_keys(schema: dict) -> set:
    """Keys a (sub)schema declares, following one level of ``$ref`` into ``$defs``."""
    keys = set(schema.get("properties", {}))
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        keys |= set(load_schema()["$defs"][ref.split("/")[-1]].get("properties", {}))
    return keys


def _key_path(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(set(error.instance) - set(_known_keys(error.schema)))
        path = ".".join(filter(None, [path, extra[0] if extra else ""]))
    return path or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    v = error.validator
    if v == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if v == "type":
        return f"{error.instance!r} has the wrong type (expected {error.validator_value})"
    if v in ("minimum", "exclusiveMinimum"):
        return f"{error.instance!r} must be {'>=' if v == 'minimum' else '>'} {error.validator_value}"
    if v in ("maximum", "exclusiveMaximum"):
        return f"{error.instance!r} must be {'<=' if v == 'maximum' else '<'} {error.validator_value}"
    if v in ("additionalProperties", "unevaluatedProperties"):
        return "unknown key (check its spelling against config/config.yaml)"
    if v == "pattern" and "description" in error.schema:  # the allowed forms in words, not the regex
        return f"{error.instance!r} is not one of {error.schema['description']}"
    return error.message


def load_schema() -> dict:
    with open(SCHEMA_PATH) as fh:
        return yaml.safe_load(fh)


def validate(config: dict, schema: dict | None = None, where: str = "config") -> None:
    """Raise ConfigError with one message naming the first offending key."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise ConfigError(f"invalid {where}: key '{_key_path(best)}': {_describe(best)}")


def _merged(config: dict, scale: str) -> dict:
    overrides = (config.get("scales") or {}).get(scale) or {}
    merged = _deep_merge({k: v for k, v in config.items() if k != "scales"}, overrides)
    merged["scale"] = scale
    return merged


def resolve(config: dict, scale: str | None = None) -> dict:
    """Validate ``config`` at every scale and return it resolved at ``scale`` (default: config['scale'])."""
    validate(config)
    scale = scale or config.get("scale", "default")
    if scale not in SCALES:
        raise ConfigError(f"invalid config: key 'scale': {scale!r} is not one of {', '.join(SCALES)}")
    # every scale is checked, so a typo in an override is caught before anybody runs that scale
    for other in [scale] + [s for s in SCALES if s != scale]:
        merged = _merged(config, other)
        validate(merged, where=f"config at scale '{other}'")
        _check_ablation_names(merged, where=f"config at scale '{other}'")
    _check_device(config)
    return _merged(config, scale)


def _check_device(config: dict) -> None:
    """``device: cuda`` needs CUDA on this machine: say so before any job starts (one line), not in
    every job's log.  ``$MIXEDMOTIVE_SKIP_DEVICE_CHECK=1`` skips it on a submit host that has no GPU
    while the cluster's nodes have one (docs/cluster.md)."""
    if config.get("device") != "cuda" or os.environ.get(ENV_SKIP_DEVICE_CHECK) == "1":
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError("invalid config: key 'device': 'cuda' requested but torch finds no CUDA device on this "
                          f"machine (use device=auto or cpu; {ENV_SKIP_DEVICE_CHECK}=1 on a GPU-less submit host)")


def _check_ablation_names(config: dict, where: str) -> None:
    """Every variant the AgA ablation schedules is defined in ``aga_ablation.variants``."""
    section = config.get("aga_ablation")
    if not section:
        return
    lists = {f"aga_ablation.games.{g}": names for g, names in section["games"].items()}
    lists["aga_ablation.trend.variants"] = section["trend"]["variants"]
    for key, names in lists.items():
        for name in names:
            if name not in section["variants"]:
                raise ConfigError(f"invalid {where}: key '{key}': {name!r} is not a variant defined in "
                                  f"aga_ablation.variants ({', '.join(section['variants'])})")


def coins_confirm_seeds(cfg: dict) -> range:
    """The fresh seeds of the Coins confirmation (docs/decisions.md C11) in the resolved ``cfg``: the
    ``recip_coins_diagnosis.confirm.n_seeds`` seeds after every seed recip_coins and the diagnosis
    cells train, so none of its runs was seen when the cell was chosen; empty when ``confirm.cell`` is
    null.  (Here, not in ``jobs.py``: that module is training code of the diagnosis, mixedmotive.snapshot.)"""
    confirm = cfg["recip_coins_diagnosis"]["confirm"]
    if not confirm["cell"]:
        return range(0)
    first = max(cfg["recip_coins"]["n_seeds"], cfg["recip_coins_diagnosis"]["n_seeds"])
    return range(first, first + confirm["n_seeds"])


def load(path: str | Path = ROOT / "config" / "config.yaml", scale: str | None = None, extra=()) -> dict:
    """The config at ``path`` with the files ``extra`` merged over it in order, as Snakemake's
    ``--configfile`` does, resolved at ``scale``."""
    with open(path) as fh:
        raw = yaml.safe_load(fh)
    for other in extra:
        with open(other) as fh:
            raw = _deep_merge(raw, yaml.safe_load(fh) or {})
    return resolve(raw, scale)


def config_hash(section: dict) -> str:
    """Stable short hash of a (resolved) config section."""
    blob = json.dumps(section, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def resolve_device(name: str = "auto") -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("invalid config: key 'device': 'cuda' requested but no CUDA device is available")
    return name
