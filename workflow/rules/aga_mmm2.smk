# AgA Selfish-MMM2: the scenario schematic (appendix Fig. 5), drawn from the embedded simulator's
# definition, and one MAPPO run per (method variant, seed) -> Fig. 6.

MMM2 = CFG["aga_mmm2"]
MMM2_BACKEND = CFG["mmm2_backend"]

if MMM2_BACKEND == "sc2":  # fail before any job runs, naming what is missing
    from mixedmotive.envs.smac_backend import SMACUnavailable, _import_smac

    try:
        _import_smac()
    except SMACUnavailable as err:
        sys.exit(f"mixedmotive: mmm2_backend=sc2 needs StarCraft II and SMAC (docs/smac_install.md): {err}")


rule aga_fig5_mmm2_units:
    output:
        reported(f"{FIG}/aga_fig5_mmm2_units.pdf", "../report/aga_fig5_mmm2_units.rst", "AgA"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig5_mmm2_units.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig5_mmm2_units --out {output} > {log} 2>&1"


rule aga_mmm2:
    output:
        f"{RES}/aga_mmm2/{MMM2_BACKEND}/{{variant}}/seed{{seed}}.parquet",
    wildcard_constraints:
        variant=variant_pattern(MMM2["variants"]),
    params:
        cfg=job_cfg("aga_mmm2", method=lambda w: w.variant),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_mmm2/{MMM2_BACKEND}/{{variant}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("aga_mmm2"),
        mem_mb=mem_of("aga_mmm2"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_mmm2 --method {wildcards.variant}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output} > {log} 2>&1"


MMM2_RESULTS = expand(
    f"{RES}/aga_mmm2/{MMM2_BACKEND}/{{variant}}/seed{{seed}}.parquet", variant=MMM2["variants"], seed=seeds("aga_mmm2")
)


rule aga_fig6_selfish_mmm2:
    input:
        MMM2_RESULTS,
    output:
        reported(f"{FIG}/aga_fig6_selfish_mmm2.pdf", "../report/aga_fig6_selfish_mmm2.rst", "AgA"),
    params:
        cfg=as_arg({**MMM2, "scale": SCALE, "backend": MMM2_BACKEND, "headline": CFG["claims"]["marl_headline"]}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig6_selfish_mmm2.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig6_selfish_mmm2 {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_hyperparameters:
    output:
        **table_outputs("aga_hyperparameters", "../report/aga_hyperparameters.rst", "AgA"),
    params:
        cfg=as_arg({"scale": SCALE, "mmm2_backend": MMM2_BACKEND, "aga_ssd": SSD, "aga_mmm2": MMM2}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_hyperparameters.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_hyperparameters"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [
    f"{FIG}/aga_fig5_mmm2_units.pdf",
    f"{FIG}/aga_fig6_selfish_mmm2.pdf",
    *table("aga_hyperparameters"),
]
CLAIM_INPUTS += MMM2_RESULTS
