"""The experiment registry, and the settings one training job reads: exactly what the workflow passes it as params.

:data:`EXPERIMENTS` holds one :class:`Experiment` per experiment: its trainer, the settings its jobs read, its
workflow rule, the area of ``docs/results/`` it belongs to, the module that registers its claims and the outputs its
runs feed.  The CLI, the workflow, the snapshot check, the cost estimates and the claims read their lists from it.

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
from collections.abc import Callable
from dataclasses import dataclass

from . import methods
from .wildcards import AblationRun, CoinsCell, DiagnosisRun, SSDRun, StudyArm

SCHEDULING = ("methods", "variants", "games", "pairings", "agents", "n_seeds", "seeds_by_game")
PLOT_ONLY = ("plot_range", "smooth")

# multi-agent PPO settings read by some methods only (agents/mappo.py), and settings of the differentiable-game
# sections read by some methods only (experiments/game_descent.py): from the method registry
_MAPPO_ONLY = methods.owners("mappo_keys")
_GAME_ONLY = methods.owners("game_keys")


def _strip(section: dict, extra: tuple[str, ...] = ()) -> dict:
    drop = set(SCHEDULING) | set(PLOT_ONLY) | set(extra)
    return {k: copy.deepcopy(v) for k, v in section.items() if k not in drop}


def _game_method(section: dict, method: str) -> dict:
    """aga_diffgame / aga_public_goods: one method's λ and method-specific options."""
    out = _strip(section)
    lam = section.get("lam", {})
    out["lam"] = {method: lam[method]} if method in lam else {}
    for key, owners in _GAME_ONLY.items():
        if key in out and method not in owners:
            del out[key]
    return out


def _mappo_variant(section: dict, variant: str, game: str | None = None) -> dict:
    method = methods.parse_variant(variant)[0]  # aga_lam100 -> aga
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
    game, name, mult = AblationRun.parse(method)
    section = cfg["aga_ablation"]
    options = dict(section["variants"][name])
    engine_method = options.pop("method")
    # the section's λ is AgA's (the paper's method); every other method keeps its own variant name
    variant = f"{engine_method}_lam{section['lam']:g}" if engine_method == methods.HEADLINE else engine_method
    base = copy.deepcopy(cfg["aga_mmm2" if game == "mmm2" else "aga_ssd"])
    base["mappo"].update(options)
    out = _mappo_variant(base, variant, None if game == "mmm2" else game)
    out.update(variant=variant, updates=base["updates"] * mult)
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
    return str(CoinsCell(rr_weight, rr_normalise))


def _coins_diagnosis_run(cfg: dict, method: str) -> dict:
    """recip_coins_diagnosis ``<pairing>:<cell>:x<multiplier>``: recip_coins' settings with the cell's
    r_RR weight and normalisation and the episodes multiplied (a pairing without a Reciprocator reads
    neither, so its cell is irrelevant to it)."""
    pairing, cell, mult = DiagnosisRun.parse(method)
    weight, normalise = CoinsCell.parse(cell)
    section = copy.deepcopy(cfg["recip_coins"])
    section["reciprocator"].update(rr_weight=weight, rr_normalise=normalise)
    section["episodes"] = section["episodes"] * mult
    return _coins_pairing(section, pairing)


def _ipd_match(section: dict, pair: str) -> dict:
    agents = pair.split("_vs_")
    out = {k: section[k] for k in ("n_updates", "batch", "gamma")}
    out.update({a: copy.deepcopy(section[a]) for a in sorted(set(agents)) if a in ("nl", "lola", "reciprocator")})
    return out


# --- the M-MAML study (docs/decisions.md R12) ---------------------------------------------------------------
REFERENCE_ARM = "mfos"  # M-FOS's pre-generated parameter sets (mixedmotive/data/mfos_mamaml_ipd.json)


