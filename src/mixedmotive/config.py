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

from . import methods

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
        return f"{error.instance!r} must be {'≥' if v == 'minimum' else '>'} {error.validator_value}"
    if v in ("maximum", "exclusiveMaximum"):
        return f"{error.instance!r} must be {'≤' if v == 'maximum' else '<'} {error.validator_value}"
    if v in ("additionalProperties", "unevaluatedProperties"):
        return "unknown key (check its spelling against config/config.yaml)"
    if v == "pattern" and "description" in error.schema:  # the allowed forms in words, not the regex
        return f"{error.instance!r} is not one of {error.schema['description']}"
    return error.message


def load_schema() -> dict:
    """The config schema, with the method names of the registry (:mod:`mixedmotive.methods`) filled in."""
    with open(SCHEMA_PATH) as fh:
        schema = yaml.safe_load(fh)
    defs = schema["$defs"]
    defs["method"]["enum"] = list(methods.NAMES)
    defs["marl_method"]["enum"] = list(methods.MARL)
    defs["variant"].update(pattern=methods.variant_pattern(), description=methods.variant_forms())
    defs["lam"]["properties"] = {n: {"type": "number"} for n, m in methods.METHODS.items() if m.lam}
    for section in schema["properties"].values():
        if section.pop("x-method-options", False):
            section["properties"].update({n: {"$ref": f"#/$defs/{m.shaping}_options"}
                                          for n, m in methods.METHODS.items() if m.shaping})
    return schema


def validate(config: dict, schema: dict | None = None, where: str = "config") -> None:
    """Raise ConfigError with one message naming the first offending key."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise ConfigError(f"invalid {where}: key '{_key_path(best)}': {_describe(best)}")


# --- values from the command line -------------------------------------------------------------------
# Snakemake parses a nested `--config 'aga_public_goods={n_seeds: 2}'` with YAML's BaseLoader: every scalar inside
# arrives as a string ('2', '0.5', 'true', 'null').  coerce_strings() turns such a string into the number, boolean
# or null it spells wherever the schema does not accept the string itself, so that the value is then validated
# like one from --configfile (a range error names the range, not the type).
_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", type(None): "null", str: "string",
               list: "array", dict: "object"}


def _schema_parts(schema: dict, root: dict) -> list[dict]:
    """``schema`` with its ``$ref`` target and ``oneOf``/``anyOf``/``allOf`` branches, followed recursively."""
    parts, todo = [], [schema]
    while todo:
        part = todo.pop()
        if not isinstance(part, dict) or any(part is seen for seen in parts):
            continue
        parts.append(part)
        ref = part.get("$ref", "")
        if ref.startswith("#/$defs/"):
            todo.append(root["$defs"][ref.split("/")[-1]])
        for key in ("oneOf", "anyOf", "allOf"):
            todo.extend(part.get(key, []))
    return parts


def _accepts(parts: list[dict], value) -> bool:
    """Whether some part admits ``value``'s JSON type (an ``enum``/``const`` part: the value itself)."""
    kind = _JSON_TYPES.get(type(value))
    kinds = {"integer", "number"} if kind in ("integer", "number") else {kind}  # 1.5: "must be an integer"
    for part in parts:
        if "const" in part and part["const"] == value or value in part.get("enum", ()):
            return True
        declared = part.get("type")
        declared = {declared} if isinstance(declared, str) else set(declared or ())
        if kinds & declared:
            return True
    return False


def _valid(value, schema: dict, root: dict) -> bool:
    return jsonschema.Draft202012Validator({"$defs": root.get("$defs", {}), **schema}).is_valid(value)


def _parse_scalar(text: str):
    """The number, boolean or null ``text`` spells (YAML 1.2's core forms: not 'yes'/'no'), else ``text``."""
    words = {"true": True, "false": False, "null": None, "~": None}
    if text.strip().lower() in words:
        return words[text.strip().lower()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _coerce(value, schema: dict, root: dict):
    parts = _schema_parts(schema, root)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            subs = [p["properties"][key] for p in parts if key in p.get("properties", {})]
            subs += [p["additionalProperties"] for p in parts if isinstance(p.get("additionalProperties"), dict)]
            out[key] = _coerce(item, subs[0], root) if subs else item
        return out
    if isinstance(value, list):
        items = [p["items"] for p in parts if isinstance(p.get("items"), dict)]
        return [_coerce(item, items[0], root) for item in value] if items else value
    if isinstance(value, str) and not _valid(value, schema, root):
        parsed = _parse_scalar(value)
        if not isinstance(parsed, (str, list, dict)) and _accepts(parts, parsed):
            return parsed
    return value


def coerce_strings(config: dict, schema: dict | None = None) -> dict:
    """``config`` with every string that the schema does not accept there, but that spells a number, boolean or
    null the schema does accept, replaced by that value (see above); the overrides under ``scales.<scale>``
    follow the top-level schema.  Everything else is returned unchanged, for validation to judge."""
    schema = schema or load_schema()
    out = _coerce({k: v for k, v in config.items() if k != "scales"}, schema, schema)
    if isinstance(config.get("scales"), dict):
        out["scales"] = {name: _coerce(over, schema, schema) if isinstance(over, dict) else over
                         for name, over in config["scales"].items()}
    elif "scales" in config:
        out["scales"] = config["scales"]
    return out


def _merged(config: dict, scale: str) -> dict:
    overrides = (config.get("scales") or {}).get(scale) or {}
    merged = _deep_merge({k: v for k, v in config.items() if k != "scales"}, overrides)
    merged["scale"] = scale
    return merged


def resolve(config: dict, scale: str | None = None) -> dict:
    """Validate ``config`` at every scale and return it resolved at ``scale`` (default: config['scale'])."""
    config = coerce_strings(config)
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
    lists["aga_ablation.budget.variants"] = (section.get("budget") or {}).get("variants", [])
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
