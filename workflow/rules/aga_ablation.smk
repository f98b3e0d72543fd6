# AgA ablation (docs/decisions.md A12): the paper's open readings of AgA as options of the
# engine and MAPPO, one run per (budget multiplier, game, variant, seed) -> tables/aga_ablation,
# figures/aga_ablation_curves, and with aga_ablation.trend.multipliers the budget trend; with
# aga_ablation.budget.multiplier Table 2 / Fig. 3 and the AGA-C4 claims at that budget, with
# aga_ablation.mmm2_budget.multiplier the AGA-C5 (Selfish-MMM2) claims at that one (A16).

ABL = CFG["aga_ablation"]
ABL_TREND = ABL["trend"]
ABL_BUDGET = ABL["budget"]
ABL_MMM2_BUDGET = ABL["mmm2_budget"]
ABL_GAMES = list(ABL["games"])
for _key, _budget in (("budget", ABL_BUDGET), ("mmm2_budget", ABL_MMM2_BUDGET)):
    for _name in _budget["variants"]:
        if _name not in ABL["variants"]:
            sys.exit(f"mixedmotive: invalid config: key 'aga_ablation.{_key}.variants': {_name!r} is not a variant "
                     f"defined in aga_ablation.variants ({', '.join(ABL['variants'])})")
    if _budget["multiplier"] == 1:
        sys.exit(f"mixedmotive: invalid config: key 'aga_ablation.{_key}.multiplier': 1 is the default budget "
                 "(Table 2 / Fig. 6 itself); 0 = off, else a multiple of at least 2")