def study_arms(cfg: dict) -> list[str]:
    """The arms the study compares in the resolved ``cfg``: the round robin's own M-MAML first, then the other
    outer batches (inner lr meta-learned), then the round robin's batch with each fixed inner lr, then M-FOS's
    sets; none when ``n_ids`` is 0 (the study is off).  Arms equal to the round robin's are dropped."""
    study = cfg["recip_ipd_mmaml_study"]
    if not study["n_ids"]:
        return []
    mmaml = cfg["recip_ipd_analytic"]["mmaml"]
    own = str(StudyArm(mmaml["batch"], mmaml["inner_lr"]))
    arms = [own, *(str(StudyArm(b, mmaml["inner_lr"])) for b in study["batches"]),
            *(str(StudyArm(mmaml["batch"], lr)) for lr in study["fixed_inner_lrs"]), REFERENCE_ARM]
    return list(dict.fromkeys(arms))


def _study_run(cfg: dict, arm: str) -> dict:
    """recip_ipd_mmaml_study (method = an arm; seed = M-MAML id): M-MAML meta-trained exactly as recip_ipd_meta
    does for the round robin, with only the outer batch, or the inner lr (fixed instead of meta-learned), changed."""
    batch, inner_lr = StudyArm.parse(arm)
    return {"mmaml": {**copy.deepcopy(cfg["recip_ipd_analytic"]["mmaml"]), "batch": batch, "inner_lr": inner_lr}}


def _study_eval(cfg: dict, arm: str) -> dict:
    """recip_ipd_mmaml_eval (method = an arm, or ``mfos``; seed 0): each M-MAML id of the arm played against NL
    with the round robin's match settings."""
    if arm != REFERENCE_ARM:
        StudyArm.parse(arm)
    rr = cfg["recip_ipd_analytic"]
    return {"n_ids": int(cfg["recip_ipd_mmaml_study"]["n_ids"]), "n_updates": rr["n_updates"], "batch": rr["batch"],
            "gamma": rr["gamma"], "nl": copy.deepcopy(rr["nl"])}


