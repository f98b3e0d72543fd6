# Reciprocators in the Coins game: one training run per (pairing, seed), figures pp. 7, 8, 14,
# the payoff figure and the hyper-parameter tables.

COINS = CFG["recip_coins"]
COINS_PAIRINGS = "|".join(COINS["pairings"])
COINS_PLOT_CFG = as_arg({**COINS, "scale": SCALE})
COINS_FIGURES = ["recip_fig3_coins_vs_nl", "recip_fig4_coins_head_to_head", "recip_figA_coins_symmetric",
                 "recip_figA_coins_vs_nl"]


rule recip_coins:
    output:
        table=f"{RES}/recip_coins/{{pairing}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_coins/{{pairing}}/seed{{seed}}.json",
    wildcard_constraints:
        pairing=COINS_PAIRINGS,
    params:
        cfg=job_cfg("recip_coins", method=lambda w: w.pairing),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_coins/{{pairing}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_coins"),
        mem_mb=mem_of("recip_coins"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_coins --method {wildcards.pairing}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


COINS_RESULTS = expand(
    f"{RES}/recip_coins/{{pairing}}/seed{{seed}}.parquet", pairing=COINS["pairings"], seed=seeds("recip_coins")
)


rule recip_coins_figure:
    input:
        COINS_RESULTS,
    output:
        reported(f"{FIG}/{{figure}}.pdf", "../report/recip_coins.rst", "Reciprocators",
                 exists=all(os.path.exists(f"{FIG}/{f}.pdf") for f in COINS_FIGURES)),
    wildcard_constraints:
        figure="|".join(COINS_FIGURES),
    params:
        cfg=COINS_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/{{figure}}.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot {wildcards.figure} {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule recip_fig1_payoffs:
    output:
        reported(f"{FIG}/recip_fig1_payoffs.pdf", "../report/recip_fig1_payoffs.rst", "Reciprocators"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_fig1_payoffs.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_fig1_payoffs --out {output} > {log} 2>&1"


rule recip_hyperparameters:
    output:
        **table_outputs("recip_hyperparameters", "../report/recip_hyperparameters.rst", "Reciprocators"),
    params:
        cfg=as_arg({"scale": SCALE, **{k: CFG[k] for k in ("recip_ipd_analytic", "recip_ipd_rollout", "recip_coins")}}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_hyperparameters.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_hyperparameters"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [
    f"{FIG}/recip_fig1_payoffs.pdf",
    *(f"{FIG}/{f}.pdf" for f in COINS_FIGURES),
    *table("recip_hyperparameters"),
]
CLAIM_INPUTS += COINS_RESULTS


# --- Coins at the paper's settings (docs/decisions.md A16; config/coins_paper.yaml): recip_coins' runs with the
# paper scale's recip_coins section, in a folder of their own; RECIP-C4a decided on them at budget "paper".
COINS_PAPER = CFG["recip_coins_paper"]
COINS_PAPER_SECTION = resolve(config, scale="paper")["recip_coins"]
COINS_PAPER_CFG = {**CFG, "recip_coins": COINS_PAPER_SECTION}


rule recip_coins_paper:
    output:
        table=f"{RES}/recip_coins_paper/{{pairing}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_coins_paper/{{pairing}}/seed{{seed}}.json",
    wildcard_constraints:
        pairing="|".join(COINS_PAPER["pairings"]),
    params:
        cfg=lambda w: as_arg(job_settings("recip_coins", COINS_PAPER_CFG, w.pairing)),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_coins_paper/{{pairing}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_coins_paper"),
        mem_mb=mem_of("recip_coins_paper"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_coins --method {wildcards.pairing}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


COINS_PAPER_RESULTS = expand(f"{RES}/recip_coins_paper/{{pairing}}/seed{{seed}}.parquet",
                             pairing=COINS_PAPER["pairings"], seed=range(COINS_PAPER["n_seeds"]))


rule recip_fig3_coins_vs_nl_paper:
    input:
        COINS_PAPER_RESULTS,
    output:
        reported(f"{FIG}/recip_fig3_coins_vs_nl_paper.pdf", "../report/recip_coins.rst", "Reciprocators"),
    params:
        cfg=as_arg({**COINS_PAPER_SECTION, "scale": SCALE, "budget": "the paper's settings"}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_fig3_coins_vs_nl_paper.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_fig3_coins_vs_nl {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


if COINS_PAPER["n_seeds"]:
    ALL_OUTPUTS += [f"{FIG}/recip_fig3_coins_vs_nl_paper.pdf"]
    CLAIM_INPUTS += COINS_PAPER_RESULTS
    CLAIM_CFG["budgets"] = CLAIM_CFG.get("budgets", []) + [
        {"name": "paper", "kind": "recip_coins", "paths": COINS_PAPER_RESULTS, "n_seeds": COINS_PAPER["n_seeds"],
         "pairings": COINS_PAPER["pairings"]}]
