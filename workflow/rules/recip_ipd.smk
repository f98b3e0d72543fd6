# Reciprocators in the IPD: analytic round robin (NL, LOLA, M-MAML, MFOS, Reciprocator) and rollout.

rule recip_ipd_meta:
    output:
        table=f"{RES}/recip_ipd_meta/{{agent}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_ipd_meta/{{agent}}/seed{{seed}}.json",
        artifact=f"{RES}/recip_ipd_meta/{{agent}}/seed{{seed}}.pt",
    wildcard_constraints:
        agent="mmaml|mfos",
    params:
        cfg=job_cfg("recip_ipd_meta", method=lambda w: w.agent),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_ipd_meta/{{agent}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_ipd_meta"),
        mem_mb=mem_of("recip_ipd_meta"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_ipd_meta --method {wildcards.agent}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule recip_ipd_match:
    input:
        unpack(rr_meta_inputs),
    output:
        table=f"{RES}/recip_ipd_analytic/{{pair}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_ipd_analytic/{{pair}}/seed{{seed}}.json",
    wildcard_constraints:
        pair=r"(nl|lola|mmaml|mfos|reciprocator)_vs_(nl|lola|mmaml|mfos|reciprocator)",
    params:
        cfg=rr_match_cfg,
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_ipd_analytic/{{pair}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_ipd_match"),
        mem_mb=mem_of("recip_ipd_match"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_ipd_analytic --method {wildcards.pair}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule recip_ipd_rollout:
    output:
        table=f"{RES}/recip_ipd_rollout/reciprocator_vs_nl/seed{{seed}}.parquet",
        meta=f"{RES}/recip_ipd_rollout/reciprocator_vs_nl/seed{{seed}}.json",
    params:
        cfg=job_cfg("recip_ipd_rollout", method=lambda w: None),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_ipd_rollout/reciprocator_vs_nl/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_ipd_rollout"),
        mem_mb=mem_of("recip_ipd_rollout"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_ipd_rollout --method reciprocator_vs_nl"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


RR_RESULTS = expand(f"{RES}/recip_ipd_analytic/{{pair}}/seed{{seed}}.parquet", pair=rr_pairs(), seed=seeds("recip_ipd_analytic"))
ROLLOUT_RESULTS = expand(
    f"{RES}/recip_ipd_rollout/reciprocator_vs_nl/seed{{seed}}.parquet", seed=seeds("recip_ipd_rollout")
)


rule recip_table1_ipd_round_robin:
    input:
        RR_RESULTS,
    output:
        **table_outputs("recip_table1_ipd_round_robin", "../report/recip_table1_ipd_round_robin.rst", "Reciprocators"),
    params:
        cfg=as_arg({k: RR[k] for k in RR_MATCH_KEYS}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_table1_ipd_round_robin.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_table1_ipd_round_robin {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule recip_fig2_ipd_rollout:
    input:
        ROLLOUT_RESULTS,
    output:
        reported(f"{FIG}/recip_fig2_ipd_rollout.pdf", "../report/recip_fig2_ipd_rollout.rst", "Reciprocators"),
    params:
        cfg=as_arg(CFG["recip_ipd_rollout"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_fig2_ipd_rollout.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_fig2_ipd_rollout {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


rule recip_ipd_rollout_sensitivity:
    input:
        ROLLOUT_RESULTS,
    output:
        **table_outputs("recip_ipd_rollout_sensitivity", "../report/recip_ipd_rollout_sensitivity.rst", "Reciprocators"),
    params:
        cfg=as_arg({k: CFG["claims"][k] for k in ("smooth_episodes", "swing_amplitude", "min_swings",
                                                  "rollout_sensitivity_windows", "rollout_sensitivity_amplitudes")}),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_ipd_rollout_sensitivity.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_ipd_rollout_sensitivity {input} --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [
    *table("recip_ipd_rollout_sensitivity"),
    *table("recip_table1_ipd_round_robin"),
    f"{FIG}/recip_fig2_ipd_rollout.pdf",
]
CLAIM_INPUTS += [*RR_RESULTS, *ROLLOUT_RESULTS]


# --- M-MAML study (diagnostic; docs/decisions.md R12): off while recip_ipd_mmaml_study.n_ids is 0 ---
rule recip_ipd_mmaml_study:
    output:
        table=f"{RES}/recip_ipd_mmaml_study/{{arm}}/seed{{seed}}.parquet",
        meta=f"{RES}/recip_ipd_mmaml_study/{{arm}}/seed{{seed}}.json",
        artifact=f"{RES}/recip_ipd_mmaml_study/{{arm}}/seed{{seed}}.pt",
    wildcard_constraints:
        arm=r"b\d+(-lr[0-9.e+-]+)?",
    params:
        cfg=lambda w: as_arg(job_settings("recip_ipd_mmaml_study", CFG, w.arm)),
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_ipd_mmaml_study/{{arm}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("recip_ipd_mmaml_study"),
        mem_mb=mem_of("recip_ipd_mmaml_study"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_ipd_mmaml_study --method {wildcards.arm}"
        " --seed {wildcards.seed} --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule recip_ipd_mmaml_eval:
    input:
        unpack(mmaml_eval_inputs),
    output:
        table=f"{RES}/recip_ipd_mmaml_eval/{{arm}}/seed0.parquet",
        meta=f"{RES}/recip_ipd_mmaml_eval/{{arm}}/seed0.json",
    wildcard_constraints:
        arm=r"b\d+(-lr[0-9.e+-]+)?|mfos",
    params:
        cfg=mmaml_eval_cfg,
    conda:
        ENV
    log:
        f"logs/{SCALE}/recip_ipd_mmaml_eval/{{arm}}/seed0.log",
    resources:
        runtime=runtime_of("recip_ipd_mmaml_eval"),
        mem_mb=mem_of("recip_ipd_mmaml_eval"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train recip_ipd_mmaml_eval --method {wildcards.arm}"
        " --seed 0 --config-json {params.cfg} --out {output.table} > {log} 2>&1"


MMAML_EVALS = [f"{RES}/recip_ipd_mmaml_eval/{arm}/seed0.parquet" for arm in MMAML_ARMS]
MMAML_CURVES = [mmaml_study_run(arm, i) for arm in MMAML_ARMS if arm != "mfos" for i in range(MMAML_STUDY["n_ids"])]
# what the study's table, figure and claims read (the arms come from the inputs)
MMAML_PLOT_CFG = as_arg({"threshold": MMAML_STUDY["threshold"], "smooth": MMAML_STUDY["smooth"], "scale": SCALE,
                         "own_arm": MMAML_OWN_ARM})
CLAIM_CFG["mmaml_study"] = {"threshold": MMAML_STUDY["threshold"], "alpha": MMAML_STUDY["alpha"],
                            "own_arm": MMAML_OWN_ARM}


rule recip_ipd_mmaml_study_table:
    input:
        MMAML_EVALS,
        MMAML_CURVES,
    output:
        **table_outputs("recip_ipd_mmaml_study", "../report/recip_ipd_mmaml_study.rst", "Reciprocators"),
    params:
        cfg=MMAML_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_ipd_mmaml_study_table.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_ipd_mmaml_study_table {input}"
        " --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule recip_ipd_mmaml_study_figure:
    input:
        MMAML_EVALS,
        MMAML_CURVES,
    output:
        reported(f"{FIG}/recip_ipd_mmaml_study.pdf", "../report/recip_ipd_mmaml_study.rst", "Reciprocators"),
    params:
        cfg=MMAML_PLOT_CFG,
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/recip_ipd_mmaml_study_figure.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot recip_ipd_mmaml_study_figure {input}"
        " --config-json {params.cfg} --out {output} > {log} 2>&1"


if MMAML_ARMS:
    ALL_OUTPUTS += [*table("recip_ipd_mmaml_study"), f"{FIG}/recip_ipd_mmaml_study.pdf"]
    CLAIM_INPUTS += MMAML_EVALS