rule aga_ablation:
    output:
        f"{RES}/aga_ablation/x{{mult}}/{{game}}/{{variant}}/seed{{seed}}.parquet",
    wildcard_constraints:
        mult=r"\d+",
        game="|".join(dict.fromkeys(ABL_GAMES + ABL_BUDGET["games"])),
        variant="|".join(ABL["variants"]),
    params:
        cfg=job_cfg("aga_ablation", method=lambda w: str(AblationRun(w.game, w.variant, int(w.mult)))),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_ablation/x{{mult}}/{{game}}/{{variant}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("aga_ablation"),
        mem_mb=mem_of("aga_ablation"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_ablation --method {wildcards.game}:{wildcards.variant}:x{wildcards.mult}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output} > {log} 2>&1"


ABL_SEEDS = {game: range(ABL.get("seeds_by_game", {}).get(game, ABL["n_seeds"])) for game in ABL_GAMES}


ABL_REUSE = ablation_reuse()


ABL_RESULTS = [
    ablation_run(1, game, variant, seed)
    for game, variants in ABL["games"].items()
    for variant in variants
    for seed in ABL_SEEDS[game]
]
# Only the largest multiplier is trained: a run is deterministic per seed and nothing in it depends on
# its length, so its first k x (default updates) are the k x run (docs/decisions.md A12).
ABL_TREND_RESULTS = [
    ablation_run(max(ABL_TREND["multipliers"]), ABL_TREND["game"], variant, seed)
    for variant in ABL_TREND["variants"]
    for seed in range(ABL_TREND["n_seeds"])
] if ABL_TREND["multipliers"] else []
# the variants these outputs draw (not those only the larger-budget Table 2 trains: its plots have their own params)
ABL_DRAWN = {v for names in [*ABL["games"].values(), ABL_TREND["variants"]] for v in names}
ABL_PLOT_CFG = as_arg(
    {
        "games": ABL["games"],
        "lam": ABL["lam"],
        "variants": {k: v for k, v in ABL["variants"].items() if k in ABL_DRAWN},
        "trend": ABL_TREND,
        "reuse": ABL_REUSE,
        "n_seeds": ABL["n_seeds"],
        "scale": SCALE,
        "final_fraction": CFG["claims"]["marl_final_fraction"],
        "alpha": CFG["claims"]["marl_alpha"],
    }
)


rule aga_ablation_table:
    input:
        ABL_RESULTS,
    output:
        **table_outputs("aga_ablation", "../report/aga_ablation.rst", "AgA ablation"),
    params:
        cfg=ABL_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_ablation.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_ablation_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule aga_ablation_curves:
    input:
        ABL_RESULTS,
    output:
        reported(f"{FIG}/aga_ablation_curves.pdf", "../report/aga_ablation.rst", "AgA ablation"),
    params:
        cfg=ABL_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_ablation_curves.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_ablation_curves {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


ABL_TREND_INPUTS = ABL_TREND_RESULTS + [
    ablation_run(1, ABL_TREND["game"], variant, seed)
    for variant in ABL_TREND["variants"]
    if variant in ABL["games"].get(ABL_TREND["game"], [])
    for seed in ABL_SEEDS.get(ABL_TREND["game"], [])
]


rule aga_ablation_trend_table:
    input:
        ABL_TREND_INPUTS,
    output:
        **table_outputs("aga_ablation_trend", "../report/aga_ablation.rst", "AgA ablation"),
    params:
        cfg=ABL_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_ablation_trend.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_ablation_trend_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule aga_ablation_trend_curves:
    input:
        ABL_TREND_INPUTS,
    output:
        reported(f"{FIG}/aga_ablation_trend.pdf", "../report/aga_ablation.rst", "AgA ablation"),
    params:
        cfg=ABL_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_ablation_trend_curves.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_ablation_trend_curves {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


ALL_OUTPUTS += [f"{FIG}/aga_ablation_curves.pdf", *table("aga_ablation")]
if ABL_TREND["multipliers"]:
    ALL_OUTPUTS += [f"{FIG}/aga_ablation_trend.pdf", *table("aga_ablation_trend")]
CLAIM_INPUTS += ABL_RESULTS
CLAIM_CFG["ablation_reuse"] = ABL_REUSE


# --- Table 2 / Fig. 3 and AGA-C4 at aga_ablation.budget.multiplier x the default updates (docs/decisions.md A16):
# the ablation's runs of the budget's variants (a trend run of the same budget, game, variant and seed is the same
# file), each under its Table 2 name where its settings at x1 are a Table 2 run's (ablation_reuses, tested);
# budget_results, budget_plot_cfg, budget_built: common.smk.
rule aga_table2_ssd_equality_budget:
    input:
        lambda w: budget_results(int(w.mult)),
    output:
        pdf=reported(f"{TAB}/aga_table2_ssd_equality_x{{mult}}.pdf", "../report/aga_ssd.rst", "AgA",
                     exists=budget_built(f"{TAB}/aga_table2_ssd_equality_x{{mult}}.pdf")),
        csv=f"{TAB}/aga_table2_ssd_equality_x{{mult}}.csv",
        tex=f"{TAB}/aga_table2_ssd_equality_x{{mult}}.tex",
    wildcard_constraints:
        mult=r"\d+",
    params:
        cfg=budget_plot_cfg,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table2_ssd_equality_x{{mult}}.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table2_ssd_equality {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule aga_fig3_ssd_curves_budget:
    input:
        lambda w: budget_results(int(w.mult)),
    output:
        reported(f"{FIG}/aga_fig3_ssd_curves_x{{mult}}.pdf", "../report/aga_ssd.rst", "AgA",
                 exists=budget_built(f"{FIG}/aga_fig3_ssd_curves_x{{mult}}.pdf")),
    wildcard_constraints:
        mult=r"\d+",
    params:
        cfg=budget_plot_cfg,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig3_ssd_curves_x{{mult}}.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig3_ssd_curves {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


if ABL_BUDGET["multiplier"]:
    _mult = ABL_BUDGET["multiplier"]
    ALL_OUTPUTS += [f"{FIG}/aga_fig3_ssd_curves_x{_mult}.pdf", *table(f"aga_table2_ssd_equality_x{_mult}")]
    CLAIM_INPUTS += [p for p in budget_results(_mult) if p not in CLAIM_INPUTS]
    CLAIM_CFG["budgets"] = CLAIM_CFG.get("budgets", []) + [
        {"name": f"{_mult}x", "kind": "aga_ablation", "multiplier": _mult, "n_seeds": ABL_BUDGET["n_seeds"],
         "games": {g: budget_names(g) for g in ABL_BUDGET["games"]}}]


# --- AGA-C5 (Selfish-MMM2, Fig. 6) at aga_ablation.mmm2_budget.multiplier x the default updates (decision A16):
# claims rows only, decided on the ablation's MMM2 runs of the budget's variants under their Fig. 6 names.
if ABL_MMM2_BUDGET["multiplier"]:
    _mult = ABL_MMM2_BUDGET["multiplier"]
    CLAIM_INPUTS += [ablation_run(_mult, "mmm2", variant, seed) for variant in ABL_MMM2_BUDGET["variants"]
                     for seed in range(ABL_MMM2_BUDGET["n_seeds"])]
    CLAIM_CFG["budgets"] = CLAIM_CFG.get("budgets", []) + [
        {"name": f"{_mult}x", "kind": "aga_ablation_mmm2", "multiplier": _mult, "n_seeds": ABL_MMM2_BUDGET["n_seeds"],
         "games": {"mmm2": {v: ablation_reuses("mmm2", v) or v for v in ABL_MMM2_BUDGET["variants"]}}}]
