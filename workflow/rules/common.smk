# Shared helpers: config validation, scale resolution, output paths, job arguments.
import functools
import json
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
ENV = "../../environment.yml"  # conda env of every rule (used with --use-conda)

from mixedmotive.config import ConfigError, coins_confirm_seeds, resolve  # noqa: E402
from mixedmotive.estimate import load_costs  # noqa: E402
from mixedmotive.preflight import request  # noqa: E402
from mixedmotive.jobs import coins_cell, job_settings, study_arms  # noqa: E402
from mixedmotive.methods import NAMES as METHOD_REGISTRY  # noqa: E402
from mixedmotive.wildcards import AblationRun, DiagnosisRun, SSDRun, StudyArm  # noqa: E402

try:
    CFG = resolve(config)
except ConfigError as err:
    sys.exit(f"mixedmotive: {err}")

SCALE = CFG["scale"]
RES = f"results/{SCALE}"
# Final outputs: the default scale where the README says, other scales in their own folder, so that
# `--config scale=smoke` never overwrites a default-scale figure (docs/decisions.md W2).
FIG = "figures" if SCALE == "default" else f"figures/{SCALE}"
TAB = "tables" if SCALE == "default" else f"tables/{SCALE}"
ALL_OUTPUTS = []  # every area appends its final figures and tables
CLAIM_INPUTS = []  # every area appends the raw results its claims read
CLAIM_CFG = dict(CFG["claims"])  # the claims job's settings; an area adds what its claims read

METHOD_NAMES = "|".join(METHOD_REGISTRY)  # the method registry (src/mixedmotive/methods.py)


wildcard_constraints:
    method=METHOD_NAMES,
    seed=r"\d+",


# Checkpoint interval of long trainers (mixedmotive.checkpoint).  It changes no result, so it reaches
# the jobs through the environment (the CLI reads it), not through params: in --config-json it would
# make Snakemake's params trigger rerun every finished job whenever the interval changes.  Every job
# re-reads this file (also on a cluster), so the variable is set wherever a rule's shell command runs
# (it is set here, not required from the user: no `envvars:` directive).
os.environ.update(MIXEDMOTIVE_CHECKPOINT_EVERY_S=str(CFG.get("checkpoint_every_s", 60)))
# The scale every figure and table names in its footer (mixedmotive.plots.footer): through the
# environment too, so that the plot rules' shell commands stay plain strings.
os.environ.update(MIXEDMOTIVE_SCALE=SCALE)


onstart:
    # how long will it take: the scheduled jobs' wall time from measured costs (workflow/costs.yaml)
    from mixedmotive.estimate import announce

    announce(workflow, SCALE)


# the same estimate in a dry run (`snakemake -n`), which runs no onstart hook
from mixedmotive.estimate import announce_dry_runs  # noqa: E402

announce_dry_runs(workflow, SCALE)


# Resources of the training rules: measured seconds and peak memory of workflow/costs.yaml (the paper scale's
# from `python -m mixedmotive preflight`, docs/cluster.md) with a margin of 1.5x time and 1.5x memory
# (mixedmotive.preflight.request); a rule not measured at the scale asks for 48 h and 4 GB.
COSTS = load_costs()


def runtime_of(rule):
    """Minutes a job of ``rule`` requests (``runtime`` resource): from its measured time."""
    return lambda wildcards: request(rule, SCALE, dict(wildcards.items()), COSTS)["runtime"]


def mem_of(rule):
    """``mem_mb`` a job of ``rule`` requests: from its measured peak memory."""
    return lambda wildcards: request(rule, SCALE, dict(wildcards.items()), COSTS)["mem_mb"]


def as_arg(obj):
    return shlex.quote(json.dumps(obj, sort_keys=True))


def job_cfg(experiment, method=lambda w: w.method):
    """Params of one training job: exactly the settings it reads (mixedmotive.jobs), so that adding a
    seed, a method or a plot option schedules only the jobs it concerns."""
    return lambda wildcards: as_arg(job_settings(experiment, CFG, method(wildcards)))


