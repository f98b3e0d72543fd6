# AgA in Harvest and Cleanup: one multi-agent PPO run per (game, method variant, seed) -> Table 2, Fig. 3.

SSD = CFG["aga_ssd"]


rule aga_ssd:
    output:
        f"{RES}/aga_ssd/{{game}}/{{variant}}/seed{{seed}}.parquet",
    wildcard_constraints:
        game="|".join(SSD["games"]),
        variant=variant_pattern(SSD["variants"]),
    params:
        cfg=job_cfg("aga_ssd", method=lambda w: str(SSDRun(w.game, w.variant))),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_ssd/{{game}}/{{variant}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("aga_ssd"),
        mem_mb=mem_of("aga_ssd"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_ssd --method {wildcards.game}:{wildcards.variant}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output} > {log} 2>&1"


SSD_RESULTS = expand(
    f"{RES}/aga_ssd/{{game}}/{{variant}}/seed{{seed}}.parquet",
    game=SSD["games"],
    variant=SSD["variants"],
    seed=seeds("aga_ssd"),
)


SSD_PLOT_CFG = as_arg(
    {
        **SSD,
        "scale": SCALE,
        "final_fraction": CFG["claims"]["marl_final_fraction"],
        "headline": CFG["claims"]["marl_headline"],
    }
)


rule aga_fig3_ssd_curves:
    input:
        SSD_RESULTS,
    output:
        reported(f"{FIG}/aga_fig3_ssd_curves.pdf", "../report/aga_ssd.rst", "AgA"),
    params:
        cfg=SSD_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig3_ssd_curves.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig3_ssd_curves {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_table2_ssd_equality:
    input:
        SSD_RESULTS,
    output:
        **table_outputs("aga_table2_ssd_equality", "../report/aga_ssd.rst", "AgA"),
    params:
        cfg=SSD_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table2_ssd_equality.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table2_ssd_equality {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [f"{FIG}/aga_fig3_ssd_curves.pdf", *table("aga_table2_ssd_equality")]
CLAIM_INPUTS += SSD_RESULTS
