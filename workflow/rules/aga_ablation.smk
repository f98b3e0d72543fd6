# AgA ablation (docs/decisions.md A12): the paper's open readings of AgA as options of the
# engine and MAPPO, one run per (budget multiplier, game, variant, seed) -> tables/aga_ablation,
# figures/aga_ablation_curves, and with aga_ablation.trend.multipliers the budget trend.

ABL = CFG["aga_ablation"]
ABL_TREND = ABL["trend"]
ABL_GAMES = list(ABL["games"])


rule aga_ablation:
    output:
        f"{RES}/aga_ablation/x{{mult}}/{{game}}/{{variant}}/seed{{seed}}.parquet",
    wildcard_constraints:
        mult=r"\d+",
        game="|".join(ABL_GAMES),
        variant="|".join(ABL["variants"]),
    params:
        cfg=job_cfg("aga_ablation", method=lambda w: f"{w.game}:{w.variant}:x{w.mult}"),
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


ABL_REUSE = {game: {v: ablation_reuses(game, v) for v in variants if ablation_reuses(game, v)}
             for game, variants in ABL["games"].items()}


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
ABL_PLOT_CFG = as_arg(
    {
        "games": ABL["games"],
        "lam": ABL["lam"],
        "variants": ABL["variants"],
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