def reported(path, caption, category, exists=None):
    """``report(path, ...)`` when the file exists (``exists``: whether all files of a wildcard
    pattern do), else plain ``path``: `snakemake --report` then reports what has been built so
    far instead of failing on the first output that is not built yet."""
    exists = os.path.exists(path) if exists is None else exists
    return report(path, caption=caption, category=category) if exists else path




def seeds(name):
    return range(CFG[name]["n_seeds"])


def raw(name, methods=None):
    """Raw-result files of experiment ``name`` for all its methods and seeds."""
    return expand(
        f"{RES}/{name}/{{method}}/seed{{seed}}.parquet",
        method=methods or CFG[name]["methods"],
        seed=seeds(name),
    )


def variant_pattern(variants):
    """Wildcard regex matching exactly the given method variants (e.g. aga_lam0.1)."""
    return "|".join(v.replace(".", r"\.") for v in variants)


def table(stem):
    """The three files of one table."""
    return multiext(f"{TAB}/{stem}", ".pdf", ".csv", ".tex")


def table_outputs(stem, caption, category):
    """Named outputs (pdf, csv, tex) of one table rule; the PDF goes into the report."""
    return dict(pdf=reported(f"{TAB}/{stem}.pdf", caption, category), csv=f"{TAB}/{stem}.csv",
                tex=f"{TAB}/{stem}.tex")


# --- Reciprocators IPD round robin ---------------------------------------------------
RR = CFG["recip_ipd_analytic"]
RR_AGENTS = RR["agents"]
META_AGENTS = ("mmaml", "mfos")
# settings the round-robin table prints (meta-training settings reach it through the matches' artifacts)
RR_MATCH_KEYS = ("agents", "n_updates", "batch", "gamma", "nl", "lola", "reciprocator")


def rr_pairs():
    """Unordered pairings (self-play included): a_vs_b fills both (a, b) and (b, a)."""
    return [f"{a}_vs_{b}" for i, a in enumerate(RR_AGENTS) for b in RR_AGENTS[i:]]


def rr_meta_inputs(wildcards):
    names = set(wildcards.pair.split("_vs_")) & set(META_AGENTS)
    return {n: f"{RES}/recip_ipd_meta/{n}/seed{wildcards.seed}.pt" for n in sorted(names)}


def rr_match_cfg(wildcards):
    # from the wildcards, not `input`, so that Snakemake's params trigger sees a changed setting (see mmaml_eval_cfg)
    return as_arg({**job_settings("recip_ipd_analytic", CFG, wildcards.pair),
                   "artifacts": rr_meta_inputs(wildcards)})


# --- M-MAML study (recip_ipd.smk; docs/decisions.md R12): config recip_ipd_mmaml_study, off while n_ids is 0
MMAML_STUDY = CFG["recip_ipd_mmaml_study"]
MMAML_ARMS = study_arms(CFG)
MMAML_OWN_ARM = str(StudyArm(RR["mmaml"]["batch"], RR["mmaml"]["inner_lr"]))


def mmaml_study_run(arm, seed, ext="parquet"):
    """Meta-training output of M-MAML id ``seed`` in a study arm: the round robin's own runs for its own arm."""
    if arm == MMAML_OWN_ARM:
        return f"{RES}/recip_ipd_meta/mmaml/seed{seed}.{ext}"
    return f"{RES}/recip_ipd_mmaml_study/{arm}/seed{seed}.{ext}"


def mmaml_eval_inputs(wildcards):
    if wildcards.arm == "mfos":
        return {"reference": "src/mixedmotive/data/mfos_mamaml_ipd.json"}
    return {str(i): mmaml_study_run(wildcards.arm, i, "pt") for i in range(MMAML_STUDY["n_ids"])}


def mmaml_eval_cfg(wildcards):
    # from the wildcards, not `input`: Snakemake compares params that need `input` only when the job runs,
    # so a new id would not rerun the M-FOS arm's evaluation (its input file does not change)
    return as_arg({**job_settings("recip_ipd_mmaml_eval", CFG, wildcards.arm),
                   "artifacts": {k: v for k, v in mmaml_eval_inputs(wildcards).items() if k != "reference"}})


