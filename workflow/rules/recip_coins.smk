# Reciprocators in the Coins game: one training run per (pairing, seed), figures pp. 7, 8, 14,
# the payoff figure and the hyper-parameter tables.

COINS = CFG["recip_coins"]
COINS_PAIRINGS = "|".join(COINS["pairings"])
COINS_PLOT_CFG = as_arg({**COINS, "scale": SCALE})
# minutes per run for cluster profiles: paper scale is ~3 h per run on one CPU core (benchmarks/README.md)
COINS_RUNTIME_MIN = 1440 if SCALE == "paper" else 240


rule recip_coins:
    output:
        table=f"{RES}/recip_coins/{{pairing}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_coins/{{pairing}}/seed{{seed}}.json",
    wildcard_constraints:
        pairing=COINS_PAIRINGS,
    params:
        cfg=as_arg(section("recip_coins")),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_coins/{{pairing}}/seed{{seed}}.log",
    resources:
        runtime=COINS_RUNTIME_MIN,
        mem_mb=4000,
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
        report("figures/{figure}.pdf", caption="../report/recip_coins.rst", category="Reciprocators"),
    wildcard_constraints:
        figure="recip_fig3_coins_vs_nl|recip_fig4_coins_head_to_head|recip_figA_coins_symmetric|recip_figA_coins_vs_nl",
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
        report("figures/recip_fig1_payoffs.pdf", caption="../report/recip_fig1_payoffs.rst", category="Reciprocators"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_fig1_payoffs.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_fig1_payoffs --out {output} > {log} 2>&1"


rule recip_hyperparameters:
    output:
        pdf=report(
            "tables/recip_hyperparameters.pdf",
            caption="../report/recip_hyperparameters.rst",
            category="Reciprocators",
        ),
        csv="tables/recip_hyperparameters.csv",
        tex="tables/recip_hyperparameters.tex",
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
    "figures/recip_fig1_payoffs.pdf",
    "figures/recip_fig3_coins_vs_nl.pdf",
    "figures/recip_fig4_coins_head_to_head.pdf",
    "figures/recip_figA_coins_symmetric.pdf",
    "figures/recip_figA_coins_vs_nl.pdf",
    *table("recip_hyperparameters"),
]
CLAIM_INPUTS += COINS_RESULTS
