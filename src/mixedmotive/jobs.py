"""The settings one training job reads: exactly what the workflow passes it as params.

Snakemake reruns a finished job when its params change.  A job's params are therefore the
settings that job reads and nothing else (docs/decisions.md W1):

* no scheduling lists or counts (``methods``, ``variants``, ``games``, ``pairings``,
  ``agents``, ``n_seeds``): they decide *which* jobs exist, so adding a seed, a method or a
  variant schedules only the new jobs;
* no plot options (``plot_range``, ``smooth``): a plot option reruns only the plots;
* per-method settings only for the method that reads them (AgA's λ for AgA, the SVO angle
  for SVO, the reciprocator's settings for pairings with a reciprocator, ...).

Every job still gets ``scale`` and ``device`` (provenance).  The trainers read their
settings with ``cfg[key]``, so a key removed here that a job does read fails loudly in the
smoke DAG and in ``tests/test_jobs.py``.
"""

from __future__ import annotations

import copy

SCHEDULING = ("methods", "variants", "games", "pairings", "agents", "n_seeds", "seeds_by_game")
PLOT_ONLY = ("plot_range", "smooth")

# multi-agent PPO settings read by some method families only (agents/mappo.py)
_MAPPO_ONLY = {"cga_lam": ("cga",), "svo_angle_deg": ("svo",), "svo_weight": ("svo",), "sl_self_interest": ("sl",),
               "aga_sign": ("aga",), "aga_hamiltonian": ("aga",), "aga_normalise": ("aga",),
               "collective": ("aga", "simul_co")}
# settings of the differentiable-game sections read by one method only (experiments/game_descent.py)
_GAME_ONLY = {"sga_align": "sga", "svo": "svo"}


def _strip(section: dict, extra: tuple[str, ...] = ()) -> dict:
    drop = set(SCHEDULING) | set(PLOT_ONLY) | set(extra)
    return {k: copy.deepcopy(v) for k, v in section.items() if k not in drop}


def _game_method(section: dict, method: str) -> dict:
    """aga_diffgame / aga_public_goods: one method's λ and method-specific options."""
    out = _strip(section)
    lam = section.get("lam", {})
    out["lam"] = {method: lam[method]} if method in lam else {}
    for key, owner in _GAME_ONLY.items():
        if key in out and method != owner:
            del out[key]
    if "sl" in out and method != "sl":
        del out["sl"]
    return out


def _mappo_variant(section: dict, variant: str, game: str | None = None) -> dict:
    method = variant.partition("_lam")[0]  # aga_lam100 -> aga (agents.mappo.parse_variant; no torch import here)
    out = _strip(section)
    out["mappo"] = {k: v for k, v in out["mappo"].items() if method in _MAPPO_ONLY.get(k, (method,))}
    if out["mappo"].get("optimiser", "adam") != "sgd":
        out["mappo"].pop("sgd_lr", None)
    if game is not None and game != "harvest":
        out.pop("harvest_regrowth_window", None)
    return out


def _ablation_run(cfg: dict, method: str) -> dict:
    """aga_ablation ``<game>:<variant>:x<multiplier>``: the game's own section (aga_ssd for
    harvest/cleanup, aga_mmm2 for mmm2) with the variant's options and the budget multiplied."""
    game, name, mult = method.split(":")
    section = cfg["aga_ablation"]
    options = dict(section["variants"][name])
    engine_method = options.pop("method")
    variant = f"aga_lam{section['lam']:g}" if engine_method == "aga" else engine_method
    base = copy.deepcopy(cfg["aga_mmm2" if game == "mmm2" else "aga_ssd"])
    base["mappo"].update(options)
    out = _mappo_variant(base, variant, None if game == "mmm2" else game)
    out.update(variant=variant, updates=base["updates"] * int(mult.lstrip("x")))
    if game == "mmm2":
        out["backend"] = cfg["mmm2_backend"]
    return out


def _coins_pairing(section: dict, pairing: str) -> dict:
    kinds = set(pairing.split("_vs_"))
    out = _strip(section)
    if "reciprocator" not in kinds:  # every trainer reads the warm-up length, only reciprocators the rest
        out["reciprocator"] = {"init_episodes": section["reciprocator"]["init_episodes"]}
    if "mfos" not in kinds:
        del out["mfos"]
    return out