# --- the registry --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    """One experiment: ``python -m mixedmotive train <name> --method M --seed S`` runs
    ``mixedmotive.experiments.<trainer>.run(cfg, M, S, device)`` with ``cfg = settings(resolved config, M)`` plus
    ``scale`` and ``device``."""

    name: str
    trainer: str  # module under mixedmotive.experiments with run(cfg, method, seed, device) -> DataFrame
    settings: Callable[[dict, str | None], dict]  # (resolved config, method) -> the settings the job reads
    method: str  # what the job's ``method`` is (wildcards: mixedmotive.wildcards)
    area: str  # its area of docs/results/ (mixedmotive.snapshot)
    claims: str  # module under mixedmotive.analysis that registers the claims its runs decide
    outputs: tuple[str, ...]  # the figures/ and tables/ its runs feed (stems; besides the claims)
    rule: str | None = None  # its training rule in workflow/rules/ when not named like the experiment
    cpu: bool = False  # runs on the CPU whatever the config's device

    @property
    def rule_name(self) -> str:
        return self.rule or self.name

    def run(self, cfg: dict, method: str | None, seed: int, device):
        """Train one job (imports the trainer, and torch, only now)."""
        import importlib

        return importlib.import_module(f"mixedmotive.experiments.{self.trainer}").run(cfg, method, seed, device)


_GAMES_AREA = "AgA games (Fig. 1, Table 1, Fig. 4, Table 3)"
_IPD_AREA = "Reciprocators IPD (round robin, IPD-Rollout)"
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (
    Experiment("aga_diffgame", "aga_diffgame", lambda cfg, m: _game_method(cfg["aga_diffgame"], m), "a method",
               _GAMES_AREA, "aga_claims", ("aga_fig1_trajectories",)),
    Experiment("aga_public_goods", "aga_public_goods", lambda cfg, m: _game_method(cfg["aga_public_goods"], m),
               "a method", _GAMES_AREA, "aga_claims",
               ("aga_table1_public_goods", "aga_fig4_public_goods_scatter")),
    Experiment("aga_runtime", "aga_runtime",  # one job times every method on the public goods game
               lambda cfg, m: {**_strip(cfg["aga_runtime"]), "methods": list(cfg["aga_runtime"]["methods"]),
                               "public_goods": _strip(cfg["aga_public_goods"])},
               "none", _GAMES_AREA, "aga_claims", ("aga_table3_runtime",)),
    Experiment("aga_ssd", "aga_ssd", lambda cfg, m: _mappo_variant(cfg["aga_ssd"], SSDRun.parse(m).variant,
                                                                    SSDRun.parse(m).game),
               "SSDRun <game>:<variant>", "AgA Harvest/Cleanup (Table 2, Fig. 3)", "aga_marl_claims",
               ("aga_table2_ssd_equality", "aga_fig3_ssd_curves")),
    Experiment("aga_mmm2", "aga_mmm2",
               lambda cfg, m: {**_mappo_variant(cfg["aga_mmm2"], m), "backend": cfg["mmm2_backend"]},
               "a MAPPO variant", "AgA Selfish-MMM2 (Fig. 6)", "aga_marl_claims", ("aga_fig6_selfish_mmm2",)),
    Experiment("aga_ablation", "aga_ablation", _ablation_run, "AblationRun <game>:<variant>:x<multiplier>",
               "AgA ablation and budget trend (diagnostic)", "aga_ablation",
               ("aga_ablation", "aga_ablation_curves", "aga_ablation_trend", "aga_table2_ssd_equality_x<m>",
                "aga_fig3_ssd_curves_x<m>")),
    Experiment("recip_ipd_meta", "recip_ipd_meta", lambda cfg, m: {m: copy.deepcopy(cfg["recip_ipd_analytic"][m])},
               "an agent (mmaml, mfos)", _IPD_AREA, "recip_claims", ("recip_table1_ipd_round_robin",), cpu=True),
    Experiment("recip_ipd_analytic", "recip_ipd_analytic", lambda cfg, m: _ipd_match(cfg["recip_ipd_analytic"], m),
               "a pairing <agent>_vs_<agent>", _IPD_AREA, "recip_claims", ("recip_table1_ipd_round_robin",),
               rule="recip_ipd_match", cpu=True),
    Experiment("recip_ipd_rollout", "recip_ipd_rollout", lambda cfg, m: _strip(cfg["recip_ipd_rollout"]), "none",
               _IPD_AREA, "recip_claims", ("recip_fig2_ipd_rollout", "recip_ipd_rollout_sensitivity")),
    Experiment("recip_ipd_mmaml_study", "recip_ipd_mmaml_study", _study_run, "StudyArm b<batch>[-lr<lr>]",
               _IPD_AREA, "recip_ipd_mmaml_study", ("recip_ipd_mmaml_study",), cpu=True),
    Experiment("recip_ipd_mmaml_eval", "recip_ipd_mmaml_eval", _study_eval, "StudyArm, or mfos", _IPD_AREA,
               "recip_ipd_mmaml_study", ("recip_ipd_mmaml_study",), cpu=True),
    Experiment("recip_coins", "recip_coins", lambda cfg, m: _coins_pairing(cfg["recip_coins"], m),
               "a pairing <agent>_vs_<agent>", "Reciprocators Coins", "recip_coins_claims",
               ("recip_fig3_coins_vs_nl", "recip_fig4_coins_head_to_head", "recip_figA_coins_symmetric",
                "recip_figA_coins_own_coin")),
    Experiment("recip_coins_diagnosis", "recip_coins_diagnosis", _coins_diagnosis_run,
               "DiagnosisRun <pairing>:<cell>:x<multiplier>",
               "Reciprocators Coins diagnosis and budget trend (diagnostic)", "recip_coins_diagnosis",
               ("recip_coins_diagnosis", "recip_coins_budget_trend", "recip_coins_confirm")),
)}


def get(experiment: str) -> Experiment:
    try:
        return EXPERIMENTS[experiment]
    except KeyError:
        raise KeyError(f"no job settings defined for experiment {experiment!r}") from None


def areas() -> dict[str, tuple[str, ...]]:
    """``{area of docs/results/: its experiments}`` in the registry's order."""
    out: dict[str, tuple[str, ...]] = {}
    for e in EXPERIMENTS.values():
        out[e.area] = (*out.get(e.area, ()), e.name)
    return out


def job_settings(experiment: str, cfg: dict, method: str | None = None) -> dict:
    """What job (``experiment``, ``method``) reads from the resolved config ``cfg`` (all sections).

    ``method`` is the job's wildcard (the registry's ``method`` says which; compound ones are the structured
    names of :mod:`mixedmotive.wildcards`).
    """
    spec = get(experiment)
    return {**spec.settings(cfg, method), "scale": cfg["scale"], "device": "cpu" if spec.cpu else cfg["device"]}
