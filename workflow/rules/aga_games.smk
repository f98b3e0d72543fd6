# AgA on differentiable games: Fig. 1, Table 1, Fig. 4, Table 3.


rule aga_diffgame:
    output:
        table=f"{RES}/aga_diffgame/{{method}}/seed{{seed}}.parquet",
        meta=f"{RES}/aga_diffgame/{{method}}/seed{{seed}}.json",
    params:
        cfg=job_cfg("aga_diffgame"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_diffgame/{{method}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("aga_diffgame"),
        mem_mb=mem_of("aga_diffgame"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_diffgame --method {wildcards.method} --seed {wildcards.seed}"
        " --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule aga_public_goods:
    output:
        table=f"{RES}/aga_public_goods/{{method}}/seed{{seed}}.parquet",
        meta=f"{RES}/aga_public_goods/{{method}}/seed{{seed}}.json",
    params:
        cfg=job_cfg("aga_public_goods"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_public_goods/{{method}}/seed{{seed}}.log",
    resources:
        runtime=runtime_of("aga_public_goods"),
        mem_mb=mem_of("aga_public_goods"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_public_goods --method {wildcards.method} --seed {wildcards.seed}"
        " --config-json {params.cfg} --out {output.table} > {log} 2>&1"


rule aga_runtime:
    output:
        table=f"{RES}/aga_runtime/all/seed0.parquet",
        meta=f"{RES}/aga_runtime/all/seed0.json",
    params:
        cfg=job_cfg("aga_runtime", method=lambda w: None),
    conda:
        ENV
    log:
        f"logs/{SCALE}/aga_runtime/all/seed0.log",
    resources:
        runtime=runtime_of("aga_runtime"),
        mem_mb=mem_of("aga_runtime"),
        cpus_per_task=1,
    shell:
        "python workflow/scripts/mixedmotive_cli.py train aga_runtime --seed 0 --config-json {params.cfg}"
        " --out {output.table} > {log} 2>&1"


rule aga_fig1_trajectories:
    input:
        raw("aga_diffgame"),
    output:
        reported(f"{FIG}/aga_fig1_trajectories.pdf", "../report/aga_fig1_trajectories.rst", "AgA"),
    params:
        cfg=as_arg(CFG["aga_diffgame"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig1_trajectories.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig1_trajectories {input} --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_table1_public_goods:
    input:
        raw("aga_public_goods"),
    output:
        **table_outputs("aga_table1_public_goods", "../report/aga_table1_public_goods.rst", "AgA"),
    params:
        cfg=as_arg(CFG["aga_public_goods"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table1_public_goods.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table1_public_goods {input} --config-json {params.cfg} --out {output.pdf} > {log} 2>&1"


rule aga_fig4_public_goods_scatter:
    input:
        raw("aga_public_goods"),
    output:
        reported(f"{FIG}/aga_fig4_public_goods_scatter.pdf", "../report/aga_fig4_public_goods_scatter.rst", "AgA"),
    params:
        cfg=as_arg(CFG["aga_public_goods"]),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_fig4_public_goods_scatter.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_fig4_public_goods_scatter {input} --config-json {params.cfg} --out {output} > {log} 2>&1"


rule aga_table3_runtime:
    input:
        rules.aga_runtime.output.table,
    output:
        **table_outputs("aga_table3_runtime", "../report/aga_table3_runtime.rst", "AgA"),
    conda:
        ENV
    log:
        f"logs/{SCALE}/plots/aga_table3_runtime.log",
    shell:
        "python workflow/scripts/mixedmotive_cli.py plot aga_table3_runtime {input} --out {output.pdf} > {log} 2>&1"


ALL_OUTPUTS += [
    f"{FIG}/aga_fig1_trajectories.pdf",
    f"{FIG}/aga_fig4_public_goods_scatter.pdf",
    *table("aga_table1_public_goods"),
    *table("aga_table3_runtime"),
]
CLAIM_INPUTS += [*raw("aga_diffgame"), *raw("aga_public_goods"), rules.aga_runtime.output.table]