# --- AgA ablation (aga_ablation.smk): from CFG only, like every helper here
def ablation_reuses(game, variant):
    """The Table 2 / Fig. 6 variant whose runs are this variant's runs at the default budget: its job
    settings are the ablation job's (docs/decisions.md A12; tested), so the ablation does not retrain it."""
    own = job_settings("aga_ablation", CFG, f"{game}:{variant}:x1")
    area = "aga_mmm2" if game == "mmm2" else "aga_ssd"
    if area == "aga_ssd" and game not in CFG["aga_ssd"]["games"]:
        return None
    for t2 in CFG[area]["variants"]:
        if {**job_settings(area, CFG, t2 if area == "aga_mmm2" else f"{game}:{t2}"), "variant": t2} == own:
            return t2
    return None


@functools.cache
def ablation_reuse():
    """game -> {ablation variant of aga_ablation.games: the Table 2 / Fig. 6 variant whose runs it reuses}."""
    return {game: {v: ablation_reuses(game, v) for v in variants if ablation_reuses(game, v)}
            for game, variants in CFG["aga_ablation"]["games"].items()}


def ablation_run(mult, game, variant, seed):
    """Raw result of one ablation run: a Table 2 / Fig. 6 run where the ablation reuses one, else its own."""
    reused = ablation_reuse().get(game, {}).get(variant) if mult == 1 else None
    if reused is None:
        return f"{RES}/aga_ablation/x{mult}/{game}/{variant}/seed{seed}.parquet"
    if game == "mmm2":
        return f"{RES}/aga_mmm2/{CFG['mmm2_backend']}/{reused}/seed{seed}.parquet"
    return f"{RES}/aga_ssd/{game}/{reused}/seed{seed}.parquet"


# --- Table 2 / Fig. 3 at a larger budget (aga_ablation.smk; decision A16)
def budget_names(game):
    """aga_ablation.budget's variants -> their Table 2 names (a variant without one keeps its own)."""
    return {v: ablation_reuses(game, v) or v for v in CFG["aga_ablation"]["budget"]["variants"]}


def budget_results(mult):
    """Raw results of aga_ablation.budget at ``mult`` x the default updates."""
    budget = CFG["aga_ablation"]["budget"]
    return [ablation_run(mult, game, variant, seed) for game in budget["games"]
            for variant in budget["variants"] for seed in range(budget["n_seeds"])]


def budget_plot_cfg(wildcards):
    """Params of Table 2 / Fig. 3 at the budget of the wildcard ``mult`` (from the wildcards: they name it)."""
    section = CFG["aga_ablation"]
    budget = {"multiplier": int(wildcards.mult), "lam": section["lam"],
              "games": {g: budget_names(g) for g in section["budget"]["games"]}}
    return as_arg({**CFG["aga_ssd"], "games": section["budget"]["games"], "scale": SCALE, "budget": budget,
                   "final_fraction": CFG["claims"]["marl_final_fraction"], "headline": CFG["claims"]["marl_headline"]})


def budget_built(path):
    """Whether the configured budget's file of the wildcard pattern ``path`` exists (then it goes into the report)."""
    multiplier = CFG["aga_ablation"]["budget"]["multiplier"]
    return bool(multiplier) and os.path.exists(path.format(mult=multiplier))


# --- Coins diagnosis (recip_coins_diagnosis.smk)
def coins_main_cell():
    """The diagnosis cell of recip_coins' own r_RR settings: its runs at x1 are recip_coins' runs."""
    rec = CFG["recip_coins"]["reciprocator"]
    return coins_cell(rec["rr_weight"], rec["rr_normalise"])


def diag_run(pairing, cell, mult, seed):
    """Raw result of one Coins-diagnosis run: recip_coins' run for recip_coins' own cell at the default budget."""
    if mult == 1 and cell == coins_main_cell() and pairing in CFG["recip_coins"]["pairings"]:
        return f"{RES}/recip_coins/{pairing}/seed{seed}.parquet"
    return f"{RES}/recip_coins_diagnosis/x{mult}/{pairing}/{cell}/seed{seed}.parquet"