def coins_cell(rr_weight: float, rr_normalise: bool) -> str:
    """Name of a Coins-diagnosis cell: ``w0.3-raw`` / ``w1-norm`` (r_RR weight, normalisation)."""
    return f"w{rr_weight:g}-{'norm' if rr_normalise else 'raw'}"


def parse_coins_cell(cell: str) -> tuple[float, bool]:
    """``'w0.3-norm'`` -> ``(0.3, True)``; the inverse of :func:`coins_cell`."""
    weight, _, norm = cell.partition("-")
    try:
        if not weight.startswith("w") or norm not in ("raw", "norm"):
            raise ValueError
        return float(weight[1:]), norm == "norm"
    except ValueError:
        raise ValueError(f"a Coins diagnosis cell is 'w<weight>-raw' or 'w<weight>-norm', got {cell!r}") from None


def _coins_diagnosis_run(cfg: dict, method: str) -> dict:
    """recip_coins_diagnosis ``<pairing>:<cell>:x<multiplier>``: recip_coins' settings with the cell's
    r_RR weight and normalisation and the episodes multiplied (a pairing without a Reciprocator reads
    neither, so its cell is irrelevant to it)."""
    pairing, cell, mult = method.split(":")
    weight, normalise = parse_coins_cell(cell)
    section = copy.deepcopy(cfg["recip_coins"])
    section["reciprocator"].update(rr_weight=weight, rr_normalise=normalise)
    section["episodes"] = section["episodes"] * int(mult.removeprefix("x"))
    return _coins_pairing(section, pairing)


def _ipd_match(section: dict, pair: str) -> dict:
    agents = pair.split("_vs_")
    out = {k: section[k] for k in ("n_updates", "batch", "gamma")}
    out.update({a: copy.deepcopy(section[a]) for a in sorted(set(agents)) if a in ("nl", "lola", "reciprocator")})
    return out


def job_settings(experiment: str, cfg: dict, method: str | None = None) -> dict:
    """What job (``experiment``, ``method``) reads from the resolved config ``cfg`` (all sections).

    ``method`` is the job's wildcard: a method (AgA games), ``<game>:<variant>`` (aga_ssd),
    ``<game>:<ablation variant>:x<budget multiplier>`` (aga_ablation), a
    variant (aga_mmm2), a pairing (recip_coins, recip_ipd_analytic), ``<pairing>:<cell>:x<budget
    multiplier>`` (recip_coins_diagnosis) or an agent (recip_ipd_meta).
    """
    common = {"scale": cfg["scale"], "device": cfg["device"]}
    if experiment in ("aga_diffgame", "aga_public_goods"):
        out = _game_method(cfg[experiment], method)
    elif experiment == "aga_runtime":  # one job times every method on the public goods game
        out = {**_strip(cfg[experiment]), "methods": list(cfg[experiment]["methods"]),
               "public_goods": _strip(cfg["aga_public_goods"])}
    elif experiment == "aga_ssd":
        game, _, variant = method.partition(":")
        out = _mappo_variant(cfg[experiment], variant, game)
    elif experiment == "aga_mmm2":
        out = {**_mappo_variant(cfg[experiment], method), "backend": cfg["mmm2_backend"]}
    elif experiment == "aga_ablation":
        out = _ablation_run(cfg, method)
    elif experiment == "recip_ipd_meta":
        out, common = {method: copy.deepcopy(cfg["recip_ipd_analytic"][method])}, {**common, "device": "cpu"}
    elif experiment == "recip_ipd_analytic":
        out, common = _ipd_match(cfg[experiment], method), {**common, "device": "cpu"}
    elif experiment == "recip_ipd_rollout":
        out = _strip(cfg[experiment])
    elif experiment == "recip_coins":
        out = _coins_pairing(cfg[experiment], method)
    elif experiment == "recip_coins_diagnosis":
        out = _coins_diagnosis_run(cfg, method)
    else:
        raise KeyError(f"no job settings defined for experiment {experiment!r}")
    return {**out, **common}
